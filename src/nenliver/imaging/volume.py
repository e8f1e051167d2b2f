"""The :class:`Volume`: a 3-D array with its geometry in patient coordinates (LPS, mm).

Conventions
-----------
* ``affine`` maps voxel indices ``(i, j, k, 1)`` of ``array[i, j, k]`` to patient coordinates in
  millimetres in the DICOM **LPS** system (x to the patient's left, y posterior, z superior).
* NIfTI stores RAS; the conversion happens once, at the boundary (:func:`read_nifti`,
  :func:`write_nifti`), through :data:`RAS_TO_LPS`.
* Two volumes may only be combined voxel by voxel when they share a frame of reference (or neither
  has one, as NIfTI files do) and the same grid; a mask on another grid is resampled with nearest
  neighbour (:func:`resample_like`). Different frames of reference are refused.

Reading is tolerant and says what it fixed (``Volume.read_notes``); writing is strict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver.errors import GeometryMismatchError, ImagingInputError, Problem

#: NIfTI RAS ↔ DICOM LPS (its own inverse).
RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])
_GRID_ATOL_MM = 1e-3
#: Largest cosine between two voxel axes of a grid still taken as orthogonal.
_ORTHOGONAL_COS = 1e-4


@dataclass(frozen=True)
class Volume:
    """A 3-D image or mask with its LPS affine, frame of reference and unit."""

    array: NDArray[np.generic]
    affine: NDArray[np.float64]
    frame_of_reference_uid: str | None = None
    unit: str | None = None
    source: str = "<memory>"
    read_notes: tuple[str, ...] = field(default=())
    #: What the reader knows beyond geometry (DICOM: modality, units, decay correction, times,
    #: patient/study identifiers needed to write an RT Dose). Empty for NIfTI.
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        affine = np.asarray(self.affine, dtype=np.float64)
        if self.array.ndim != 3:
            raise ImagingInputError(self.source, [Problem("array", f"{self.array.ndim}-D data", "a 3-D volume")])
        if affine.shape != (4, 4) or not np.allclose(affine[3], [0, 0, 0, 1]):
            raise ImagingInputError(self.source, [Problem("affine", "not a 4x4 affine with last row 0 0 0 1")])
        if abs(np.linalg.det(affine[:3, :3])) < 1e-12:
            raise ImagingInputError(self.source, [Problem("affine", "singular (zero voxel size)")])
        object.__setattr__(self, "affine", affine)

    @property
    def shape(self) -> tuple[int, int, int]:
        i, j, k = self.array.shape
        return int(i), int(j), int(k)

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """Voxel edge lengths along the array axes, mm."""
        x, y, z = np.linalg.norm(self.affine[:3, :3], axis=0)
        return float(x), float(y), float(z)

    @property
    def is_orthogonal(self) -> bool:
        """True when the voxel axes are perpendicular (no shear, e.g. no gantry tilt)."""
        axes = self.affine[:3, :3]
        unit = axes / np.linalg.norm(axes, axis=0)
        return float(np.abs(unit.T @ unit - np.eye(3)).max()) <= _ORTHOGONAL_COS

    def orthogonal_spacing_mm(self, use: str = "this computation") -> tuple[float, float, float]:
        """Voxel spacing of an orthogonal grid; a sheared grid (gantry tilt) is refused.

        Raises
        ------
        ImagingInputError
            When the voxel axes are not perpendicular; the message says what needs them.
        """
        if not self.is_orthogonal:
            raise ImagingInputError(
                self.source,
                [
                    Problem(
                        "affine",
                        f"voxel axes are not orthogonal (sheared grid, e.g. gantry tilt); {use} needs them",
                        "an orthogonal grid (resample the image first)",
                    )
                ],
            )
        return self.spacing_mm

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel, mL (1 mL = 1000 mm³)."""
        return float(abs(np.linalg.det(self.affine[:3, :3])) / 1000.0)

    def same_grid(self, other: Volume) -> bool:
        """True when both volumes have the same shape and affine (within 1 µm)."""
        return self.shape == other.shape and bool(np.allclose(self.affine, other.affine, atol=_GRID_ATOL_MM))

    def with_array(self, array: NDArray[np.generic], unit: str | None = None) -> Volume:
        """A volume on the same grid with other data (a dose map from an activity map)."""
        return Volume(array, self.affine, self.frame_of_reference_uid, unit, self.source, metadata=self.metadata)


