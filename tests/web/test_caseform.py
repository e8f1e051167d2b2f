"""The case form: generated from the model, and a case survives the trip through it unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nenliver._parsing import load_document
from nenliver.case import Case, case_from_data
from nenliver.errors import CaseValidationError, Problem
from nenliver.web import caseform

EXAMPLES = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "examples" / "cases").glob("*.yaml") if p.stem != "expected"
)


def _leaves(schema: dict[str, Any], node: dict[str, Any], prefix: str) -> set[str]:
    """Every leaf path of the case JSON Schema (list items as ``[#]``)."""
    found = set()
    for name, prop in node.get("properties", {}).items():
        variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
        first = variants[0] if variants else prop
        ref = first.get("$ref") or (first.get("items", {}).get("$ref") if first.get("type") == "array" else None)
        if ref:
            target = schema["$defs"][ref.rsplit("/", 1)[1]]
            suffix = "[#]." if first.get("type") == "array" else "."
            found |= _leaves(schema, target, f"{prefix}{name}{suffix}")
        else:
            found.add(f"{prefix}{name}")
    return found


def test_the_form_has_an_input_for_every_field_of_the_case_format():
    schema = Case.model_json_schema()
    expected = _leaves(schema, schema, "") - {"format"}
    shown = {f.path for section in caseform.form_sections() for f in section.fields}
    shown |= {c.path for section in caseform.form_sections() for _, _, cols in section.tables for c in cols}
    assert shown == expected


def _as_form(doc: dict[str, Any]) -> dict[str, list[str]]:
    values, _ = caseform.values_from_document(doc)
    return {k: (v if isinstance(v, list) else [v]) for k, v in values.items()}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_example_case_survives_the_form_unchanged(path):
    doc = load_document(path, CaseValidationError, "case")
    rebuilt, _ = caseform.document_from_form(_as_form(doc))
    assert case_from_data(rebuilt).model_dump() == case_from_data(doc).model_dump()


def test_the_shared_base_case_survives_the_form(make_case):
    doc = make_case()
    rebuilt, _ = caseform.document_from_form(_as_form(doc))
    assert case_from_data(rebuilt).model_dump() == case_from_data(doc).model_dump()


def test_blank_means_unknown_and_blank_rows_are_dropped():
    form = {
        "id": ["x"],
        "history.ascites": [""],
        "history.portal_vein_thrombosis": ["no"],
        "liver.lesions[0].id": [""],
        "liver.lesions[1].id": ["L7"],
        "liver.lesions[1].diameter_mm": ["12.5"],
        "liver.lesions[1].visible_on": ["us", "mri"],
        "labs.bilirubin": ["20"],
        "labs.bilirubin@unit": ["umol/L"],
        "labs.albumin": ["4"],
        "labs.albumin@unit": ["g/dL"],
    }
    doc, maps = caseform.document_from_form(form)
    assert doc["history"] == {"portal_vein_thrombosis": False}  # blank ascites stays unknown, not "no"
    assert doc["liver"]["lesions"] == [{"id": "L7", "diameter_mm": 12.5, "visible_on": ["us", "mri"]}]
    assert doc["labs"] == {"bilirubin": {"value": 20.0, "unit": "umol/L"}, "albumin": 4.0}
    assert maps == {"liver.lesions": {0: 1}}


def test_an_empty_list_is_known_to_be_empty_not_unknown():
    doc, _ = caseform.document_from_form(
        {
            "id": ["x"],
            "history.prior_treatments@none": ["yes"],
            "liver.lesions[0].id": ["L1"],
            "liver.lesions[0].visible_on": ["__none__"],
        }
    )
    assert doc["history"]["prior_treatments"] == [] and doc["liver"]["lesions"][0]["visible_on"] == []
    blank, _ = caseform.document_from_form({"id": ["x"], "liver.lesions[0].id": ["L1"]})
    assert "history" not in blank and "visible_on" not in blank["liver"]["lesions"][0]


def test_text_in_a_number_field_reaches_the_model_and_its_error_comes_back_beside_the_input():
    doc, maps = caseform.document_from_form(
        {"id": ["x"], "liver.lesions[2].id": ["L1"], "liver.lesions[2].diameter_mm": ["1,5"]}
    )
    with pytest.raises(CaseValidationError) as caught:
        case_from_data(doc)
    by_field, general = caseform.field_errors(caught.value.problems, maps)
    assert list(by_field) == ["liver.lesions[2].diameter_mm"] and not general


def test_a_problem_without_an_input_is_listed_on_its_own():
    by_field, general = caseform.field_errors([Problem("liver", "lesion_count 1 is below the 2 lesions listed", None)])
    assert not by_field and general == ["liver: lesion_count 1 is below the 2 lesions listed"]


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("age_years", "Age (years)"),
        ("ki67_percent", "Ki-67 (%)"),
        ("sirt_lung_dose_gy_cumulative", "SIRT lung dose (Gy, cumulative)"),
    ],
)
def test_labels_carry_the_unit_of_the_field_name(name, label):
    assert caseform.humanise(name) == label
