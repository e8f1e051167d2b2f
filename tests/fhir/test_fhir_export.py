"""FHIR export: the bundle is valid R4(B), and the plan becomes GuidanceResponse, CarePlan, Provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nenliver.case import case_from_data, load_case
from nenliver.cli.main import main
from nenliver.fhir.exporter import bundle_from_case, validate_bundle
from nenliver.fhir.terminology import terminology
from nenliver.service import plan_case

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_plan_with_missing_inputs_is_data_required_with_a_requirement_per_input(make_case):
    case = case_from_data(make_case(**{"labs.bilirubin": None, "tumour.ki67_percent": None}))
    plan = plan_case(case)
    bundle = bundle_from_case(case, plan, recorded="2026-01-05T10:00:00Z")
    (guidance,) = _resources(bundle, "GuidanceResponse")
    assert guidance["status"] == "data-required"
    wanted = {
        (f["code"][0]["system"], f["code"][0]["code"]) for r in guidance["dataRequirement"] for f in r["codeFilter"]
    }
    assert ("http://loinc.org", "1975-2") in wanted and ("http://loinc.org", "29593-1") in wanted
    assert guidance["occurrenceDateTime"] == case.decision_date.isoformat()


def test_a_complete_plan_is_success_and_its_careplan_proposes_the_indicated_options():
    case = load_case(EXAMPLES / "fig5-sirt-workup.yaml")
    plan = plan_case(case)
    bundle = bundle_from_case(case, plan, recorded="2026-01-05T10:00:00Z")
    (guidance,) = _resources(bundle, "GuidanceResponse")
    (careplan,) = _resources(bundle, "CarePlan")
    (provenance,) = _resources(bundle, "Provenance")
    (device,) = _resources(bundle, "Device")
    assert guidance["status"] == "success"
    assert careplan["intent"] == "proposal" and careplan["status"] == "draft"
    proposed = [a["detail"]["code"]["coding"][0]["code"] for a in careplan["activity"]]
    assert proposed == [o.therapy.value for o in plan.options if o.status.value == "indicated"]
    urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in bundle["entry"]}
    assert {t["reference"] for t in provenance["target"]} == {urls["GuidanceResponse"], urls["CarePlan"]}
    assert provenance["agent"][0]["who"]["reference"] == urls["Device"]
    versions = {v["type"]["text"].split(" ")[0]: v["value"] for v in device["version"]}
    assert versions == {"software": plan.software.version, "knowledge": plan.knowledge_base.version}
    assert "For clinician review" in guidance["note"][0]["text"]


def test_the_same_case_exports_the_same_bundle():
    case = load_case(EXAMPLES / "heat-sink-mwa.yaml")
    assert bundle_from_case(case) == bundle_from_case(case)


@pytest.mark.parametrize(
    ("lab", "code"),
    [
        ("bilirubin", "1975-2"),
        ("albumin", "1751-7"),
        ("inr", "6301-6"),
        ("platelets", "777-3"),
        ("haemoglobin", "718-7"),
        ("creatinine", "2160-0"),
        ("creatinine_clearance", "98979-8"),
    ],
)
def test_lab_codes_are_pinned(lab, code):
    """Public code has wrong LOINC pairs (33914-3 labelled platelets): pin each one."""
    assert terminology().lab_codes[lab][0].code == code


def test_validation_rejects_what_fhir_rejects():
    with pytest.raises(ValueError, match="status"):
        validate_bundle(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Observation", "code": {"text": "x"}}}],
            }
        )


def test_cli_export_then_import_round_trips(tmp_path: Path, capsys):
    source = EXAMPLES / "central-lesion-ire.yaml"
    assert main(["fhir", "export", str(source), "--plan"]) == 0
    bundle = tmp_path / "bundle.json"
    bundle.write_text(capsys.readouterr().out, encoding="utf-8")
    assert json.loads(bundle.read_text())["resourceType"] == "Bundle"
    assert main(["fhir", "import", str(bundle)]) == 0
    out, err = capsys.readouterr()
    imported = tmp_path / "case.yaml"
    imported.write_text(out, encoding="utf-8")
    assert load_case(imported).model_dump() == load_case(source).model_dump()
    assert "the output of a plan" in err  # listed, not dropped silently


def test_cli_import_refuses_a_bad_date_and_a_bad_bundle(tmp_path: Path, capsys):
    bundle = tmp_path / "b.json"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}', encoding="utf-8")
    assert main(["fhir", "import", str(bundle), "--decision-date", "2026-02-30"]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert main(["fhir", "import", str(bundle)]) == 2
    assert "exactly one Patient" in capsys.readouterr().err
    bundle.write_text('{"resourceType": "Bundle", "resourceType": "Bundle"}', encoding="utf-8")
    assert main(["fhir", "import", str(bundle)]) == 2
    assert "duplicate" in capsys.readouterr().err
