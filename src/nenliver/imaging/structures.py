# SPDX-License-Identifier: Apache-2.0
"""Masks from DICOM SEG (highdicom) and RTSTRUCT (contours rasterised on a reference grid).

Segments and ROIs are chosen by name: the structure name asked for (``liver``, ``tumour`` …,
with the spellings in :data:`ALIASES`) or an explicit ``FILE#Label`` selector. A file holding a
single segment or ROI needs no name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver.errors import ImagingInputError, Problem
from nenliver.imaging.dicom import read_dicom_dataset
from nenliver.imaging.volume import Volume, check_same_frame, resample_like

__all__ = ["ALIASES", "RTSTRUCT_SOP_CLASS", "SEG_SOP_CLASS", "rasterise_rtstruct", "read_seg"]

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
#: Other names accepted for a structure when a SEG or RTSTRUCT holds several.
ALIASES = {
    "tumour": ("tumour", "tumor", "lesion", "gtv"),
    "liver": ("liver", "whole liver"),
    "lung": ("lung", "lungs"),
    "perfused": ("perfused", "perfused volume", "perfused liver", "treated volume"),
}


def _pick(labels: list[str], wanted: str | None, structure: str, source: str) -> int:
    """Index of the label matching ``wanted`` or the structure's aliases (case-insensitive)."""
    lowered = [label.strip().lower() for label in labels]
    if wanted:
        names: tuple[str, ...] = (wanted.strip().lower(),)
    elif len(labels) == 1:
        return 0
    else:
        names = ALIASES.get(structure, (structure,))
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise ImagingInputError(
        source,
        [
            Problem(
                structure,
                f"no segment/ROI named {' or '.join(repr(n) for n in names)}; found {labels}",
                f"select one with {source}#LABEL",
            )
        ],
    )


def read_seg(path: Path, structure: str, label: str | None, reference: Volume) -> NDArray[np.bool_]:
    """A binary mask from a DICOM SEG, on the grid of ``reference`` (nearest neighbour).

    Parameters
    ----------
    path : Path
        The SEG file.
    structure : str
        Structure asked for (used to choose among several segments).
    label : str or None
        Explicit segment label (``FILE#Label``).
    reference : Volume
        The grid the mask is wanted on.

    Returns
    -------
    ndarray of bool
    """
    import highdicom as hd

    source = str(path)
    try:
        seg = hd.seg.segread(str(path))
    except Exception as exc:  # highdicom raises several kinds on malformed files
        raise ImagingInputError(
            source, [Problem("", f"cannot read as DICOM SEG ({exc})", "a DICOM SEG file")]
        ) from None
    numbers = list(seg.segment_numbers)
    labels = [str(seg.get_segment_description(n).segment_label) for n in numbers]
    chosen = numbers[_pick(labels, label, structure, source)]
    try:
        hvol = seg.get_volume(segment_numbers=[chosen], combine_segments=True, dtype=np.uint8)
    except Exception as exc:
        raise ImagingInputError(
            source, [Problem("geometry", f"segments not on a regular grid ({exc})", "a volume SEG")]
        ) from None
    array = np.asarray(hvol.array)
    if array.ndim == 4:
        array = array[..., 0]
    # highdicom volumes index (slice, row, column) with an LPS affine; ours are (column, row, slice).
    affine = np.asarray(hvol.affine, dtype=np.float64)[:, [2, 1, 0, 3]]
    volume = Volume(
        np.ascontiguousarray(array.transpose(2, 1, 0) > 0),
        affine,
        str(seg.FrameOfReferenceUID),
        None,
        source,
        (f"segment {chosen} ({labels[numbers.index(chosen)]!r})",),
    )
    check_same_frame(reference, volume)
    return np.asarray(resample_like(volume, reference).array, dtype=bool)