def check_same_frame(a: Volume, b: Volume) -> None:
    """Refuse volumes from different frames of reference (unknown frames are accepted)."""
    if a.frame_of_reference_uid and b.frame_of_reference_uid and a.frame_of_reference_uid != b.frame_of_reference_uid:
        raise GeometryMismatchError(
            b.source,
            [
                Problem(
                    "FrameOfReferenceUID",
                    f"{b.frame_of_reference_uid} differs from {a.frame_of_reference_uid} of {a.source}",
                    "images registered to the same frame of reference",
                )
            ],
        )


def resample_like(moving: Volume, reference: Volume, order: int = 0) -> Volume:
    """``moving`` on the grid of ``reference`` (nearest neighbour by default: masks stay binary).

    Voxels of the reference grid that fall outside ``moving`` get 0.
    """
    check_same_frame(reference, moving)
    if moving.same_grid(reference):
        return moving
    from scipy import ndimage

    # reference voxel index -> patient mm -> moving voxel index
    transform = np.linalg.inv(moving.affine) @ reference.affine
    data = ndimage.affine_transform(
        np.asarray(moving.array, dtype=np.float32 if order else moving.array.dtype),
        transform[:3, :3],
        offset=transform[:3, 3],
        output_shape=reference.shape,
        order=order,
        mode="constant",
        cval=0,
    )
    return Volume(
        data,
        reference.affine,
        moving.frame_of_reference_uid or reference.frame_of_reference_uid,
        moving.unit,
        moving.source,
        (*moving.read_notes, f"resampled onto the grid of {reference.source} (order {order})"),
        moving.metadata,
    )


def read_nifti(path: str | Path, unit: str | None = None) -> Volume:
    """Read a NIfTI file (``.nii`` / ``.nii.gz``); the RAS affine becomes LPS.

    A 4-D file with a single volume is squeezed (and noted); other shapes are refused.
    """
    import nibabel as nib

    path = Path(path)
    source = str(path)
    try:
        image: Any = nib.load(str(path))
    except (OSError, nib.filebasedimages.ImageFileError) as exc:
        raise ImagingInputError(
            source, [Problem("", f"cannot read as NIfTI ({exc})", "a .nii or .nii.gz file")]
        ) from None
    data = np.asanyarray(image.dataobj)
    notes = []
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
        notes.append("4-D file with one volume: read as 3-D")
    if data.ndim != 3:
        raise ImagingInputError(source, [Problem("", f"{data.ndim}-D image of shape {data.shape}", "a 3-D volume")])
    affine = RAS_TO_LPS @ np.asarray(image.affine, dtype=np.float64)
    return Volume(np.asarray(data), affine, None, unit, source, tuple(notes))


def write_nifti(volume: Volume, path: str | Path) -> None:
    """Write a volume as NIfTI (RAS affine); the file appears whole or not at all."""
    import nibabel as nib

    path = Path(path)
    image = nib.Nifti1Image(np.asarray(volume.array), RAS_TO_LPS @ volume.affine)
    image.header.set_xyzt_units("mm")
    suffix = ".nii.gz" if path.name.endswith(".nii.gz") else ".nii"
    tmp = path.with_name(f".{path.name}.tmp{suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        nib.save(image, str(tmp))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _is_binary(data: NDArray[np.generic]) -> bool:
    """True when every value is 0 or 1 (one or two passes; no sort)."""
    if data.size == 0:
        return True
    if np.issubdtype(data.dtype, np.integer):
        return bool(data.min() >= 0 and data.max() <= 1)
    return bool(np.logical_or(data == 0, data == 1).all())


def as_mask(volume: Volume, name: str) -> NDArray[np.bool_]:
    """A binary mask from a label volume; refuses anything but {0, 1} (or bool) values."""
    data = np.asarray(volume.array)
    if data.dtype != np.bool_ and not _is_binary(data):
        values = np.unique(data)
        if not np.isin(values, [0, 1]).all():
            shown = ", ".join(f"{v:g}" for v in values[:6])
            raise ImagingInputError(
                volume.source,
                [Problem(name, f"values {shown}{'…' if len(values) > 6 else ''}", "a binary mask (0 and 1)")],
            )
    mask = data.astype(bool)
    if not mask.any():
        raise ImagingInputError(volume.source, [Problem(name, "mask is empty", "at least one voxel set")])
    return mask
