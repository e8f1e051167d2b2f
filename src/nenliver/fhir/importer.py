"""A FHIR R4 Bundle (an EHR export, or nenliver's own) as a case (``nenliver fhir import``).

Read:

* the bundle is validated against the FHIR R4B models (``fhir.resources``); a structural error is
  refused with its path (``entry[3].resource.valueQuantity.value``);
* transaction bundles whose entries point at each other by ``urn:uuid:`` full URLs, and
  searchset/collection bundles with server URLs and relative ``Patient/id`` references;
* exactly one Patient: age at the decision date from ``birthDate``, exactly (the day before a
  birthday counts the younger age), and the gender;
* Observations by LOINC code (labs in SI or conventional units by their UCUM code, Ki-67, ECOG as
  ``valueInteger`` or its LOINC answer code, Karnofsky, grade) or by the local ``case-item`` code;
  the most recent value on or before the decision date is used and the lab date kept; values dated
  after the decision date are ignored, and listed;
* Conditions (the primary tumour by ICD-10-CM or ICD-O-3, liver metastases, carcinoid syndrome,
  comorbid states), Procedures, MedicationStatements and AllergyIntolerances for the yes/no facts
  and the prior treatments (``docs/fhir.md`` lists every code).

Nothing is dropped silently: what cannot be mapped, and what was ignored and why, come back in the
:class:`ImportResult` (the command prints them on standard error).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from nenliver._validation import format_path
from nenliver.case import Case, case_from_data
from nenliver.case.model import CASE_FORMAT
from nenliver.errors import InputError, Problem
from nenliver.fhir.terminology import Terminology, terminology
from nenliver.fhir.values import UnreadableValue, codings_of, read_value

__all__ = ["FhirInputError", "ImportResult", "case_from_bundle"]

_PLAN_OUTPUTS = {"GuidanceResponse", "CarePlan", "Provenance", "Device", "OperationOutcome", "RequestGroup"}
_INACTIVE = {"inactive", "remission", "resolved"}


class FhirInputError(InputError):
    """A bundle that is not valid FHIR, or that cannot describe one case."""


@dataclass
class ImportResult:
    """The case (as data and validated), and what the import could not use."""

    document: dict[str, Any]
    case: Case
    unmapped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Candidate:
    value: Any
    date: dt.date | None
    source: str


def _date(text: Any) -> dt.date | None:
    if not text:
        return None
    text = str(text)
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def _validate(data: Any, source: str) -> None:
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirInputError(source, [Problem("resourceType", "not a FHIR Bundle", "a Bundle (JSON)")])
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(format_path(e["loc"]) or "(bundle)", str(e["msg"])[:200], None) for e in exc.errors()[:20]]
        raise FhirInputError(source, problems) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # fhir.resources stumbling on odd input
        problem = Problem("(bundle)", f"not valid FHIR: {str(exc)[:200]}", "a FHIR R4 Bundle")
        raise FhirInputError(source, [problem]) from None


class _Index:
    """Resources by every name a reference may use: full URL, ``Type/id``, the URL's tail."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.by_key: dict[str, dict[str, Any]] = {}
        for entry in entries:
            resource = entry.get("resource") or {}
            keys = []
            if entry.get("fullUrl"):
                url = str(entry["fullUrl"])
                keys.append(url)
                parts = url.rstrip("/").split("/")
                if len(parts) >= 2:
                    keys.append("/".join(parts[-2:]))
            if resource.get("id"):
                keys.append(f"{resource['resourceType']}/{resource['id']}")
            for key in keys:
                self.by_key.setdefault(key, resource)

    def resolve(self, ref: Any) -> dict[str, Any] | None:
        if not isinstance(ref, dict) or not ref.get("reference"):
            return None
        target = str(ref["reference"])
        found = self.by_key.get(target)
        if found is None and "/" in target:
            found = self.by_key.get("/".join(target.rstrip("/").split("/")[-2:]))
        return found


