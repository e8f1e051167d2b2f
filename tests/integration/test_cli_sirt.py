"""`nenliver sirt PLAN [--json] [--maximise]` through the command-line entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sirt"

B9: dict[str, Any] = {
    "format": "nenliver/sirt@1",
    "device": "glass",
    "method": "partition",
    "convention": "eanm_2022",
    "target": {"compartment": "tumour", "dose_gy": 300},
    "tumour_volume_ml": 200,
    "normal_volume_ml": 800,
    "tumour_to_normal_ratio": 3,
    "lung_shunt_fraction_percent": 10,
    "density_g_ml": 1.03,
}


def write(tmp_path: Path, data: Any, name: str = "plan.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["sirt", *args, "--json"]) == 0
    out = capsys.readouterr().out
    data: dict[str, Any] = json.loads(out)
    return data


def test_json_output_follows_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, write(tmp_path, B9))
    assert data["format"] == "nenliver/sirt-result@1"
    assert data["injected_activity_gbq"] == pytest.approx(3.22573429076, rel=1e-10)
    assert data["doses_gy"]["lung"] == pytest.approx(16.0222, abs=1e-4)
    assert data["software_version"] == __version__
    assert data["notice"] == CLINICIAN_REVIEW_NOTICE
    assert data["treatable"] is False  # normal liver 100 Gy > 75 Gy (glass, EANM 2022)


def test_json_plan_file_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(B9), encoding="utf-8")
    assert run_json(capsys, str(path))["method"] == "partition"


def test_maximise_flag_runs_inverse_planning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, write(tmp_path, B9), "--maximise")
    assert data["limiting_constraint"] == "normal-liver"
    assert data["doses_gy"]["normal_liver"] == pytest.approx(75.0)
    assert data["inverse"]["tumour_threshold_status"] == "pass"
    assert data["treatable"] is True


def test_maximise_in_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, write(tmp_path, dict(B9, target={"maximise": "tumour"})))
    assert data["limiting_constraint"] == "normal-liver"


def test_terminal_view_shows_inputs_formulas_checks_and_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sirt", write(tmp_path, B9)]) == 0
    out = capsys.readouterr().out
    assert "Inputs" in out
    assert "tumour_to_normal_ratio" in out
    assert "A = (D_T/(T/N))" in out
    assert "D_L = C·A·F/M_L" in out
    assert "[FAIL] normal-liver" in out
    assert "[PASS] lung-single" in out
    assert "source:" in out
    assert "doi:10.1007/s00259-021-05600-z" in out
    assert out.count(CLINICIAN_REVIEW_NOTICE) == 1
    assert f"nenliver {__version__}" in out


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_run(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, str(example))
    assert data["injected_activity_gbq"] > 0
    assert data["treatable"] is True


def test_examples_exist() -> None:
    assert len(list(EXAMPLES.glob("*.yaml"))) >= 3


INVALID = [
    ("negative volume", {"tumour_volume_ml": -10}, "tumour_volume_ml", "[0, 10000] mL"),
    ("shunt of 100 %", {"lung_shunt_fraction_percent": 100}, "lung_shunt_fraction_percent", "[0, 100)"),
    ("T/N of zero", {"tumour_to_normal_ratio": 0}, "tumour_to_normal_ratio", "(0, 1000]"),
    ("negative T/N", {"tumour_to_normal_ratio": -2}, "tumour_to_normal_ratio", "(0, 1000]"),
    (
        "BSA with glass",
        {"method": "bsa", "target": None, "patient": {"height_cm": 175, "weight_kg": 75}},
        "method",
        "resin",
    ),
    ("unknown convention", {"convention": "eanm_2011"}, "convention", "eanm_2022"),
    ("misspelled field", {"tumor_to_normal_ratio": 3}, "tumor_to_normal_ratio", "tumour_to_normal_ratio"),
    ("misspelled nested field", {"target": {"compartment": "tumour", "dose": 300}}, "target.dose", "dose_gy"),
    (
        "unknown compartment",
        {"target": {"compartment": "lung", "dose_gy": 30}},
        "target.compartment",
        "tumour",
    ),
]


@pytest.mark.parametrize(("case", "change", "path", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_plans_exit_2_naming_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: dict[str, Any],
    path: str,
    expected: str,
) -> None:
    data = {**B9, **change}
    data = {k: v for k, v in data.items() if v is not None}
    plan = write(tmp_path, data)
    assert main(["sirt", plan, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing partially written
    assert "Traceback" not in captured.err
    assert plan in captured.err
    assert f"{path}:" in captured.err
    assert expected in captured.err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sirt", str(tmp_path / "absent.yaml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot read" in captured.err


def test_broken_yaml_exits_2_with_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("device: glass\nmethod: [partition\n", encoding="utf-8")
    assert main(["sirt", str(path)]) == 2
    assert "line" in capsys.readouterr().err


def test_maximise_refused_for_single_compartment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = {
        "device": "glass",
        "method": "mird_single",
        "target": {"compartment": "perfused", "dose_gy": 120},
        "perfused_volume_ml": 1000,
        "lung_shunt_fraction_percent": 5,
    }
    assert main(["sirt", write(tmp_path, plan), "--maximise"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "method:" in captured.err
