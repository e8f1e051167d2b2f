"""The service layer: the one place work runs. Faces (command line, web app, FHIR adapter, cohort
runner) parse their input, call a function here with typed inputs and format the typed result.

* :func:`plan_case` — a case (``nenliver/case@1``) becomes a plan (``nenliver/plan@1``);
* :func:`plan_sirt` — a SIRT plan (``nenliver/sirt@1``) becomes a result (``sirt-result@1``);
* :func:`voxel_dose_study` — an activity image and masks become doses and DVHs (``voxel-dose@1``);
* :func:`ablation_plan`, :func:`assess_ablation_margin`, :func:`simulate_ablation` — needle plans
  before, the margin verdict after, predicted zones at applicator poses;
* :func:`rule_catalogue` — the knowledge base, one summary per rule.
"""

from __future__ import annotations

from nenliver.service.contracts import (
    Branch,
    Effect,
    Modality,
    Option,
    Pathway,
    Plan,
    Status,
    Therapy,
)
from nenliver.service.planning import plan_case

__all__ = [
    "Branch",
    "Effect",
    "Modality",
    "Option",
    "Pathway",
    "Plan",
    "Status",
    "Therapy",
    "plan_case",
]
