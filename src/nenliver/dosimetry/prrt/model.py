# SPDX-License-Identifier: Apache-2.0
"""PRRT dosimetry plan (``nenliver/prrt@1``) and result (``nenliver/prrt-result@1``) models.

A :class:`PrrtPlan` is valid once its constructor returns: numbers are strict and inside the
physical ranges of ``data/prrt.yaml`` (``prrt_field`` entries, also in the JSON Schema), unknown
fields and unknown roles are refused, and :meth:`PrrtPlan._check_combination` checks what spans
fields (times strictly increasing, one activity per time point, a single-time-point plan with one
measurement per organ, images or activity lists but not both, earlier cycles before this one). Every
problem names its field path (``organs.kidney_left.activity_mbq[2]``).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from nenliver._validation import Bounded, InputWarning, IsoTime, field_problems_error, plausibility_warning
from nenliver.dosimetry.constants import field_ranges
from nenliver.dosimetry.prrt.fit import FitKind, TailKind
from nenliver.errors import Problem

__all__ = [
    "PLAN_FORMAT",
    "RESULT_FORMAT",
    "CheckState",
    "ImageTimePoint",
    "OrganInput",
    "OrganRole",
    "PriorCycle",
    "PriorOrgan",
    "PrrtCheck",
    "PrrtOrganResult",
    "PrrtPlan",
    "PrrtResult",
    "SinglePointMethod",
    "SingleTimePoint",
    "prrt_ranges",
]

PLAN_FORMAT: Final = "nenliver/prrt@1"
RESULT_FORMAT: Final = "nenliver/prrt-result@1"
#: Names of volumes of interest: they become keys, file names and figure titles.
_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"


def prrt_ranges() -> dict[str, dict[str, Any]]:
    """Physical ranges of PRRT plan fields from ``data/prrt.yaml``: field name → range spec."""
    return field_ranges("prrt_field")


def _in(name: str) -> Bounded:
    return Bounded(name, prrt_ranges)


_STRICT_INPUT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
_OUTPUT = ConfigDict(extra="forbid", frozen=True)

Mbq = Annotated[float, _in("activity_mbq")]
Hours = Annotated[float, _in("time_h")]


class OrganRole(StrEnum):
    """What a volume of interest is: decides its limits and whether a BED is computed."""

    KIDNEY = "kidney"
    MARROW = "marrow"
    LIVER = "liver"
    SPLEEN = "spleen"
    TUMOUR = "tumour"
    OTHER = "other"


class SinglePointMethod(StrEnum):
    """Single-time-point dosimetry method."""

    HANSCHEID = "hanscheid"
    """TIA = A(t)·2t/ln 2 (Hänscheid 2018): exact for a mono-exponential when t is the effective half-life."""
    MADSEN = "madsen"
    """TIA = A(t)·e^(λt)/λ with a stated effective half-life (Madsen 2018)."""


class OrganInput(BaseModel):
    """One volume of interest: its role, mass and activities (or a mask in image mode)."""

    model_config = _STRICT_INPUT

    role: OrganRole
    mass_g: Annotated[float | None, _in("mass_g")] = None
    activity_mbq: list[Mbq] | None = Field(default=None, min_length=1, max_length=20)
    recovery_coefficient: Annotated[float | None, _in("recovery_coefficient")] = None


class SingleTimePoint(BaseModel):
    """One measurement per organ: the method, its time and (Madsen) the effective half-life."""

    model_config = _STRICT_INPUT

    method: SinglePointMethod
    time_h: Hours
    effective_half_life_h: Annotated[float | None, _in("effective_half_life_h")] = None
    lambda_per_h: Annotated[float | None, _in("lambda_per_h")] = None

    @model_validator(mode="after")
    def _one_rate(self) -> SingleTimePoint:
        if self.effective_half_life_h is not None and self.lambda_per_h is not None:
            raise ValueError("give effective_half_life_h or lambda_per_h, not both")
        return self

    @property
    def stated_half_life_h(self) -> float | None:
        """The effective half-life Madsen's method assumes (given directly or as λ)."""
        if self.lambda_per_h is not None:
            return math.log(2.0) / self.lambda_per_h
        return self.effective_half_life_h


class PriorOrgan(BaseModel):
    """Dose (and BED) of one volume of interest in an earlier cycle."""

    model_config = _STRICT_INPUT

    dose_gy: Annotated[float, _in("dose_gy")]
    bed_gy: Annotated[float | None, _in("dose_gy")] = None


class PriorCycle(BaseModel):
    """An earlier cycle of this patient (from its own dosimetry report)."""

    model_config = _STRICT_INPUT

    cycle: Annotated[int, _in("cycle")]
    injected_activity_mbq: Annotated[float | None, _in("injected_activity_mbq")] = None
    organs: dict[Annotated[str, Field(pattern=_NAME_PATTERN)], PriorOrgan] = Field(min_length=1)


