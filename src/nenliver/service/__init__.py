"""The service layer: the one place work runs. Faces (command line, web app, FHIR adapter, cohort
runner) parse their input, call a function here with typed inputs and format the typed result.

* :func:`plan_case` — a case (``nenliver/case@1``) becomes a plan (``nenliver/plan@1``);
* :func:`plan_sirt` — a SIRT plan (``nenliver/sirt@1``) becomes a result (``sirt-result@1``);
* :func:`plan_prrt` / :func:`run_prrt` — a PRRT dosimetry plan (``nenliver/prrt@1``) becomes a
  result (``prrt-result@1``), with voxel maps for image plans;
* :func:`voxel_dose_study` and :func:`voxel_dose_report` — an activity image and masks become doses
  and DVHs (``voxel-dose@1``);
* :func:`ablation_plan`, :func:`assess_ablation_margin`, :func:`simulate_ablation` — needle plans
  before, the margin verdict after, predicted zones at applicator poses;
* :func:`rule_catalogue` — the knowledge base, one summary per rule.

The image-based services load numpy and the imaging stack on first use only, so planning a case
does not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nenliver.service.contracts import Branch, Effect, Modality, Option, Pathway, Plan, Status, Therapy
from nenliver.service.planning import plan_case
from nenliver.service.rules import RuleCatalogue, rule_catalogue
from nenliver.service.sirt import plan_sirt

if TYPE_CHECKING:
    from nenliver.dosimetry.voxel import VoxelDoseOptions
    from nenliver.service.ablation import ablation_plan, assess_ablation_margin, simulate_ablation
    from nenliver.service.dose import voxel_dose_report, voxel_dose_study
    from nenliver.service.prrt import plan_prrt, run_prrt
    from nenliver.service.reports import AblationPlanReport, MarginReport, SimulationReport, VoxelDoseReport

__all__ = [
    "AblationPlanReport",
    "Branch",
    "Effect",
    "MarginReport",
    "Modality",
    "Option",
    "Pathway",
    "Plan",
    "RuleCatalogue",
    "SimulationReport",
    "Status",
    "Therapy",
    "VoxelDoseOptions",
    "VoxelDoseReport",
    "ablation_plan",
    "assess_ablation_margin",
    "plan_case",
    "plan_prrt",
    "plan_sirt",
    "rule_catalogue",
    "run_prrt",
    "simulate_ablation",
    "voxel_dose_report",
    "voxel_dose_study",
]

_LAZY = {
    "ablation_plan": "nenliver.service.ablation",
    "assess_ablation_margin": "nenliver.service.ablation",
    "simulate_ablation": "nenliver.service.ablation",
    "plan_prrt": "nenliver.service.prrt",
    "run_prrt": "nenliver.service.prrt",
    "VoxelDoseOptions": "nenliver.dosimetry.voxel",
    "voxel_dose_report": "nenliver.service.dose",
    "voxel_dose_study": "nenliver.service.dose",
    "AblationPlanReport": "nenliver.service.reports",
    "MarginReport": "nenliver.service.reports",
    "SimulationReport": "nenliver.service.reports",
    "VoxelDoseReport": "nenliver.service.reports",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nenliver.service' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
