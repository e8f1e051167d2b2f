# SPDX-License-Identifier: Apache-2.0
"""One entry point per kind of input: :func:`read_image` and :func:`read_mask`.

IMAGE: a NIfTI file (``.nii``, ``.nii.gz``), a DICOM series folder or a DICOM file.
MASK: the same, or a DICOM SEG or RTSTRUCT file; ``FILE#Label`` picks a segment or ROI by name.
Masks come back on the grid of the image they belong to (nearest neighbour); masks from another
frame of reference are refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nenliver.errors import ImagingInputError, Problem
from nenliver.imaging.dicom import read_dicom, read_dicom_dataset
from nenliver.imaging.structures import RTSTRUCT_SOP_CLASS, SEG_SOP_CLASS, rasterise_rtstruct, read_seg
from nenliver.imaging.volume import Volume, as_mask, read_nifti, resample_like

__all__ = ["is_nifti", "read_image", "read_mask", "split_selector"]


def is_nifti(path: str | Path) -> bool:
    """True for ``.nii`` and ``.nii.gz`` names."""
    name = str(path).lower()
    return name.endswith((".nii", ".nii.gz"))


def split_selector(text: str) -> tuple[Path, str | None]:
    """``"seg.dcm#Liver"`` → (Path("seg.dcm"), "Liver"); a plain path has no label."""
    if "#" in text and not Path(text).exists():
        path, label = text.rsplit("#", 1)
        return Path(path), label or None
    return Path(text), None


def read_image(path: str | Path, unit: str | None = None) -> Volume:
    """Read an image: NIfTI file, DICOM series folder or DICOM file.

    Parameters
    ----------
    path : str or Path
        The image.
    unit : str, optional
        Unit to assume when the file does not say (NIfTI).

    Returns
    -------
    Volume

    Raises
    ------
    nenliver.errors.ImagingInputError
        Missing or unreadable file, or not a 3-D image.
    """
    path = Path(path)
    if not path.exists():
        raise ImagingInputError(str(path), [Problem("", "no such file or folder", "a NIfTI file or a DICOM series")])
    if is_nifti(path):
        return read_nifti(path, unit)
    volume = read_dicom(path)
    if unit and not volume.unit:
        return Volume(
            volume.array,
            volume.affine,
            volume.frame_of_reference_uid,
            unit,
            volume.source,
            volume.read_notes,
            volume.metadata,
        )
    return volume


def read_mask(text: str | Path, reference: Volume, structure: str) -> tuple[NDArray[np.bool_], tuple[str, ...]]:
    """Read a mask and bring it onto the grid of ``reference``.

    Parameters
    ----------
    text : str or Path
        NIfTI file, DICOM series, DICOM SEG or RTSTRUCT file, optionally ``#Label``.
    reference : Volume
        Image the mask belongs to (its grid and frame of reference).
    structure : str
        Structure name, for messages and to choose a segment/ROI.

    Returns
    -------
    mask : ndarray of bool
        On the reference grid; not empty.
    notes : tuple of str
        What reading fixed (resampling, preamble …).

    Raises
    ------
    nenliver.errors.ImagingInputError
        Unreadable, non-binary or empty mask (after resampling).
    nenliver.errors.GeometryMismatchError
        Different frame of reference.
    """
    path, label = split_selector(str(text))
    source = str(path)
    if not path.exists():
        raise ImagingInputError(source, [Problem(structure, "no such file or folder", "a mask file")])
    notes: list[str] = []
    if path.is_file() and not is_nifti(path):
        ds = read_dicom_dataset(path, notes, stop_before_pixels=True)
        sop = str(ds.get("SOPClassUID", ""))
        if sop == SEG_SOP_CLASS or str(ds.get("Modality", "")) == "SEG":
            mask = read_seg(path, structure, label, reference)
            return _not_empty(mask, source, structure), (f"{structure}: DICOM SEG {path.name}",)
        if sop == RTSTRUCT_SOP_CLASS or str(ds.get("Modality", "")) == "RTSTRUCT":
            mask = rasterise_rtstruct(path, structure, label, reference)
            return _not_empty(mask, source, structure), (f"{structure}: RTSTRUCT {path.name} rasterised",)
    volume = read_image(path)
    as_mask(volume, structure)  # binary and not empty on its own grid
    resampled = resample_like(volume, reference)
    if resampled is not volume:
        notes.append(f"{structure}: resampled onto the reference image grid (nearest neighbour)")
    mask = np.asarray(resampled.array) > 0
    return _not_empty(mask, source, structure), tuple(notes)


def _not_empty(mask: NDArray[np.bool_], source: str, structure: str) -> NDArray[np.bool_]:
    if not mask.any():
        raise ImagingInputError(
            source, [Problem(structure, "mask is empty on the reference image grid", "at least one voxel")]
        )
    return mask
