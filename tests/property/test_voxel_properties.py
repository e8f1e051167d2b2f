"""Invariants of voxel dosimetry: linearity, non-negativity, energy conservation, FFT exactness."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import fftconvolve

from nenliver.dosimetry.voxel import (
    ActivityMaps,
    DoseMethod,
    KernelConvolver,
    dose_from_activity,
    y90_dose_voxel_kernel,
)

KERNEL = y90_dose_voxel_kernel((4.42, 4.42, 4.42), 1.03)
SHAPES = st.tuples(*(st.integers(3, 14),) * 3)


def _random(shape: tuple[int, int, int], seed: int, density: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random(shape, dtype=np.float32)
    x[rng.random(shape) > density] = 0
    return x


@settings(max_examples=40, deadline=None)
@given(SHAPES, st.integers(0, 10_000), st.floats(0.05, 1.0))
def test_convolution_equals_fftconvolve(shape: tuple[int, int, int], seed: int, density: float) -> None:
    x = _random(shape, seed, density)
    y = KernelConvolver(KERNEL.fractions)(x)
    np.testing.assert_allclose(y, fftconvolve(x.astype(np.float64), KERNEL.fractions, mode="same"), atol=2e-6)


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.integers(0, 10_000), st.floats(0.1, 50.0), st.sampled_from(list(DoseMethod)))
def test_dose_is_linear_in_activity_and_never_negative(
    shape: tuple[int, int, int], seed: int, scale: float, method: DoseMethod
) -> None:
    a = _random(shape, seed, 0.5) * np.float32(1e-3)
    d1, *_ = dose_from_activity(ActivityMaps(a, None), 0.086, (4.42,) * 3, method, 49.67, 1.03)
    d2, *_ = dose_from_activity(ActivityMaps(a * np.float32(scale), None), 0.086, (4.42,) * 3, method, 49.67, 1.03)
    assert (d1 >= -1e-6 * max(float(d1.max()), 1e-30)).all()
    np.testing.assert_allclose(d2, d1 * scale, rtol=1e-4, atol=1e-5 * max(float(d2.max()), 1e-30))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_kernel_conserves_energy_away_from_the_edges(seed: int) -> None:
    a = np.zeros((20, 20, 20), np.float32)
    a[4:16, 4:16, 4:16] = _random((12, 12, 12), seed, 0.7) * np.float32(1e-3)
    ldm, *_ = dose_from_activity(ActivityMaps(a, None), 0.086, (4.42,) * 3, DoseMethod.LDM, 49.67, 1.03)
    ker, *_ = dose_from_activity(ActivityMaps(a, None), 0.086, (4.42,) * 3, DoseMethod.KERNEL, 49.67, 1.03)
    # Same mass per voxel: total dose x mass (energy) is the same.
    assert float(ker.sum(dtype=np.float64)) == np.float32(ldm.sum(dtype=np.float64)) or np.isclose(
        ker.sum(dtype=np.float64), ldm.sum(dtype=np.float64), rtol=1e-5
    )
