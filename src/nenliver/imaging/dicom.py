# SPDX-License-Identifier: Apache-2.0
"""DICOM images (series of slices or one multi-frame file) to :class:`Volume`, and RT Dose out.

Reading is tolerant: files without the DICOM preamble are read anyway, non-image files in a
series folder are skipped, slight slice-spacing jitter is averaged; each fix is recorded in
``Volume.read_notes``. Refused (``ImagingInputError``): no image, several series, missing
geometry, gantry tilt, missing or uneven slices.

Array convention: ``array[i, j, k]`` with i the DICOM column index, j the row index and k the
slice (frame) index, so that the affine columns are the row direction × column spacing, the
column direction × row spacing and the slice normal × slice spacing, in LPS millimetres.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver.errors import ImagingInputError, Problem
from nenliver.imaging.volume import Volume

__all__ = ["dicom_datetime", "read_dicom", "read_dicom_dataset", "write_rtdose"]

#: DICOM (0054,1001) Units → UCUM-like unit codes carried by :class:`Volume`.
_UNITS = {"BQML": "Bq/mL", "CNTS": "{counts}", "GML": "g/mL{SUVbw}", "HU": "[hnsf'U]", "GY": "Gy"}
_SPACING_RTOL = 0.01
_RTDOSE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.2"  # RT Dose Storage
#: Attributes copied from the source image into an RT Dose (patient, study, frame of reference).
_COPIED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
    "FrameOfReferenceUID",
    "PositionReferenceIndicator",
)


def read_dicom_dataset(path: Path, notes: list[str] | None = None, stop_before_pixels: bool = False) -> Any:
    """Read one DICOM file; files lacking the preamble are read with ``force`` (and noted)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(str(path), stop_before_pixels=stop_before_pixels)
    except InvalidDicomError:
        pass
    except OSError as exc:
        raise ImagingInputError(str(path), [Problem("", f"cannot read ({exc})", "a DICOM file")]) from None
    try:
        ds = pydicom.dcmread(str(path), stop_before_pixels=stop_before_pixels, force=True)
    except Exception as exc:  # pydicom raises many kinds on garbage
        raise ImagingInputError(str(path), [Problem("", f"not DICOM ({exc})", "a DICOM file")]) from None
    if "SOPClassUID" not in ds and "Modality" not in ds:
        raise ImagingInputError(str(path), [Problem("", "not a DICOM data set", "a DICOM file")])
    if notes is not None:
        notes.append(f"{path.name}: no DICOM preamble/meta header, read anyway")
    return ds


def dicom_datetime(ds: Any, date_tag: str, time_tag: str) -> datetime | None:
    """A naive datetime from a DICOM date and time attribute pair (None when absent)."""
    date = str(ds.get(date_tag, "") or "").strip()
    time = str(ds.get(time_tag, "") or "").strip()
    return _parse_dt(date, time)


def _parse_dt(date: str, time: str) -> datetime | None:
    if len(date) < 8:
        return None
    time = (time.replace(":", "") + "000000")[:13] if time else "000000"
    try:
        hh, mm, ss = int(time[0:2]), int(time[2:4]), float(time[4:] or 0)
        base = datetime(int(date[0:4]), int(date[4:6]), int(date[6:8]), hh, mm)
    except ValueError:
        return None
    return base + timedelta(seconds=ss)


