"""`nenliver ablation plan | margin | simulate` through the command-line entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
import yaml

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.cli.main import main

SPACING = (0.8, 0.8, 2.5)
SHAPE = (80, 80, 30)


def ball(centre_mm: tuple[float, float, float], radius_mm: float, shape=SHAPE, spacing=SPACING) -> np.ndarray:
    grid = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing, strict=True)], indexing="ij")
    return (sum((g - c) ** 2 for g, c in zip(grid, centre_mm, strict=True)) <= radius_mm**2).astype(np.uint8)


def save(path: Path, array: np.ndarray, spacing=SPACING, origin=(0.0, 0.0, 0.0)) -> str:
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = origin
    nib.save(nib.Nifti1Image(array, affine), str(path))
    return str(path)


C = (32.0, 32.0, 37.5)


@pytest.fixture
def masks(tmp_path: Path) -> dict[str, str]:
    return {
        "tumour": save(tmp_path / "tumour.nii.gz", ball(C, 9)),
        "ablation": save(tmp_path / "zone.nii.gz", ball((32.0, 34.0, 37.5), 16)),
        "liver": save(tmp_path / "liver.nii.gz", ball((40.0, 32.0, 37.5), 30)),
    }


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data: dict[str, Any] = json.loads(out.out)
    return data


# --- plan -------------------------------------------------------------------------------------


def test_plan_uses_the_decision_engine_code(tmp_path: Path, capsys, make_case) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(make_case()), encoding="utf-8")
    data = run_json(capsys, "ablation", "plan", str(path))
    full = run_json(capsys, "plan", str(path))
    option = next(o for o in full["options"] if o["therapy"] == "ablation")
    assert data["lesions"] == option["details"]["lesions"]
    assert data["software_version"] == __version__ and data["notice"] == CLINICIAN_REVIEW_NOTICE
    assert data["margin_policy"]["minimum_mm"] == 5


def test_plan_terminal_view_names_modality_findings_and_notice(tmp_path: Path, capsys, make_case) -> None:
    case = make_case(**{"liver.lesions.0.central": True, "history.cardiac_arrhythmia": True})
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    assert main(["ablation", "plan", str(path)]) == 0
    out = capsys.readouterr().out
    assert "L1" in out and "ABL-07b" in out and CLINICIAN_REVIEW_NOTICE in out and __version__ in out


def test_plan_says_why_no_modality_fits(tmp_path: Path, capsys, make_case) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(make_case(**{"liver.lesions.0.diameter_mm": 70})), encoding="utf-8")
    data = run_json(capsys, "ablation", "plan", str(path))
    lesion = data["lesions"][0]
    assert lesion["modality"] is None and "70 mm" in lesion["note"]


def test_plan_of_a_bad_case_exits_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("format: nenliver/case@1\nid: x\npatient: {age_years: -3}\n", encoding="utf-8")
    assert main(["ablation", "plan", str(path)]) == 2
    assert "case.yaml" in capsys.readouterr().err


# --- margin -----------------------------------------------------------------------------------


def test_margin_json_contract(masks: dict[str, str], capsys) -> None:
    data = run_json(capsys, "ablation", "margin", "--tumour", masks["tumour"], "--ablation", masks["ablation"])
    assert data["format"] == "nenliver/ablation-margin@1"
    assert abs(data["minimal_margin_mm"] - 5.0) <= 0.9  # 16 - 9 - 2 mm
    assert data["coverage_percent"] == 100.0
    assert [b["bin"] for b in data["surface_margin_histogram"]] == ["<0", "0-5", "5-10", ">=10"]
    for key in ("surface_ge_5mm_percent", "residual_tumour_volume_ml", "tissue_at_risk_volume_ml"):
        assert isinstance(data[key], float)
    assert data["software_version"] == __version__ and data["notice"] == CLINICIAN_REVIEW_NOTICE
    assert data["capsule_exclusion"] is None


def test_margin_with_liver_and_png(masks: dict[str, str], tmp_path: Path, capsys) -> None:
    png = tmp_path / "out" / "map.png"
    data = run_json(
        capsys,
        "ablation",
        "margin",
        "--tumour",
        masks["tumour"],
        "--ablation",
        masks["ablation"],
        "--liver",
        masks["liver"],
        "--png",
        str(png),
    )
    assert data["capsule_exclusion"]["exclusion_mm"] == 5
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert data["margin_map_png"] == str(png)


def test_margin_terminal_view(masks: dict[str, str], capsys) -> None:
    assert main(["ablation", "margin", "--tumour", masks["tumour"], "--ablation", masks["ablation"]]) == 0
    out = capsys.readouterr().out
    assert "minimal ablative margin" in out and "voxel-centre" in out and CLINICIAN_REVIEW_NOTICE in out


@pytest.mark.parametrize(
    ("which", "array", "message"),
    [
        ("tumour", np.zeros(SHAPE, np.uint8), "empty"),
        ("tumour", ball(C, 9) * 3, "binary"),
        ("ablation", np.zeros(SHAPE, np.uint8), "empty"),
        ("ablation", ball(C, 16).astype(np.float32) * 0.5, "binary"),
    ],
)
def test_bad_masks_exit_2_naming_the_file(masks, tmp_path: Path, capsys, which: str, array, message: str) -> None:
    bad = save(tmp_path / f"bad-{which}.nii.gz", array)
    args = {"tumour": masks["tumour"], "ablation": masks["ablation"], which: bad}
    png = tmp_path / "never.png"
    code = main(["ablation", "margin", "--tumour", args["tumour"], "--ablation", args["ablation"], "--png", str(png)])
    err = capsys.readouterr().err
    assert code == 2
    assert bad in err and message in err
    assert not png.exists()


def test_masks_in_different_places_exit_2(masks, tmp_path: Path, capsys) -> None:
    elsewhere = save(tmp_path / "elsewhere.nii.gz", ball(C, 9), origin=(500.0, 0.0, 0.0))
    assert main(["ablation", "margin", "--tumour", elsewhere, "--ablation", masks["ablation"]]) == 2
    err = capsys.readouterr().err
    assert "elsewhere.nii.gz" in err and "field of view" in err


def test_missing_file_exits_2(masks, tmp_path: Path, capsys) -> None:
    assert main(["ablation", "margin", "--tumour", str(tmp_path / "none.nii"), "--ablation", masks["ablation"]]) == 2
    assert "none.nii" in capsys.readouterr().err


def test_tumour_on_another_grid_is_resampled(masks, tmp_path: Path, capsys) -> None:
    fine = (0.4, 0.4, 1.25)
    tumour = save(tmp_path / "fine.nii.gz", ball(C, 9, (160, 160, 60), fine), spacing=fine)
    data = run_json(capsys, "ablation", "margin", "--tumour", tumour, "--ablation", masks["ablation"])
    assert abs(data["minimal_margin_mm"] - 5.0) <= 0.9
    assert any("resampled" in n for n in data["notes"])


# --- simulate ---------------------------------------------------------------------------------


def test_simulate_lists_settings_with_unverified_flags(capsys) -> None:
    data = run_json(capsys, "ablation", "simulate", "--list-settings")
    shapes = {s["id"]: s for s in data["zone_shapes"]}
    assert shapes["emprint-100w-10min"]["unverified"]
    assert not {"long_axis_mm", "short_axis_mm"} & set(shapes["clinical-mwa-1"]["unverified"])


def test_simulated_zone_round_trips_through_margin(masks, tmp_path: Path, capsys) -> None:
    zone = tmp_path / "zone-sim.nii.gz"
    # NIfTI world (RAS) of the tumour centre is (32, 32, 37.5); seed-mwa-1 is a 40 mm sphere centred
    # 15 mm behind the tip.
    sim = run_json(
        capsys,
        "ablation",
        "simulate",
        "--tumour",
        masks["tumour"],
        "--setting",
        "seed-mwa-1",
        "--applicator",
        "32",
        "32",
        "52.5",
        "0",
        "0",
        "1",
        "--ras",
        "--out-zone",
        str(zone),
    )
    assert sim["frame"].startswith("RAS")
    assert sim["applicators"][0]["zone_centre_mm"] == pytest.approx([32.0, 32.0, 37.5])
    assert abs(sim["predicted"]["minimal_margin_mm"] - 11.0) <= np.linalg.norm(SPACING) + 0.1
    assert any("[unverified]" in n for n in sim["notes"])
    margin = run_json(capsys, "ablation", "margin", "--tumour", masks["tumour"], "--ablation", str(zone))
    assert margin["minimal_margin_mm"] == sim["predicted"]["minimal_margin_mm"]


def test_simulate_optimise_places_one_applicator(masks, capsys) -> None:
    data = run_json(
        capsys, "ablation", "simulate", "--tumour", masks["tumour"], "--setting", "seed-mwa-1", "--optimise", "1"
    )
    assert data["optimised"] is True and len(data["applicators"]) == 1
    assert data["predicted"]["minimal_margin_mm"] >= 10.0


@pytest.mark.parametrize(
    ("extra", "word"),
    [
        (["--setting", "seed-mwa-1"], "--applicator"),
        (["--setting", "nonsense", "--optimise", "1"], "unknown zone shape"),
        (["--setting", "seed-mwa-1", "--optimise", "7"], "1 to 3"),
        (["--setting", "seed-mwa-1", "--applicator", "0", "0", "0", "0", "0", "0"], "direction"),
        (["--setting", "seed-mwa-1", "--applicator", "900", "0", "0", "0", "0", "1"], "does not reach"),
    ],
)
def test_simulate_bad_arguments_exit_2(masks, capsys, extra: list[str], word: str) -> None:
    assert main(["ablation", "simulate", "--tumour", masks["tumour"], *extra]) == 2
    assert word in capsys.readouterr().err


def test_simulate_accepts_negative_numbers_in_scientific_notation(masks, capsys) -> None:
    """A rotated unit vector prints as -1.2246e-15; argparse < 3.13 took it for an option."""
    sim = run_json(
        capsys,
        "ablation",
        "simulate",
        "--tumour",
        masks["tumour"],
        "--setting",
        "seed-mwa-1",
        "--applicator",
        "32",
        "32",
        "52.5",
        "-1.2246e-15",
        "-2E-16",
        "1",
        "--ras",
    )
    assert sim["applicators"][0]["zone_centre_mm"] == pytest.approx([32.0, 32.0, 37.5], abs=1e-6)