def _polygon_mask(points_ij: NDArray[np.float64], shape: tuple[int, int]) -> NDArray[np.bool_]:
    from matplotlib.path import Path as MplPath

    lo = np.maximum(np.floor(points_ij.min(axis=0)).astype(int), 0)
    hi = np.minimum(np.ceil(points_ij.max(axis=0)).astype(int) + 1, shape)
    mask = np.zeros(shape, dtype=bool)
    if np.any(hi <= lo):
        return mask
    ii, jj = np.meshgrid(np.arange(lo[0], hi[0]), np.arange(lo[1], hi[1]), indexing="ij")
    inside = MplPath(points_ij).contains_points(np.column_stack([ii.ravel(), jj.ravel()]))
    mask[lo[0] : hi[0], lo[1] : hi[1]] = inside.reshape(ii.shape)
    return mask


def rasterise_rtstruct(path: Path, structure: str, label: str | None, reference: Volume) -> NDArray[np.bool_]:
    """A binary mask of one RTSTRUCT ROI on the grid of ``reference``.

    Each closed planar contour is filled on its own plane (voxel centres inside the polygon;
    several contours on one plane combine even-odd, so holes stay holes); each slice of the
    reference grid takes the contour plane nearest to it, if one lies within half the contour
    spacing. The contour planes must be parallel to the reference slices.

    Parameters
    ----------
    path : Path
        The RTSTRUCT file.
    structure : str
        Structure asked for.
    label : str or None
        Explicit ROI name (``FILE#Name``).
    reference : Volume
        Grid of the mask.

    Returns
    -------
    ndarray of bool
    """
    source = str(path)
    notes: list[str] = []
    ds = read_dicom_dataset(path, notes)
    rois = {int(r.ROINumber): str(r.ROIName) for r in ds.get("StructureSetROISequence", [])}
    frames = {str(r.get("ReferencedFrameOfReferenceUID", "")) for r in ds.get("StructureSetROISequence", [])}
    frames.discard("")
    if reference.frame_of_reference_uid and frames and reference.frame_of_reference_uid not in frames:
        raise ImagingInputError(
            source,
            [
                Problem(
                    "FrameOfReferenceUID",
                    f"{sorted(frames)} differs from {reference.frame_of_reference_uid} of {reference.source}",
                    "images registered to the same frame of reference",
                )
            ],
        )
    numbers = sorted(rois)
    names = [rois[n] for n in numbers]
    if not numbers:
        raise ImagingInputError(source, [Problem("StructureSetROISequence", "no ROI", "at least one ROI")])
    number = numbers[_pick(names, label, structure, source)]
    contours: list[Any] = []
    for item in ds.get("ROIContourSequence", []):
        if int(item.ReferencedROINumber) == number:
            contours = list(item.get("ContourSequence", []))
    inverse = np.linalg.inv(reference.affine)
    planes: dict[float, NDArray[np.bool_]] = {}
    shape2d = (reference.shape[0], reference.shape[1])
    for contour in contours:
        if str(contour.get("ContourGeometricType", "CLOSED_PLANAR")) not in ("CLOSED_PLANAR", ""):
            continue
        xyz = np.asarray([float(v) for v in contour.ContourData]).reshape(-1, 3)
        ijk = (inverse[:3, :3] @ xyz.T).T + inverse[:3, 3]
        k = ijk[:, 2]
        if np.ptp(k) > 0.05:
            raise ImagingInputError(
                source,
                [
                    Problem(
                        "ContourData",
                        "contours not parallel to the image slices",
                        "contours drawn on the image's slice planes",
                    )
                ],
            )
        key = round(float(k.mean()), 3)
        filled = _polygon_mask(ijk[:, :2], shape2d)
        planes[key] = planes[key] ^ filled if key in planes else filled
    mask = np.zeros(reference.shape, dtype=bool)
    if not planes:
        return mask
    keys = np.asarray(sorted(planes))
    gap = float(np.min(np.diff(keys))) if len(keys) > 1 else 1.0
    for s in range(reference.shape[2]):
        nearest = keys[np.argmin(np.abs(keys - s))]
        if abs(nearest - s) <= max(gap, 1.0) / 2 + 1e-6:
            mask[:, :, s] = planes[float(nearest)]
    return mask