def _metadata(ds: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"modality": str(ds.get("Modality", "")), "sop_class_uid": str(ds.get("SOPClassUID", ""))}
    for key in _COPIED:
        if key in ds:
            meta[key] = ds.get(key)
    meta["SeriesInstanceUID"] = str(ds.get("SeriesInstanceUID", ""))
    units = str(ds.get("Units", "") or "").upper()
    if units:
        meta["units"] = units
    if "DecayCorrection" in ds:
        meta["decay_correction"] = str(ds.DecayCorrection).upper()
    meta["series_time"] = dicom_datetime(ds, "SeriesDate", "SeriesTime")
    meta["acquisition_time"] = dicom_datetime(ds, "AcquisitionDate", "AcquisitionTime")
    seq = ds.get("RadiopharmaceuticalInformationSequence")
    if seq:
        item = seq[0]
        dt = str(item.get("RadiopharmaceuticalStartDateTime", "") or "")
        start = _parse_dt(dt[:8], dt[8:]) if dt else None
        if start is None and "RadiopharmaceuticalStartTime" in item:
            start = _parse_dt(str(ds.get("SeriesDate", "")), str(item.RadiopharmaceuticalStartTime))
        meta["administration_time"] = start
        if "RadionuclideHalfLife" in item:
            meta["radionuclide_half_life_s"] = float(item.RadionuclideHalfLife)
        codes = item.get("RadionuclideCodeSequence")
        if codes:
            meta["radionuclide"] = str(codes[0].get("CodeMeaning", ""))
    return meta


def _unit(ds: Any) -> str | None:
    units = str(ds.get("Units", "") or "").upper()
    if units:
        return _UNITS.get(units, units)
    modality = str(ds.get("Modality", ""))
    if modality == "CT":
        return _UNITS["HU"]
    if modality == "RTDOSE":
        return _UNITS.get(str(ds.get("DoseUnits", "")).upper())
    if modality == "NM":
        return _UNITS["CNTS"]
    return None


def _orientation(ds: Any, source: str) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    iop = ds.get("ImageOrientationPatient")
    ipp = ds.get("ImagePositionPatient")
    if (iop is None or ipp is None) and "DetectorInformationSequence" in ds:
        det = ds.DetectorInformationSequence[0]
        iop = iop if iop is not None else det.get("ImageOrientationPatient")
        ipp = ipp if ipp is not None else det.get("ImagePositionPatient")
    if (iop is None or ipp is None) and "SharedFunctionalGroupsSequence" in ds:
        shared = ds.SharedFunctionalGroupsSequence[0]
        if iop is None and "PlaneOrientationSequence" in shared:
            iop = shared.PlaneOrientationSequence[0].ImageOrientationPatient
    if iop is None:
        raise ImagingInputError(source, [Problem("ImageOrientationPatient", "missing", "image geometry")])
    row = np.asarray([float(v) for v in iop[:3]])
    col = np.asarray([float(v) for v in iop[3:6]])
    origin = np.asarray([float(v) for v in ipp]) if ipp is not None else np.full(3, np.nan)
    return row / np.linalg.norm(row), col / np.linalg.norm(col), origin


def _pixel_spacing(ds: Any, source: str) -> tuple[float, float]:
    ps = ds.get("PixelSpacing")
    if ps is None and "SharedFunctionalGroupsSequence" in ds:
        shared = ds.SharedFunctionalGroupsSequence[0]
        if "PixelMeasuresSequence" in shared:
            ps = shared.PixelMeasuresSequence[0].get("PixelSpacing")
    if ps is None:
        raise ImagingInputError(source, [Problem("PixelSpacing", "missing", "in-plane voxel size")])
    return float(ps[0]), float(ps[1])


def _scaled(ds: Any, pixels: NDArray[Any]) -> NDArray[np.float32]:
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    if str(ds.get("Modality", "")) == "RTDOSE":
        slope *= float(ds.get("DoseGridScaling", 1) or 1)
    return (pixels.astype(np.float32) * np.float32(slope) + np.float32(intercept)).astype(np.float32, copy=False)


def _affine(
    row: NDArray[np.float64],
    col: NDArray[np.float64],
    origin: NDArray[np.float64],
    spacing: tuple[float, float, float],
    normal: NDArray[np.float64],
) -> NDArray[np.float64]:
    row_mm, col_mm, slice_mm = spacing
    affine = np.eye(4)
    affine[:3, 0] = row * col_mm  # i: along a row (column index), column spacing
    affine[:3, 1] = col * row_mm  # j: down a column (row index), row spacing
    affine[:3, 2] = normal * slice_mm
    affine[:3, 3] = origin
    return affine


