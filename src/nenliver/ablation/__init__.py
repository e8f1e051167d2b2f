"""Ablation: modality and applicators per lesion, margin confirmation and zone simulation.

* :mod:`~nenliver.ablation.planning`: modality and applicators per lesion from the seed's zone sizes.
* :mod:`~nenliver.ablation.margin`: minimal ablative margin, coverage and surface histogram.
* :mod:`~nenliver.ablation.simulate`: ellipsoidal zones at applicator poses and a small optimiser.
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
    from nenliver.ablation.margin import (
        ESTIMATOR,
        MarginResult,
        MarginSettings,
        SurfaceBin,
        assess_margin,
        grid_spacing_mm,
        load_margin_settings,
        margin_from_masks,
    )
    from nenliver.ablation.simulate import (
        ApplicatorPose,
        SimulationResult,
        ZoneShape,
        get_zone_shape,
        load_zone_shapes,
        max_applicators,
        optimise_applicators,
        simulate_zone,
        spheroid_signed_distance_mm,
        zone_mask,
    )

_LAZY = {
    **dict.fromkeys(["bounding_box", "distance_to_mask_mm", "signed_distance_mm"], "distance"),
    **dict.fromkeys(
        [
            "ESTIMATOR",
            "MarginResult",
            "MarginSettings",
            "SurfaceBin",
            "assess_margin",
            "grid_spacing_mm",
            "load_margin_settings",
            "margin_from_masks",
        ],
        "margin",
    ),
    **dict.fromkeys(
        [
            "ApplicatorPose",
            "SimulationResult",
            "ZoneShape",
            "get_zone_shape",
            "load_zone_shapes",
            "max_applicators",
            "optimise_applicators",
            "simulate_zone",
            "spheroid_signed_distance_mm",
            "zone_mask",
        ],
        "simulate",
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
