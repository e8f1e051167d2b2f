"""A case as a FHIR R4 Bundle, and a plan as GuidanceResponse, CarePlan and Provenance.

``nenliver fhir export CASE [--plan]``. The bundle (type ``collection``, stable ``urn:uuid`` full
URLs) holds:

* the Patient (gender, birth date) and the case id as the bundle's identifier;
* laboratory values as Observations with their LOINC code and UCUM unit, dated by ``labs.date``;
* Ki-67, ECOG, Karnofsky and the grade with their LOINC codes;
* yes/no facts as Conditions (verificationStatus confirmed or refuted), Procedures (completed or
  not-done), a MedicationStatement (completed or not-taken) and an AllergyIntolerance;
* prior treatments as Procedures (local ``nen-ldt-procedure`` codes) or MedicationStatements;
* one Observation per lesion, its properties as components;
* every other field as an Observation with the local ``case-item`` code of its path.

A case imported back from its export is the same case (a test checks it for every example). With
``--plan``, the bundle adds a GuidanceResponse (``success`` or ``data-required`` with a
``dataRequirement`` per missing input, warnings as ``evaluationMessage``), a CarePlan (intent
``proposal``) with one activity per indicated option, the Device that made it (software and
knowledge-base versions) and a Provenance naming it. Every bundle is validated against the FHIR
R4B models before it is returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nenliver import CLINICIAN_REVIEW_NOTICE
from nenliver.case import Case
from nenliver.fhir.terminology import terminology
from nenliver.fhir.values import codeable, reference, stable_url, write_value
from nenliver.service import Plan

__all__ = ["bundle_from_case", "validate_bundle"]

_LIST_PATHS = ("liver.lesions", "history.prior_treatments")
_PATIENT_PATHS = ("patient.sex", "patient.birth_date")


def _flatten(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in node.items():
        path = f"{prefix}{key}"
        if path in _LIST_PATHS:
            out.append((path, value))
        elif isinstance(value, dict):
            out += _flatten(value, f"{path}.")
        else:
            out.append((path, value))
    return out


class _Builder:
    def __init__(self, case: Case) -> None:
        self.case = case
        self.terms = terminology()
        self.patient_url = stable_url(case.id, "Patient")
        self.entries: list[dict[str, Any]] = []

    def add(self, key: str, resource: dict[str, Any]) -> str:
        url = stable_url(self.case.id, key)
        self.entries.append({"fullUrl": url, "resource": resource})
        return url

    def item_code(self, path: str) -> dict[str, Any]:
        return codeable(self.terms.system("item"), path)

    def observation(self, key: str, code: dict[str, Any], **fields: Any) -> str:
        resource = {
            "resourceType": "Observation",
            "status": "final",
            "code": code,
            "subject": reference(self.patient_url),
        }
        return self.add(key, {**resource, **fields})

    # -- patient and scalar facts ------------------------------------------------------------

    def patient(self) -> None:
        p = self.case.patient
        resource: dict[str, Any] = {"resourceType": "Patient"}
        if p.sex is not None:
            resource["gender"] = p.sex
        if p.birth_date is not None:
            resource["birthDate"] = p.birth_date.isoformat()
        self.entries.insert(0, {"fullUrl": self.patient_url, "resource": resource})

    def scalar(self, path: str, value: Any, labs_date: str | None) -> None:
        terms = self.terms
        lab = path.removeprefix("labs.")
        if path.startswith("labs.") and lab in terms.lab_codes:
            self.lab(lab, value, labs_date)
        elif path in terms.observation_codes:
            self.standard(path, value)
        elif path in terms.flags:
            self.flag(path, bool(value))
        else:
            self.observation(path, self.item_code(path), **write_value(path, value))

    def lab(self, lab: str, value: float, labs_date: str | None) -> None:
        canonical = self.terms_canonical(lab)
        loinc = self.terms.lab_codes[lab][0]
        fields: dict[str, Any] = {
            "valueQuantity": {"value": value, "unit": canonical, "system": self.terms.system("ucum"), "code": canonical}
        }
        if labs_date:
            fields["effectiveDateTime"] = labs_date
        self.observation(f"labs.{lab}", codeable(loinc.system, loinc.code), **fields)

    def terms_canonical(self, lab: str) -> str:
        """The UCUM code of the case's canonical unit of ``lab`` (the first UCUM code mapping to it)."""
        from nenliver.case.model import lab_units

        canonical = lab_units()[lab]["canonical"]
        return next(code for code, unit in self.terms.lab_units[lab].items() if unit == canonical)

    def standard(self, path: str, value: Any) -> None:
        coding = self.terms.observation_codes[path]
        code = codeable(coding.system, coding.code)
        if path == "tumour.grade":
            fields: dict[str, Any] = {"valueCodeableConcept": codeable(self.terms.system("value"), str(value))}
        elif path == "tumour.ki67_percent":
            ucum = self.terms.system("ucum")
            fields = {"valueQuantity": {"value": value, "unit": "%", "system": ucum, "code": "%"}}
        else:
            fields = {"valueInteger": int(value)}
        self.observation(path, code, **fields)

    def flag(self, path: str, present: bool) -> None:
        kind, _ = self.terms.flags[path]
        subject = reference(self.patient_url)
        code = self.item_code(path)
        if kind == "Condition":
            status = "confirmed" if present else "refuted"
            resource: dict[str, Any] = {
                "resourceType": "Condition",
                "code": code,
                "subject": subject,
                "verificationStatus": codeable(self.terms.system("condition_verification"), status),
            }
            if present:
                resource["clinicalStatus"] = codeable(self.terms.system("condition_clinical"), "active")
        elif kind == "Procedure":
            resource = {
                "resourceType": "Procedure",
                "status": "completed" if present else "not-done",
                "code": code,
                "subject": subject,
            }
        elif kind == "MedicationStatement":
            resource = {
                "resourceType": "MedicationStatement",
                "status": "completed" if present else "not-taken",
                "medicationCodeableConcept": code,
                "subject": subject,
            }
        else:  # AllergyIntolerance
            status = "confirmed" if present else "refuted"
            resource = {
                "resourceType": "AllergyIntolerance",
                "code": code,
                "patient": subject,
                "verificationStatus": codeable(self.terms.system("allergy_verification"), status),
            }
        self.add(path, resource)

    # -- lists ------------------------------------------------------------------------------

    def lesions(self, lesions: list[dict[str, Any]]) -> None:
        for lesion in lesions:
            components: list[dict[str, Any]] = []
            for key, value in lesion.items():
                if key == "id":
                    continue
                path = f"liver.lesions.{key}"
                if key == "visible_on":
                    if not value:  # known: visible on none of them
                        components.append({"code": self.item_code(path), "valueBoolean": False})
                    for modality in value:
                        components.append({"code": self.item_code(path), "valueString": modality})
                else:
                    components.append({"code": self.item_code(path), **write_value(path, value)})
            fields: dict[str, Any] = {"identifier": [{"system": self.terms.system("lesion_id"), "value": lesion["id"]}]}
            if components:
                fields["component"] = components
            self.observation(f"lesion|{lesion['id']}", self.item_code("liver.lesions"), **fields)

    def treatments(self, treatments: list[dict[str, Any]]) -> None:
        if not treatments:  # known: none
            path = "history.prior_treatments"
            self.observation(path, self.item_code(path), valueBoolean=False)
            return
        for i, treatment in enumerate(treatments):
            kind = treatment["kind"]
            code = codeable(self.terms.system("procedure"), kind)
            subject = reference(self.patient_url)
            resource: dict[str, Any]
            if kind in self.terms.medication_treatments:
                resource = {
                    "resourceType": "MedicationStatement",
                    "status": "completed",
                    "medicationCodeableConcept": code,
                    "subject": subject,
                }
                if treatment.get("date"):
                    resource["effectiveDateTime"] = treatment["date"]
            else:
                resource = {"resourceType": "Procedure", "status": "completed", "code": code, "subject": subject}
                if treatment.get("date"):
                    resource["performedDateTime"] = treatment["date"]
                if treatment.get("target"):
                    resource["bodySite"] = [{"text": treatment["target"]}]
            if treatment.get("target") and resource["resourceType"] == "MedicationStatement":
                resource["reasonCode"] = [{"text": treatment["target"]}]
            if treatment.get("cycles") is not None:
                resource["extension"] = [{"url": self.terms.system("cycles"), "valueInteger": treatment["cycles"]}]
            self.add(f"treatment|{i}", resource)

    def bundle(self) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "identifier": {"system": self.terms.system("case_id"), "value": self.case.id},
            "type": "collection",
            "entry": self.entries,
        }