def _even_spacing(offsets: NDArray[np.float64], source: str, notes: list[str]) -> float:
    if len(offsets) < 2:
        return 0.0
    steps = np.diff(offsets)
    step = float(np.mean(steps))
    if step <= 0 or np.any(steps <= 0):
        raise ImagingInputError(
            source, [Problem("ImagePositionPatient", "duplicate slice positions", "distinct slices")]
        )
    if np.max(np.abs(steps - step)) > _SPACING_RTOL * step:
        raise ImagingInputError(
            source,
            [
                Problem(
                    "ImagePositionPatient",
                    f"uneven slice spacing {steps.min():.3g}-{steps.max():.3g} mm",
                    "evenly spaced slices (a missing slice?)",
                )
            ],
        )
    if np.max(np.abs(steps - step)) > 1e-3:
        notes.append(f"slice spacing jitter up to {np.max(np.abs(steps - step)):.2g} mm averaged to {step:.4g} mm")
    return step


def _multiframe(ds: Any, source: str, notes: list[str]) -> Volume:
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    row, col, origin = _orientation(ds, source)
    normal = np.cross(row, col)
    row_mm, col_mm = _pixel_spacing(ds, source)
    pixels = np.asarray(ds.pixel_array)
    if pixels.ndim == 2:
        pixels = pixels[None]
    if "GridFrameOffsetVector" in ds and frames > 1:  # RT Dose
        offsets = np.asarray([float(v) for v in ds.GridFrameOffsetVector])
        if offsets[0] != 0:
            origin = origin + normal * offsets[0]
            offsets = offsets - offsets[0]
        if offsets[-1] < 0:  # frames run against the normal
            normal, offsets = -normal, -offsets
        slice_mm = _even_spacing(offsets, source, notes)
    elif "PerFrameFunctionalGroupsSequence" in ds:
        positions = np.asarray(
            [
                [float(v) for v in f.PlanePositionSequence[0].ImagePositionPatient]
                for f in ds.PerFrameFunctionalGroupsSequence
            ]
        )
        offsets = positions @ normal
        order = np.argsort(offsets, kind="stable")
        pixels, origin, offsets = pixels[order], positions[order[0]], offsets[order]
        slice_mm = _even_spacing(offsets, source, notes)
    else:  # NM reconstructed tomography: frames along the normal
        slice_mm = float(ds.get("SpacingBetweenSlices", 0) or ds.get("SliceThickness", 0) or 0)
        if frames > 1 and slice_mm <= 0:
            raise ImagingInputError(
                source, [Problem("SpacingBetweenSlices", "missing", "the slice spacing of a volume")]
            )
        if frames > 1 and "SpacingBetweenSlices" not in ds:
            notes.append("SpacingBetweenSlices missing: SliceThickness used")
    if np.isnan(origin).any():
        raise ImagingInputError(source, [Problem("ImagePositionPatient", "missing", "image geometry")])
    slice_mm = slice_mm or float(ds.get("SliceThickness", 1.0) or 1.0)
    array = _scaled(ds, pixels).transpose(2, 1, 0)  # (frames, rows, cols) -> (cols, rows, frames)
    affine = _affine(row, col, origin, (row_mm, col_mm, slice_mm), normal)
    meta = _metadata(ds)
    return Volume(
        np.ascontiguousarray(array),
        affine,
        meta.get("FrameOfReferenceUID") and str(meta["FrameOfReferenceUID"]),
        _unit(ds),
        source,
        tuple(notes),
        meta,
    )


