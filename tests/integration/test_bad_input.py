"""Bad input never changes a decision: every case is refused (exit 2) naming its field, or flagged.

One row per defect found by hand and by fuzzing (NaN that cleared contraindications, impossible
dates, information from the future, unit slips, YAML abuse, 1970 timestamps, absurd decay). The
message must name the exact field path (or, for a document-level refusal, say what was refused).
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from nenliver.case import load_case
from nenliver.cli.main import main
from nenliver.errors import CaseValidationError

SIRT_PLAN: dict[str, Any] = {
    "format": "nenliver/sirt@1",
    "device": "glass",
    "method": "partition",
    "target": {"compartment": "tumour", "dose_gy": 150},
    "tumour_volume_ml": 200,
    "normal_volume_ml": 800,
    "tumour_to_normal_ratio": 3,
    "lung_shunt_fraction_percent": 10,
    "treatment_time": "2026-03-12T10:00:00+01:00",
    "calibration_time": "2026-03-10T12:00:00-05:00",
}
BSA_PLAN: dict[str, Any] = {
    "format": "nenliver/sirt@1",
    "device": "resin",
    "method": "bsa",
    "patient": {"height_cm": 175, "weight_kg": 75},
    "tumour_volume_ml": 250,
    "normal_volume_ml": 1250,
    "lung_shunt_fraction_percent": 5,
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# (id, case changes, exact field path in the message, words of the message)
CASE_ROWS = [
    ("nan bilirubin", {"labs.bilirubin": float("nan")}, "labs.bilirubin", "finite"),
    (
        "nan bilirubin with unit",
        {"labs.bilirubin": {"value": float("nan"), "unit": "umol/L"}},
        "labs.bilirubin",
        "finite",
    ),
    ("inf ki67", {"tumour.ki67_percent": float("inf")}, "tumour.ki67_percent", "finite"),
    ("nan ki67", {"tumour.ki67_percent": float("nan")}, "tumour.ki67_percent", "finite"),
    ("nan age", {"patient.age_years": float("nan")}, "patient.age_years", "finite"),
    (
        "nan shunt",
        {"sirt_workup": {"lung_shunt_fraction_percent": float("nan")}},
        "sirt_workup.lung_shunt_fraction_percent",
        "finite",
    ),
    ("ecog 9", {"patient.ecog": 9}, "patient.ecog", "[0, 4]"),
    ("ecog true", {"patient.ecog": True}, "patient.ecog", "whole number"),
    ("ki67 as text", {"tumour.ki67_percent": "12"}, "tumour.ki67_percent", "a number"),
    ("height in metres", {"patient.height_cm": 1.75}, "patient.height_cm", "did you mean 175 cm"),
    ("weight in grams", {"patient.weight_kg": 65000}, "patient.weight_kg", "did you mean 65 kg"),
    ("impossible date", {"decision_date": "2021-02-30"}, "decision_date", "YYYY-MM-DD"),
    ("date as number", {"decision_date": 20210601}, "decision_date", "ISO"),
    ("born after the decision", {"patient.birth_date": "2022-01-01"}, "patient.birth_date", "after the decision date"),
    ("labs from the future", {"labs.date": "2021-07-01"}, "labs.date", "after the decision date"),
    (
        "MAA from the future",
        {"sirt_workup": {"maa_date": "2021-06-02", "lung_shunt_fraction_percent": 5}},
        "sirt_workup.maa_date",
        "after the decision date",
    ),
    (
        "treatment from the future",
        {"history.prior_treatments": [{"kind": "tace", "date": "2022-01-01"}]},
        "history.prior_treatments[0].date",
        "after the decision date",
    ),
    ("lesion count below the list", {"liver.lesion_count": 1}, "liver.lesion_count", "below the 2 lesions listed"),
    (
        "prior cycles out of range",
        {"history.prior_treatments": [{"kind": "prrt", "cycles": 400}]},
        "history.prior_treatments[0].cycles",
        "out of range",
    ),
]


@pytest.mark.parametrize(("changes", "path", "words"), [r[1:] for r in CASE_ROWS], ids=[r[0] for r in CASE_ROWS])
def test_bad_case_values_exit_2_naming_the_field(
    make_case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], path: str, words: str
) -> None:
    target = tmp_path / "case.yaml"
    target.write_text(yaml.safe_dump(make_case(**changes)), encoding="utf-8")
    code, out, err = _run(capsys, "plan", str(target), "--json")
    assert code == 2, err
    assert out == ""
    assert f"  - {path}: " in err, err
    assert words in err, err
    assert "internal error" not in err


# (id, document text, words of the message)
DOCUMENT_ROWS = [
    (
        "duplicate key",
        "format: nenliver/case@1\nid: x\ntumour:\n  ki67_percent: 1\n  ki67_percent: 45\n",
        "duplicate key 'ki67_percent'",
    ),
    ("alias", "format: nenliver/case@1\nid: &a x\npatient: {sex: *a}\n", "anchors and aliases"),
    ("huge integer", "format: nenliver/case@1\nid: x\npatient: {ecog: " + "9" * 5000 + "}\n", "cannot be read"),
    ("deep nesting", "format: nenliver/case@1\nid: x\nliver: " + "[" * 200 + "]" * 200 + "\n", "nesting deeper"),
    ("syntax", "format: nenliver/case@1\nid: [x\n", "not valid YAML/JSON at line 3"),
    ("not a mapping", "- 1\n- 2\n", "top level is list"),
]


@pytest.mark.parametrize(("text", "words"), [r[1:] for r in DOCUMENT_ROWS], ids=[r[0] for r in DOCUMENT_ROWS])
def test_abusive_documents_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str) -> None:
    target = tmp_path / "case.yaml"
    target.write_text(text, encoding="utf-8")
    code, _, err = _run(capsys, "plan", str(target))
    assert code == 2, err
    assert words in err, err


def test_non_utf8_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "case.yaml"
    target.write_bytes(b"format: nenliver/case@1\nid: caf\xe9\n")
    code, _, err = _run(capsys, "plan", str(target))
    assert code == 2
    assert "not UTF-8" in err


def test_json_duplicate_keys_and_nan_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "case.json"
    target.write_text('{"format": "nenliver/case@1", "id": "x", "id": "y"}', encoding="utf-8")
    assert _run(capsys, "plan", str(target))[0] == 2
    target.write_text('{"format": "nenliver/case@1", "id": "x", "labs": {"bilirubin": NaN}}', encoding="utf-8")
    code, _, err = _run(capsys, "plan", str(target))
    assert code == 2 and "labs.bilirubin" in err


BILLION_LAUGHS = "\n".join(
    [
        "format: nenliver/case@1",
        "id: bomb",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "patient: {sex: *i}",
    ]
)


def test_alias_bomb_is_refused_quickly_in_little_memory(tmp_path: Path) -> None:
    """The 3 KB billion-laughs document took over a minute and 6 GB; now a bound of 2 s and 20 MB."""
    target = tmp_path / "bomb.yaml"
    target.write_text(BILLION_LAUGHS, encoding="utf-8")
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(CaseValidationError, match="anchors and aliases"):
        load_case(target)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 20_000_000


def test_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    target = tmp_path / "big.yaml"
    target.write_text("format: nenliver/case@1\nid: x\n" + "# padding\n" * 200_000, encoding="utf-8")
    tracemalloc.start()
    with pytest.raises(CaseValidationError, match="byte limit"):
        load_case(target)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000  # the 2 MB file was never loaded


def test_long_bad_values_are_echoed_as_a_short_excerpt(
    make_case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "case.yaml"
    target.write_text(yaml.safe_dump(make_case(**{"patient.sex": "x" * 100_000})), encoding="utf-8")
    code, _, err = _run(capsys, "plan", str(target))
    assert code == 2
    assert "patient.sex" in err and len(err) < 2_000


# (id, plan, changes, exact field path, words)
SIRT_ROWS = [
    ("integer treatment time", SIRT_PLAN, {"treatment_time": 20260312}, "treatment_time", "ISO 8601"),
    ("float treatment time", SIRT_PLAN, {"treatment_time": 1.0e-300}, "treatment_time", "ISO 8601"),
    ("integer calibration time", SIRT_PLAN, {"calibration_time": 20210601}, "calibration_time", "ISO 8601"),
    ("hour 90", SIRT_PLAN, {"treatment_time": "2026-03-12T90:00:00+01:00"}, "treatment_time", "offset"),
    (
        "calibration a year before",
        SIRT_PLAN,
        {"calibration_time": "2025-03-10T12:00:00-05:00"},
        "treatment_time",
        "half-lives",
    ),
    ("time without offset", SIRT_PLAN, {"treatment_time": "2026-03-12T10:00:00"}, "treatment_time", "offset"),
    ("nan shunt", SIRT_PLAN, {"lung_shunt_fraction_percent": float("nan")}, "lung_shunt_fraction_percent", "finite"),
    ("density in kg/m3", SIRT_PLAN, {"density_g_ml": 1030}, "density_g_ml", "did you mean 1.03 g/mL"),
    ("lung mass zero", SIRT_PLAN, {"lung_mass_kg": 0}, "lung_mass_kg", "out of range"),
    ("boolean volume", SIRT_PLAN, {"tumour_volume_ml": True}, "tumour_volume_ml", "a number"),
    (
        "height in metres",
        BSA_PLAN,
        {"patient": {"height_cm": 1.75, "weight_kg": 75}},
        "patient.height_cm",
        "did you mean 175 cm",
    ),
    (
        "BSA below the offset",
        BSA_PLAN,
        {"patient": {"height_cm": 30, "weight_kg": 1}, "tumour_volume_ml": 0},
        "patient",
        "no BSA activity",
    ),
]


@pytest.mark.parametrize(
    ("plan", "changes", "path", "words"), [r[1:] for r in SIRT_ROWS], ids=[r[0] for r in SIRT_ROWS]
)
def test_bad_sirt_plans_exit_2_naming_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    plan: dict[str, Any],
    changes: dict[str, Any],
    path: str,
    words: str,
) -> None:
    target = tmp_path / "plan.yaml"
    target.write_text(yaml.safe_dump({**plan, **changes}), encoding="utf-8")
    code, out, err = _run(capsys, "sirt", str(target), "--json")
    assert code == 2, err
    assert out == ""
    assert f"  - {path}: " in err, err
    assert words in err, err


def test_a_spent_lung_allowance_with_maximise_is_not_treatable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fuzz crash 4: --maximise with a large prior lung dose divided by zero choosing a vial."""
    target = tmp_path / "plan.yaml"
    target.write_text(yaml.safe_dump({**SIRT_PLAN, "prior_lung_dose_gy": 80}), encoding="utf-8")
    code, out, _ = _run(capsys, "sirt", str(target), "--json", "--maximise")
    assert code == 0
    result = json.loads(out)
    assert result["treatable"] is False and result["injected_activity_gbq"] == 0.0


