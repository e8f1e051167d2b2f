"""Contracts of the image-based outputs: ``voxel-dose@1``, ``ablation-plan@1``,
``ablation-margin@1`` and ``ablation-simulation@1`` (what ``nenliver dose voxel``, ``ablation plan``,
``ablation margin`` and ``ablation simulate`` print with ``--json``).

Metric names inside a structure carry their unit and reporting point in the key (``d70_gy``,
``v100_percent``); the reporting points are data (``dosimetry/data/voxel.yaml``), so those maps are
typed as ``name → number``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from nenliver.service.contracts import LesionPlan, Modality, _Out

__all__ = [
    "AblationPlanReport",
    "Applicator",
    "DvhCurve",
    "KernelInfo",
    "MarginReport",
    "SimulationReport",
    "SurfaceBin",
    "VoxelDoseReport",
    "ZoneSetting",
]


class DvhCurve(_Out):
    """A cumulative DVH: the volume share receiving at least each dose."""

    dose_gy: list[float]
    volume_percent: list[float]


class KernelInfo(_Out):
    source: str
    shape: list[int]
    self_fraction: float
    range_mm: float
    density_g_per_ml: float


class LungDose(_Out):
    mean_gy: float | None
    basis: str


class VoxelParameters(_Out):
    injected_gbq: float
    lsf_percent: float
    convention: str
    dose_constant_gy_kg_per_gbq: float
    tissue_density_g_per_ml: float
    lung_density_g_per_ml: float
    voxel_volume_ml: float
    spacing_mm: list[float]
    shape: list[int]


class PostTreatment(_Out):
    activity_mode: Literal["relative", "absolute"]
    structures: dict[str, dict[str, float]]
    notes: list[str]


class VoxelDoseReport(_Out):
    """Voxel dosimetry of one activity image (``nenliver/voxel-dose@1``). For clinician review."""

    omit_if_none: ClassVar[tuple[str, ...]] = ("kernel", "comparison", "post_treatment", "outputs")

    format: Literal["nenliver/voxel-dose@1"] = "nenliver/voxel-dose@1"
    software_version: str
    notice: str
    method: Literal["ldm", "kernel"]
    activity_mode: Literal["relative", "absolute"]
    inputs: dict[str, str | list[str] | None]
    parameters: VoxelParameters
    structures: dict[str, dict[str, float]]
    lung: LungDose
    activity_in_image_gbq: float
    kernel: KernelInfo | None = None
    dvh: dict[str, DvhCurve]
    notes: list[str]
    comparison: dict[str, Any] | None = None
    post_treatment: PostTreatment | None = None
    outputs: dict[str, str] | None = None


class MarginPolicySources(_Out):
    minimum_mm: float
    ideal_mm: float
    sources: dict[str, str]


class KnowledgeBaseVersion(_Out):
    version: str
    sha256: str


class PlannedLesion(LesionPlan):
    """A lesion plan of ``ablation plan`` (the same fields as in ``plan@1``)."""


class AblationPlanReport(_Out):
    """Modality, applicators and expected zone per lesion of a case (``nenliver/ablation-plan@1``)."""

    format: Literal["nenliver/ablation-plan@1"] = "nenliver/ablation-plan@1"
    case: str
    lesions: list[PlannedLesion]
    margin_policy: MarginPolicySources
    knowledge_base: KnowledgeBaseVersion
    software_version: str
    notice: str


class SurfaceBin(_Out):
    bin: str
    lower_mm: float | None
    upper_mm: float | None
    voxels: int
    percent: float


class CapsuleExclusion(_Out):
    exclusion_mm: float
    excluded_surface_voxels: int
    minimal_margin_without_exclusion_mm: float | None


class MarginMethod(_Out):
    estimator: str
    sign: str
    surface: str
    bias: str
    verdict_rule: str


class MarginPolicyOut(_Out):
    minimum_mm: float
    ideal_mm: float
    registration_error_mm: list[float]
    sources: dict[str, str]


class MarginMetrics(_Out):
    """The margin of one tumour (the fields shared by ``ablation margin`` and ``ablation simulate``)."""

    minimal_margin_mm: float | None
    minimal_margin_lower_bound_mm: float | None
    minimal_margin_interval_mm: list[float | None]
    coverage_percent: float | None
    surface_margin_histogram: list[SurfaceBin]
    surface_ge_minimum_percent: float | None
    surface_ge_ideal_percent: float | None
    surface_ge_5mm_percent: float | None
    surface_ge_10mm_percent: float | None
    residual_tumour_volume_ml: float | None
    tissue_at_risk_volume_ml: float | None
    tissue_at_risk_shell_mm: float
    tumour_volume_ml: float | None
    ablation_volume_ml: float | None
    surface_voxels: int
    verdict: str
    verdict_code: Literal["incomplete", "insufficient", "borderline", "minimum", "ideal"]
    minimal_margin_location_index: list[int]
    minimal_margin_location_mm: list[float | None] | None
    minimal_margin_direction: list[float | None] | None
    discretisation_uncertainty_mm: float | None
    capsule_exclusion: CapsuleExclusion | None
    grid_spacing_mm: list[float | None]
    method: MarginMethod
    margin_policy: MarginPolicyOut


class MarginReport(MarginMetrics):
    """Minimal ablative margin, coverage and surface histogram (``nenliver/ablation-margin@1``)."""

    omit_if_none: ClassVar[tuple[str, ...]] = ("margin_map_png",)

    format: Literal["nenliver/ablation-margin@1"] = "nenliver/ablation-margin@1"
    inputs: dict[str, str | None]
    notes: list[str]
    software_version: str
    notice: str
    margin_map_png: str | None = None


class ZoneSetting(_Out):
    id: str
    modality: Modality
    label: str
    long_axis_mm: float
    short_axis_mm: float
    beyond_tip_mm: float
    volume_ml: float
    unverified: list[str]
    sources: dict[str, str]


class Applicator(_Out):
    tip_mm: list[float]
    direction: list[float]
    zone_centre_mm: list[float]


class SimulationReport(_Out):
    """Predicted zone and margin at applicator poses (``nenliver/ablation-simulation@1``)."""

    omit_if_none: ClassVar[tuple[str, ...]] = ("zone_mask", "margin_map_png")

    format: Literal["nenliver/ablation-simulation@1"] = "nenliver/ablation-simulation@1"
    inputs: dict[str, str | None]
    setting: ZoneSetting
    applicators: list[Applicator]
    optimised: bool
    optimiser_objective_mm: float | None
    predicted: MarginMetrics
    notes: list[str]
    frame: str
    software_version: str
    notice: str
    zone_mask: str | None = None
    margin_map_png: str | None = None
