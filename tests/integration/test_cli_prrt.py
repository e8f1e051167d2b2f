"""`nenliver prrt PLAN [--json] [--full] [--out DIR]` through the command-line entry point."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.cli.main import main
from nenliver.dosimetry.prrt.synthetic import PhantomOrgan, organ_activity_mbq, series_phantom
from nenliver.imaging.synthetic import write_dicom_series
from nenliver.imaging.volume import Volume, write_nifti

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "prrt"
TIMES = [4.0, 24.0, 96.0, 168.0]
SPACING = (4.42, 4.42, 4.42)
ORGANS = [
    PhantomOrgan("kidney_left", (60.0, 88.0, 88.0), 26.0, 100.0, 0.012, 0.9),
    PhantomOrgan("kidney_right", (116.0, 88.0, 88.0), 26.0, 90.0, 0.014, 1.1),
    PhantomOrgan("tumour_1", (88.0, 40.0, 88.0), 15.0, 60.0, 0.006, 0.3),
]


def write(tmp_path: Path, data: Any, name: str = "plan.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["prrt", *args, "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_examples_run_and_follow_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = run_json(capsys, str(path))
        assert data["format"] == "nenliver/prrt-result@1"
        assert data["software_version"] == __version__ and data["notice"] == CLINICIAN_REVIEW_NOTICE
        assert data["half_life_h"] == 159.528 and data["ldm_gy_kg_per_mbq_h"] == pytest.approx(8.5306e-5, rel=1e-5)
        for organ in data["organs"].values():
            assert {
                "model",
                "parameters",
                "effective_half_life_h",
                "tia_mbq_h",
                "dose_gy",
                "gy_per_gbq",
                "bed_gy",
                "cumulative",
                "checks",
            } <= organ.keys()
        assert data["treatable_next_cycle"] in (True, False, None)


def test_history_example_sums_the_cycles(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, str(EXAMPLES / "cycle3-with-history.yaml"))
    kidney = data["organs"]["kidney_left"]
    assert kidney["cumulative"]["dose_gy"] == pytest.approx(5.1 + 5.3 + kidney["dose_gy"])
    assert kidney["cumulative"]["bed_gy"] == pytest.approx(5.9 + 6.1 + kidney["bed_gy"])
    assert data["kidney_limit_basis"].startswith("prrt_kidney_bed_with_risk_factors")


def test_terminal_view_leads_with_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prrt", str(EXAMPLES / "cycle3-with-history.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[3].startswith("Another cycle like this one:")
    assert out.count(CLINICIAN_REVIEW_NOTICE) == 1
    assert "--full" in out
    assert main(["prrt", str(EXAMPLES / "cycle3-with-history.yaml"), "--full"]) == 0
    full = capsys.readouterr().out
    assert "residuals (MBq)" in full and "source: Bodei" in full


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"times_h": [4, 24, 20, 168]}, "times_h[2]"),
        ({"organs": {"k": {"role": "kidney", "mass_g": 200, "activity_mbq": [1, 2, 3]}}}, "organs.k.activity_mbq"),
        (
            {"organs": {"k": {"role": "kidney", "mass_g": 200, "activity_mbq": [5, 4, -3, 1]}}},
            "organs.k.activity_mbq[2]",
        ),
        ({"organs": {"k": {"role": "bladder", "mass_g": 200, "activity_mbq": [5, 4, 3, 1]}}}, "organs.k.role"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], field: str
) -> None:
    plan = yaml.safe_load((EXAMPLES / "snmmi-patient4-cycle1.yaml").read_text(encoding="utf-8"))
    plan.update(change)
    out_dir = tmp_path / "out"
    assert main(["prrt", write(tmp_path, plan), "--json", "--out", str(out_dir)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and field in err and "invalid input" in err
    assert not out_dir.exists()  # nothing partially written


def test_duplicate_keys_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (EXAMPLES / "single-time-point.yaml").read_text(encoding="utf-8") + "cycle: 2\n"
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["prrt", str(path)]) == 2
    assert "cycle" in capsys.readouterr().err


def _nifti_plan(tmp_path: Path, per_time_masks: bool = False) -> dict[str, Any]:
    images, masks = series_phantom((40, 40, 40), SPACING, ORGANS, TIMES, mbq_per_count=0.1)
    affine = np.diag([*SPACING, 1.0])
    for name, mask in masks.items():
        write_nifti(Volume(mask.astype(np.uint8), affine), tmp_path / f"{name}.nii.gz")
    entries = []
    for i, (t, image) in enumerate(zip(TIMES, images, strict=True)):
        write_nifti(Volume(image, affine), tmp_path / f"spect{i}.nii.gz")
        entry: dict[str, Any] = {"spect": f"spect{i}.nii.gz", "time_h": t}
        if per_time_masks:
            entry["masks"] = {name: f"{name}.nii.gz" for name in masks}
        entries.append(entry)
    plan: dict[str, Any] = {
        "format": "nenliver/prrt@1",
        "injected_activity_mbq": 7400,
        "cycle": 1,
        "images": entries,
        "calibration_mbq_per_count": 0.1,
        "organs": {o.name: {"role": "tumour" if o.name.startswith("tumour") else "kidney"} for o in ORGANS},
        "fit": "auto",
        "kidney_risk_factors": False,
    }
    if not per_time_masks:
        plan["masks"] = {name: f"{name}.nii.gz" for name in masks}
    return plan


@pytest.mark.parametrize("per_time_masks", [False, True])
def test_nifti_series_gives_the_phantom_curves_and_voxel_dose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], per_time_masks: bool
) -> None:
    plan = write(tmp_path, _nifti_plan(tmp_path, per_time_masks))
    data = run_json(capsys, plan, "--out", str(tmp_path / "out"))
    for organ in ORGANS:
        result = data["organs"][organ.name]
        expected = [organ_activity_mbq(organ, t) for t in TIMES]
        assert result["activity_mbq"] == pytest.approx(expected, rel=1e-5)
        assert result["mass_basis"].startswith("mask volume")
        structure = data["voxel"]["structures"][organ.name]
        assert structure["mean_gy"] == pytest.approx(result["dose_gy"], rel=0.15)  # voxel tail vs fit
    assert data["voxel"]["method"] == "kernel" and "draft" in data["voxel"]["kernel"]
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"prrt-result.json", "dvh.png", "dose_gy.nii.gz", "tia_mbq_h.nii.gz", "tac_kidney_left.png"} <= files


def test_dicom_series_takes_times_from_the_headers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images, masks = series_phantom(
        (24, 24, 24), (6.0, 6.0, 6.0), [PhantomOrgan("kidney_left", (70.0, 70.0, 70.0), 30.0, 80.0, 0.01)], TIMES
    )
    affine = np.diag([6.0, 6.0, 6.0, 1.0])
    given = datetime(2024, 3, 4, 10, 0, 0)
    entries = []
    for i, (t, image) in enumerate(zip(TIMES, images, strict=True)):
        bq_per_ml = image * 1e6 / (6.0**3 / 1000.0)  # MBq per voxel → Bq/mL
        write_dicom_series(
            Volume(bq_per_ml, affine, "1.2.3.4"),
            tmp_path / f"scan{i}",
            units="BQML",
            series_time=given + timedelta(hours=t),
            administration_time=given,
            frame_of_reference_uid="1.2.3.4",
        )
        entries.append({"spect": f"scan{i}"})
    write_nifti(Volume(masks["kidney_left"].astype(np.uint8), affine), tmp_path / "kl.nii.gz")
    plan = {
        "format": "nenliver/prrt@1",
        "injected_activity_mbq": 7400,
        "images": entries,
        "masks": {"kidney_left": "kl.nii.gz"},
        "organs": {"kidney_left": {"role": "kidney", "mass_g": 150}},
        "fit": "mono_exp",
    }
    data = run_json(capsys, write(tmp_path, plan))
    kidney = data["organs"]["kidney_left"]
    assert kidney["times_h"] == pytest.approx(TIMES)
    assert kidney["tia_mbq_h"] == pytest.approx(80.0 / 0.01, rel=2e-3)  # int16 rescaling in the files


def test_image_without_time_or_calibration_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _nifti_plan(tmp_path)
    del plan["images"][1]["time_h"]
    assert main(["prrt", write(tmp_path, plan)]) == 2
    assert "images[1].time_h" in capsys.readouterr().err
    plan = _nifti_plan(tmp_path)
    del plan["calibration_mbq_per_count"]
    assert main(["prrt", write(tmp_path, plan)]) == 2
    assert "calibration_mbq_per_count" in capsys.readouterr().err


def test_single_time_point_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _nifti_plan(tmp_path)
    plan["images"] = [dict(plan["images"][2])]
    plan["single_time_point"] = {"method": "hanscheid", "time_h": 96.0}
    plan["images"][0].pop("time_h")
    plan["images"][0]["time_h"] = 96.0
    data = run_json(capsys, write(tmp_path, plan))
    organ = ORGANS[0]
    kidney = data["organs"]["kidney_left"]
    assert kidney["model"] == "hanscheid"
    assert kidney["tia_mbq_h"] == pytest.approx(organ_activity_mbq(organ, 96.0) * 2 * 96.0 / math.log(2), rel=1e-5)
