"""Images and masks with their geometry: NIfTI, DICOM series, DICOM SEG, RTSTRUCT; RT Dose out."""

from nenliver.imaging.dicom import read_dicom, write_rtdose
from nenliver.imaging.io import is_nifti, read_image, read_mask
from nenliver.imaging.structures import rasterise_rtstruct, read_seg
from nenliver.imaging.synthetic import ball, write_dicom_series
from nenliver.imaging.volume import (
    RAS_TO_LPS,
    Volume,
    as_mask,
    check_same_frame,
    read_nifti,
    resample_like,
    write_nifti,
)

__all__ = [
    "RAS_TO_LPS",
    "Volume",
    "as_mask",
    "ball",
    "check_same_frame",
    "is_nifti",
    "rasterise_rtstruct",
    "read_dicom",
    "read_image",
    "read_mask",
    "read_nifti",
    "read_seg",
    "resample_like",
    "write_dicom_series",
    "write_nifti",
    "write_rtdose",
]
