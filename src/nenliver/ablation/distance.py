# SPDX-License-Identifier: Apache-2.0
"""Exact Euclidean distance transforms on anisotropic voxel grids (numpy only).

Two functions, both measuring between **voxel centres** with the voxel spacing of each array axis:

* :func:`distance_to_mask_mm`: distance from every voxel to the nearest voxel of a mask (0 inside).
* :func:`signed_distance_mm`: the signed map used for ablative margins: inside the mask, the
  distance to the nearest voxel *outside* it (positive); outside, minus the distance to the nearest
  voxel *inside* it. There is no zero: a mask voxel next to the boundary holds one voxel spacing.
  This is the convention of ``scipy.ndimage.distance_transform_edt`` and ``edt.edt`` applied to the
  mask and to its complement; SimpleITK's ``SignedMaurerDistanceMap`` measures inside distances to
  the mask's own boundary voxels instead and is shorter there by one voxel spacing up to one voxel
  diagonal (see ``docs/ablation.md``).

Voxels outside the array are neither inside nor outside: distances are to voxels of the grid.
Where no voxel of the other class exists the distance is infinite.

Algorithm
---------
The squared distance is separable (Saito–Toriwaki): a 1-D pass along the fastest axis (two
nearest-feature sweeps), then one lower envelope of parabolas per line along each remaining axis
(Felzenszwalb–Huttenlocher). The envelope is built for all lines of a pass at once with numpy
vector operations, one site (or one output position) at a time, so the Python loop runs over the
length of an axis, not over voxels. Two restrictions make a small mask in a large grid cheap:
the first two passes run only over the slab of the mask's bounding box (lines outside it hold no
feature), and the last pass uses only the slab's positions as parabola sites. The cost then grows
with the full grid only in the last pass, which writes each output slice once. The inside part of
the signed map is computed on the mask's bounding box plus one voxel, which holds every voxel the
inside distances can reach.

Results agree with ``scipy.ndimage.distance_transform_edt`` to float32 precision
(``tests/unit/ablation/test_margin_distance.py``).

References
----------
Felzenszwalb PF, Huttenlocher DP. Distance transforms of sampled functions. Theory of Computing
2012;8:415-428. doi:10.4086/toc.2012.v008a019

Saito T, Toriwaki J-I. New algorithms for Euclidean distance transformation of an n-dimensional
digitized picture with applications. Pattern Recognition 1994;27:1551-1565.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

__all__ = ["bounding_box", "distance_to_mask_mm", "signed_distance_mm"]

#: Stands for "no feature on this line yet" in squared millimetres (finite so that parabola
#: intersections stay finite in float32; any result above ``_BIG / 2`` becomes ``inf``).
_BIG = np.float32(1e30)
#: Lines processed together in one envelope pass (keeps the working arrays in the CPU cache).
_CHUNK = 65536


def _threads() -> int:
    """Worker threads for the envelope passes: the CPUs this process may use, at most 4."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        count = os.cpu_count() or 1
    return max(1, min(4, count))


def _check(mask: NDArray[np.bool_], spacing_mm: Sequence[float]) -> tuple[NDArray[np.bool_], tuple[float, ...]]:
    array = np.asarray(mask, dtype=bool)
    if array.ndim != 3:
        raise ValueError(f"expected a 3-D mask, got {array.ndim}-D")
    spacing = tuple(float(s) for s in spacing_mm)
    if len(spacing) != 3 or not all(np.isfinite(s) and s > 0 for s in spacing):
        raise ValueError(f"spacing_mm must be three positive numbers, got {spacing_mm!r}")
    return array, spacing


def _row_pass(features: NDArray[np.bool_], spacing: float) -> NDArray[np.float32]:
    """Squared distance along the last axis to the nearest feature of the same row."""
    _rows, n = features.shape
    index = np.arange(n, dtype=np.int32)
    far = np.int32(1 << 29)
    left = np.where(features, index, -far)
    np.maximum.accumulate(left, axis=1, out=left)
    right = np.where(features[:, ::-1], index[::-1], far)
    np.minimum.accumulate(right, axis=1, out=right)
    np.subtract(index, left, out=left)
    right = right[:, ::-1]
    np.subtract(right, index, out=right)
    np.minimum(left, right, out=left)
    out = left.astype(np.float32)
    out *= np.float32(spacing)
    out *= out
    out[left > n] = _BIG
    return out


