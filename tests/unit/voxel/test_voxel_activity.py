"""Activity maps: patient-relative (MAA SPECT) and absolute (90Y PET) calibration."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from nenliver.dosimetry.constants import number
from nenliver.dosimetry.voxel.activity import (
    absolute_activity,
    decay_correction_to_administration,
    patient_relative_activity,
)
from nenliver.errors import ImagingInputError


def _phantom() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = np.zeros((10, 10, 10), np.float32)
    counts[2:6, 2:6, 2:6] = 5.0
    counts[7:9, 7:9, 7:9] = 1.0  # lung counts
    perfused = np.zeros(counts.shape, bool)
    perfused[1:7, 1:7, 1:7] = True
    lung = np.zeros(counts.shape, bool)
    lung[7:, 7:, 7:] = True
    return counts, perfused, lung


def test_perfused_volume_carries_a_times_one_minus_lsf() -> None:
    counts, perfused, lung = _phantom()
    maps = patient_relative_activity(counts, perfused, 2.0, 0.1, lung)
    assert maps.tissue_gbq.sum(dtype=np.float64) == pytest.approx(1.8, rel=1e-6)
    assert maps.lung_gbq is not None
    assert maps.lung_gbq.sum(dtype=np.float64) == pytest.approx(0.2, rel=1e-6)
    assert not maps.tissue_gbq[~perfused].any()
    # Proportional to counts inside the perfused volume.
    assert maps.tissue_gbq[3, 3, 3] == pytest.approx(1.8 / 64, rel=1e-6)
    # Every count lies in the perfused volume or the lung: none is reported as not dosed.
    assert not any("not dosed" in n for n in maps.notes)
    assert any("lung mask" in n for n in maps.notes)


def test_counts_outside_perfused_volume_and_lung_are_reported_as_not_dosed() -> None:
    counts, perfused, lung = _phantom()
    counts[0, 9, 0] = 8.0  # neither perfused nor lung
    maps = patient_relative_activity(counts, perfused, 2.0, 0.1, lung)
    total = 64 * 5.0 + 8 * 1.0 + 8.0
    expected = f"{100 * 8.0 / total:.1f} % of the image counts lie outside the perfused volume and the lung (not dosed)"
    assert expected in maps.notes


def test_lung_without_counts_gets_the_shunt_evenly() -> None:
    counts, perfused, lung = _phantom()
    counts[lung] = 0
    maps = patient_relative_activity(counts, perfused, 1.0, 0.05, lung)
    assert maps.lung_gbq is not None
    values = maps.lung_gbq[lung]
    assert np.allclose(values, values[0])
    assert values.sum(dtype=np.float64) == pytest.approx(0.05, rel=1e-6)


@pytest.mark.parametrize(("injected", "lsf"), [(0.0, 0.0), (-1.0, 0.0), (1.0, 1.0), (1.0, -0.1)])
def test_rejects_bad_activity_or_shunt(injected: float, lsf: float) -> None:
    counts, perfused, _ = _phantom()
    with pytest.raises(ImagingInputError):
        patient_relative_activity(counts, perfused, injected, lsf)


def test_rejects_an_image_without_counts_in_the_perfused_volume() -> None:
    counts, perfused, _ = _phantom()
    counts[perfused] = 0
    with pytest.raises(ImagingInputError, match="no counts"):
        patient_relative_activity(counts, perfused, 1.0, 0.0)


def test_small_negative_noise_is_clipped_and_noted_large_is_refused() -> None:
    counts, perfused, _ = _phantom()
    counts[0, 0, 0] = -0.5
    maps = patient_relative_activity(counts, perfused, 1.0, 0.0)
    assert any("negative" in n for n in maps.notes)
    counts[0] = -50.0
    with pytest.raises(ImagingInputError, match="negative"):
        patient_relative_activity(counts, perfused, 1.0, 0.0)


def test_absolute_activity_is_concentration_times_volume_decay_corrected() -> None:
    conc = np.full((2, 2, 2), 2.0e6, np.float32)  # 2 MBq/mL in 0.5 mL voxels, one half-life after
    maps = absolute_activity(conc, 0.5, 2.0)
    assert maps.total_gbq == pytest.approx(8 * 2.0e6 * 0.5 * 1e-9 * 2.0, rel=1e-6)


def test_decay_correction_doubles_after_one_half_life() -> None:
    from datetime import timedelta

    t0 = datetime(2024, 1, 1, 9)
    assert decay_correction_to_administration(t0 + timedelta(hours=number("y90")), t0) == pytest.approx(2.0)


def test_absolute_mode_keeps_lung_activity_apart() -> None:
    conc = np.full((4, 4, 4), 1.0e6, np.float32)
    lung = np.zeros(conc.shape, bool)
    lung[0] = True
    maps = absolute_activity(conc, 1.0, 1.0, lung)
    assert maps.lung_gbq is not None
    assert not maps.tissue_gbq[lung].any()
    assert maps.total_gbq == pytest.approx(64e-3)


def test_non_finite_values_are_refused() -> None:
    conc = np.ones((2, 2, 2), np.float32)
    conc[0, 0, 0] = np.nan
    with pytest.raises(ImagingInputError, match="NaN"):
        absolute_activity(conc, 1.0, 1.0)


def test_a_mask_holding_almost_none_of_the_counts_is_refused() -> None:
    """A liver mask on another grid that misses the uptake must not scale a few counts to the whole activity."""
    counts, perfused, _ = _phantom()
    counts[perfused] = 0.0
    counts[1, 1, 1] = 0.5  # a trace inside the perfused volume; the uptake lies elsewhere
    counts[8, 1, 1] = 100.0
    with pytest.raises(ImagingInputError, match=r"0\.5 % of the image counts lie inside the perfused volume"):
        patient_relative_activity(counts, perfused, 2.0, 0.1)
