"""Ablation planning: modality and applicators per lesion from the seed's zone sizes."""

from nenliver.ablation.planning import (
    LesionPlan,
    ModalityConstraints,
    Policy,
    guidance_for,
    load_policy,
    plan_lesion,
    plan_lesions,
)

__all__ = [
    "LesionPlan",
    "ModalityConstraints",
    "Policy",
    "guidance_for",
    "load_policy",
    "plan_lesion",
    "plan_lesions",
]
