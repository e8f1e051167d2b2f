# SPDX-License-Identifier: Apache-2.0
"""Synthetic phantoms and DICOM series, for tests, benchmarks and demonstrations (no patient data).

Nothing here is downloaded: every image is generated from its parameters.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nenliver.imaging.volume import Volume

__all__ = ["ball", "write_dicom_series"]

_PET_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.128"  # Positron Emission Tomography Image Storage
_CT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage


def ball(
    shape: tuple[int, int, int],
    spacing_mm: tuple[float, float, float],
    centre_mm: tuple[float, float, float],
    radius_mm: float,
) -> NDArray[np.bool_]:
    """Voxels whose centres (index × spacing) lie within ``radius_mm`` of ``centre_mm``.

    Examples
    --------
    >>> int(ball((5, 5, 5), (1.0, 1.0, 1.0), (2.0, 2.0, 2.0), 1.0).sum())
    7
    """
    axes = [(np.arange(n) * s - c) ** 2 for n, s, c in zip(shape, spacing_mm, centre_mm, strict=True)]
    return (axes[0][:, None, None] + axes[1][None, :, None] + axes[2][None, None, :]) <= radius_mm**2


def write_dicom_series(
    volume: Volume,
    folder: str | Path,
    *,
    modality: str = "PT",
    units: str = "BQML",
    frame_of_reference_uid: str | None = None,
    series_time: datetime | None = None,
    administration_time: datetime | None = None,
    decay_correction: str = "START",
    patient_id: str = "SYNTHETIC-0001",
) -> list[Path]:
    """Write ``volume`` as a single-frame DICOM series (one file per slice, int16 with per-slice slope).

    Parameters
    ----------
    volume : Volume
        Image; its affine must be orthogonal with the third axis along the row × column normal.
    folder : str or Path
        Output folder (created).
    modality : str
        ``"PT"`` (PET, with Units and radiopharmaceutical timing) or ``"CT"``.
    units, decay_correction : str
        PET Units (0054,1001) and DecayCorrection (0054,1102).
    frame_of_reference_uid : str, optional
        Defaults to the volume's, or a new UID.
    series_time, administration_time : datetime, optional
        Series start and radiopharmaceutical start (PET).
    patient_id : str
        Patient ID written in every file.

    Returns
    -------
    list of Path
        The files, one per slice.
    """
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    axes = volume.affine[:3, :3]
    spacing = np.linalg.norm(axes, axis=0)
    row, col, normal = (axes[:, a] / spacing[a] for a in range(3))
    for_uid = frame_of_reference_uid or volume.frame_of_reference_uid or generate_uid()
    series_uid, study_uid = generate_uid(), generate_uid()
    sop_class = _PET_SOP_CLASS if modality == "PT" else _CT_SOP_CLASS
    when = series_time or datetime(2024, 1, 2, 9, 0, 0)
    data = np.asarray(volume.array, dtype=np.float64)
    paths = []
    for k in range(volume.shape[2]):
        plane = data[:, :, k].T  # (rows, cols)
        top = float(np.abs(plane).max())
        slope = top / 32000.0 if top > 0 else 1.0
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = UID(sop_class)
        sop_uid = generate_uid()
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = pydicom.Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
        ds.Modality = modality
        ds.PatientName, ds.PatientID = "Synthetic^Phantom", patient_id
        ds.PatientBirthDate, ds.PatientSex = "", "O"
        ds.AccessionNumber, ds.ReferringPhysicianName, ds.StudyID = "", "", "1"
        ds.SeriesNumber, ds.Manufacturer = 1, "nenliver synthetic"
        ds.PositionReferenceIndicator = ""
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study_uid, series_uid, for_uid
        ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = when.strftime("%Y%m%d")
        ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = when.strftime("%H%M%S")
        ds.InstanceNumber = k + 1
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*row, *col)]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in volume.affine[:3, 3] + k * spacing[2] * normal]
        ds.PixelSpacing = [f"{spacing[1]:.6f}", f"{spacing[0]:.6f}"]
        ds.SliceThickness = f"{spacing[2]:.6f}"
        ds.Rows, ds.Columns = plane.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit, ds.PixelRepresentation = 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = f"{slope:.10g}", "0"
        if modality == "PT":
            ds.Units, ds.DecayCorrection = units, decay_correction
            item = pydicom.Dataset()
            admin = administration_time or when
            item.RadiopharmaceuticalStartDateTime = admin.strftime("%Y%m%d%H%M%S")
            item.RadionuclideHalfLife = "230760"
            ds.RadiopharmaceuticalInformationSequence = [item]
        ds.PixelData = np.rint(plane / slope).astype(np.int16).tobytes()
        path = folder / f"slice_{k:04d}.dcm"
        ds.save_as(str(path), enforce_file_format=True)
        paths.append(path)
    return paths
