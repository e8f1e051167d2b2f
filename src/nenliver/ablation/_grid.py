# SPDX-License-Identifier: Apache-2.0
"""Index boxes, crops and resampling shared by the margin and simulation code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from nenliver.ablation.distance import Box
from nenliver.imaging.volume import Volume, resample_like

__all__ = ["box_slices", "crop_volume", "grow_box", "mask_on_grid", "surface_voxels", "union_box"]


def box_slices(box: Box) -> tuple[slice, slice, slice]:
    """``box`` as a tuple of slices."""
    return slice(*box[0]), slice(*box[1]), slice(*box[2])


def grow_box(box: Box, pad: Sequence[int], shape: Sequence[int]) -> Box:
    """``box`` grown by ``pad`` voxels per axis and clipped to ``shape``."""
    (a0, a1), (b0, b1), (c0, c1) = (
        (max(0, lo - p), min(n, hi + p)) for (lo, hi), p, n in zip(box, pad, shape, strict=True)
    )
    return (a0, a1), (b0, b1), (c0, c1)


def union_box(boxes: Iterable[Box]) -> Box:
    """The smallest box holding every box of ``boxes`` (at least one)."""
    items = list(boxes)
    (a0, a1), (b0, b1), (c0, c1) = (
        (min(b[axis][0] for b in items), max(b[axis][1] for b in items)) for axis in range(3)
    )
    return (a0, a1), (b0, b1), (c0, c1)


def crop_volume(volume: Volume, box: Box) -> Volume:
    """The part ``box`` of a volume, with the affine moved to its first voxel."""
    shift = np.eye(4)
    shift[:3, 3] = [box[0][0], box[1][0], box[2][0]]
    return Volume(
        np.asarray(volume.array)[box_slices(box)],
        volume.affine @ shift,
        volume.frame_of_reference_uid,
        volume.unit,
        volume.source,
    )


def mask_on_grid(volume: Volume, mask: NDArray[np.bool_], grid: Volume) -> NDArray[np.bool_]:
    """``mask`` (on the grid of ``volume``) on ``grid``, nearest neighbour; 0 outside its field of view."""
    if volume.same_grid(grid):
        return mask
    source = Volume(mask.astype(np.uint8), volume.affine, volume.frame_of_reference_uid, None, volume.source)
    return np.asarray(resample_like(source, grid).array) > 0


def surface_voxels(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Voxels of ``mask`` with at least one of the six face neighbours outside it (or the array)."""
    inner = mask.copy()
    inner[0, :, :] = inner[-1, :, :] = False
    inner[:, 0, :] = inner[:, -1, :] = False
    inner[:, :, 0] = inner[:, :, -1] = False
    inner[1:-1, 1:-1, 1:-1] &= (
        mask[:-2, 1:-1, 1:-1]
        & mask[2:, 1:-1, 1:-1]
        & mask[1:-1, :-2, 1:-1]
        & mask[1:-1, 2:, 1:-1]
        & mask[1:-1, 1:-1, :-2]
        & mask[1:-1, 1:-1, 2:]
    )
    return mask & ~inner
