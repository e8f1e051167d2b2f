"""Dose maps from activity maps: never negative (FFT round-off is clipped), energy kept with LDM."""

from __future__ import annotations

import numpy as np

from nenliver.dosimetry.voxel.activity import ActivityMaps
from nenliver.dosimetry.voxel.pipeline import DoseMethod, dose_from_activity


def test_kernel_dose_map_has_no_negative_voxels():
    rng = np.random.default_rng(7)
    activity = np.zeros((40, 40, 40), np.float32)
    activity[10:30, 12:28, 8:33] = rng.gamma(2.0, 1e-4, (20, 16, 25)).astype(np.float32)
    dose, kernel = dose_from_activity(
        ActivityMaps(activity, None), 0.0864, (4.42, 4.42, 4.42), DoseMethod.KERNEL, 49.67, 1.03
    )
    assert kernel is not None
    assert float(dose.min()) >= 0.0
    assert float(dose.max()) > 0.0
