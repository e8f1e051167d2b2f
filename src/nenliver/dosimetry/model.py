# SPDX-License-Identifier: Apache-2.0
"""Plan (``nenliver/sirt@1``) and result (``nenliver/sirt-result@1``) models.

A :class:`SirtPlan` is valid once its constructor returns, however it was made (file, code, web
request): numbers are strict and checked against the physical ranges of
``data/plan_ranges.yaml`` (also in the JSON Schema), times are ISO 8601 text with an offset (never
numbers), unknown fields are refused (``extra="forbid"``) and the combination of device, method,
target, volumes and schedule is checked by :meth:`SirtPlan._check_combination`. Every check raises a
pydantic field error (a ``ValueError``) naming the field path.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from nenliver._validation import Bounded, InputWarning, IsoTime, field_problems_error, plausibility_warning
from nenliver.dosimetry.constants import field_ranges, number
from nenliver.dosimetry.enums import (
    CheckStatus,
    CompartmentKind,
    ConventionKind,
    DeviceKind,
    MethodKind,
    Severity,
)
from nenliver.errors import Problem

__all__ = [
    "PLAN_FORMAT",
    "RESULT_FORMAT",
    "Check",
    "Constraint",
    "DeliveryPoint",
    "Doses",
    "InversePlan",
    "Masses",
    "Patient",
    "Schedule",
    "SirtPlan",
    "SirtResult",
    "Step",
    "Target",
    "VialChoice",
]

PLAN_FORMAT: Final = "nenliver/sirt@1"
RESULT_FORMAT: Final = "nenliver/sirt-result@1"


def plan_input_warnings(plan: SirtPlan) -> list[InputWarning]:
    """Values of a valid plan that are possible but implausible (likely unit slips), to show beside them."""
    out = []
    for field, spec in plan_ranges().items():
        value: Any = plan
        for part in field.split("."):
            value = getattr(value, part, None)
        if isinstance(value, float) and (warning := plausibility_warning(spec, value, field)) is not None:
            out.append(warning)
    return out


def plan_ranges() -> dict[str, dict[str, Any]]:
    """Physical ranges of plan fields from ``data/plan_ranges.yaml``: field path → range spec."""
    return field_ranges("field")


def _in(field: str) -> Bounded:
    return Bounded(field, plan_ranges)


_STRICT_INPUT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
_OUTPUT = ConfigDict(extra="forbid", frozen=True)


class Patient(BaseModel):
    """Patient size for the resin BSA method."""

    model_config = _STRICT_INPUT

    height_cm: Annotated[float, _in("patient.height_cm")]
    weight_kg: Annotated[float, _in("patient.weight_kg")]


class Target(BaseModel):
    """Prescription: a dose to one compartment, or ``maximise: tumour`` (inverse planning)."""

    model_config = _STRICT_INPUT

    compartment: CompartmentKind | None = None
    dose_gy: Annotated[float | None, _in("target.dose_gy")] = None
    maximise: Literal["tumour"] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Target:
        if self.maximise is not None:
            if self.compartment is not None or self.dose_gy is not None:
                raise ValueError("give either {maximise: tumour} or {compartment, dose_gy}, not both")
        elif self.compartment is None or self.dose_gy is None:
            raise ValueError("a target needs both compartment and dose_gy (or maximise: tumour)")
        return self


class SirtPlan(BaseModel):
    """A SIRT dosimetry plan (``nenliver/sirt@1``).

    Volumes in mL, doses in Gy, lung shunt fraction in percent, times ISO 8601 with offset.
    Defaults for ``density_g_ml`` and ``lung_mass_kg`` are taken from cited data when omitted.
    """

    model_config = _STRICT_INPUT

    format: Literal["nenliver/sirt@1"] = PLAN_FORMAT
    device: DeviceKind
    method: MethodKind
    convention: ConventionKind | None = None
    target: Target | None = None
    perfused_volume_ml: Annotated[float | None, _in("perfused_volume_ml")] = None
    tumour_volume_ml: Annotated[float | None, _in("tumour_volume_ml")] = None
    normal_volume_ml: Annotated[float | None, _in("normal_volume_ml")] = None
    tumour_to_normal_ratio: Annotated[float | None, _in("tumour_to_normal_ratio")] = None
    lung_shunt_fraction_percent: Annotated[float, _in("lung_shunt_fraction_percent")]
    lung_mass_kg: Annotated[float | None, _in("lung_mass_kg")] = None
    density_g_ml: Annotated[float | None, _in("density_g_ml")] = None
    residual_fraction: Annotated[float, _in("residual_fraction")] = 0.0
    prior_lung_dose_gy: Annotated[float, _in("prior_lung_dose_gy")] = 0.0
    patient: Patient | None = None
    perfused_fraction_of_liver: Annotated[float, _in("perfused_fraction_of_liver")] = 1.0
    treatment_time: IsoTime | None = None
    calibration_time: IsoTime | None = None
    maa_time: IsoTime | None = None

    @model_validator(mode="after")
    def _check_combination(self) -> SirtPlan:
        problems = _combination_problems(self)
        if problems:
            raise field_problems_error(problems)
        return self

    @property
    def has_partition_inputs(self) -> bool:
        """Whether tumour and normal volumes and T/N are all known."""
        return (
            self.tumour_volume_ml is not None
            and self.normal_volume_ml is not None
            and self.tumour_to_normal_ratio is not None
        )


def _bsa_or_target_problems(plan: SirtPlan) -> list[Problem]:
    problems: list[Problem] = []
    target = plan.target
    if plan.method is MethodKind.BSA:
        if plan.device is not DeviceKind.RESIN:
            problems.append(
                Problem(
                    "method",
                    f"method 'bsa' applies to resin microspheres only; device is '{plan.device.value}'",
                    "method mird_single or partition, or device resin",
                )
            )
        if plan.patient is None:
            problems.append(Problem("patient", "method 'bsa' needs the patient's size", "{height_cm, weight_kg}"))
        if target is not None:
            problems.append(
                Problem("target", "method 'bsa' prescribes the activity from body surface area", "no target")
            )
    elif target is None:
        problems.append(Problem("target", f"method '{plan.method.value}' needs a target", "{compartment, dose_gy}"))
    elif target.maximise is not None and plan.method is not MethodKind.PARTITION:
        problems.append(Problem("target.maximise", "inverse planning needs partition inputs", "method partition"))
    return problems


def _single_compartment_problems(plan: SirtPlan) -> list[Problem]:
    problems: list[Problem] = []
    target = plan.target
    split_given = plan.tumour_volume_ml is not None and plan.normal_volume_ml is not None
    if target is not None and target.compartment not in (None, CompartmentKind.PERFUSED):
        problems.append(
            Problem(
                "target.compartment",
                f"'{target.compartment}' has no own dose in the single-compartment model",
                "perfused (or method partition)",
            )
        )
    if plan.perfused_volume_ml is None and not split_given:
        problems.append(
            Problem(
                "perfused_volume_ml",
                "method 'mird_single' needs the perfused volume",
                "perfused_volume_ml, or tumour_volume_ml and normal_volume_ml",
            )
        )
    elif plan.perfused_volume_ml is not None and split_given:
        problems.append(
            Problem(
                "perfused_volume_ml",
                "give the perfused volume either directly or as tumour + normal volumes, not both",
                "perfused_volume_ml alone, or tumour_volume_ml and normal_volume_ml",
            )
        )
    return problems


def _two_compartment_problems(plan: SirtPlan) -> list[Problem]:
    problems: list[Problem] = []
    method = plan.method.value
    if plan.perfused_volume_ml is not None:
        problems.append(
            Problem(
                "perfused_volume_ml",
                f"method '{method}' takes the perfused volume as tumour + normal volumes",
                "tumour_volume_ml and normal_volume_ml only",
            )
        )
    for name in ("tumour_volume_ml", "normal_volume_ml"):
        if getattr(plan, name) is None:
            problems.append(Problem(name, f"method '{method}' needs {name}", "a volume in mL"))
    if plan.method is MethodKind.PARTITION:
        if plan.tumour_to_normal_ratio is None:
            problems.append(
                Problem("tumour_to_normal_ratio", "method 'partition' needs T/N", "a ratio > 0 from MAA SPECT")
            )
        if plan.tumour_volume_ml is not None and plan.tumour_volume_ml <= 0:
            problems.append(Problem("tumour_volume_ml", "method 'partition' needs a tumour", "a volume > 0 mL"))
    return problems


def _method_problems(plan: SirtPlan) -> list[Problem]:
    problems = _bsa_or_target_problems(plan)
    if plan.method is not MethodKind.BSA and plan.perfused_fraction_of_liver != 1.0:
        problems.append(
            Problem(
                "perfused_fraction_of_liver",
                f"applies to method 'bsa' only; for '{plan.method.value}' give the perfused volumes themselves",
                "no perfused_fraction_of_liver, or method bsa",
            )
        )
    if plan.method is MethodKind.MIRD_SINGLE:
        problems += _single_compartment_problems(plan)
    else:
        problems += _two_compartment_problems(plan)
    return problems


def _schedule_problems(plan: SirtPlan) -> list[Problem]:
    """A calibration-to-treatment interval beyond the plausible number of half-lives is a date error."""
    if plan.treatment_time is None or plan.calibration_time is None:
        return []
    from nenliver.dosimetry.conventions import nuclide_for_device
    from nenliver.dosimetry.decay import half_life_h

    hours = (plan.treatment_time - plan.calibration_time).total_seconds() / 3600.0
    half_life = half_life_h(nuclide_for_device(plan.device))
    limit = number("schedule_max_half_lives")
    if abs(hours) <= limit * half_life:
        return []
    return [
        Problem(
            "treatment_time",
            f"treatment is {hours / 24:.1f} days from calibration, {abs(hours) / half_life:.0f} half-lives "
            f"(activity factor 2^{hours / half_life:.0f}): check both dates",
            f"within {limit:g} half-lives ({limit * half_life / 24:.0f} days) of calibration_time",
        )
    ]


def _bsa_problems(plan: SirtPlan) -> list[Problem]:
    """The BSA method gives no activity for a body surface area at or below its 0.2 m² offset."""
    if plan.method is not MethodKind.BSA or plan.patient is None or plan.tumour_volume_ml is None:
        return []
    from nenliver.dosimetry.bsa import bsa_activity_gbq, dubois_bsa_m2

    if plan.normal_volume_ml is None:
        return []
    p = plan.patient
    activity = bsa_activity_gbq(p.height_cm, p.weight_kg, plan.tumour_volume_ml, plan.normal_volume_ml)
    if activity > 0:
        return []
    return [
        Problem(
            "patient",
            f"body surface area {dubois_bsa_m2(p.height_cm, p.weight_kg):.2f} m² gives no BSA activity "
            f"({activity:.2f} GBq)",
            "a patient size for which BSA - 0.2 + V_T/(V_T+V_N) > 0, or another method",
        )
    ]


def _combination_problems(plan: SirtPlan) -> list[Problem]:
    problems = _method_problems(plan)
    if plan.device is not DeviceKind.HOLMIUM and plan.convention is ConventionKind.HO166_STANDARD:
        problems.append(
            Problem(
                "convention",
                "'ho166_standard' is the 166Ho constant; the device is 90Y",
                "eanm_2022, therasphere_ifu or aapm_mppg14a",
            )
        )
    if (plan.treatment_time is None) != (plan.calibration_time is None):
        missing = "calibration_time" if plan.calibration_time is None else "treatment_time"
        problems.append(
            Problem(
                missing,
                "decay needs both the calibration and the treatment time",
                "an ISO 8601 time with offset",
            )
        )
    problems += _schedule_problems(plan) + _bsa_problems(plan)
    if plan.maa_time is not None:
        if plan.treatment_time is None:
            problems.append(
                Problem("treatment_time", "the MAA work-up interval needs the treatment time", "an ISO 8601 time")
            )
        elif plan.maa_time > plan.treatment_time:
            problems.append(
                Problem("maa_time", "the MAA work-up is after the treatment", "a time before treatment_time")
            )
    return problems


# --------------------------------------------------------------------------------------- result


class _DropNone(BaseModel):
    """Serialises without keys whose value is None (optional per-kind fields)."""

    model_config = _OUTPUT

    @model_serializer(mode="wrap")
    def _drop_none(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}


class Check(_DropNone):
    """One limit or plausibility check, with its source.

    ``status`` is ``pass``, ``warn`` or ``fail``; a failed check of severity ``hard`` makes the
    plan not treatable. The value and limit carry their unit in the key name (``value_gy``,
    ``limit_percent``, ``limit_ratio``, ``limit_days``).
    """

    id: str
    status: CheckStatus
    severity: Severity
    text: str
    source: str
    locator: str
    tag: str
    limit_gy: float | None = None
    value_gy: float | None = None
    range_gy: tuple[float, float] | None = None
    limit_percent: float | None = None
    value_percent: float | None = None
    limit_ratio: float | None = None
    value_ratio: float | None = None
    limit_days: float | None = None
    value_days: float | None = None
    note: str | None = None


class Doses(BaseModel):
    """Mean absorbed doses (Gy); ``None`` where the inputs do not define the compartment."""

    model_config = _OUTPUT

    tumour: float | None
    normal_liver: float | None
    lung: float
    perfused_mean: float | None


class Masses(BaseModel):
    """Masses used (kg)."""

    model_config = _OUTPUT

    tumour: float | None
    normal_liver: float | None
    perfused: float
    lung: float


class Step(BaseModel):
    """One formula and its result, for the terminal view and the report."""

    model_config = _OUTPUT

    name: str
    equation: str
    value: float
    unit: str


class VialChoice(_DropNone):
    """Vial to order (glass) or fraction of a vial to draw (resin)."""

    device: DeviceKind
    nominal_activity_gbq: float | None
    activity_at_treatment_gbq: float | None
    required_activity_gbq: float
    excess_percent: float | None = None
    fraction_to_draw: float | None = None
    time_of_prescribed_activity: AwareDatetime | None = None
    available_sizes_gbq: tuple[float, ...] | None = None
    note: str | None = None


class DeliveryPoint(BaseModel):
    """Fraction of the total absorbed dose delivered by a time after implantation."""

    model_config = _OUTPUT

    hours: float
    fraction: float


class Schedule(BaseModel):
    """Decay and logistics: activity at calibration, vial choice, dose delivery over time."""

    model_config = _OUTPUT

    activity_at_calibration_gbq: float | None
    vial: VialChoice | None
    nuclide: str
    half_life_h: float
    hours_from_calibration_to_treatment: float | None = None
    decay_factor: float | None = None
    dose_delivered: tuple[DeliveryPoint, ...] = ()


class Constraint(BaseModel):
    """One limit on the activity in inverse planning, with its cited source.

    ``max_activity_gbq`` is the activity at which this limit alone is reached (``None`` when it
    does not bound the activity, e.g. the lung with no shunt).
    """

    model_config = _OUTPUT

    id: str
    max_activity_gbq: float | None
    limit: float
    unit: str
    source: str
    locator: str = ""
    tag: str = ""


class InversePlan(BaseModel):
    """Result of inverse planning: the largest activity within every limit."""

    model_config = _OUTPUT

    max_activity_gbq: float
    limiting_constraint: str
    constraints: tuple[Constraint, ...]
    tumour_dose_gy: float
    tumour_threshold_status: CheckStatus
    tumour_threshold_range_gy: tuple[float, float]


class SirtResult(BaseModel):
    """Result of a SIRT plan (``nenliver/sirt-result@1``). For clinician review."""

    model_config = _OUTPUT

    format: Literal["nenliver/sirt-result@1"] = RESULT_FORMAT
    software_version: str
    notice: str
    device: DeviceKind
    method: MethodKind
    convention: ConventionKind
    dose_constant_gy_kg_per_gbq: float
    injected_activity_gbq: float
    vial_activity_at_treatment_gbq: float
    doses_gy: Doses
    checks: tuple[Check, ...]
    activity_reduction_percent: float | None
    spheres: int
    schedule: Schedule
    treatable: bool
    limiting_constraint: str | None = None
    inverse: InversePlan | None = None
    masses_kg: Masses
    inputs: dict[str, Any]
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()
    input_warnings: tuple[dict[str, str], ...] = ()

    def failed_checks(self) -> list[Check]:
        """Checks whose status is ``fail`` (hard and advisory)."""
        return [c for c in self.checks if c.status is CheckStatus.FAIL]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready mapping with full float precision (no rounding)."""
        data: dict[str, Any] = self.model_dump(mode="json")
        return data
