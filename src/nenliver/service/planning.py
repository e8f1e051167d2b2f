"""How a case becomes a plan (``nenliver/plan@1``): the one place the pipeline runs.

Order of work, in :func:`plan_case`:

1. case facts (:func:`nenliver.guideline.facts.case_facts`);
2. lesion rules, then the per-lesion ablation plan (:func:`plan_ablation`); the lesions to treat
   (every lesion, or the progressing ones in oligoprogression, :func:`~nenliver.guideline.engine.ablation_targets`);
3. SIRT dosimetry from the MAA work-up (:func:`~nenliver.service.sirt_attachment.sirt_for_case`);
   the PRRT dosimetry history on the ``prrt`` option
   (:func:`~nenliver.service.prrt_attachment.prrt_history_details`);
4. the facts these produce (lesions no modality covers, predicted lung dose …) join the case facts,
   and every case rule is evaluated, then the statuses and the Figure 1 pathway
   (:func:`~nenliver.guideline.engine.evaluate_case`);
5. the typed plan (:class:`~nenliver.service.contracts.Plan`). Terminal, HTML and PDF views are
   rendered from this same object.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver._data import load_yaml
from nenliver.ablation import LesionPlan, ModalityConstraints, load_policy, plan_lesions
from nenliver.case.model import Case
from nenliver.case.plausibility import input_warnings
from nenliver.guideline.engine import Decision, Finding, ablation_targets, evaluate_case, evaluate_lesions
from nenliver.guideline.facts import FactValue, case_facts
from nenliver.guideline.loader import KnowledgeBase, load_knowledge_base
from nenliver.service.contracts import Plan
from nenliver.service.prrt_attachment import prrt_history_details
from nenliver.service.sirt_attachment import sirt_for_case

PLAN_FORMAT = "nenliver/plan@1"

__all__ = ["constraints_from_findings", "plan_ablation", "plan_case"]


def constraints_from_findings(findings: list[Finding]) -> ModalityConstraints:
    """Translate lesion-rule findings into modality constraints for the ablation planner.

    A true ``exclude`` removes the modality; an unknown ``exclude`` (it cannot be ruled out) or a
    true/unknown ``caution`` with a caution policy makes it a caution; a true ``support`` prefers it.
    """
    out = ModalityConstraints()
    for f in findings:
        rule = f.rule
        for modality in rule.modality or []:
            if rule.effect == "exclude" and f.result is True:
                out.excluded.setdefault(modality, []).append(rule.id)
            elif (rule.effect == "exclude" and f.result is None) or (
                rule.effect == "caution" and (f.result is True or (f.result is None and rule.policy == "caution"))
            ):
                out.caution.setdefault(modality, []).append(rule.id)
            elif rule.effect == "support" and f.result is True:
                out.preferred.setdefault(modality, []).append(rule.id)
    return out


def plan_ablation(
    case: Case, kb: KnowledgeBase | None = None, facts: Mapping[str, FactValue] | None = None
) -> tuple[list[LesionPlan], dict[str, list[Finding]]]:
    """Per-lesion ablation plans and the lesion findings that shaped them."""
    lesion_findings = evaluate_lesions(case, facts, kb)
    constraints = {lid: constraints_from_findings(fs) for lid, fs in lesion_findings.items()}
    return plan_lesions(case.liver.lesions or [], constraints), lesion_findings


@cache
def _outcomes() -> dict[str, list[dict[str, Any]]]:
    try:
        data = load_yaml("nenliver.guideline", "data/outcomes.yaml")
    except FileNotFoundError:
        return {}
    by_therapy: dict[str, list[dict[str, Any]]] = {}
    for entry in data.get("outcomes", []):
        for therapy in entry.get("therapies", []):
            by_therapy.setdefault(therapy, []).append({k: v for k, v in entry.items() if k != "therapies"})
    return by_therapy


def _finding_dicts(findings: list[Finding], case: Case | None = None) -> list[dict[str, Any]]:
    out = [f.as_dict() for f in findings]
    if case is not None:
        for finding in out:
            for comparison in finding["comparisons"]:
                comparison["patient"] = _with_entered(case, comparison["field"], comparison["patient"])
    return out


def _with_entered(case: Case, field: str, shown: str) -> str:
    """A lab value converted from another unit, shown with the value and unit as entered."""
    if not field.startswith("labs."):
        return shown
    entered = case.labs.entered(field.removeprefix("labs."))
    if entered is None:
        return shown
    value, unit = entered
    canonical = shown.split(" ", 1)[1] if " " in shown else ""
    return shown if unit == canonical else f"{shown} (entered {value:g} {unit})"


def _listed(findings: list[Finding], kb: KnowledgeBase) -> list[dict[str, Any]]:
    out = []
    for f in findings:
        entry = {
            "item": f.rule.item,
            "rule": f.rule.id,
            "text": f.as_dict()["text"],
            "result": f.result,
            "therapies": f.rule.therapy,
            "citations": f.rule.citation_labels,
        }
        out.append(entry)
    return out


def plan_case(case: Case, kb: KnowledgeBase | None = None) -> Plan:
    """The decision for one case: every option with its status and reasons, the pathway, the SIRT
    dosimetry of the MAA work-up and the needle plans (``nenliver/plan@1``).

    Parameters
    ----------
    case : Case
        A valid case (``nenliver/case@1``).
    kb : KnowledgeBase, optional
        The knowledge base; the packaged one by default.

    Returns
    -------
    Plan
        For clinician review.
    """
    kb = kb or load_knowledge_base()
    base_facts = case_facts(case)
    lesion_plans, lesion_findings = plan_ablation(case, kb, base_facts)
    targets = ablation_targets(case, base_facts, kb)
    sirt = sirt_for_case(case)
    external: dict[str, FactValue] = dict(sirt.facts)
    if case.liver.lesions:
        treated = [p for p in lesion_plans if targets is None or p.id in targets]
        external["lesions_without_ablation_modality"] = float(sum(p.modality is None for p in treated))
        external["lesions_with_modality_caution"] = float(sum(bool(p.cautions) for p in treated if p.modality))
    decision = evaluate_case(case, external, kb, lesion_findings)
    prrt = prrt_history_details(case, base_facts)
    return Plan.model_validate(_plan_data(case, decision, lesion_plans, lesion_findings, sirt.details, targets, prrt))


RULED_OUT = ("contraindicated", "not_indicated")


def _ablation_details(
    option: Any,
    lesion_plans: list[LesionPlan],
    lesion_findings: dict[str, list[Finding]],
    targets: frozenset[str] | None,
    case: Case,
) -> dict[str, Any]:
    """Needle plans for the lesions to treat; none when ablation is ruled out (spec: prescription-like details)."""
    if option.status in RULED_OUT:
        return {
            "withheld": f"no needle plans: ablation is {option.status.replace('_', ' ')} ({', '.join(option.deciding)})"
        }
    policy = load_policy()
    treated = [p for p in lesion_plans if targets is None or p.id in targets]
    details: dict[str, Any] = {
        "lesions": [
            {
                **p.as_dict(),
                "findings": _finding_dicts([f for f in lesion_findings.get(p.id, []) if f.result is not False], case),
            }
            for p in treated
        ],
        "margin_policy": {"minimum_mm": policy.margin_mm, "ideal_mm": policy.ideal_margin_mm},
    }
    if targets is not None:
        details["not_targeted"] = [p.id for p in lesion_plans if p.id not in targets]
        details["targets"] = "progressing lesions only (oligoprogression)"
    return details


def _sirt_details(option: Any, sirt_details: dict[str, Any]) -> dict[str, Any]:
    if not sirt_details:
        return {}
    if option.status in RULED_OUT:
        return {
            "withheld": f"no SIRT activity: SIRT is {option.status.replace('_', ' ')} ({', '.join(option.deciding)})"
        }
    return sirt_details


def _plan_data(
    case: Case,
    decision: Decision,
    lesion_plans: list[LesionPlan],
    lesion_findings: dict[str, list[Finding]],
    sirt_details: dict[str, Any],
    targets: frozenset[str] | None = None,
    prrt_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    kb = decision.kb
    labels = kb.meta["therapy_labels"]
    notes = kb.meta["scope_note"]
    outcomes = _outcomes()
    options = []
    for option in decision.options:
        details: dict[str, Any] = {}
        if option.therapy == "ablation":
            details = _ablation_details(option, lesion_plans, lesion_findings, targets, case)
        elif option.therapy == "sirt":
            details = _sirt_details(option, sirt_details)
        elif option.therapy == "prrt" and prrt_details:
            details = dict(prrt_details)
        options.append(
            {
                "therapy": option.therapy,
                "label": labels[option.therapy],
                "status": option.status,
                "provisional": option.provisional,
                "deciding": option.deciding,
                "findings": _finding_dicts(option.findings, case),
                "missing": option.missing,
                "details": details,
                "outcomes": outcomes.get(option.therapy, []),
            }
        )
    in_scope = decision.in_scope
    scope_note = notes["in"] if in_scope else notes["out"] if in_scope is False else notes["unknown"]
    general = [f for f in decision.general if f.rule.kind == "scope" or f.result is not False]
    fired_drafts = sorted(
        {f["rule"] for o in options for f in o["findings"] if f["rule_status"] == "draft" and f["result"] is not False}
        | {r for r in (decision.pathway.rules if decision.pathway else []) if kb.rule(r).status == "draft"}
    )
    pathway = decision.pathway.as_dict() if decision.pathway else None
    if pathway is not None:
        pathway["labels"] = {t: labels[t] for t in [*pathway["preferred"], *pathway["alternatives"]]}
        pathway["findings"] = _finding_dicts(decision.pathway_findings, case)
    return {
        "format": PLAN_FORMAT,
        "case_id": case.id,
        "decision_date": case.decision_date.isoformat() if case.decision_date else None,
        "notice": CLINICIAN_REVIEW_NOTICE,
        "software": {"name": "nenliver", "version": __version__},
        "knowledge_base": {
            "version": kb.version,
            "sha256": kb.sha256,
            "rules": len(kb.rules),
            "draft_rules": sum(r.status == "draft" for r in kb.rules),
        },
        "grade": decision.grade,
        "in_scope": in_scope,
        "scope_note": scope_note,
        "pathway": pathway,
        "input_warnings": [w.as_dict() for w in input_warnings(case)],
        "findings": _finding_dicts(general, case),
        "options": options,
        "workup": _listed(decision.workup, kb),
        "advice": _listed(decision.advice, kb),
        "conflicts": decision.conflicts,
        "draft_rules_fired": fired_drafts,
        "provisional": decision.provisional,
    }
