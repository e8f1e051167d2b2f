"""Ablation as a service: needle plans before, the margin verdict after, predicted zones at poses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.ablation import (
    ApplicatorPose,
    MarginResult,
    SimulationResult,
    assess_margin,
    get_zone_shape,
    load_margin_settings,
    optimise_applicators,
    simulate_zone,
)
from nenliver.case.model import Case
from nenliver.guideline.loader import KnowledgeBase, load_knowledge_base
from nenliver.imaging import Volume
from nenliver.service.planning import plan_ablation
from nenliver.service.reports import AblationPlanReport, MarginReport, SimulationReport

__all__ = ["ablation_plan", "assess_ablation_margin", "simulate_ablation"]


def ablation_plan(case: Case, kb: KnowledgeBase | None = None) -> AblationPlanReport:
    """Modality, applicators and expected zone per lesion, from the same code as the decision engine."""
    kb = kb or load_knowledge_base()
    plans, findings = plan_ablation(case, kb)
    settings = load_margin_settings()
    return AblationPlanReport.model_validate(
        {
            "case": case.id,
            "lesions": [
                {**p.as_dict(), "findings": [f.as_dict() for f in findings.get(p.id, []) if f.result is not False]}
                for p in plans
            ],
            "margin_policy": {
                "minimum_mm": settings.minimum_mm,
                "ideal_mm": settings.ideal_mm,
                "sources": {k: settings.sources[k] for k in ("minimum_mm", "ideal_mm")},
            },
            "knowledge_base": {"version": kb.version, "sha256": kb.sha256},
            "software_version": __version__,
            "notice": CLINICIAN_REVIEW_NOTICE,
        }
    )


def assess_ablation_margin(
    tumour: Volume,
    ablation: Volume,
    liver: Volume | None = None,
    *,
    inputs: Mapping[str, str | None] | None = None,
    keep_maps: bool = False,
) -> tuple[MarginReport, MarginResult]:
    """The margin verdict from co-registered masks: the ``ablation-margin@1`` report and the result
    (whose maps draw the picture when ``keep_maps``)."""
    result = assess_margin(tumour, ablation, liver, keep_maps=keep_maps)
    report = MarginReport.model_validate({"inputs": dict(inputs or {}), **result.as_dict()})
    return report, result


def simulate_ablation(
    tumour: Volume,
    setting: str,
    *,
    poses: Sequence[ApplicatorPose] | None = None,
    optimise: int | None = None,
    direction: tuple[float, float, float] | None = None,
    liver: Volume | None = None,
    inputs: Mapping[str, str | None] | None = None,
    keep_maps: bool = False,
) -> tuple[SimulationReport, SimulationResult]:
    """Predicted zone and margin for applicator ``poses``, or for ``optimise`` applicators placed by
    the optimiser; the ``ablation-simulation@1`` report (LPS coordinates) and the result."""
    shape = get_zone_shape(setting)
    if optimise is not None:
        result = optimise_applicators(tumour, shape, optimise, direction=direction, liver=liver, keep_maps=keep_maps)
    else:
        result = simulate_zone(tumour, shape, list(poses or []), liver, keep_maps=keep_maps)
    report = SimulationReport.model_validate({"inputs": dict(inputs or {}), **result.as_dict()})
    return report, result
