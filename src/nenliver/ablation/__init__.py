"""Ablation: modality and applicators per lesion, margin confirmation and zone simulation.

* :mod:`~nenliver.ablation.planning`: modality and applicators per lesion from the seed's zone sizes.
* :mod:`~nenliver.ablation.margin`: minimal ablative margin, coverage and surface histogram
  (policy and result in :mod:`~nenliver.ablation.margin_result`, verdict in
  :mod:`~nenliver.ablation.verdict`).
* :mod:`~nenliver.ablation.zones`: ellipsoidal zone shapes and applicator poses;
  :mod:`~nenliver.ablation.simulate` scores a zone against a tumour and
  :mod:`~nenliver.ablation.optimise` places applicators.
* :mod:`~nenliver.ablation.distance`: the exact voxel-centre distance transforms behind them.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from nenliver.ablation.planning import (
    LesionPlan,
    ModalityConstraints,
    Policy,
    guidance_for,
    load_policy,
    plan_lesion,
    plan_lesions,
)

if TYPE_CHECKING:  # imported lazily at run time: the image-based parts need numpy
    from nenliver.ablation.distance import bounding_box, distance_to_mask_mm, signed_distance_mm
    from nenliver.ablation.margin import assess_margin, margin_from_masks
    from nenliver.ablation.margin_result import (
        ESTIMATOR,
        MarginResult,
        MarginSettings,
        SurfaceBin,
        grid_spacing_mm,
        load_margin_settings,
    )
    from nenliver.ablation.optimise import optimise_applicators
    from nenliver.ablation.simulate import SimulationResult, simulate_zone
    from nenliver.ablation.zones import (
        ApplicatorPose,
        ZoneShape,
        get_zone_shape,
        load_zone_shapes,
        max_applicators,
        spheroid_signed_distance_mm,
        zone_mask,
    )

_LAZY = {
    **dict.fromkeys(["bounding_box", "distance_to_mask_mm", "signed_distance_mm"], "distance"),
    **dict.fromkeys(["assess_margin", "margin_from_masks"], "margin"),
    **dict.fromkeys(
        ["ESTIMATOR", "MarginResult", "MarginSettings", "SurfaceBin", "grid_spacing_mm", "load_margin_settings"],
        "margin_result",
    ),
    "optimise_applicators": "optimise",
    **dict.fromkeys(["SimulationResult", "simulate_zone"], "simulate"),
    **dict.fromkeys(
        [
            "ApplicatorPose",
            "ZoneShape",
            "get_zone_shape",
            "load_zone_shapes",
            "max_applicators",
            "spheroid_signed_distance_mm",
            "zone_mask",
        ],
        "zones",
    ),
}


def __getattr__(name: str) -> Any:
    """Import the margin, simulation and distance parts on first use (planning stays light)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nenliver.ablation' has no attribute {name!r}")
    return getattr(import_module(f"nenliver.ablation.{module}"), name)


__all__ = [
    "ESTIMATOR",
    "ApplicatorPose",
    "LesionPlan",
    "MarginResult",
    "MarginSettings",
    "ModalityConstraints",
    "Policy",
    "SimulationResult",
    "SurfaceBin",
    "ZoneShape",
    "assess_margin",
    "bounding_box",
    "distance_to_mask_mm",
    "get_zone_shape",
    "grid_spacing_mm",
    "guidance_for",
    "load_margin_settings",
    "load_policy",
    "load_zone_shapes",
    "margin_from_masks",
    "max_applicators",
    "optimise_applicators",
    "plan_lesion",
    "plan_lesions",
    "signed_distance_mm",
    "simulate_zone",
    "spheroid_signed_distance_mm",
    "zone_mask",
]
