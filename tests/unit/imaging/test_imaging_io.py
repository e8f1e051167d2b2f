"""Imaging I/O: DICOM series and multi-frame files, NIfTI round trips, SEG, RTSTRUCT, RT Dose."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from nenliver.errors import GeometryMismatchError, ImagingInputError
from nenliver.imaging import (
    Volume,
    ball,
    rasterise_rtstruct,
    read_dicom,
    read_image,
    read_mask,
    read_nifti,
    write_dicom_series,
    write_nifti,
    write_rtdose,
)
from nenliver.imaging.dicom import read_dicom_dataset

AFFINE = np.array([[2.0, 0, 0, -10.0], [0, 3.0, 0, 20.0], [0, 0, 4.0, 30.0], [0, 0, 0, 1]])


def _volume(shape: tuple[int, int, int] = (6, 5, 4), frame: str = "1.2.826.0.1.3680043.8.498.1") -> Volume:
    data = np.random.default_rng(0).random(shape).astype(np.float32) * 1000
    return Volume(data, AFFINE, frame)


@pytest.fixture
def pet_series(tmp_path: Path) -> tuple[Path, Volume]:
    vol = _volume()
    folder = tmp_path / "pet"
    write_dicom_series(vol, folder, series_time=datetime(2024, 1, 2, 9), administration_time=datetime(2024, 1, 1, 9))
    return folder, vol


def test_synthetic_pet_series_reads_back_with_geometry_units_and_times(pet_series: tuple[Path, Volume]) -> None:
    folder, vol = pet_series
    got = read_dicom(folder)
    np.testing.assert_allclose(got.array, vol.array, atol=1000 / 32000)  # int16 with per-slice slope
    np.testing.assert_allclose(got.affine, AFFINE, atol=1e-5)
    assert got.unit == "Bq/mL"
    assert got.frame_of_reference_uid == vol.frame_of_reference_uid
    assert got.metadata["administration_time"] == datetime(2024, 1, 1, 9)
    assert got.metadata["decay_correction"] == "START"


def test_dicom_to_nifti_and_back_keeps_data_and_lps_affine(pet_series: tuple[Path, Volume], tmp_path: Path) -> None:
    folder, _ = pet_series
    dicom = read_dicom(folder)
    write_nifti(dicom, tmp_path / "x.nii.gz")
    back = read_nifti(tmp_path / "x.nii.gz")
    np.testing.assert_array_equal(back.array, dicom.array)
    np.testing.assert_allclose(back.affine, dicom.affine, atol=1e-5)


def test_slice_order_does_not_depend_on_file_names(pet_series: tuple[Path, Volume]) -> None:
    folder, vol = pet_series
    files = sorted(folder.iterdir())
    for i, f in enumerate(files):
        f.rename(folder / f"z{len(files) - i:03d}.dcm")
    np.testing.assert_allclose(read_dicom(folder).array, vol.array, atol=1000 / 32000)


def test_missing_slice_is_refused(pet_series: tuple[Path, Volume]) -> None:
    folder, _ = pet_series
    sorted(folder.iterdir())[1].unlink()
    with pytest.raises(ImagingInputError, match="uneven slice spacing"):
        read_dicom(folder)


def test_two_series_in_one_folder_are_refused(pet_series: tuple[Path, Volume]) -> None:
    folder, vol = pet_series
    write_dicom_series(vol, folder / "other")
    with pytest.raises(ImagingInputError, match="2 series"):
        read_dicom(folder)


def test_stray_files_are_skipped_and_noted(pet_series: tuple[Path, Volume]) -> None:
    folder, _ = pet_series
    (folder / "README.txt").write_text("not dicom")
    got = read_dicom(folder)
    assert any("README.txt" in n for n in got.read_notes)


def test_empty_or_missing_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImagingInputError, match="no DICOM image"):
        read_dicom(tmp_path)
    with pytest.raises(ImagingInputError, match="no such file"):
        read_image(tmp_path / "nothing.nii.gz")


def test_pydicom_rtdose_multiframe_is_read_with_dose_grid_scaling() -> None:
    path = get_testdata_file("rtdose.dcm")
    ds = pydicom.dcmread(path)
    got = read_dicom(path)
    assert got.shape == (ds.Columns, ds.Rows, ds.NumberOfFrames)
    assert got.spacing_mm == pytest.approx((10.0, 10.0, 5.0))
    expected = ds.pixel_array.transpose(2, 1, 0) * float(ds.DoseGridScaling)
    np.testing.assert_allclose(got.array, expected, rtol=1e-6)
    np.testing.assert_allclose(got.affine[:3, 3], [float(v) for v in ds.ImagePositionPatient])


def test_pydicom_ct_slice_reads_as_one_slice_volume() -> None:
    got = read_image(get_testdata_file("CT_small.dcm"))
    assert got.shape == (128, 128, 1)
    assert got.unit == "[hnsf'U]"


def test_rtdose_round_trip(pet_series: tuple[Path, Volume], tmp_path: Path) -> None:
    folder, _ = pet_series
    image = read_dicom(folder)
    dose = image.with_array(np.asarray(image.array) / 100.0, unit="Gy")
    write_rtdose(dose, tmp_path / "dose.dcm", image, "nenliver test")
    back = read_image(tmp_path / "dose.dcm")
    np.testing.assert_allclose(back.array, dose.array, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(back.affine, image.affine, atol=1e-5)
    assert back.unit == "Gy"
    assert back.frame_of_reference_uid == image.frame_of_reference_uid
    assert pydicom.dcmread(tmp_path / "dose.dcm").PatientID == "SYNTHETIC-0001"


def test_rtdose_needs_a_dicom_reference(tmp_path: Path) -> None:
    vol = _volume()
    with pytest.raises(ImagingInputError, match="not DICOM"):
        write_rtdose(vol.with_array(np.ones(vol.shape, np.float32)), tmp_path / "d.dcm", vol, "x")
    assert not (tmp_path / "d.dcm").exists()


def test_nifti_mask_on_another_grid_is_resampled(tmp_path: Path) -> None:
    reference = Volume(np.zeros((20, 20, 20), np.float32), np.diag([2.0, 2.0, 2.0, 1.0]))
    fine = ball((40, 40, 40), (1.0, 1.0, 1.0), (20.0, 20.0, 20.0), 8.0)
    write_nifti(Volume(fine.astype(np.uint8), np.diag([1.0, 1.0, 1.0, 1.0])), tmp_path / "m.nii.gz")
    mask, notes = read_mask(tmp_path / "m.nii.gz", reference, "tumour")
    assert mask.shape == reference.shape
    assert mask.sum() * 8.0 == pytest.approx(fine.sum(), rel=0.15)
    assert any("resampled" in n for n in notes)


@pytest.mark.parametrize(("values", "message"), [(np.zeros, "empty"), (lambda s: np.full(s, 2, np.uint8), "binary")])
def test_bad_masks_are_refused(tmp_path: Path, values: object, message: str) -> None:
    reference = Volume(np.zeros((4, 4, 4), np.float32), np.eye(4))
    write_nifti(Volume(values((4, 4, 4)).astype(np.uint8), np.eye(4)), tmp_path / "m.nii.gz")  # type: ignore[operator]
    with pytest.raises(ImagingInputError, match=message):
        read_mask(tmp_path / "m.nii.gz", reference, "liver")


def test_mask_from_another_frame_of_reference_is_refused(tmp_path: Path) -> None:
    image = _volume(frame="1.2.3.1")
    other = Volume((np.asarray(image.array) > 500).astype(np.float32), AFFINE, "1.2.3.2")
    write_dicom_series(other, tmp_path / "mask", modality="CT")
    with pytest.raises(GeometryMismatchError, match="FrameOfReferenceUID"):
        read_mask(tmp_path / "mask", image, "liver")


def _seg(tmp_path: Path, frame: str | None = None) -> tuple[Path, Volume, np.ndarray, np.ndarray]:
    import highdicom as hd
    from pydicom.sr.codedict import codes

    ct = _volume((16, 12, 6))
    folder = tmp_path / "ct"
    write_dicom_series(ct, folder, modality="CT")
    sources = sorted((pydicom.dcmread(p) for p in folder.iterdir()), key=lambda d: int(d.InstanceNumber))
    image = read_dicom(folder)
    liver = np.zeros(ct.shape, bool)
    liver[3:12, 2:9, 1:5] = True
    tumour = np.zeros(ct.shape, bool)
    tumour[5:8, 4:7, 2:4] = True
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i + 1,
            segment_label=label,
            segmented_property_category=codes.SCT.Organ,
            segmented_property_type=codes.SCT.Liver,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for i, label in enumerate(["Liver", "Tumour"])
    ]
    # highdicom frames are (slices, rows, columns, segments); ours are (columns, rows, slices).
    pixels = np.stack([liver, tumour], axis=-1).transpose(2, 1, 0, 3).astype(np.uint8)
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=pixels,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=2,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="nenliver tests",
        manufacturer_model_name="synthetic",
        software_versions="0",
        device_serial_number="0",
    )
    if frame:
        seg.FrameOfReferenceUID = frame
    path = tmp_path / "seg.dcm"
    seg.save_as(path)
    return path, image, liver, tumour


def test_dicom_seg_segments_are_read_by_name(tmp_path: Path) -> None:
    path, image, liver, tumour = _seg(tmp_path)
    got_liver, notes = read_mask(path, image, "liver")
    np.testing.assert_array_equal(got_liver, liver)
    got_tumour, _ = read_mask(f"{path}#Tumour", image, "lesion")
    np.testing.assert_array_equal(got_tumour, tumour)
    assert any("SEG" in n for n in notes)
    with pytest.raises(ImagingInputError, match="no segment"):
        read_mask(path, image, "lung")


def _rtstruct(tmp_path: Path, image: Volume, frame: str) -> Path:
    ds = pydicom.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    ds.Modality = "RTSTRUCT"
    roi = pydicom.Dataset()
    roi.ROINumber, roi.ROIName, roi.ReferencedFrameOfReferenceUID = 1, "Liver", frame
    ds.StructureSetROISequence = [roi]
    contours = []
    for k in range(1, 3):
        z = float((image.affine @ [0, 0, k, 1])[2])
        square = [(-5.0, 23.5), (5.0, 23.5), (5.0, 34.5), (-5.0, 34.5)]
        c = pydicom.Dataset()
        c.ContourGeometricType = "CLOSED_PLANAR"
        c.ContourData = [v for x, y in square for v in (x, y, z)]
        contours.append(c)
    item = pydicom.Dataset()
    item.ReferencedROINumber = 1
    item.ContourSequence = contours
    ds.ROIContourSequence = [item]
    path = tmp_path / "rs.dcm"
    ds.save_as(path, enforce_file_format=False, implicit_vr=False, little_endian=True)
    return path


def test_rtstruct_contours_are_rasterised_on_the_image_grid(tmp_path: Path) -> None:
    image = _volume()
    path = _rtstruct(tmp_path, image, str(image.frame_of_reference_uid))
    mask = rasterise_rtstruct(path, "liver", None, image)
    # x -5..5 mm: voxel centres -10 + 2i inside for i = 3..7; y 23.5..34.5: 20 + 3j for j = 2..4.
    expected = np.zeros(image.shape, bool)
    expected[3:8, 2:5, 1:3] = True
    np.testing.assert_array_equal(mask, expected)
    via_io, _ = read_mask(path, image, "liver")
    np.testing.assert_array_equal(via_io, expected)


def test_rtstruct_from_another_frame_is_refused(tmp_path: Path) -> None:
    image = _volume()
    path = _rtstruct(tmp_path, image, "9.9.9")
    with pytest.raises(ImagingInputError, match="FrameOfReferenceUID"):
        read_mask(path, image, "liver")


def test_pydicom_rtstruct_without_preamble_is_read_and_rasterised() -> None:
    path = Path(get_testdata_file("rtstruct.dcm"))
    notes: list[str] = []
    ds = read_dicom_dataset(path, notes)
    assert notes
    frame = str(ds.StructureSetROISequence[0].ReferencedFrameOfReferenceUID)
    grid = Volume(
        np.zeros((50, 40, 3), np.float32),
        np.array([[10.0, 0, 0, -245.0], [0, 10.0, 0, -195.0], [0, 0, 10.0, -200.0], [0, 0, 0, 1]]),
        frame,
    )
    mask = rasterise_rtstruct(path, "patient", None, grid)
    assert mask[:, :, 0].sum() == 40 * 30  # the 400 x 300 mm rectangle at z = -200 mm