@pytest.mark.parametrize(
    ("changes", "path", "value"),
    [
        ({"labs.albumin": {"value": 4.0, "unit": "g/L"}}, "labs.albumin", "4 g/L"),
        ({"labs.bilirubin": {"value": 0.8, "unit": "umol/L"}}, "labs.bilirubin", "0.8 umol/L"),
        ({"sirt_workup": {"lung_shunt_fraction_percent": 0.25}}, "sirt_workup.lung_shunt_fraction_percent", "0.25 %"),
    ],
)
def test_unit_slips_inside_the_range_are_flagged_beside_the_value(
    make_case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], path: str, value: str
) -> None:
    target = tmp_path / "case.yaml"
    target.write_text(yaml.safe_dump(make_case(**changes)), encoding="utf-8")
    code, out, _ = _run(capsys, "plan", str(target), "--json")
    assert code == 0
    warnings = {w["path"]: w for w in json.loads(out)["input_warnings"]}
    assert warnings[path]["value"] == value
    code, out, _ = _run(capsys, "plan", str(target))
    assert f"check {path} = {value}" in out


def test_count_from_the_listed_lesions_is_said(
    make_case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "case.yaml"
    target.write_text(yaml.safe_dump(make_case()), encoding="utf-8")
    _, out, _ = _run(capsys, "plan", str(target), "--json")
    warning = next(w for w in json.loads(out)["input_warnings"] if w["path"] == "liver.lesion_count")
    assert "the 2 listed lesion(s)" in warning["message"]


def test_terminal_escape_sequences_in_ids_are_neutralised(
    make_case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "case.yaml"
    target.write_text(yaml.safe_dump(make_case(id="evil\x1b]0;owned\x07\x1b[2J")), encoding="utf-8")
    code, out, _ = _run(capsys, "plan", str(target), "--no-colour")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\x1b]0;owned\\x07" in out


@pytest.mark.parametrize("option", ["--html", "--pdf"])
def test_report_paths_that_are_folders_exit_2(
    make_case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    target = tmp_path / "case.yaml"
    target.write_text(yaml.safe_dump(make_case()), encoding="utf-8")
    code, _, err = _run(capsys, "plan", str(target), option, str(tmp_path))
    assert code == 2
    assert f"{option}: {tmp_path} is a folder" in err
