"""Fuzzing every input format through the command line, and file versus code construction.

Oracle of the fuzz tests: a mutated case or SIRT plan either plans (exit 0, strict JSON with no
NaN or infinity) or is refused (exit 2, a message naming a field). Nothing else: no internal
error, no traceback. Mutations replace, delete or add values anywhere in a valid document with
hostile scalars (NaN, infinity, booleans, huge numbers, text, dates, lists, mappings).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from nenliver.case import Case, load_case
from nenliver.cli.main import main
from nenliver.errors import CaseValidationError
from support.fuzz import FUZZ, mutated

SIRT_PLANS: list[dict[str, Any]] = [
    {
        "format": "nenliver/sirt@1",
        "device": "glass",
        "method": "partition",
        "target": {"maximise": "tumour"},
        "tumour_volume_ml": 200,
        "normal_volume_ml": 800,
        "tumour_to_normal_ratio": 3,
        "lung_shunt_fraction_percent": 10,
        "prior_lung_dose_gy": 10,
        "treatment_time": "2026-03-12T10:00:00+01:00",
        "calibration_time": "2026-03-10T12:00:00-05:00",
    },
    {
        "format": "nenliver/sirt@1",
        "device": "resin",
        "method": "bsa",
        "patient": {"height_cm": 175, "weight_kg": 75},
        "tumour_volume_ml": 250,
        "normal_volume_ml": 1250,
        "lung_shunt_fraction_percent": 12,
        "perfused_fraction_of_liver": 0.6,
    },
    {
        "format": "nenliver/sirt@1",
        "device": "holmium",
        "method": "mird_single",
        "target": {"compartment": "perfused", "dose_gy": 60},
        "perfused_volume_ml": 1500,
        "lung_shunt_fraction_percent": 4,
        "maa_time": "2026-03-01T10:00:00+01:00",
        "treatment_time": "2026-03-12T10:00:00+01:00",
        "calibration_time": "2026-03-12T08:00:00+01:00",
    },
]


def _write(doc: dict[str, Any], folder: Path, as_json: bool) -> Path:
    if as_json:
        target = folder / "input.json"
        target.write_text(json.dumps(doc, default=str), encoding="utf-8")
    else:
        target = folder / "input.yaml"
        target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return target


def _no_nan(constant: str) -> None:
    raise AssertionError(f"output holds {constant}, which is not JSON")


def _check_oracle(code: int, out: str, err: str) -> None:
    if code == 0:
        json.loads(out, parse_constant=_no_nan)
        return
    assert code == 2, f"exit {code}: {err}"
    assert "invalid input" in err and "\n  - " in err, err
    assert "internal error" not in err and "Traceback" not in err


def _bases(make_case: Any) -> list[dict[str, Any]]:
    fig5 = yaml.safe_load(Path("examples/cases/fig5-sirt-workup.yaml").read_text(encoding="utf-8"))
    return [make_case(), fig5]


@FUZZ
@given(data=st.data(), as_json=st.booleans())
def test_fuzzed_cases_plan_or_are_refused_naming_a_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_case: Any, data: st.DataObject, as_json: bool
) -> None:
    doc = data.draw(mutated(_bases(make_case)))
    code = main(["plan", str(_write(doc, tmp_path, as_json)), "--json"])
    out, err = capsys.readouterr()
    _check_oracle(code, out, err)


@FUZZ
@given(data=st.data(), as_json=st.booleans(), maximise=st.booleans())
def test_fuzzed_sirt_plans_compute_or_are_refused_naming_a_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject, as_json: bool, maximise: bool
) -> None:
    doc = data.draw(mutated(SIRT_PLANS))
    argv = ["sirt", str(_write(doc, tmp_path, as_json)), "--json", *(["--maximise"] if maximise else [])]
    code = main(argv)
    out, err = capsys.readouterr()
    _check_oracle(code, out, err)


@FUZZ
@given(data=st.data(), as_json=st.booleans())
def test_a_case_built_in_code_and_from_a_file_are_judged_alike(
    tmp_path: Path, make_case: Any, data: st.DataObject, as_json: bool
) -> None:
    """Validation lives in the model: the file reader adds nothing but the document limits."""
    doc = data.draw(mutated(_bases(make_case)))
    try:
        in_code: Case | None = Case.model_validate(doc)
    except ValidationError:
        in_code = None
    try:
        from_file: Case | None = load_case(_write(doc, tmp_path, as_json))
    except CaseValidationError:
        from_file = None
    assert (in_code is None) == (from_file is None)
    if in_code is not None and from_file is not None:
        assert in_code.model_dump() == from_file.model_dump()


def _prrt_bases() -> list[dict[str, Any]]:
    folder = Path("examples/prrt")
    images = {
        "format": "nenliver/prrt@1",
        "injected_activity_mbq": 7400,
        "administered_at": "2026-03-12T10:00:00+01:00",
        "images": [
            {"spect": "day1.nii.gz", "time": "2026-03-13T10:00:00+01:00"},
            {"spect": "day4.nii.gz", "time_h": 96},
        ],
        "masks": {"kidney_left": "kl.nii.gz"},
        "organs": {"kidney_left": {"role": "kidney", "recovery_coefficient": 0.8}},
        "calibration_mbq_per_count": 0.108,
    }
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))] + [images]


@FUZZ
@given(data=st.data(), as_json=st.booleans())
def test_fuzzed_prrt_plans_compute_or_are_refused_naming_a_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject, as_json: bool
) -> None:
    doc = data.draw(mutated(_prrt_bases()))
    code = main(["prrt", str(_write(doc, tmp_path, as_json)), "--json"])
    out, err = capsys.readouterr()
    _check_oracle(code, out, err)
