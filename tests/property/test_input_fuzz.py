"""Fuzzing every input format through the command line, and file versus code construction.

Oracle of the fuzz tests: a mutated case or SIRT plan either plans (exit 0, strict JSON with no
NaN or infinity) or is refused (exit 2, a message naming a field). Nothing else: no internal
error, no traceback. Mutations replace, delete or add values anywhere in a valid document with
hostile scalars (NaN, infinity, booleans, huge numbers, text, dates, lists, mappings).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from nenliver.case import Case, load_case
from nenliver.cli.main import main
from nenliver.errors import CaseValidationError

# A bounded number under CI; NENLIVER_FUZZ_EXAMPLES=5000 for a longer local hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("NENLIVER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -0.0, 1e-300, 2**63]),
    st.text(max_size=12),
    st.sampled_from(["2021-02-30", "2021-06-01", "1900-01-01", "2999-01-01", "2026-03-12T90:00:00+01:00", ".nan"]),
    st.dates().map(str),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from(["value", "unit", "x"]), st.one_of(st.floats(), st.text(max_size=6)), max_size=2),
)

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


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a document (mappings and lists), leaves and inner nodes."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, bases: list[dict[str, Any]]) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        kind = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        last = path[-1]
        if kind == "replace":
            parent[last] = draw(HOSTILE)
        elif kind == "delete" and isinstance(parent, dict):
            parent.pop(last, None)
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "ki67", "value", "unit", "lesion_count"]))] = draw(HOSTILE)
        if not _paths(doc):
            break
    return doc


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
