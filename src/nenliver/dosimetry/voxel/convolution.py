# SPDX-License-Identifier: Apache-2.0
"""FFT convolution of float32 volumes with a small, symmetric dose-voxel kernel.

:class:`KernelConvolver` computes the linear convolution cropped to the input grid (``"same"``),
exactly as ``scipy.signal.fftconvolve(x, k, mode="same")`` does, but

* keeps the kernel spectrum, computed once per FFT grid (a real array: the kernel is symmetric);
* transforms only the bounding box of the non-zero input plus the kernel half-width, and pads
  each axis only as far as the circular convolution needs to be free of wrap-around
  (``L >= W + c``, not ``N + 2c``), to a length ``scipy.fft`` transforms fast;
* works in float32 with ``scipy.fft`` workers, and frees each temporary as soon as it is used.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np
import scipy.fft as sfft
from numpy.typing import NDArray

__all__ = ["KernelConvolver", "nonzero_bounds"]

_MAX_CACHED_SPECTRA = 4


def nonzero_bounds(volume: NDArray[np.generic]) -> tuple[tuple[int, int], ...] | None:
    """Index bounds ``[(start, stop), ...]`` of the non-zero voxels, or None if all are zero.

    Examples
    --------
    >>> v = np.zeros((4, 5, 6), np.float32); v[1, 2:4, 5] = 1
    >>> nonzero_bounds(v)
    ((1, 2), (2, 4), (5, 6))
    """
    if volume.ndim != 3:
        raise ValueError(f"expected a 3-D volume, got shape {volume.shape}")
    faces = (volume[0], volume[-1], volume[:, 0], volume[:, -1], volume[:, :, 0], volume[:, :, -1])
    if all(np.any(f) for f in faces):  # dense to the border: no pass over the whole volume needed
        return tuple((0, int(n)) for n in volume.shape)
    nz = volume != 0
    plane = np.logical_or.reduce(nz, axis=0)  # (n1, n2)
    profiles = (nz.reshape(nz.shape[0], -1).any(axis=1), plane.any(axis=1), plane.any(axis=0))
    bounds = []
    for profile in profiles:
        hit = np.flatnonzero(profile)
        if hit.size == 0:
            return None
        bounds.append((int(hit[0]), int(hit[-1]) + 1))
    return tuple(bounds)


def _even_kernel_spectrum(kernel: NDArray[np.float64], fft_shape: tuple[int, ...]) -> NDArray[np.float32]:
    """Real DFT of a kernel that is even along every axis, without full-size temporaries.

    .. math:: \\hat K(f) = \\sum_{o} k(o) \\prod_a \\cos(2\\pi f_a o_a / L_a)

    evaluated axis by axis (two small contractions, then one batched matrix product straight
    into the float32 half-spectrum of shape ``(L0, L1, L2 // 2 + 1)``).
    """
    cos = []
    for axis, length in enumerate(fft_shape):
        c = kernel.shape[axis] // 2
        freqs = np.arange(length if axis < 2 else length // 2 + 1, dtype=np.float64)
        cos.append(np.cos(2.0 * np.pi * np.outer(freqs, np.arange(-c, c + 1)) / length))
    t = np.tensordot(cos[0], kernel, axes=([1], [0]))  # (F0, K1, K2)
    t = np.tensordot(t, cos[1], axes=([1], [1]))  # (F0, K2, F1)
    return np.matmul(t.transpose(0, 2, 1).astype(np.float32), cos[2].T.astype(np.float32))


def default_fft_workers() -> int:
    """Threads for the FFTs: ``NENLIVER_FFT_WORKERS`` when set (a positive integer), else the CPUs.

    A server running several dose calculations at once sets it low (e.g. 1) so the requests do not
    oversubscribe the cores.
    """
    value = os.environ.get("NENLIVER_FFT_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return os.cpu_count() or 1


class KernelConvolver:
    """Same-size linear convolution with one kernel; kernel spectra cached per FFT grid.

    Parameters
    ----------
    kernel : ndarray
        3-D kernel of odd shape, centred; symmetric kernels (``k == k[::-1, ::-1, ::-1]`` per axis)
        get a real spectrum (half the memory).
    workers : int, optional
        Threads for ``scipy.fft``; defaults to :func:`default_fft_workers` (``NENLIVER_FFT_WORKERS``
        or the number of CPUs).

    One convolver may be shared between threads: its spectrum cache is guarded by a lock, and the
    transforms themselves keep no state.

    Notes
    -----
    For an input whose non-zero voxels lie in ``[s, e)`` along an axis of length N, and a kernel
    of half-width c, the output window is ``[o0, o1) = [max(0, s-c), min(N, e+c))``; a circular
    convolution of length

    .. math:: L \\ge \\max(o_1 - s,\\; e - o_0) + c

    equals the linear one on that window. Outside the window the result is exactly zero.

    Examples
    --------
    >>> k = np.zeros((3, 3, 3)); k[1, 1, 1] = 0.5; k[0, 1, 1] = k[2, 1, 1] = 0.25
    >>> x = np.zeros((8, 8, 8), np.float32); x[0, 4, 4] = 1
    >>> y = KernelConvolver(k)(x)
    >>> float(y[0, 4, 4]), float(y[1, 4, 4]), float(y.sum())
    (0.5, 0.25, 0.75)
    """

    def __init__(self, kernel: NDArray[np.floating], workers: int | None = None) -> None:
        k = np.asarray(kernel, dtype=np.float64)
        if k.ndim != 3 or any(s % 2 == 0 for s in k.shape):
            raise ValueError(f"kernel must be 3-D with odd sizes, got shape {k.shape}")
        self.kernel = k
        self.half_width = tuple(int(s // 2) for s in k.shape)
        self.symmetric = bool(
            np.allclose(k, k[::-1], rtol=0, atol=1e-12 * float(np.abs(k).max() or 1.0))
            and np.allclose(k, k[:, ::-1], rtol=0, atol=1e-12 * float(np.abs(k).max() or 1.0))
            and np.allclose(k, k[:, :, ::-1], rtol=0, atol=1e-12 * float(np.abs(k).max() or 1.0))
        )
        self.workers = workers or default_fft_workers()
        self._spectra: OrderedDict[tuple[int, ...], NDArray[np.generic]] = OrderedDict()
        self._lock = threading.Lock()

    def spectrum(self, fft_shape: tuple[int, ...]) -> NDArray[np.generic]:
        """Kernel spectrum (``rfftn`` of the kernel wrapped about index 0) for one FFT grid.

        Real float32 for a symmetric kernel, complex64 otherwise; cached (a few grids).
        """
        with self._lock:
            cached = self._spectra.get(fft_shape)
            if cached is not None:
                self._spectra.move_to_end(fft_shape)
                return cached
        out: NDArray[np.generic]
        if self.symmetric:
            out = _even_kernel_spectrum(self.kernel, fft_shape)
        else:
            wrapped = np.zeros(fft_shape, dtype=np.float64)
            index = np.indices(self.kernel.shape).reshape(3, -1)
            wrapped_index = tuple((index[a] - self.half_width[a]) % fft_shape[a] for a in range(3))
            np.add.at(wrapped, wrapped_index, self.kernel.ravel())
            out = sfft.rfftn(wrapped, workers=self.workers).astype(np.complex64)
        with self._lock:  # two threads may compute the same spectrum; either result is the same
            self._spectra[fft_shape] = out
            while len(self._spectra) > _MAX_CACHED_SPECTRA:
                self._spectra.popitem(last=False)
        return out

    def plan(
        self, shape: tuple[int, ...], bounds: tuple[tuple[int, int], ...]
    ) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
        """FFT grid and output window for an input of ``shape`` with non-zero ``bounds``."""
        fft_shape, window = [], []
        for n, (s, e), c in zip(shape, bounds, self.half_width, strict=True):
            o0, o1 = max(0, s - c), min(n, e + c)
            fft_shape.append(sfft.next_fast_len(max(o1 - s, e - o0) + c, real=True))
            window.append((o0, o1))
        return tuple(fft_shape), tuple(window)

    def __call__(
        self, volume: NDArray[np.floating], bounds: tuple[tuple[int, int], ...] | None = None
    ) -> NDArray[np.float32]:
        """Convolve ``volume`` (3-D) with the kernel; float32 result of the same shape.

        Parameters
        ----------
        volume : ndarray
            Input; converted to float32 only inside the transformed box.
        bounds : sequence of (start, stop), optional
            Known bounds of the non-zero voxels (saves a pass over the input).
        """
        x = np.asarray(volume)
        if x.ndim != 3:
            raise ValueError(f"expected a 3-D volume, got shape {x.shape}")
        if bounds is None:
            bounds = nonzero_bounds(x)
        if bounds is None:
            return np.zeros(x.shape, dtype=np.float32)
        fft_shape, window = self.plan(x.shape, bounds)
        sizes = tuple(o1 - o0 for o0, o1 in window)
        if fft_shape == x.shape and sizes == x.shape and x.dtype == np.float32:
            spec = sfft.rfftn(x, workers=self.workers)  # window is the whole grid: no copy needed
        else:
            # Input box placed so that output index o lands at FFT index o - o0 (no wrap there).
            buf = np.zeros(fft_shape, dtype=np.float32)
            dst = tuple(slice(s - o0, e - o0) for (s, e), (o0, _) in zip(bounds, window, strict=True))
            buf[dst] = x[tuple(slice(s, e) for s, e in bounds)]
            spec = sfft.rfftn(buf, workers=self.workers, overwrite_x=True)
            del buf
        spec *= self.spectrum(fft_shape)
        # Inverse in two steps (complex transforms in place on the first axes, then the real one on
        # the last): about a third faster than irfftn, which copies the spectrum first.
        spec = sfft.ifftn(spec, axes=(0, 1), workers=self.workers, overwrite_x=True)
        y = sfft.irfft(spec, n=fft_shape[2], axis=2, workers=self.workers)
        del spec
        if sizes == tuple(x.shape):  # whole grid: a view of the padded result, no copy
            return y[: sizes[0], : sizes[1], : sizes[2]]
        out = np.zeros(x.shape, dtype=np.float32)
        out[tuple(slice(o0, o1) for o0, o1 in window)] = y[tuple(slice(0, s) for s in sizes)]
        return out
