"""DVH metrics on distributions whose quantiles are known."""

from __future__ import annotations

import numpy as np
import pytest

from nenliver.dosimetry.voxel.dvh import cumulative_dvh, dvh_metrics


def test_metrics_of_1_to_100_gy() -> None:
    d = np.arange(1, 101, dtype=np.float32).reshape(4, 5, 5)
    m = dvh_metrics(d, np.ones(d.shape, bool), 0.5)
    # D_x = coldest voxel of the hottest x %: D2 = 99, D50 = 51, D70 = 31, D90 = 11, D95 = 6.
    assert m.d_gy == {2: 99.0, 50: 51.0, 70: 31.0, 90: 11.0, 95: 6.0}
    assert m.v_percent[30] == 71.0
    assert m.v_percent[100] == 1.0
    assert m.v_percent[120] == 0.0
    assert m.mean_gy == pytest.approx(50.5)
    assert (m.volume_ml, m.voxels, m.min_gy, m.max_gy) == (50.0, 100, 1.0, 100.0)


def test_uniform_dose_has_every_dx_equal_to_the_mean() -> None:
    d = np.full((6, 6, 6), 87.5, np.float32)
    m = dvh_metrics(d, np.ones(d.shape, bool), 1.0)
    assert set(m.d_gy.values()) == {87.5}
    assert m.v_percent[70] == 100.0
    assert m.v_percent[100] == 0.0


def test_exponential_distribution_quantiles() -> None:
    rng = np.random.default_rng(5)
    scale = 40.0
    d = rng.exponential(scale, size=(60, 60, 60)).astype(np.float32)
    m = dvh_metrics(d, np.ones(d.shape, bool), 1.0)
    for x, value in m.d_gy.items():
        # Hottest x % receive at least D_x: P(D >= D_x) = x/100 -> D_x = -scale ln(x/100).
        assert value == pytest.approx(-scale * np.log(x / 100.0), rel=0.02)
    assert m.v_percent[40] == pytest.approx(100 * np.exp(-1.0), abs=0.3)


def test_mask_selects_the_structure() -> None:
    d = np.zeros((4, 4, 4), np.float32)
    d[:2] = 10.0
    mask = np.zeros(d.shape, bool)
    mask[:2] = True
    assert dvh_metrics(d, mask, 1.0).mean_gy == 10.0


def test_cumulative_dvh_is_non_increasing_from_100() -> None:
    d = np.random.default_rng(6).gamma(2.0, 30.0, size=(20, 20, 20)).astype(np.float32)
    _, vol = cumulative_dvh(d, np.ones(d.shape, bool), 0.5)
    assert vol[0] == 100.0
    assert vol[-1] == 0.0
    assert np.all(np.diff(vol) <= 0)
    # Consistent with V_x: the curve at 40 Gy is the share of voxels >= 40 Gy.
    assert vol[80] == pytest.approx(100.0 * np.mean(d >= 40.0))


def test_empty_structure_is_refused() -> None:
    d = np.ones((2, 2, 2), np.float32)
    with pytest.raises(ValueError, match="empty"):
        dvh_metrics(d, np.zeros(d.shape, bool), 1.0)
    with pytest.raises(ValueError, match="empty"):
        cumulative_dvh(d, np.zeros(d.shape, bool), 1.0)