def _label(resource: dict[str, Any]) -> str:
    kind = resource.get("resourceType", "?")
    ident = f"/{resource['id']}" if resource.get("id") else ""
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    pairs = [f"{s}|{c}" for s, c in codings_of(concept)]
    text = concept.get("text") if isinstance(concept, dict) else None
    what = ", ".join(pairs) or text or "no code"
    return f"{kind}{ident} ({what})"


class _Reader:
    def __init__(self, data: dict[str, Any], decision_date: dt.date, terms: Terminology) -> None:
        self.terms = terms
        self.decision_date = decision_date
        self.entries = [e for e in (data.get("entry") or []) if isinstance(e, dict) and e.get("resource")]
        self.index = _Index(self.entries)
        self.candidates: dict[str, list[_Candidate]] = {}
        self.lesions: list[dict[str, Any]] = []
        self.treatments: list[dict[str, Any]] = []
        self.no_treatments = False
        self.result_unmapped: list[str] = []
        self.result_ignored: list[str] = []
        self.notes: list[str] = []

    # -- bookkeeping ------------------------------------------------------------------------

    def offer(self, path: str, value: Any, when: dt.date | None, source: str) -> None:
        if when is not None and when > self.decision_date:
            self.result_ignored.append(f"{source}: dated {when.isoformat()}, after the decision date")
            return
        self.candidates.setdefault(path, []).append(_Candidate(value, when, source))

    def unmapped(self, resource: dict[str, Any], why: str) -> None:
        self.result_unmapped.append(f"{_label(resource)}: {why}")

    def chosen(self) -> dict[str, _Candidate]:
        """Per path, the most recent dated value (an undated one only when none is dated)."""
        out = {}
        for path, items in self.candidates.items():
            dated = [c for c in items if c.date is not None]
            pick = max(dated, key=lambda c: c.date or dt.date.min) if dated else items[-1]
            out[path] = pick
            for other in items:
                if other is not pick:
                    self.result_ignored.append(f"{other.source}: an older or undated value of {path}")
        return out

    # -- resources --------------------------------------------------------------------------

    def patient(self) -> dict[str, Any]:
        patients = [e["resource"] for e in self.entries if e["resource"].get("resourceType") == "Patient"]
        if len(patients) != 1:
            raise FhirInputError(
                "bundle",
                [Problem("entry", f"the bundle holds {len(patients)} Patient resources", "exactly one Patient")],
            )
        return patients[0]

    def about_patient(self, resource: dict[str, Any], patient: dict[str, Any]) -> bool:
        ref = resource.get("subject") or resource.get("patient")
        if ref is None:
            return True  # nothing says otherwise: a single-patient bundle
        return self.index.resolve(ref) is patient

    def read(self, resource: dict[str, Any]) -> None:
        kind = resource.get("resourceType")
        handler = {
            "Observation": self.observation,
            "Condition": self.condition,
            "Procedure": self.procedure,
            "MedicationStatement": self.medication,
            "AllergyIntolerance": self.allergy,
        }.get(str(kind))
        if handler is None and kind in _PLAN_OUTPUTS:
            self.result_ignored.append(f"{_label(resource)}: the output of a plan, not case data")
        elif handler is None:
            self.unmapped(resource, "resource type not read")
        else:
            handler(resource)

    def observation(self, r: dict[str, Any]) -> None:
        if r.get("status") in ("entered-in-error", "cancelled"):
            self.result_ignored.append(f"{_label(r)}: status {r.get('status')}")
            return
        pairs = codings_of(r.get("code"))
        when = _date(r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start") or r.get("issued"))
        label = _label(r)
        terms = self.terms
        for system, code in pairs:
            lab = terms.lab_for(system, code)
            if lab is not None:
                self.lab(r, lab, when, label)
                return
            path = terms.observation_for(system, code)
            if path is not None:
                self.standard(r, path, when, label)
                return
            if system == terms.system("item") and code:
                self.local(r, code, when, label)
                return
        self.unmapped(r, "code not mapped")

    def lab(self, r: dict[str, Any], lab: str, when: dt.date | None, label: str) -> None:
        quantity = r.get("valueQuantity")
        if not isinstance(quantity, dict) or quantity.get("value") is None:
            self.unmapped(r, f"{lab}: no valueQuantity")
            return
        ucum = quantity.get("code") or quantity.get("unit")
        unit = self.terms.lab_units[lab].get(str(ucum))
        if unit is None:
            self.unmapped(r, f"{lab}: unit {ucum!r} not understood (UCUM {', '.join(self.terms.lab_units[lab])})")
            return
        value = quantity["value"]
        self.offer(f"labs.{lab}", value if unit == "1" else {"value": value, "unit": unit}, when, label)

    def standard(self, r: dict[str, Any], path: str, when: dt.date | None, label: str) -> None:
        if path == "patient.ecog" and "valueCodeableConcept" in r:
            answers = [self.terms.ecog_answers.get(str(c)) for s, c in codings_of(r["valueCodeableConcept"])]
            found = [a for a in answers if a is not None]
            if not found:
                self.unmapped(r, "ECOG answer code not in LOINC LL529-9 (0-4)")
                return
            self.offer(path, found[0], when, label)
            return
        if path == "tumour.ki67_percent":
            quantity = r.get("valueQuantity") or {}
            unit = quantity.get("code") or quantity.get("unit")
            if unit != "%" or quantity.get("value") is None:
                self.unmapped(r, f"Ki-67 in {unit!r}, not %")
                return
            self.offer(path, quantity["value"], when, label)
            return
        try:
            value = read_value(path, r)
        except UnreadableValue as exc:
            self.unmapped(r, str(exc))
            return
        if path == "tumour.grade" and isinstance(value, str):
            value = value.strip().upper()
        self.offer(path, value, when, label)

    def local(self, r: dict[str, Any], path: str, when: dt.date | None, label: str) -> None:
        if path == "liver.lesions":
            self.lesion(r, label)
            return
        if path == "history.prior_treatments":
            if r.get("valueBoolean") is False:
                self.no_treatments = True
            return
        try:
            value = read_value(path, r)
        except UnreadableValue as exc:
            self.unmapped(r, str(exc))
            return
        self.offer(path, value, when, label)

    def lesion(self, r: dict[str, Any], label: str) -> None:
        ids = [i.get("value") for i in (r.get("identifier") or []) if i.get("system") == self.terms.system("lesion_id")]
        if not ids:
            self.unmapped(r, "a lesion without a lesion-id identifier")
            return
        lesion: dict[str, Any] = {"id": ids[0]}
        for component in r.get("component") or []:
            for system, code in codings_of(component.get("code")):
                if system != self.terms.system("item") or not code or not code.startswith("liver.lesions."):
                    continue
                key = code.removeprefix("liver.lesions.")
                if key == "visible_on":
                    seen = lesion.setdefault("visible_on", [])
                    if "valueString" in component:
                        seen.append(component["valueString"])
                    continue
                try:
                    lesion[key] = read_value(code, component)
                except UnreadableValue as exc:
                    self.unmapped(r, f"lesion {ids[0]}: {exc}")
        self.lesions.append(lesion)

    def _flag_state(self, r: dict[str, Any]) -> bool | None:
        kind = r["resourceType"]
        if kind in ("Condition", "AllergyIntolerance"):
            verification = [c for _, c in codings_of(r.get("verificationStatus"))]
            if "entered-in-error" in verification:
                return None
            if "refuted" in verification:
                return False
            clinical = [c for _, c in codings_of(r.get("clinicalStatus"))]
            return not any(c in _INACTIVE for c in clinical)
        status = r.get("status")
        if status in ("entered-in-error",):
            return None
        if kind == "Procedure":
            return status != "not-done"
        return status != "not-taken"  # MedicationStatement

    def _flag(self, r: dict[str, Any], concept: Any) -> bool:
        path = self.terms.flag_for(r["resourceType"], codings_of(concept))
        if path is None:
            return False
        state = self._flag_state(r)
        if state is None:
            self.result_ignored.append(f"{_label(r)}: entered in error")
        else:
            when = _date(r.get("recordedDate") or r.get("performedDateTime") or r.get("effectiveDateTime"))
            self.offer(path, state, when, _label(r))
        return True

    def condition(self, r: dict[str, Any]) -> None:
        pairs = codings_of(r.get("code"))
        if self._flag(r, r.get("code")):
            return
        terms = self.terms
        if any(c.matches(s, code) for c in terms.liver_metastases for s, code in pairs):
            self.notes.append(f"{_label(r)}: liver metastases recorded (the premise of every case)")
            return
        for name, codings in terms.syndromes.items():
            if any(c.matches(s, code) for c in codings for s, code in pairs):
                if self._flag_state(r):
                    self.offer("tumour.functioning_syndrome", name, _date(r.get("recordedDate")), _label(r))
                return
        if self.primary(r, pairs):
            return
        self.unmapped(r, "code not mapped")

    def primary(self, r: dict[str, Any], pairs: list[tuple[str | None, str | None]]) -> bool:
        terms = self.terms
        site_pairs = pairs + codings_of(r.get("bodySite") or [])
        sites = [terms.primary_sites[(s, c)] for s, c in site_pairs if s and c and (s, c) in terms.primary_sites]
        morph_pairs = pairs + [
            p
            for ext in (r.get("extension") or [])
            if isinstance(ext, dict) and "valueCodeableConcept" in ext
            for p in codings_of(ext["valueCodeableConcept"])
        ]
        icdo3 = terms.system("icdo3")
        differentiation = [terms.morphology[c] for s, c in morph_pairs if s == icdo3 and c and c in terms.morphology]
        if not sites and not differentiation:
            return False
        when = _date(r.get("recordedDate") or r.get("onsetDateTime"))
        if sites:
            self.offer("tumour.primary_site", sites[0], when, _label(r))
        if differentiation:
            self.offer("tumour.differentiation", differentiation[0], when, _label(r))
        return True

    def procedure(self, r: dict[str, Any]) -> None:
        if self._flag(r, r.get("code")):
            return
        kinds = [c for s, c in codings_of(r.get("code")) if s == self.terms.system("procedure") and c]
        if kinds and kinds[0] in self.terms.procedure_treatments:
            when = _date(r.get("performedDateTime") or (r.get("performedPeriod") or {}).get("start"))
            self.treatment(r, kinds[0], when, [b.get("text") for b in (r.get("bodySite") or []) if b.get("text")])
            return
        self.unmapped(r, "code not mapped")

    def medication(self, r: dict[str, Any]) -> None:
        concept = r.get("medicationCodeableConcept")
        pairs = codings_of(concept)
        local = [c for s, c in pairs if s == self.terms.system("procedure") and c]
        when = _date(r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start"))
        targets = [c.get("text") for c in (r.get("reasonCode") or []) if isinstance(c, dict) and c.get("text")]
        if local and local[0] in self.terms.medication_treatments:
            self.treatment(r, local[0], when, targets)
            return
        flagged = self._flag(r, concept)
        for kind, codings in self.terms.medication_treatments.items():
            if any(c.matches(s, code) for c in codings for s, code in pairs):
                if r.get("status") not in ("not-taken", "entered-in-error"):
                    self.treatment(r, kind, when, targets)
                return
        if not flagged:
            self.unmapped(r, "medication not mapped")

    def treatment(self, r: dict[str, Any], kind: str, when: dt.date | None, targets: list[Any]) -> None:
        if r.get("status") in ("not-done", "not-taken", "entered-in-error"):
            self.result_ignored.append(f"{_label(r)}: status {r.get('status')}")
            return
        if when is not None and when > self.decision_date:
            self.result_ignored.append(f"{_label(r)}: dated {when.isoformat()}, after the decision date")
            return
        item: dict[str, Any] = {"kind": kind}
        if when is not None:
            item["date"] = when.isoformat()
        if targets:
            item["target"] = str(targets[0])
        cycles = [
            e.get("valueInteger") for e in (r.get("extension") or []) if e.get("url") == self.terms.system("cycles")
        ]
        if cycles and cycles[0] is not None:
            item["cycles"] = cycles[0]
        self.treatments.append(item)

    def allergy(self, r: dict[str, Any]) -> None:
        if not self._flag(r, r.get("code")):
            self.unmapped(r, "allergy not mapped")


def _age(birth: dt.date, on: dt.date) -> int:
    """Completed years on ``on`` (the day before a birthday counts the younger age)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _decision_date(data: dict[str, Any], given: dt.date | None, terms: Terminology) -> tuple[dt.date, str | None]:
    if given is not None:
        return given, None
    for entry in data.get("entry") or []:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") == "Observation" and (terms.system("item"), "decision_date") in codings_of(
            resource.get("code")
        ):
            found = _date(resource.get("valueDateTime"))
            if found is not None:
                return found, None
    today = dt.datetime.now(dt.UTC).date()
    return today, f"no decision date given: today ({today.isoformat()}, UTC) is used"


def _document(reader: _Reader, data: dict[str, Any], patient: dict[str, Any], on: dt.date) -> dict[str, Any]:
    """The case document from what the reader collected."""
    terms = reader.terms
    doc: dict[str, Any] = {"format": CASE_FORMAT}
    identifier = data.get("identifier") or {}
    doc["id"] = identifier.get("value") if identifier.get("system") == terms.system("case_id") else None
    doc["id"] = doc["id"] or (f"fhir-{patient['id']}" if patient.get("id") else "fhir-import")
    doc["decision_date"] = on.isoformat()
    if patient.get("gender") in ("female", "male", "other"):
        _put(doc, "patient.sex", patient["gender"])
    chosen = reader.chosen()
    chosen.pop("decision_date", None)
    birth = _date(patient.get("birthDate"))
    if birth is not None:
        _put(doc, "patient.birth_date", birth.isoformat())
        if "patient.age_years" not in chosen:
            _put(doc, "patient.age_years", _age(birth, on))
    elif patient.get("birthDate"):
        reader.notes.append(f"birthDate {patient['birthDate']} is not a full date: the age is left unknown")
    lab_dates = []
    for path, candidate in chosen.items():
        _put(doc, path, candidate.value)
        if path.startswith("labs.") and candidate.date is not None:
            lab_dates.append(candidate.date)
    if lab_dates and "labs.date" not in chosen:
        oldest = min(lab_dates)
        _put(doc, "labs.date", oldest.isoformat())
        if len(set(lab_dates)) > 1:
            reader.notes.append(
                f"labs from {oldest.isoformat()} to {max(lab_dates).isoformat()}: labs.date is the oldest"
            )
    if reader.lesions:
        _put(doc, "liver.lesions", reader.lesions)
    if reader.treatments:
        _put(doc, "history.prior_treatments", reader.treatments)
    elif reader.no_treatments:
        _put(doc, "history.prior_treatments", [])
    return doc


def case_from_bundle(data: Any, decision_date: dt.date | None = None, source: str = "bundle") -> ImportResult:
    """Read a bundle as a case; :class:`FhirInputError` (an :class:`~nenliver.errors.InputError`) if it cannot."""
    _validate(data, source)
    terms = terminology()
    on, note = _decision_date(data, decision_date, terms)
    reader = _Reader(data, on, terms)
    if note:
        reader.notes.append(note)
    patient = reader.patient()
    for entry in reader.entries:
        resource = entry["resource"]
        if resource is patient:
            continue
        if not reader.about_patient(resource, patient):
            reader.result_ignored.append(f"{_label(resource)}: about another patient")
            continue
        reader.read(resource)

    doc = _document(reader, data, patient, on)
    case = case_from_data(doc, source)
    return ImportResult(doc, case, reader.result_unmapped, reader.result_ignored, reader.notes)