def _envelope_chunk(
    f: NDArray[np.float32],
    sites: NDArray[np.float32],
    out_range: tuple[int, int],
    spacing: float,
    out: NDArray[np.float32],
    root: bool,
    negate: bool,
) -> None:
    """``out[i - lo, c] = min_j f[j, c] + (spacing * (i - sites[j]))**2`` for ``lo <= i < hi``.

    Felzenszwalb–Huttenlocher with the stack of each line stored as a linked list: ``prev[j, c]``
    is the envelope element below site ``j`` once ``j`` is pushed, ``start[j, c]`` the position
    from which ``j`` is the lowest parabola. Every site is pushed on every line, so only the lines
    that pop need gathers.
    """
    m, lines = f.shape
    w = float(spacing) ** 2
    prev = np.empty((m, lines), dtype=np.int32)
    start = np.empty((m, lines), dtype=np.float32)
    prev[0] = -1
    start[0] = -np.inf
    s = np.empty(lines, dtype=np.float32)
    for j in range(1, m):
        pj, pt = float(sites[j]), float(sites[j - 1])
        np.subtract(f[j], f[j - 1], out=s)
        s *= np.float32(1.0 / (2.0 * w * (pj - pt)))
        s += np.float32((pj + pt) / 2.0)
        prev[j] = j - 1
        idx = np.flatnonzero(s <= start[j - 1])
        if idx.size:
            top = np.full(idx.size, j - 1, dtype=np.int32)
            fj = f[j, idx]
            while idx.size:
                top = prev[top, idx]
                ps = sites[top]
                cut = (fj - f[top, idx]) / (np.float32(2.0 * w) * (np.float32(pj) - ps)) + (np.float32(pj) + ps) / 2
                again = cut <= start[top, idx]
                done = ~again
                prev[j, idx[done]] = top[done]
                s[idx[done]] = cut[done]
                idx, top, fj = idx[again], top[again], fj[again]
        start[j] = s

    # Evaluate from the last position down: each line walks down its linked list.
    lo, hi = out_range
    elem = np.full(lines, m - 1, dtype=np.int32)
    z_e = start[m - 1].copy()
    f_e = f[m - 1].copy()
    p_e = np.full(lines, sites[m - 1], dtype=np.float32)
    z_max = float(z_e.max())
    tmp = np.empty(lines, dtype=np.float32)
    step = np.float32(spacing)
    for i in range(hi - 1, lo - 1, -1):
        if i < z_max:
            idx = np.flatnonzero(i < z_e)
            cur = elem[idx]
            while idx.size:
                cur = prev[cur, idx]
                z_c = start[cur, idx]
                again = i < z_c
                done = ~again
                di, dc = idx[done], cur[done]
                elem[di], z_e[di], f_e[di], p_e[di] = dc, z_c[done], f[dc, di], sites[dc]
                idx, cur = idx[again], cur[again]
            z_max = float(z_e.max())
        np.subtract(np.float32(i), p_e, out=tmp)
        tmp *= step
        np.multiply(tmp, tmp, out=tmp)
        tmp += f_e
        row = out[i - lo]
        if root:
            np.sqrt(tmp, out=row)
            if negate:
                np.negative(row, out=row)
        else:
            row[...] = tmp


def _envelope(
    f: NDArray[np.float32],
    sites: NDArray[np.float32],
    out_range: tuple[int, int],
    spacing: float,
    out: NDArray[np.float32],
    root: bool = False,
    negate: bool = False,
) -> None:
    lines = f.shape[1]
    bounds = [(c0, min(lines, c0 + _CHUNK)) for c0 in range(0, lines, _CHUNK)]

    def work(bound: tuple[int, int]) -> None:
        c0, c1 = bound
        block = np.ascontiguousarray(f[:, c0:c1])
        _envelope_chunk(block, sites, out_range, spacing, out[:, c0:c1], root, negate)

    threads = min(_threads(), len(bounds))
    if threads <= 1:
        for bound in bounds:
            work(bound)
        return
    # numpy releases the GIL inside its loops; the chunks are independent.
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(work, bounds):
            pass


Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


