"""KernelConvolver equals scipy.signal.fftconvolve(mode="same") on every kind of input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import fftconvolve

from nenliver.dosimetry.voxel.convolution import KernelConvolver, nonzero_bounds
from nenliver.dosimetry.voxel.kernels import y90_dose_voxel_kernel

KERNEL = y90_dose_voxel_kernel((4.42, 4.42, 4.42), 1.03).fractions


def _reference(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    return fftconvolve(x.astype(np.float64), k, mode="same")


@pytest.mark.parametrize("shape", [(16, 17, 18), (7, 7, 7), (40, 9, 25)])
def test_dense_input_matches_fftconvolve(shape: tuple[int, int, int]) -> None:
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    y = KernelConvolver(KERNEL)(x)
    assert y.dtype == np.float32
    assert y.shape == shape
    np.testing.assert_allclose(y, _reference(x, KERNEL), atol=2e-6)


def test_cropped_input_matches_and_is_zero_far_away() -> None:
    x = np.zeros((40, 40, 40), np.float32)
    x[10:15, 20:30, 5:8] = np.random.default_rng(1).random((5, 10, 3))
    y = KernelConvolver(KERNEL)(x)
    np.testing.assert_allclose(y, _reference(x, KERNEL), atol=2e-6)
    assert not y[20:].any()


def test_sources_at_the_border_lose_energy_without_wrapping() -> None:
    x = np.zeros((20, 20, 20), np.float32)
    x[0, 0, 0] = x[19, 10, 19] = 1.0
    y = KernelConvolver(KERNEL)(x)
    np.testing.assert_allclose(y, _reference(x, KERNEL), atol=1e-7)
    assert y.sum() < 2.0


def test_asymmetric_kernel_uses_a_complex_spectrum() -> None:
    k = np.random.default_rng(2).random((3, 5, 7))
    conv = KernelConvolver(k)
    assert not conv.symmetric
    x = np.random.default_rng(3).random((10, 11, 12), dtype=np.float32)
    np.testing.assert_allclose(conv(x), _reference(x, k), rtol=1e-4, atol=1e-5)


def test_spectrum_is_computed_once_per_grid() -> None:
    conv = KernelConvolver(KERNEL)
    x = np.random.default_rng(4).random((12, 12, 12), dtype=np.float32)
    conv(x)
    first = conv.spectrum(conv.plan(x.shape, ((0, 12),) * 3)[0])
    conv(x)
    assert conv.spectrum(conv.plan(x.shape, ((0, 12),) * 3)[0]) is first
    assert first.dtype == np.float32


def test_all_zero_input_gives_zeros() -> None:
    assert not KernelConvolver(KERNEL)(np.zeros((5, 6, 7), np.float32)).any()
    assert nonzero_bounds(np.zeros((2, 2, 2))) is None


def test_rejects_even_kernels() -> None:
    with pytest.raises(ValueError, match="odd"):
        KernelConvolver(np.ones((2, 3, 3)))


def test_one_convolver_serves_concurrent_calls_on_many_grids() -> None:
    """A server shares convolvers between requests: results must equal the sequential ones."""
    from concurrent.futures import ThreadPoolExecutor

    from nenliver.dosimetry.voxel.convolution import KernelConvolver
    from nenliver.dosimetry.voxel.pipeline import kernel_convolver

    rng = np.random.default_rng(3)
    kernel = rng.random((5, 5, 5))
    kernel = (kernel + kernel[::-1] + kernel[:, ::-1] + kernel[:, :, ::-1]) / 4  # not symmetric: complex spectra
    shared = KernelConvolver(kernel, workers=1)
    volumes = [rng.random(shape).astype(np.float32) for shape in [(12, 14, 16), (20, 9, 11), (7, 7, 30)] * 6]
    expected = [KernelConvolver(kernel, workers=1)(v) for v in volumes]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(shared, volumes))
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_array_equal(want, have)
    assert len(shared._spectra) <= 3

    with ThreadPoolExecutor(max_workers=8) as pool:
        pairs = list(pool.map(lambda _: kernel_convolver((4.0, 4.0, 4.0), 1.03, workers=1), range(16)))
    assert len({id(convolver) for _, convolver in pairs}) == 1  # created once under the lock


def test_fft_workers_come_from_the_environment(monkeypatch) -> None:
    from nenliver.dosimetry.voxel.convolution import KernelConvolver, default_fft_workers

    monkeypatch.setenv("NENLIVER_FFT_WORKERS", "2")
    assert default_fft_workers() == 2
    assert KernelConvolver(np.ones((3, 3, 3))).workers == 2
    monkeypatch.setenv("NENLIVER_FFT_WORKERS", "none")
    assert default_fft_workers() >= 1