class ImageTimePoint(BaseModel):
    """One quantitative SPECT/CT: the image, when it was taken, and optionally its own masks."""

    model_config = _STRICT_INPUT

    spect: str = Field(min_length=1, max_length=4096)
    time: IsoTime | None = None
    time_h: Hours | None = None
    masks: dict[Annotated[str, Field(pattern=_NAME_PATTERN)], str] | None = None

    @model_validator(mode="after")
    def _one_time(self) -> ImageTimePoint:
        if self.time is not None and self.time_h is not None:
            raise ValueError("give time or time_h, not both")
        return self


class PrrtPlan(BaseModel):
    """A PRRT dosimetry plan (``nenliver/prrt@1``): one cycle of one patient.

    Activities in MBq, times in hours after administration (or ISO 8601 with offset in image
    mode, with ``administered_at``), masses in g, doses in Gy.
    """

    model_config = _STRICT_INPUT

    format: Literal["nenliver/prrt@1"] = PLAN_FORMAT
    radionuclide: Literal["Lu-177"] = "Lu-177"
    injected_activity_mbq: Annotated[float, _in("injected_activity_mbq")]
    cycle: Annotated[int, _in("cycle")] = 1
    administered_at: IsoTime | None = None
    times_h: list[Hours] | None = Field(default=None, min_length=1, max_length=20)
    organs: dict[Annotated[str, Field(pattern=_NAME_PATTERN)], OrganInput] = Field(min_length=1, max_length=64)
    fit: FitKind = FitKind.AUTO
    tail: TailKind = TailKind.FITTED
    single_time_point: SingleTimePoint | None = None
    prior_cycles: list[PriorCycle] = Field(default_factory=list, max_length=30)
    kidney_risk_factors: bool | None = None
    images: list[ImageTimePoint] | None = Field(default=None, min_length=1, max_length=20)
    masks: dict[Annotated[str, Field(pattern=_NAME_PATTERN)], str] | None = None
    calibration_mbq_per_count: Annotated[float | None, _in("calibration_mbq_per_count")] = None
    dose_method: Literal["ldm", "kernel"] = "kernel"
    density_g_per_ml: Annotated[float | None, _in("density_g_per_ml")] = None

    @model_validator(mode="after")
    def _check_combination(self) -> PrrtPlan:
        problems = _combination_problems(self)
        if problems:
            raise field_problems_error(problems)
        return self

    @property
    def image_mode(self) -> bool:
        """Whether activities come from serial images rather than lists."""
        return self.images is not None


def _increasing(times: list[float], path: str) -> list[Problem]:
    return [
        Problem(f"{path}[{i}]", f"{times[i]:g} h is not after {times[i - 1]:g} h", "strictly increasing times")
        for i in range(1, len(times))
        if not times[i] > times[i - 1]
    ]


def _list_problems(plan: PrrtPlan) -> list[Problem]:
    problems: list[Problem] = []
    stp = plan.single_time_point
    if plan.times_h is None and stp is None:
        problems.append(Problem("times_h", "no time points", "times_h (h after administration), or images"))
        return problems
    if plan.times_h is not None:
        problems += _increasing(plan.times_h, "times_h")
    if stp is not None and plan.times_h is not None and plan.times_h != [stp.time_h]:
        problems.append(
            Problem("times_h", "differs from single_time_point.time_h", "omit times_h, or [single_time_point.time_h]")
        )
    n = 1 if stp is not None else len(plan.times_h or ())
    for name, organ in plan.organs.items():
        path = f"organs.{name}.activity_mbq"
        if organ.activity_mbq is None:
            problems.append(Problem(path, "missing", f"{n} activities (MBq), one per time point"))
        elif len(organ.activity_mbq) != n:
            problems.append(
                Problem(path, f"{len(organ.activity_mbq)} values for {n} time points", f"{n} activities (MBq)")
            )
        elif organ.mass_g is None:
            problems.append(Problem(f"organs.{name}.mass_g", "missing", "the mass of the volume of interest in g"))
    if stp is None:
        needed = {FitKind.MONO_EXP: 2, FitKind.BIEXP_UPTAKE: 3, FitKind.TRAPEZOID: 1, FitKind.AUTO: 2}[plan.fit]
        if plan.fit is FitKind.TRAPEZOID and plan.tail is not TailKind.PHYSICAL:
            needed = 2
        if len(plan.times_h or ()) < needed:
            problems.append(
                Problem(
                    "times_h",
                    f"{len(plan.times_h or ())} time point(s) for fit {plan.fit.value}",
                    f"at least {needed} time points, or single_time_point for one scan",
                )
            )
    elif stp.method is SinglePointMethod.MADSEN and stp.stated_half_life_h is None:
        problems.append(
            Problem(
                "single_time_point.effective_half_life_h",
                "missing",
                "the effective half-life (h) or lambda_per_h the Madsen method assumes (population or cycle 1)",
            )
        )
    return problems