def _span(flags: NDArray[np.bool_]) -> tuple[int, int]:
    hits = np.flatnonzero(flags)
    return int(hits[0]), int(hits[-1]) + 1


def bounding_box(mask: NDArray[np.bool_]) -> Box | None:
    """Index bounds ``((z0, z1), (y0, y1), (x0, x1))`` (end exclusive) of a 3-D mask; None if empty."""
    planes: NDArray[np.bool_] = np.any(mask, axis=2)
    if not planes.any():
        return None
    columns: NDArray[np.bool_] = np.any(mask, axis=(0, 1))
    return _span(np.any(planes, axis=1)), _span(np.any(planes, axis=0)), _span(columns)


def _region(region: Sequence[slice] | None, shape: tuple[int, ...]) -> Box:
    if region is None:
        return (0, shape[0]), (0, shape[1]), (0, shape[2])
    if len(region) != 3:
        raise ValueError("region must be three slices")
    bounds = []
    for sl, n in zip(region, shape, strict=True):
        lo, hi, step = sl.indices(n)
        if step != 1 or hi <= lo:
            raise ValueError(f"region slices must be non-empty with step 1, got {sl!r}")
        bounds.append((lo, hi))
    return bounds[0], bounds[1], bounds[2]


def _distance(
    features: NDArray[np.bool_], spacing: tuple[float, ...], negate: bool, region: Box, fbox: Box | None
) -> NDArray[np.float32]:
    """Distance (mm) from the voxel centres of ``region`` to the nearest feature voxel centre."""
    (tz0, tz1), (ty0, ty1), (tx0, tx1) = region
    tnz, tny, tnx = tz1 - tz0, ty1 - ty0, tx1 - tx0
    out = np.empty((tnz, tny * tnx), dtype=np.float32)
    if fbox is None:
        out.fill(-np.inf if negate else np.inf)
        return out.reshape(tnz, tny, tnx)
    (z0, z1), (y0, y1), (x0, x1) = fbox
    bz, by = z1 - z0, y1 - y0
    # Pass 1 (x): rows of the features' slab only (other rows hold no feature), over the x range
    # that holds every feature of the row and every wanted column.
    xa, xb = min(x0, tx0), max(x1, tx1)
    rows = _row_pass(features[z0:z1, y0:y1, xa:xb].reshape(bz * by, xb - xa), spacing[2])
    rows = rows.reshape(bz, by, xb - xa)[:, :, tx0 - xa : tx1 - xa]
    # Pass 2 (y): sites y0..y1, output rows of the region.
    f = np.ascontiguousarray(rows.transpose(1, 0, 2)).reshape(by, bz * tnx)
    del rows
    plane = np.empty((tny, bz * tnx), dtype=np.float32)
    _envelope(f, np.arange(y0, y1, dtype=np.float32), (ty0, ty1), spacing[1], plane)
    # Pass 3 (z): sites z0..z1, output slices of the region, square root (and sign) on the way out.
    f = np.ascontiguousarray(plane.reshape(tny, bz, tnx).transpose(1, 0, 2)).reshape(bz, tny * tnx)
    del plane
    _envelope(f, np.arange(z0, z1, dtype=np.float32), (tz0, tz1), spacing[0], out, root=True, negate=negate)
    result = out.reshape(tnz, tny, tnx)
    limit = float(np.sqrt(_BIG / 2))
    if float(np.abs(result).max()) > limit:  # lines with no feature at all
        far = np.abs(result) > limit
        result[far] = -np.inf if negate else np.inf
    return result