def _series(files: Sequence[Path], source: str, notes: list[str]) -> Volume:
    datasets = []
    for f in files:
        try:
            ds = read_dicom_dataset(f, notes)
        except ImagingInputError:
            notes.append(f"{f.name}: not DICOM, skipped")
            continue
        if "PixelData" not in ds:
            notes.append(f"{f.name}: no image (Modality {ds.get('Modality', '?')}), skipped")
            continue
        datasets.append(ds)
    if not datasets:
        raise ImagingInputError(source, [Problem("", "no DICOM image found", "a DICOM series folder or file")])
    series = {str(ds.get("SeriesInstanceUID", "")) for ds in datasets}
    if len(series) > 1:
        listing = ", ".join(sorted(series))
        raise ImagingInputError(
            source, [Problem("SeriesInstanceUID", f"{len(series)} series ({listing})", "one series per folder")]
        )
    if len(datasets) == 1 or int(datasets[0].get("NumberOfFrames", 1) or 1) > 1:
        if len(datasets) > 1:
            raise ImagingInputError(
                source,
                [Problem("NumberOfFrames", "several multi-frame files", "one multi-frame file or single-frame slices")],
            )
        return _multiframe(datasets[0], source, notes)
    row, col, _ = _orientation(datasets[0], source)
    normal = np.cross(row, col)
    for ds in datasets[1:]:
        r, c, _ = _orientation(ds, source)
        if not (np.allclose(r, row, atol=1e-4) and np.allclose(c, col, atol=1e-4)):
            raise ImagingInputError(
                source, [Problem("ImageOrientationPatient", "differs between slices", "one orientation")]
            )
    origins = np.asarray([_orientation(ds, source)[2] for ds in datasets])
    if np.isnan(origins).any():
        raise ImagingInputError(source, [Problem("ImagePositionPatient", "missing", "image geometry")])
    offsets = origins @ normal
    order = np.argsort(offsets, kind="stable")
    datasets = [datasets[i] for i in order]
    origins, offsets = origins[order], offsets[order]
    slice_mm = _even_spacing(offsets, source, notes)
    # Gantry tilt: slice origins must move along the normal.
    if len(origins) > 1:
        drift = origins - origins[0] - np.outer(offsets - offsets[0], normal)
        if np.abs(drift).max() > 0.01 * max(slice_mm, 1.0):
            raise ImagingInputError(
                source,
                [Problem("ImagePositionPatient", "slices shifted in plane (gantry tilt?)", "an orthogonal stack")],
            )
    row_mm, col_mm = _pixel_spacing(datasets[0], source)
    shapes = {np.asarray(ds.pixel_array).shape for ds in datasets}
    if len(shapes) != 1:
        raise ImagingInputError(source, [Problem("Rows/Columns", f"slice sizes differ {sorted(shapes)}", "one size")])
    array = np.stack([_scaled(ds, np.asarray(ds.pixel_array)) for ds in datasets], axis=-1).transpose(1, 0, 2)
    slice_mm = slice_mm or float(datasets[0].get("SliceThickness", 1.0) or 1.0)
    affine = _affine(row, col, origins[0], (row_mm, col_mm, slice_mm), normal)
    meta = _metadata(datasets[0])
    meta["acquisition_time"] = min(
        (t for t in (dicom_datetime(ds, "AcquisitionDate", "AcquisitionTime") for ds in datasets) if t is not None),
        default=meta.get("acquisition_time"),
    )
    meta["SOPInstanceUIDs"] = [str(ds.get("SOPInstanceUID", "")) for ds in datasets]
    for_uid = meta.get("FrameOfReferenceUID")
    return Volume(
        np.ascontiguousarray(array),
        affine,
        str(for_uid) if for_uid else None,
        _unit(datasets[0]),
        source,
        tuple(notes),
        meta,
    )


def read_dicom(path: str | Path) -> Volume:
    """Read a DICOM image: a folder with one series of slices, or one (multi-frame) file.

    Parameters
    ----------
    path : str or Path
        Folder (files of one series; other files are skipped and noted) or file (NM SPECT
        reconstruction, RT Dose, enhanced multi-frame, or a single slice).

    Returns
    -------
    Volume
        Rescaled float32 values (RescaleSlope/Intercept, DoseGridScaling), LPS affine, frame of
        reference, unit (``Bq/mL`` for PET BQML, ``{counts}`` for NM, ``Gy`` for RT Dose) and the
        timing metadata used for decay correction.

    Raises
    ------
    nenliver.errors.ImagingInputError
        No image, several series, missing geometry, uneven slices or gantry tilt.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> v = read_dicom(get_testdata_file("rtdose.dcm"))
    >>> v.shape, v.spacing_mm
    ((10, 10, 15), (10.0, 10.0, 5.0))
    """
    path = Path(path)
    notes: list[str] = []
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.name.upper() != "DICOMDIR" and not p.name.startswith(".")
        )
        return _series(files, str(path), notes)
    if not path.exists():
        raise ImagingInputError(str(path), [Problem("", "no such file or folder", "a DICOM series folder or file")])
    return _series([path], str(path), notes)