def _case_entries(builder: _Builder) -> None:
    case = builder.case
    data = case.model_dump(mode="json", exclude_none=True)
    labs_date = data.get("labs", {}).get("date")
    builder.patient()
    for path, value in _flatten(data):
        if path in ("format", "id") or path in _PATIENT_PATHS:
            continue
        if path == "liver.lesions":
            builder.lesions(value)
        elif path == "history.prior_treatments":
            builder.treatments(value)
        else:
            builder.scalar(path, value, labs_date)


def _plan_entries(builder: _Builder, plan: Plan, recorded: str) -> None:
    terms = builder.terms
    device = builder.add(
        "Device",
        {
            "resourceType": "Device",
            "deviceName": [{"name": "nenliver", "type": "manufacturer-name"}],
            "version": [
                {"type": {"text": "software"}, "value": plan.software.version},
                {
                    "type": {"text": f"knowledge base (sha256 {plan.knowledge_base.sha256})"},
                    "value": plan.knowledge_base.version,
                },
            ],
            "note": [{"text": CLINICIAN_REVIEW_NOTICE}],
        },
    )
    activities = [
        {
            "detail": {
                "code": codeable(terms.system("value"), option.therapy.value, option.label),
                "status": "not-started",
                "description": "; ".join(f.text for f in option.findings if f.rule in option.deciding)[:1000]
                or option.label,
            }
        }
        for option in plan.options
        if option.status.value == "indicated"
    ]
    careplan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "proposal",
        "title": f"Liver-directed therapy proposal, case {plan.case_id}",
        "description": (plan.pathway.text if plan.pathway else plan.scope_note) + " " + CLINICIAN_REVIEW_NOTICE,
        "subject": reference(builder.patient_url),
        "created": recorded,
        "author": reference(device),
    }
    if activities:
        careplan["activity"] = activities
    careplan_url = builder.add("CarePlan", careplan)
    messages = [
        *(f"check input {w.path} = {w.value}: {w.message}" for w in plan.input_warnings),
        *(f"conflict ({', '.join(c.rules)}): {c.text}" for c in plan.conflicts if c.changes_status),
        *([f"draft rules contributed: {', '.join(plan.draft_rules_fired)}"] if plan.draft_rules_fired else []),
    ]
    guidance: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "identifier": [{"system": terms.system("case_id"), "value": plan.case_id}],
        "moduleUri": f"https://nenliver.org/fhir/PlanDefinition/nen-ldt|{plan.knowledge_base.version}",
        "subject": reference(builder.patient_url),
        "performer": reference(device),
        "result": reference(careplan_url),
        "note": [{"text": CLINICIAN_REVIEW_NOTICE}],
    }
    if plan.decision_date:
        guidance["occurrenceDateTime"] = plan.decision_date
    missing = _missing(plan)
    guidance["status"] = "data-required" if missing else "success"
    if missing:
        guidance["dataRequirement"] = [_data_requirement(builder, field) for field in missing]
    if messages:
        outcome = builder.add(
            "OperationOutcome",
            {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "warning", "code": "informational", "diagnostics": m} for m in messages],
            },
        )
        guidance["evaluationMessage"] = [reference(outcome)]
    guidance_url = builder.add("GuidanceResponse", guidance)
    builder.add(
        "Provenance",
        {
            "resourceType": "Provenance",
            "target": [reference(guidance_url), reference(careplan_url)],
            "recorded": recorded,
            "agent": [
                {
                    "type": codeable("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler"),
                    "who": reference(device),
                }
            ],
            "entity": [{"role": "source", "what": reference(builder.patient_url)}],
        },
    )