def distance_to_mask_mm(
    mask: NDArray[np.bool_], spacing_mm: Sequence[float], *, region: Sequence[slice] | None = None
) -> NDArray[np.float32]:
    """Euclidean distance from each voxel centre to the nearest voxel centre of ``mask``.

    Parameters
    ----------
    mask : ndarray of bool, 3-D
        The feature voxels (distance 0).
    spacing_mm : sequence of 3 floats
        Voxel spacing along the array axes, mm (positive).
    region : three slices, optional
        Box of voxels whose distances are wanted (default: the whole grid). Features outside the
        box still count; only the output is restricted, which makes small regions cheap.

    Returns
    -------
    ndarray of float32
        Distances in mm with the shape of ``region``; ``inf`` everywhere when ``mask`` is empty.

    Notes
    -----
    Equal (to float32 precision) to ``scipy.ndimage.distance_transform_edt(~mask, sampling=...)``.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((1, 1, 5), bool); m[0, 0, 0] = True
    >>> distance_to_mask_mm(m, (1.0, 1.0, 0.5))[0, 0].tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0]
    """
    array, spacing = _check(mask, spacing_mm)
    return _distance(array, spacing, False, _region(region, array.shape), bounding_box(array))


def signed_distance_mm(
    mask: NDArray[np.bool_], spacing_mm: Sequence[float], *, region: Sequence[slice] | None = None
) -> NDArray[np.float32]:
    """Signed voxel-centre distance map of ``mask``: positive inside, negative outside.

    Parameters
    ----------
    mask : ndarray of bool, 3-D
        The region (for margins: the ablation zone).
    spacing_mm : sequence of 3 floats
        Voxel spacing along the array axes, mm (positive).
    region : three slices, optional
        Box of voxels whose values are wanted (default: the whole grid); the whole mask counts.

    Returns
    -------
    ndarray of float32
        Inside ``mask``: distance to the nearest voxel centre outside it (at least the smallest
        spacing). Outside: minus the distance to the nearest voxel centre inside it. ``±inf`` where
        the grid holds no voxel of the other class.

    Notes
    -----
    This is the voxel-centre signed EDT estimator of ``docs/ablation.md`` §2.
    Sampled at the voxels of a tumour mask on the same grid, its minimum is the minimal ablative
    margin; the half-voxel errors of the two masks partly cancel, see ``docs/ablation.md``.
    The nearest outside voxel of an inside voxel always touches the mask (a voxel whose six
    neighbours are all outside is never the nearest: the neighbour towards the inside voxel is
    closer), so the inside part only needs the mask's bounding box plus one voxel.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((1, 1, 7), bool); m[0, 0, 2:5] = True
    >>> signed_distance_mm(m, (1.0, 1.0, 1.0))[0, 0].tolist()
    [-2.0, -1.0, 1.0, 2.0, 1.0, -1.0, -2.0]
    """
    array, spacing = _check(mask, spacing_mm)
    target = _region(region, array.shape)
    fbox = bounding_box(array)
    out = _distance(array, spacing, True, target, fbox)
    if fbox is None:
        return out
    crop = [(max(0, lo - 1), min(n, hi + 1)) for (lo, hi), n in zip(fbox, array.shape, strict=True)]
    inner = [(max(t0, c0), min(t1, c1)) for (t0, t1), (c0, c1) in zip(target, crop, strict=True)]
    if any(hi <= lo for lo, hi in inner):
        return out
    # Inside part on the crop; only the part of the target that lies in the crop can be inside.
    sub = ~array[crop[0][0] : crop[0][1], crop[1][0] : crop[1][1], crop[2][0] : crop[2][1]]
    local = tuple((lo - c0, hi - c0) for (lo, hi), (c0, _) in zip(inner, crop, strict=True))
    inside = _distance(sub, spacing, False, (local[0], local[1], local[2]), bounding_box(sub))
    view = out[tuple(slice(lo - t0, hi - t0) for (lo, hi), (t0, _) in zip(inner, target, strict=True))]
    is_in = array[tuple(slice(lo, hi) for lo, hi in inner)]
    view[is_in] = inside[is_in]
    return out
