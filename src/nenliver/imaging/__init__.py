"""Images and masks with their geometry: NIfTI now, DICOM series and SEG/RTSTRUCT to follow."""

from nenliver.imaging.volume import (
    RAS_TO_LPS,
    Volume,
    as_mask,
    check_same_frame,
    read_nifti,
    resample_like,
    write_nifti,
)

__all__ = ["RAS_TO_LPS", "Volume", "as_mask", "check_same_frame", "read_nifti", "resample_like", "write_nifti"]
