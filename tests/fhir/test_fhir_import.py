"""FHIR import: real-world bundle shapes, units, dates, references, and what is not mapped."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from nenliver._parsing import load_document
from nenliver.case import case_from_data
from nenliver.errors import CaseValidationError
from nenliver.fhir.exporter import bundle_from_case
from nenliver.fhir.importer import FhirInputError, case_from_bundle

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ITEM = "https://nenliver.org/fhir/CodeSystem/case-item"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
SERVER = "https://ehr.example.org/fhir"
DECISION = dt.date(2026, 3, 10)
EXAMPLES = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "examples" / "cases").glob("*.yaml") if p.stem != "expected"
)


def _lab(url: str, loinc: str, value: float, ucum: str, when: str, patient: str) -> dict[str, Any]:
    return {
        "fullUrl": url,
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": loinc}]},
            "subject": {"reference": patient},
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": ucum, "system": UCUM, "code": ucum},
        },
        "request": {"method": "POST", "url": "Observation"},
    }


def transaction_bundle(birth: str = "1960-03-11") -> dict[str, Any]:
    """An EHR-style transaction bundle: urn:uuid references, SI units, ECOG as its LOINC answer code."""
    patient = "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient,
                "resource": {"resourceType": "Patient", "gender": "male", "birthDate": birth},
                "request": {"method": "POST", "url": "Patient"},
            },
            _lab("urn:uuid:00000000-0000-4000-8000-000000000001", "14631-6", 17.1, "umol/L", "2026-03-01", patient),
            _lab("urn:uuid:00000000-0000-4000-8000-000000000002", "1751-7", 41.0, "g/L", "2026-03-01", patient),
            _lab("urn:uuid:00000000-0000-4000-8000-000000000003", "718-7", 8.1, "mmol/L", "2026-03-02", patient),
            _lab("urn:uuid:00000000-0000-4000-8000-000000000004", "777-3", 250, "10*3/uL", "2026-03-02", patient),
            # an older and a later bilirubin: the later one is after the decision date
            _lab("urn:uuid:00000000-0000-4000-8000-000000000005", "1975-2", 3.5, "mg/dL", "2025-01-01", patient),
            _lab("urn:uuid:00000000-0000-4000-8000-000000000006", "1975-2", 9.0, "mg/dL", "2026-04-01", patient),
            _lab("urn:uuid:00000000-0000-4000-8000-000000000007", "29593-1", 4.0, "%", "2026-02-01", patient),
            {
                "fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000008",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": LOINC, "code": "89247-1"}]},
                    "subject": {"reference": patient},
                    "effectiveDateTime": "2026-03-05",
                    "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA9623-5"}]},
                },
            },
            {
                "fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000009",
                "resource": {
                    "resourceType": "Condition",
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C7A.012"}]},
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior",
                            "valueCodeableConcept": {
                                "coding": [
                                    {"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "8240/3"}
                                ]
                            },
                        }
                    ],
                    "subject": {"reference": patient},
                },
            },
            {
                "fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000010",
                "resource": {
                    "resourceType": "Condition",
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "94381002"}]},
                    "subject": {"reference": patient},
                },
            },
            {
                "fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000011",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": LOINC, "code": "2345-7", "display": "Glucose"}]},
                    "subject": {"reference": patient},
                    "valueQuantity": {"value": 5.1, "unit": "mmol/L"},
                },
            },
        ],
    }


def test_a_transaction_bundle_with_si_units_becomes_a_case():
    result = case_from_bundle(transaction_bundle(), DECISION)
    case = result.case
    assert case.patient.sex == "male" and case.patient.age_years == 65
    assert case.labs.bilirubin == pytest.approx(1.0)  # 17.1 umol/L
    assert case.labs.entered("bilirubin") == (17.1, "umol/L")
    assert case.labs.albumin == pytest.approx(4.1) and case.labs.haemoglobin == pytest.approx(13.05, abs=0.01)
    assert case.labs.platelets == 250
    assert case.labs.date == dt.date(2026, 3, 1)  # the oldest of the labs used
    assert case.patient.ecog == 1 and case.tumour.ki67_percent == 4.0
    assert case.tumour.primary_site == "small_intestine" and case.tumour.differentiation == "well"
    assert any("after the decision date" in line and "1975-2" in line for line in result.ignored)
    assert any("older or undated" in line for line in result.ignored)
    assert any("2345-7" in line for line in result.unmapped)  # glucose: listed, never dropped silently
    assert any("liver metastases" in line for line in result.notes)


@pytest.mark.parametrize(("birth", "age"), [("1960-03-11", 65), ("1960-03-10", 66), ("1960-03-09", 66)])
def test_age_is_exact_at_the_decision_date(birth, age):
    assert case_from_bundle(transaction_bundle(birth), DECISION).case.patient.age_years == age


def test_a_partial_birth_date_leaves_the_age_unknown_and_says_so():
    bundle = transaction_bundle()
    bundle["entry"][0]["resource"]["birthDate"] = "1960"
    result = case_from_bundle(bundle, DECISION)
    assert result.case.patient.age_years is None and any("not a full date" in n for n in result.notes)


def test_a_searchset_bundle_with_server_urls_and_relative_references():
    server = SERVER
    p7 = {"resourceType": "Patient", "id": "p7", "birthDate": "1970-01-01"}
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": f"{server}/Patient/p7", "resource": p7},
            {"fullUrl": f"{server}/Patient/p8", "resource": {"resourceType": "Patient", "id": "p8"}},
        ],
    }
    with pytest.raises(FhirInputError, match="2 Patient"):
        case_from_bundle(bundle, DECISION)
    bundle["entry"].pop()
    bundle["entry"] += [
        {
            "fullUrl": f"{server}/Observation/o1",
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "89247-1"}]},
                "subject": {"reference": "Patient/p7"},
                "valueInteger": 2,
            },
        },
        {
            "fullUrl": f"{server}/Observation/o2",
            "resource": {
                "resourceType": "Observation",
                "id": "o2",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "6301-6"}]},
                "subject": {"reference": "Patient/other"},
                "valueQuantity": {"value": 3.0, "code": "1", "system": UCUM},
            },
        },
    ]
    result = case_from_bundle(bundle, DECISION)
    assert result.case.id == "fhir-p7" and result.case.patient.ecog == 2 and result.case.patient.age_years == 56
    assert result.case.labs.inr is None and any("another patient" in line for line in result.ignored)


def test_a_lab_in_a_unit_it_does_not_know_is_listed_not_converted():
    bundle = transaction_bundle()
    bundle["entry"][1]["resource"]["valueQuantity"].update({"unit": "mg/L", "code": "mg/L"})
    result = case_from_bundle(bundle, DECISION)
    assert any("unit 'mg/L' not understood" in line for line in result.unmapped)
    assert result.case.labs.bilirubin == 3.5  # the older value in a known unit is used instead


def test_refuted_and_resolved_conditions_read_as_no():
    bundle = transaction_bundle()
    patient = bundle["entry"][0]["fullUrl"]
    statements = (("history.ascites", "refuted", None), ("history.cardiac_arrhythmia", None, "resolved"))
    for code, verification, clinical in statements:
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "code": {"coding": [{"system": ITEM, "code": code}]},
            "subject": {"reference": patient},
        }
        if verification:
            resource["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": verification}]}
        if clinical:
            resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": clinical}]}
        bundle["entry"].append({"resource": resource})
    case = case_from_bundle(bundle, DECISION).case
    assert case.history.ascites is False and case.history.cardiac_arrhythmia is False
    assert case.history.portal_vein_thrombosis is None  # not stated: unknown, never "no"


@pytest.mark.parametrize(
    ("change", "word"),
    [
        (lambda b: b.update(resourceType="Patient"), "not a FHIR Bundle"),
        (lambda b: b["entry"][1]["resource"]["valueQuantity"].update(value="high"), "valueQuantity"),
        (lambda b: b["entry"][0]["resource"].update(birthDate="1960-02-30"), "birthDate"),
        (lambda b: b["entry"][1]["resource"].update(unknownField=1), "unknownField"),
    ],
)
def test_an_invalid_bundle_is_refused_with_the_path(change, word):
    bundle = transaction_bundle()
    change(bundle)
    with pytest.raises(FhirInputError, match=word):
        case_from_bundle(bundle, DECISION)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_import_of_an_export_gives_back_the_same_case(path):
    case = case_from_data(load_document(path, CaseValidationError, "case"))
    back = case_from_bundle(copy.deepcopy(bundle_from_case(case)))
    assert back.case.model_dump() == case.model_dump()
    assert back.unmapped == [] and back.ignored == []


def test_the_shared_base_case_round_trips(make_case):
    case = case_from_data(make_case())
    assert case_from_bundle(bundle_from_case(case)).case.model_dump() == case.model_dump()
