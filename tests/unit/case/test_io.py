"""Case loading: unit conversion at the boundary and errors that name the field path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nenliver.case import case_from_data, case_json_schema, load_case
from nenliver.errors import CaseValidationError


def _error(data: dict) -> str:
    with pytest.raises(CaseValidationError) as info:
        case_from_data(data, "case.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("lab", "raw", "expected"),
    [
        ("bilirubin", {"value": 51.3, "unit": "umol/L"}, 3.0),  # 3 mg/dL = 51.3 umol/L (x 17.1)
        ("bilirubin", {"value": 34.2, "unit": "µmol/L"}, 2.0),
        ("albumin", {"value": 35, "unit": "g/L"}, 3.5),
        ("haemoglobin", {"value": 130, "unit": "g/L"}, 13.0),
        ("haemoglobin", {"value": 6.206, "unit": "mmol/L"}, 10.0),  # g/dL x 0.6206 = mmol/L
        ("creatinine", {"value": 88.4, "unit": "umol/L"}, 1.0),
        ("platelets", {"value": 150, "unit": "G/L"}, 150.0),
        ("bilirubin", 1.2, 1.2),  # a bare number is in the canonical unit
    ],
)
def test_lab_units_convert_to_canonical(make_case, lab, raw, expected):
    case = case_from_data(make_case(**{f"labs.{lab}": raw}))
    assert getattr(case.labs, lab) == pytest.approx(expected, rel=1e-9)


def test_unknown_unit_names_field_and_allowed_units(make_case):
    text = _error(make_case(**{"labs.bilirubin": {"value": 3, "unit": "mg/L"}}))
    assert "labs.bilirubin" in text and "mg/L" in text and "umol/L" in text


def test_misspelled_field_suggests_the_closest_name(make_case):
    data = make_case()
    data["liver"]["lesions"][1]["diamter_mm"] = data["liver"]["lesions"][1].pop("diameter_mm")
    text = _error(data)
    assert "liver.lesions[1].diamter_mm" in text and "diameter_mm" in text


def test_negative_diameter_is_out_of_range_with_path(make_case):
    text = _error(make_case(**{"liver.lesions.1.diameter_mm": -5}))
    assert "liver.lesions[1].diameter_mm" in text and "out of range" in text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("tumour.ki67_percent", 150),
        ("sirt_workup", {"lung_shunt_fraction_percent": 100}),
        ("patient.ecog", 5),
        ("imaging.sstr_pet.krenning_score", 7),
    ],
)
def test_physically_impossible_values_are_rejected(make_case, path, value):
    text = _error(make_case(**{path: value}))
    assert path.split(".")[0] in text


def test_wrong_enum_value_lists_the_allowed_ones(make_case):
    text = _error(make_case(**{"tumour.primary_site": "ileum"}))
    assert "tumour.primary_site" in text and "small_intestine" in text


def test_tumour_volume_must_be_inside_liver_volume(make_case):
    text = _error(make_case(sirt_workup={"liver_volume_ml": 1000, "tumour_volume_ml": 1200}))
    assert "tumour_volume_ml" in text


def test_wrong_format_is_rejected(make_case):
    assert "format" in _error(make_case(format="nenliver/case@2"))


def test_absent_means_unknown_not_no():
    case = case_from_data({"format": "nenliver/case@1", "id": "bare"})
    assert case.history.ascites is None and case.labs.bilirubin is None and case.sirt_workup is None


def test_malformed_yaml_reports_the_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("format: nenliver/case@1\nid: [unclosed\n")
    with pytest.raises(CaseValidationError) as info:
        load_case(path)
    assert "line" in str(info.value) and "bad.yaml" in str(info.value)


def test_json_and_yaml_load_the_same(tmp_path: Path, make_case):
    data = make_case()
    (tmp_path / "c.json").write_text(json.dumps(data))
    assert load_case(tmp_path / "c.json") == case_from_data(data)


def test_missing_file_is_an_input_error(tmp_path: Path):
    with pytest.raises(CaseValidationError, match="cannot read"):
        load_case(tmp_path / "nope.yaml")


def test_schema_lists_the_contract_fields():
    schema = case_json_schema()
    props = schema["properties"]
    assert {"format", "id", "patient", "tumour", "liver", "labs", "history", "sirt_workup"} <= set(props)