def write_rtdose(dose: Volume, path: str | Path, reference: Volume, description: str) -> None:
    """Write a dose map (Gy) as a DICOM RT Dose in the frame of reference of ``reference``.

    Strict: the dose grid must share the reference's frame of reference, and its third axis
    must be the slice normal of the first two (no shear); the file appears whole or not at all.

    Parameters
    ----------
    dose : Volume
        Dose map in Gy.
    path : str or Path
        Output file.
    reference : Volume
        The DICOM image the dose was computed from (patient, study and frame of reference).
    description : str
        Series description (software version and the clinician-review notice go in it).
    """
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    from nenliver import __version__

    meta = reference.metadata
    if "StudyInstanceUID" not in meta or not reference.frame_of_reference_uid:
        raise ImagingInputError(
            str(path),
            [Problem("reference", "the input image was not DICOM", "a DICOM activity image for RT Dose output")],
        )
    if dose.frame_of_reference_uid not in (None, reference.frame_of_reference_uid) or not dose.same_grid(reference):
        raise ImagingInputError(
            str(path), [Problem("geometry", "dose grid differs from the reference image", "the same grid")]
        )
    axes = dose.affine[:3, :3]
    spacing = np.linalg.norm(axes, axis=0)
    row, col, nrm = (axes[:, a] / spacing[a] for a in range(3))
    if abs(float(row @ col)) > 1e-4 or not np.allclose(np.cross(row, col), nrm, atol=1e-4):
        raise ImagingInputError(
            str(path), [Problem("affine", "not a right-handed orthogonal grid", "slices along the row × column normal")]
        )
    data = np.asarray(dose.array, dtype=np.float64)
    if not np.isfinite(data).all() or data.min() < 0:
        raise ImagingInputError(str(path), [Problem("dose", "negative or non-finite doses", "doses >= 0 Gy")])
    top = float(data.max())
    scaling = top / 4294967295.0 if top > 0 else 1.0
    pixels = np.rint(data / scaling).astype(np.uint32).transpose(2, 1, 0)  # (frames, rows, cols)

    file_meta = FileMetaDataset()
    file_meta.MediaStorageSOPClassUID = UID(_RTDOSE_SOP_CLASS)
    sop_uid = generate_uid()
    file_meta.MediaStorageSOPInstanceUID = sop_uid
    file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = file_meta
    for key in _COPIED:
        if key in meta:
            setattr(ds, key, meta[key])
    ds.SOPClassUID = _RTDOSE_SOP_CLASS
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "RTDOSE"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 9901
    ds.InstanceNumber = 1
    ds.SeriesDescription = description[:64]
    ds.ImageComments = description[:10240]
    ds.Manufacturer = "nenliver"
    ds.SoftwareVersions = __version__
    now = datetime.now()
    ds.ContentDate, ds.ContentTime = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds.FrameOfReferenceUID = reference.frame_of_reference_uid
    ds.ImagePositionPatient = [f"{v:.6g}" for v in dose.affine[:3, 3]]
    ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*row, *col)]
    ds.PixelSpacing = [f"{spacing[1]:.6g}", f"{spacing[0]:.6g}"]
    ds.SliceThickness = f"{spacing[2]:.6g}"
    ds.GridFrameOffsetVector = [f"{k * spacing[2]:.6g}" for k in range(dose.shape[2])]
    ds.FrameIncrementPointer = pydicom.tag.Tag(0x3004, 0x000C)
    ds.NumberOfFrames = dose.shape[2]
    ds.Rows, ds.Columns = dose.shape[1], dose.shape[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    ds.PixelRepresentation = 0
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    ds.DoseGridScaling = f"{scaling:.10g}"
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        ds.save_as(str(tmp), enforce_file_format=True)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
