"""CDS Hooks: the ``nenliver-ldt`` service (hook ``patient-view``), its cards and its feedback.

The EHR calls the service when a clinician opens a patient's record and sends the resources the
prefetch templates ask for; they become a case (:func:`~nenliver.fhir.importer.case_from_bundle`,
decision date today), the case becomes a plan (:func:`nenliver.service.plan_case`), and the plan
becomes one card per option:

* ``indicator``: ``critical`` when the option is contraindicated, ``warning`` when it is to be used
  with caution or waits on data, ``info`` otherwise;
* ``summary`` (under 140 characters): the option, its status and the deciding reason;
* ``detail`` (Markdown): the deciding rules with the patient's values against their thresholds,
  the data still missing, the pathway and the sources;
* ``source``: the knowledge-base version and the review's DOI; ``overrideReasons``: the coded
  deviation reasons of the board (``service/data/board.yaml``).

A prefetch the EHR did not send is a ``warning`` card that names it, never an error. The service
never calls the EHR's FHIR server itself (no outbound network). Specification: CDS-HOOKS
(bibliography); conventions: RULESREF §7.2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.case import Case
from nenliver.errors import InputError
from nenliver.fhir.importer import case_from_bundle
from nenliver.fhir.terminology import terminology
from nenliver.guideline.loader import load_knowledge_base
from nenliver.service import Plan, plan_case
from nenliver.service.decisions import board_codes

__all__ = [
    "HOOK",
    "SERVICE_ID",
    "CdsRequest",
    "Feedback",
    "FeedbackRequest",
    "cards_for",
    "discovery",
]

SERVICE_ID = "nenliver-ldt"
HOOK = "patient-view"
SEED_DOI = "https://doi.org/10.3390/cancers13246368"
MAX_SUMMARY = 139
_INDICATOR = {"contraindicated": "critical", "caution": "warning", "needs_data": "warning"}
#: Prefetch key → (template, what is unknown without it).
PREFETCH = {
    "patient": ("Patient/{{context.patientId}}", "age and sex"),
    "conditions": ("Condition?patient={{context.patientId}}", "the primary tumour, comorbid states"),
    "observations": ("Observation?patient={{context.patientId}}", "labs, Ki-67, ECOG, the lesions and the work-up"),
    "procedures": ("Procedure?patient={{context.patientId}}", "prior treatments and biliary procedures"),
    "medications": ("MedicationStatement?patient={{context.patientId}}", "somatostatin analogues and chemotherapy"),
    "allergies": ("AllergyIntolerance?patient={{context.patientId}}", "an iodinated-contrast allergy"),
}


def discovery() -> dict[str, Any]:
    """``GET /cds-services``."""
    return {
        "services": [
            {
                "hook": HOOK,
                "id": SERVICE_ID,
                "title": "nenliver: liver-directed therapy for neuroendocrine liver metastases",
                "description": (
                    "Every liver-directed option (surgery referral, transplant, ablation, TAE, TACE, SIRT, PRRT, "
                    "intra-arterial PRRT, somatostatin analogues) with its status, the deciding rules, the patient's "
                    "values against the thresholds and the data still missing. " + CLINICIAN_REVIEW_NOTICE
                ),
                "prefetch": {key: template for key, (template, _) in PREFETCH.items()},
            }
        ]
    }


class CdsRequest(BaseModel):
    """The body of a service call (only what this service reads is checked)."""

    model_config = ConfigDict(extra="allow")

    hook: Literal["patient-view"]
    hookInstance: str = Field(min_length=1, max_length=200)
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None


class _Coding(BaseModel):
    model_config = ConfigDict(extra="allow")

    system: str | None = None
    code: str | None = None
    display: str | None = None


class _OverrideReason(BaseModel):
    model_config = ConfigDict(extra="allow")

    reason: _Coding | None = None
    userComment: str | None = Field(None, max_length=4000)


class Feedback(BaseModel):
    """One feedback item: what the clinician did with a card."""

    model_config = ConfigDict(extra="allow")

    card: str = Field(min_length=1, max_length=200)
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str = Field(min_length=1, max_length=64)
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: _OverrideReason | None = None


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    feedback: list[Feedback] = Field(min_length=1, max_length=100)


def _bundle_from_prefetch(prefetch: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """One collection bundle of the prefetched resources, and the prefetch keys that were missing."""
    entries: list[dict[str, Any]] = []
    missing = []
    for key in PREFETCH:
        item = prefetch.get(key)
        if item is None:
            missing.append(key)
            continue
        resources = (
            [e.get("resource") for e in (item.get("entry") or []) if isinstance(e, dict)]
            if isinstance(item, dict) and item.get("resourceType") == "Bundle"
            else [item]
        )
        for resource in resources:
            if isinstance(resource, dict) and resource.get("resourceType"):
                url = f"{resource['resourceType']}/{resource['id']}" if resource.get("id") else None
                entries.append({"fullUrl": url, "resource": resource} if url else {"resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}, missing


def _source(plan: Plan | None, topic: tuple[str, str] | None = None) -> dict[str, Any]:
    version = plan.knowledge_base.version if plan is not None else "?"
    source: dict[str, Any] = {"label": f"nenliver knowledge base {version}", "url": SEED_DOI}
    if topic is not None:
        source["topic"] = {"system": terminology().system("value"), "code": topic[0], "display": topic[1]}
    return source


def _warning(summary: str, detail: str, plan: Plan | None = None) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "summary": summary[:MAX_SUMMARY],
        "detail": detail + f"\n\n_{CLINICIAN_REVIEW_NOTICE}_",
        "indicator": "warning",
        "source": _source(plan),
    }


def _override_reasons() -> list[dict[str, str]]:
    system = "https://nenliver.org/fhir/CodeSystem/deviation-reason"
    return [
        {"system": system, "code": code, "display": text} for code, text in board_codes()["deviation_reasons"].items()
    ]


def _summary(label: str, status: str, reason: str) -> str:
    text = f"{label}: {status.replace('_', ' ')}" + (f". {reason}" if reason else "")
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


def _option_card(plan: Plan, option: Any) -> dict[str, Any]:
    deciding = [f for f in option.findings if f.rule in option.deciding]
    lines = [
        f"**{option.label}: {option.status.value.replace('_', ' ')}**"
        + (" (provisional)" if option.provisional else "")
    ]
    if plan.pathway is not None:
        first = ", ".join(plan.pathway.labels.get(t.value, t.value) for t in plan.pathway.preferred) or "none"
        lines.append(f"Pathway: {plan.pathway.branch.value.replace('_', ' ')} — first: {first}.")
    if deciding:
        lines.append("\nDeciding rules:")
    for finding in deciding:
        draft = " (draft rule)" if finding.rule_status == "draft" else ""
        lines.append(f"- `{finding.rule}`{draft}: {finding.text}")
        lines += [
            f"  - {c.label}: {c.patient}" + (f" (rule: {c.threshold})" if c.threshold else "")
            for c in finding.comparisons
        ]
        if finding.citations:
            lines.append(f"  - Sources: {'; '.join(finding.citations)}")
    if option.missing:
        lines.append("\nData still missing: " + "; ".join(f"{m.label} (`{m.field}`)" for m in option.missing))
    lines.append(f"\n_{CLINICIAN_REVIEW_NOTICE}_")
    reason = deciding[0].text if deciding else ""
    return {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(option.label, option.status.value, reason),
        "detail": "\n".join(lines),
        "indicator": _INDICATOR.get(option.status.value, "info"),
        "source": _source(plan, (option.therapy.value, option.label)),
        "overrideReasons": _override_reasons(),
    }


_PLANS: OrderedDict[str, Plan] = OrderedDict()
_PLANS_LOCK = threading.Lock()
_PLANS_KEPT = 256


def _plan(case: Case, document: dict[str, Any]) -> Plan:
    """The plan of a case; the same record seen again (another patient-view) is not planned twice."""
    kb = load_knowledge_base()
    text = json.dumps(document, sort_keys=True, default=str) + kb.sha256 + __version__
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with _PLANS_LOCK:
        plan = _PLANS.get(key)
        if plan is not None:
            _PLANS.move_to_end(key)
            return plan
    plan = plan_case(case, kb)
    with _PLANS_LOCK:
        _PLANS[key] = plan
        while len(_PLANS) > _PLANS_KEPT:
            _PLANS.popitem(last=False)
    return plan


def cards_for(request: CdsRequest, today: dt.date | None = None) -> tuple[list[dict[str, Any]], Plan | None]:
    """The cards of a service call, and the plan they come from (``None`` when no case could be made)."""
    bundle, missing = _bundle_from_prefetch(request.prefetch or {})
    warnings = [
        _warning(
            f"Prefetch '{key}' not sent: {PREFETCH[key][1]} unknown",
            f"The EHR did not send the prefetch `{key}` ({PREFETCH[key][0]}); the plan treats "
            f"{PREFETCH[key][1]} as unknown (never as absent).",
        )
        for key in missing
    ]
    if "patient" in missing:
        return warnings, None
    try:
        imported = case_from_bundle(bundle, today or dt.datetime.now(dt.UTC).date(), "prefetch")
    except InputError as exc:
        detail = "The prefetched resources could not be read:\n" + "\n".join(f"- {p}" for p in exc.problems[:20])
        return [*warnings, _warning("The patient's record could not be read for a plan", detail)], None
    plan = _plan(imported.case, imported.document)
    cards = [*warnings, *(_option_card(plan, option) for option in plan.options)]
    if imported.unmapped:
        listed = "\n".join(f"- {line}" for line in imported.unmapped[:30])
        cards.append(
            _warning(f"{len(imported.unmapped)} record item(s) not used by the plan", f"Not mapped:\n{listed}", plan)
        )
    return cards, plan
