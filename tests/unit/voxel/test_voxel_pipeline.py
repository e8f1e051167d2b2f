"""Dose maps from activity maps: never negative (FFT round-off is clipped), energy kept with LDM."""

from __future__ import annotations

import numpy as np
import pytest

from nenliver.dosimetry.voxel.activity import ActivityMaps
from nenliver.dosimetry.voxel.pipeline import DoseMethod, dose_from_activity


def test_kernel_dose_map_has_no_negative_voxels():
    rng = np.random.default_rng(7)
    activity = np.zeros((40, 40, 40), np.float32)
    activity[10:30, 12:28, 8:33] = rng.gamma(2.0, 1e-4, (20, 16, 25)).astype(np.float32)
    dose, kernel, lost = dose_from_activity(
        ActivityMaps(activity, None), 0.0864, (4.42, 4.42, 4.42), DoseMethod.KERNEL, 49.67, 1.03
    )
    assert kernel is not None
    assert float(dose.min()) >= 0.0
    assert float(dose.max()) > 0.0
    assert lost < 1e-5  # activity 10 voxels (44 mm) from every edge, beyond the 11 mm kernel range


def test_activity_at_the_image_edge_reports_the_energy_that_leaves():
    activity = np.zeros((20, 20, 20), np.float32)
    activity[0:6, 5:15, 5:15] = 1e-3  # touches the first face
    ldm, *_ = dose_from_activity(ActivityMaps(activity, None), 0.0864, (4.42,) * 3, DoseMethod.LDM, 49.67, 1.03)
    dose, _, lost = dose_from_activity(
        ActivityMaps(activity, None), 0.0864, (4.42,) * 3, DoseMethod.KERNEL, 49.67, 1.03
    )
    kept = float(dose.sum(dtype=np.float64)) / float(ldm.sum(dtype=np.float64))
    assert lost > 0.001
    assert lost == pytest.approx(1.0 - kept, abs=1e-6)
    assert float(dose[0].mean()) < float(ldm[0].mean())  # the edge layer is underdosed


def test_kernel_method_refuses_a_sheared_grid_and_ldm_says_it_is_unaffected():
    from nenliver.dosimetry.voxel.pipeline import VoxelDoseOptions, voxel_dose
    from nenliver.errors import ImagingInputError
    from nenliver.imaging import Volume

    affine = np.diag([4.0, 4.0, 4.0, 1.0])
    affine[0, 1] = 1.0  # shear
    counts = np.ones((8, 8, 8), np.float32)
    liver = np.ones((8, 8, 8), bool)
    image = Volume(counts, affine, source="sheared.nii.gz")
    with pytest.raises(ImagingInputError, match="not orthogonal"):
        voxel_dose(image, {"liver": liver}, VoxelDoseOptions(1.0, method=DoseMethod.KERNEL))
    result = voxel_dose(image, {"liver": liver}, VoxelDoseOptions(1.0, method=DoseMethod.LDM))
    assert any("sheared grid" in n for n in result.notes)