def _missing(plan: Plan) -> list[str]:
    fields = [m.field for option in plan.options for m in option.missing]
    if plan.pathway is not None:
        fields += [m.field for m in plan.pathway.missing]
    return list(dict.fromkeys(fields))


def _data_requirement(builder: _Builder, field: str) -> dict[str, Any]:
    """Where the missing input would come from (the resource type and code the importer reads)."""
    terms = builder.terms
    lab = field.removeprefix("labs.")
    if field.startswith("labs.") and lab in terms.lab_codes:
        first = terms.lab_codes[lab][0]
        kind, system, code = "Observation", first.system, first.code
    elif field in terms.observation_codes:
        coding = terms.observation_codes[field]
        kind, system, code = "Observation", coding.system, coding.code
    elif field in terms.flags:
        kind, system, code = terms.flags[field][0], terms.system("item"), field
    else:
        kind, system, code = "Observation", terms.system("item"), field
    return {"type": kind, "codeFilter": [{"path": "code", "code": [{"system": system, "code": code}]}]}


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Check a bundle against the FHIR R4B models (``fhir.resources``); raises on a structural error."""
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)


def bundle_from_case(case: Case, plan: Plan | None = None, *, recorded: str | None = None) -> dict[str, Any]:
    """The case (and, with ``plan``, its plan) as a FHIR R4 collection Bundle (plain JSON data).

    ``recorded`` is the Provenance/CarePlan time (UTC now by default).
    """
    builder = _Builder(case)
    _case_entries(builder)
    if plan is not None:
        when = recorded or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        _plan_entries(builder, plan, when)
    bundle = builder.bundle()
    validate_bundle(bundle)
    return bundle
