"""``nenliver dose voxel`` end to end on synthetic NIfTI and DICOM phantoms."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.cli.main import main
from nenliver.dosimetry.constants import number
from nenliver.imaging import Volume, ball, read_image, write_dicom_series, write_nifti

SP = (4.42, 4.42, 4.42)
SHAPE = (40, 40, 40)
CENTRE = (88.4, 88.4, 88.4)


def _nifti(tmp: Path, name: str, data: np.ndarray) -> str:
    path = tmp / name
    write_nifti(Volume(data, np.diag([*SP, 1.0])), path)
    return str(path)


@pytest.fixture
def phantom(tmp_path: Path) -> dict[str, str]:
    liver = ball(SHAPE, SP, CENTRE, 55.0)
    tumour = ball(SHAPE, SP, (100.0, 88.4, 88.4), 15.0)
    lung = np.zeros(SHAPE, bool)
    lung[:, :, 33:] = True
    activity = liver.astype(np.float32) + 4.0 * tumour.astype(np.float32)
    return {
        "activity": _nifti(tmp_path, "act.nii.gz", activity),
        "liver": _nifti(tmp_path, "liver.nii.gz", liver.astype(np.uint8)),
        "tumour": _nifti(tmp_path, "tumour.nii.gz", tumour.astype(np.uint8)),
        "lung": _nifti(tmp_path, "lung.nii.gz", lung.astype(np.uint8)),
        "empty": _nifti(tmp_path, "empty.nii.gz", np.zeros(SHAPE, np.uint8)),
        "labels": _nifti(tmp_path, "labels.nii.gz", (2 * liver).astype(np.uint8)),
    }


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["dose", "voxel", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract_outputs_and_physics(
    phantom: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _run(
        [
            "--activity",
            phantom["activity"],
            "--liver",
            phantom["liver"],
            "--tumour",
            phantom["tumour"],
            "--lung",
            phantom["lung"],
            "--injected-gbq",
            "2.0",
            "--lsf-percent",
            "5",
            "--method",
            "kernel",
            "--out",
            str(out / "dose.nii.gz"),
            "--dvh-png",
            str(out / "dvh.png"),
            "--overlay-png",
            str(out / "overlay.png"),
            "--json",
        ],
        capsys,
    )
    assert code == 0
    r = json.loads(stdout)
    assert r["software_version"] == __version__
    assert r["notice"] == CLINICIAN_REVIEW_NOTICE
    assert set(r["structures"]) == {"liver", "tumour", "normal_liver", "lung"}
    for key in (
        "mean_gy",
        "d2_gy",
        "d50_gy",
        "d70_gy",
        "d90_gy",
        "d95_gy",
        "v100_percent",
        "v120_percent",
        "v150_percent",
        "v30_percent",
        "v40_percent",
        "v70_percent",
    ):
        assert key in r["structures"]["liver"]
    assert r["structures"]["tumour"]["mean_gy"] > 3 * r["structures"]["normal_liver"]["mean_gy"]
    # Lung: A·LSF spread over the lung mask, local deposition at lung density.
    lung_ml = r["structures"]["lung"]["volume_ml"]
    expected_lung = number("eanm_2022") * 2.0 * 0.05 / (number("lung_density") * lung_ml / 1000)
    assert r["lung"]["mean_gy"] == pytest.approx(expected_lung, rel=1e-4)
    assert r["kernel"]["shape"] == [7, 7, 7]
    dose = read_image(out / "dose.nii.gz")
    assert dose.shape == SHAPE
    assert (out / "dvh.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "overlay.png").read_bytes()[:4] == b"\x89PNG"


def test_text_view_names_the_method_and_the_notice(phantom: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = _run(
        ["--activity", phantom["activity"], "--liver", phantom["liver"], "--injected-gbq", "1.5"], capsys
    )
    assert code == 0
    assert "Voxel dosimetry — ldm" in stdout
    assert CLINICIAN_REVIEW_NOTICE in stdout
    assert "C·A·LSF / 1 kg" in stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--liver": "empty"}, "empty"),
        ({"--liver": "labels"}, "binary"),
        ({"--injected-gbq": "-1"}, "(0, 100] GBq"),
        ({"--injected-gbq": "inf"}, "not a finite number"),
        ({"--liver-density": "1030"}, "did you mean 1.03 g/mL"),
        ({"--hours-after-administration": "nan"}, "--hours-after-administration"),
        ({"--activity": "missing"}, "no such file"),
        ({"--lsf-percent": "120"}, "--lsf-percent"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    phantom: dict[str, str], tmp_path: Path, change: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = {
        "--activity": phantom["activity"],
        "--liver": phantom["liver"],
        "--injected-gbq": "1.0",
        "--lsf-percent": "0",
    }
    for key, value in change.items():
        args[key] = phantom.get(value, str(tmp_path / "nope.nii.gz") if value == "missing" else value)
    out = tmp_path / "o" / "dose.nii.gz"
    code, _, err = _run([*(x for kv in args.items() for x in kv), "--out", str(out), "--json"], capsys)
    assert code == 2
    assert message in err
    assert not out.exists()


def test_rt_dose_needs_dicom_input(phantom: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        [
            "--activity",
            phantom["activity"],
            "--liver",
            phantom["liver"],
            "--injected-gbq",
            "1",
            "--out",
            str(tmp_path / "d.dcm"),
        ],
        capsys,
    )
    assert code == 2
    assert "RT Dose" in err


def test_dicom_pet_absolute_with_rt_dose_and_predicted_vs_post(
    phantom: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    liver = ball(SHAPE, SP, CENTRE, 55.0)
    admin = datetime(2024, 3, 1, 10, 0)
    scan = admin + timedelta(hours=number("y90"))  # one half-life later
    # 2 GBq in the liver at administration -> half of it in Bq/mL at the scan.
    conc = liver * (2.0e9 / 2 / (liver.sum() * np.prod(SP) / 1000))
    pet = Volume(conc.astype(np.float32), np.diag([*SP, 1.0]), "1.2.826.0.1.3680043.8.498.77")
    write_dicom_series(pet, tmp_path / "pet", series_time=scan, administration_time=admin)
    code, stdout, _ = _run(
        [
            "--activity",
            str(tmp_path / "pet"),
            "--liver",
            phantom["liver"],
            "--injected-gbq",
            "2.0",
            "--post-activity",
            str(tmp_path / "pet"),
            "--out",
            str(tmp_path / "rd.dcm"),
            "--json",
        ],
        capsys,
    )
    assert code == 0
    r = json.loads(stdout)
    assert r["activity_mode"] == "absolute"
    assert r["activity_in_image_gbq"] == pytest.approx(2.0, rel=2e-3)
    mass_kg = liver.sum() * np.prod(SP) / 1000 * number("liver_density") / 1000
    assert r["structures"]["liver"]["mean_gy"] == pytest.approx(number("eanm_2022") * 2.0 / mass_kg, rel=2e-3)
    assert r["comparison"]["structures"]["liver"]["mean_gy"]["difference"] == pytest.approx(0.0, abs=1e-9)
    rd = read_image(tmp_path / "rd.dcm")
    assert rd.unit == "Gy"
    assert rd.frame_of_reference_uid == "1.2.826.0.1.3680043.8.498.77"


def test_nifti_pet_in_absolute_mode_needs_timing(phantom: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        [
            "--activity",
            phantom["activity"],
            "--liver",
            phantom["liver"],
            "--injected-gbq",
            "1",
            "--activity-mode",
            "absolute",
        ],
        capsys,
    )
    assert code == 2
    assert "administration" in err
    code, _, _ = _run(
        [
            "--activity",
            phantom["activity"],
            "--liver",
            phantom["liver"],
            "--injected-gbq",
            "1",
            "--activity-mode",
            "absolute",
            "--hours-after-administration",
            "0",
        ],
        capsys,
    )
    assert code == 0
