# SPDX-License-Identifier: Apache-2.0
"""The margin policy and the result of a margin assessment (what :mod:`nenliver.ablation.margin` returns).

:class:`MarginSettings` (thresholds from ``devices.yaml`` with their sources), :class:`SurfaceBin`,
:class:`MarginMaps` (arrays for the picture) and :class:`MarginResult` with its JSON form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.ablation._devices import devices
from nenliver.ablation.distance import Box
from nenliver.ablation.planning import load_policy
from nenliver.errors import KnowledgeDataError
from nenliver.imaging.volume import Volume

__all__ = [
    "ESTIMATOR",
    "MarginMaps",
    "MarginResult",
    "MarginSettings",
    "SurfaceBin",
    "grid_spacing_mm",
    "load_margin_settings",
]

#: The estimator, named in every output.
ESTIMATOR = "voxel-centre signed Euclidean distance of the ablation zone, sampled at tumour voxel centres"


@dataclass(frozen=True)
class MarginSettings:
    """Thresholds of the margin assessment with their sources (``devices.yaml``)."""

    minimum_mm: float
    ideal_mm: float
    capsule_exclusion_mm: float
    tissue_at_risk_shell_mm: float
    registration_error_mm: tuple[float, float]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def edges_mm(self) -> tuple[float, float, float]:
        """Histogram edges: 0 (covered or not), minimum and ideal margin."""
        return 0.0, self.minimum_mm, self.ideal_mm


def _number(data: dict[str, Any], name: str) -> Any:
    entry = data.get(name)
    if not isinstance(entry, dict) or any(entry.get(k) in (None, "") for k in ("value", "unit", "tag", "source")):
        raise KnowledgeDataError(f"ablation/data/devices.yaml: {name} needs value, unit, tag and source")
    return entry["value"]


def _cite(entry: dict[str, Any]) -> str:
    src = entry["source"]
    return f"{src['key']}: {src['locator']}"


@cache
def load_margin_settings() -> MarginSettings:
    """The margin policy and assessment parameters of ``ablation/data/devices.yaml``.

    Examples
    --------
    >>> s = load_margin_settings()
    >>> s.edges_mm
    (0.0, 5.0, 10.0)
    """
    data = devices()
    policy = load_policy()
    assessment = data["margin_assessment"]
    low, high = (float(v) for v in _number(assessment, "registration_error_mm"))
    sources = {
        "minimum_mm": _cite(data["margin"]["minimum_mm"]),
        "ideal_mm": _cite(data["margin"]["ideal_mm"]),
        **{name: _cite(assessment[name]) for name in assessment},
    }
    return MarginSettings(
        minimum_mm=policy.margin_mm,
        ideal_mm=policy.ideal_margin_mm,
        capsule_exclusion_mm=float(_number(assessment, "capsule_exclusion_mm")),
        tissue_at_risk_shell_mm=float(_number(assessment, "tissue_at_risk_shell_mm")),
        registration_error_mm=(low, high),
        sources=sources,
    )


@dataclass(frozen=True)
class SurfaceBin:
    """One bin of the tumour-surface margin histogram (``lower_mm <= margin < upper_mm``)."""

    label: str
    lower_mm: float | None
    upper_mm: float | None
    voxels: int
    percent: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "bin": self.label,
            "lower_mm": self.lower_mm,
            "upper_mm": self.upper_mm,
            "voxels": self.voxels,
            "percent": round(self.percent, 3),
        }


@dataclass(frozen=True)
class MarginMaps:
    """Arrays behind a result, for the margin map picture (work grid, tumour box ``region``)."""

    tumour: NDArray[np.bool_]
    ablation: NDArray[np.bool_]
    liver: NDArray[np.bool_] | None
    margin_mm: NDArray[np.float32]
    surface: NDArray[np.bool_]
    excluded: NDArray[np.bool_]
    region: Box
    spacing_mm: tuple[float, float, float]
    voxel: tuple[int, int, int]


@dataclass(frozen=True)
class MarginResult:
    """Minimal ablative margin, coverage and surface histogram of one tumour.

    ``location_index`` is in the array indices of the ablation mask; ``location_mm`` and
    ``direction`` are in patient coordinates (LPS, mm) when the grid's affine is known.
    """

    minimal_margin_mm: float
    minimal_margin_without_exclusion_mm: float
    location_index: tuple[int, int, int]
    location_mm: tuple[float, float, float] | None
    direction: tuple[float, float, float] | None
    discretisation_uncertainty_mm: float
    coverage_percent: float
    tumour_volume_ml: float
    residual_tumour_volume_ml: float
    tissue_at_risk_volume_ml: float
    ablation_volume_ml: float
    surface_voxels: int
    excluded_surface_voxels: int | None
    histogram: tuple[SurfaceBin, ...]
    surface_ge_minimum_percent: float
    surface_ge_ideal_percent: float
    verdict: str
    verdict_code: str
    spacing_mm: tuple[float, float, float]
    settings: MarginSettings
    notes: tuple[str, ...] = ()
    maps: MarginMaps | None = field(default=None, repr=False, compare=False)

    @property
    def minimal_margin_lower_bound_mm(self) -> float:
        """The estimate minus its discretisation uncertainty: what a threshold must be met by."""
        return self.minimal_margin_mm - self.discretisation_uncertainty_mm

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of ``nenliver ablation margin --json`` (without inputs)."""
        s = self.settings
        return {
            "minimal_margin_mm": _round(self.minimal_margin_mm),
            "minimal_margin_lower_bound_mm": _round(self.minimal_margin_lower_bound_mm),
            "minimal_margin_interval_mm": [
                _round(self.minimal_margin_lower_bound_mm),
                _round(self.minimal_margin_mm),
            ],
            "coverage_percent": _round(self.coverage_percent),
            "surface_margin_histogram": [b.as_dict() for b in self.histogram],
            "surface_ge_minimum_percent": _round(self.surface_ge_minimum_percent),
            "surface_ge_ideal_percent": _round(self.surface_ge_ideal_percent),
            # Key names of the first contract, kept: they hold the share at margin_policy.minimum_mm
            # and ideal_mm (5 and 10 mm in the packaged data), whatever those are.
            "surface_ge_5mm_percent": _round(self.surface_ge_minimum_percent),
            "surface_ge_10mm_percent": _round(self.surface_ge_ideal_percent),
            "residual_tumour_volume_ml": _round(self.residual_tumour_volume_ml, 4),
            "tissue_at_risk_volume_ml": _round(self.tissue_at_risk_volume_ml, 4),
            "tissue_at_risk_shell_mm": s.tissue_at_risk_shell_mm,
            "tumour_volume_ml": _round(self.tumour_volume_ml, 4),
            "ablation_volume_ml": _round(self.ablation_volume_ml, 4),
            "surface_voxels": self.surface_voxels,
            "verdict": self.verdict,
            "verdict_code": self.verdict_code,
            "minimal_margin_location_index": list(self.location_index),
            "minimal_margin_location_mm": None if self.location_mm is None else [_round(v) for v in self.location_mm],
            "minimal_margin_direction": None if self.direction is None else [_round(v, 4) for v in self.direction],
            "discretisation_uncertainty_mm": _round(self.discretisation_uncertainty_mm),
            "capsule_exclusion": None
            if self.excluded_surface_voxels is None
            else {
                "exclusion_mm": s.capsule_exclusion_mm,
                "excluded_surface_voxels": self.excluded_surface_voxels,
                "minimal_margin_without_exclusion_mm": _round(self.minimal_margin_without_exclusion_mm),
            },
            "grid_spacing_mm": [_round(v, 4) for v in self.spacing_mm],
            "method": {
                "estimator": ESTIMATOR,
                "sign": "positive inside the ablation zone, negative where tumour lies outside it",
                "surface": "tumour voxels with a face neighbour outside the tumour",
                "bias": "voxel-centre estimate; can be off by up to about one voxel diagonal "
                "(discretisation_uncertainty_mm): measured bias on analytic phantoms in docs/ablation.md",
                "verdict_rule": "a threshold counts as met only when the lower bound (estimate minus the "
                "discretisation uncertainty) reaches it; 'borderline' when only the estimate meets the minimum",
            },
            "margin_policy": {
                "minimum_mm": s.minimum_mm,
                "ideal_mm": s.ideal_mm,
                "registration_error_mm": list(s.registration_error_mm),
                "sources": dict(s.sources),
            },
            "notes": list(self.notes),
            "software_version": __version__,
            "notice": CLINICIAN_REVIEW_NOTICE,
        }


def _round(value: float, digits: int = 3) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def grid_spacing_mm(volume: Volume) -> tuple[float, float, float]:
    """Voxel spacing of an orthogonal grid; a sheared grid (gantry tilt) is refused.

    Raises
    ------
    ImagingInputError
        When the voxel axes of ``volume`` are not orthogonal.
    """
    return volume.orthogonal_spacing_mm("the margin distance")