def _image_problems(plan: PrrtPlan) -> list[Problem]:
    problems: list[Problem] = []
    images = plan.images or []
    if plan.times_h is not None:
        problems.append(Problem("times_h", "given with images", "times in images[].time or images[].time_h"))
    if plan.single_time_point is not None and len(images) != 1:
        problems.append(Problem("images", f"{len(images)} images", "one image for single_time_point"))
    for i, image in enumerate(images):
        if image.time is not None and plan.administered_at is None:
            problems.append(
                Problem(
                    "administered_at", "missing", "the administration time (ISO 8601 with offset) for images[].time"
                )
            )
            break
        if image.time is not None and plan.administered_at is not None and image.time <= plan.administered_at:
            problems.append(Problem(f"images[{i}].time", "not after administered_at", "a scan after administration"))
    for name, organ in plan.organs.items():
        if organ.activity_mbq is not None:
            problems.append(Problem(f"organs.{name}.activity_mbq", "given with images", "activities from the images"))
        has_mask = plan.masks is not None and name in plan.masks
        per_time = all(image.masks is not None and name in image.masks for image in images)
        if not (has_mask or per_time):
            problems.append(
                Problem(f"masks.{name}", "no mask", "a mask for every organ (masks, or images[].masks at every time)")
            )
    for key in plan.masks or {}:
        if key not in plan.organs:
            problems.append(Problem(f"masks.{key}", "not an organ of the plan", f"one of {', '.join(plan.organs)}"))
    return problems


def _combination_problems(plan: PrrtPlan) -> list[Problem]:
    problems = _image_problems(plan) if plan.image_mode else _list_problems(plan)
    seen: set[int] = set()
    for i, prior in enumerate(plan.prior_cycles):
        if prior.cycle >= plan.cycle:
            problems.append(
                Problem(
                    f"prior_cycles[{i}].cycle",
                    f"cycle {prior.cycle} is not before this cycle {plan.cycle}",
                    "an earlier cycle",
                )
            )
        if prior.cycle in seen:
            problems.append(
                Problem(f"prior_cycles[{i}].cycle", f"cycle {prior.cycle} appears twice", "one entry per cycle")
            )
        seen.add(prior.cycle)
    return problems


def plan_input_warnings(plan: PrrtPlan) -> list[InputWarning]:
    """Possible but implausible values of a valid plan (likely unit slips), shown beside them."""
    spec = prrt_ranges()["injected_activity_mbq"]
    warning = plausibility_warning(spec, plan.injected_activity_mbq, "injected_activity_mbq")
    return [warning] if warning is not None else []


# --- Result ------------------------------------------------------------------------------------


class CheckState(StrEnum):
    """Outcome of a limit check (three-valued: an unknown cumulative figure never passes)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


class PrrtCheck(BaseModel):
    """One limit or plausibility check of one volume of interest."""

    model_config = _OUTPUT

    id: str
    status: CheckState
    severity: Literal["hard", "advisory", "plausibility"]
    draft: bool
    quantity: str
    value: float | None
    limit: float | tuple[float, float]
    unit: str
    projected_next_cycle: float | None = None
    cycles_remaining: int | None = None
    text: str
    source: str
    locator: str
    tag: str


class FitCandidate(BaseModel):
    """A model considered by ``fit: auto``."""

    model_config = _OUTPUT

    model: str
    criterion_value: float
    tia_mbq_h: float
    sum_squares_mbq2: float


class PrrtOrganResult(BaseModel):
    """Time-activity fit, dose, BED, cumulative figures and checks of one volume of interest."""

    model_config = _OUTPUT

    role: OrganRole
    mass_g: float
    mass_basis: str
    times_h: list[float]
    activity_mbq: list[float]
    model: str
    parameters: dict[str, float]
    residuals_mbq: list[float]
    effective_half_life_h: float
    tia_mbq_h: float
    dose_gy: float
    gy_per_gbq: float
    bed_gy: float | None
    cumulative: dict[str, float | None]
    checks: list[PrrtCheck]
    criterion: str | None = None
    candidates: list[FitCandidate] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class PrrtResult(BaseModel):
    """Result of a PRRT dosimetry plan: per organ and the cycle-level answer (for clinician review)."""

    model_config = _OUTPUT

    format: Literal["nenliver/prrt-result@1"] = RESULT_FORMAT
    software_version: str
    knowledge_base_version: str
    notice: str
    radionuclide: str
    half_life_h: float
    ldm_gy_kg_per_mbq_h: float
    injected_activity_mbq: float
    cycle: int
    method: str
    organs: dict[str, PrrtOrganResult]
    treatable_next_cycle: bool | None
    deciding: list[str]
    kidney_limit_basis: str
    radiobiology: dict[str, Any]
    voxel: dict[str, Any] | None = None
    input_warnings: list[dict[str, str]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    administered_at: AwareDatetime | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict (full float precision)."""
        return self.model_dump(mode="json")
