# SPDX-License-Identifier: Apache-2.0
"""Evaluate a SIRT plan: activity, compartment doses, checks, decay and logistics.

:func:`evaluate_plan` is the single entry point used by the command line and the decision
engine; :func:`plan_from_quantities` and :func:`dosimetry_for_workup` build the plan from plain
quantities.

.. warning:: Decision support for clinician review. Results depend on the MAA surrogate, the
   chosen dose-conversion convention and limits derived largely from non-NEN populations.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.dosimetry import checks as _checks
from nenliver.dosimetry._units import (
    hours_between,
    hours_to_days,
    mass_kg,
    percent_to_fraction,
)
from nenliver.dosimetry.bsa import bsa_activity_gbq, dubois_bsa_m2, shunt_reduction_percent
from nenliver.dosimetry.constants import entry, number, numbers
from nenliver.dosimetry.conventions import effective_convention, nuclide_for_device
from nenliver.dosimetry.decay import decay_factor, fraction_of_dose_delivered, half_life_h
from nenliver.dosimetry.enums import CompartmentKind, ConventionKind, DeviceKind, MethodKind
from nenliver.dosimetry.holmium import holmium_standard_activity_gbq
from nenliver.dosimetry.inverse import CAP_EQUATIONS, maximise_tumour_dose
from nenliver.dosimetry.logistics import choose_glass_vial, resin_vial_fraction, sphere_count
from nenliver.dosimetry.mird import lung_dose_gy, single_compartment_activity_gbq, single_compartment_dose_gy
from nenliver.dosimetry.model import (
    Check,
    DeliveryPoint,
    Doses,
    InversePlan,
    Masses,
    Schedule,
    SirtPlan,
    SirtResult,
    Step,
    VialChoice,
    plan_input_warnings,
)
from nenliver.dosimetry.partition import partition_activity_gbq, partition_doses_gy
from nenliver.dosimetry.validation import plan_from_mapping
from nenliver.errors import DosimetryInputError, Problem

__all__ = ["dosimetry_for_workup", "evaluate_plan", "plan_from_quantities"]


class _Context:
    """Resolved inputs of one evaluation (defaults applied, masses computed)."""

    def __init__(self, plan: SirtPlan) -> None:
        self.plan = plan
        self.convention = effective_convention(plan.device, plan.convention)
        self.c = number(self.convention.value)
        self.density = plan.density_g_ml if plan.density_g_ml is not None else number("liver_density")
        self.lung_mass = plan.lung_mass_kg if plan.lung_mass_kg is not None else number("lung_mass")
        self.f = percent_to_fraction(plan.lung_shunt_fraction_percent)
        # BSA takes whole-liver volumes; a lobe or segment is the share perfused_fraction_of_liver of
        # them (the tumour share of the lobe taken to be that of the whole liver).
        share = plan.perfused_fraction_of_liver
        self.m_t = share * mass_kg(plan.tumour_volume_ml, self.density) if plan.tumour_volume_ml is not None else None
        self.m_n = share * mass_kg(plan.normal_volume_ml, self.density) if plan.normal_volume_ml is not None else None
        if plan.perfused_volume_ml is not None:
            self.m_p = mass_kg(plan.perfused_volume_ml, self.density)
        else:
            self.m_p = (self.m_t or 0.0) + (self.m_n or 0.0)
        self.tn = plan.tumour_to_normal_ratio
        self.steps: list[Step] = []
        self.notes: list[str] = []

    def step(self, name: str, equation: str, value: float, unit: str) -> float:
        self.steps.append(Step(name=name, equation=equation, value=value, unit=unit))
        return value

    @property
    def split(self) -> tuple[float, float, float] | None:
        if self.m_t is None or self.m_n is None or self.tn is None:
            return None
        return self.m_t, self.m_n, self.tn


def _default_notes(ctx: _Context) -> None:
    plan = ctx.plan
    if plan.density_g_ml is None:
        ctx.notes.append(f"density_g_ml not given: {ctx.density:g} g/mL ({entry('liver_density').locator})")
    if plan.lung_mass_kg is None:
        ctx.notes.append(f"lung_mass_kg not given: {ctx.lung_mass:g} kg (lung-dose convention)")
    if plan.device is DeviceKind.HOLMIUM and plan.convention not in (None, ConventionKind.HO166_STANDARD):
        ctx.notes.append(f"convention '{plan.convention}' is a 90Y constant; 166Ho always uses {ctx.c:g} Gy·kg/GBq")
    if plan.device is not DeviceKind.HOLMIUM and plan.convention is None:
        ctx.notes.append(f"convention not given: {ctx.convention.value} ({ctx.c:g} Gy·kg/GBq)")


def _mass_steps(ctx: _Context) -> None:
    share = "f·" if ctx.plan.perfused_fraction_of_liver != 1.0 else ""
    if ctx.m_t is not None:
        ctx.step("tumour mass", f"M_T = {share}V_T·ρ/1000", ctx.m_t, "kg")
    if ctx.m_n is not None:
        ctx.step("normal liver mass", f"M_N = {share}V_N·ρ/1000", ctx.m_n, "kg")
    equation = "M = V·ρ/1000" if ctx.plan.perfused_volume_ml is not None else "M = M_T + M_N"
    ctx.step("perfused mass", equation, ctx.m_p, "kg")


def _activity(ctx: _Context) -> tuple[float, float | None, InversePlan | None]:
    """Injected activity, shunt reduction (%) and inverse plan for the plan's method."""
    plan = ctx.plan
    target = plan.target
    if plan.method is MethodKind.BSA:
        patient = plan.patient
        assert patient is not None
        assert plan.tumour_volume_ml is not None
        assert plan.normal_volume_ml is not None
        ctx.step(
            "body surface area",
            f"BSA = {number('dubois_coefficient'):g}·h[m]^{number('dubois_height_exponent'):g}"
            f"·w[kg]^{number('dubois_weight_exponent'):g}",
            dubois_bsa_m2(patient.height_cm, patient.weight_kg),
            "m²",
        )
        base = ctx.step(
            "BSA activity",
            f"A_BSA = BSA − {number('bsa_offset'):g} + V_T/(V_T+V_N)",
            bsa_activity_gbq(patient.height_cm, patient.weight_kg, plan.tumour_volume_ml, plan.normal_volume_ml),
            "GBq",
        )
        share = plan.perfused_fraction_of_liver
        if share != 1.0:
            base = ctx.step("BSA activity for the perfused share", "A_BSA,lobe = A_BSA·f", base * share, "GBq")
            ctx.notes.append(
                f"lobar or segmental BSA: the whole-liver activity scaled by the perfused share f = {share:g} "
                "(SIR-Spheres instructions for use, lobar treatment; not checked against the IFU); compartment "
                "doses take the treated share to hold the whole liver's tumour fraction"
            )
        reduction = shunt_reduction_percent(plan.lung_shunt_fraction_percent)
        if reduction is None:
            ctx.notes.append(
                "lung shunt above every band of the resin reduction table: do not treat "
                "(activity shown without reduction)"
            )
            return base, None, None
        activity = ctx.step(
            "prescribed activity",
            "A = A_BSA·(1 − reduction)",
            base * (1.0 - percent_to_fraction(reduction)),
            "GBq",
        )
        return activity, reduction, None
    assert target is not None
    if plan.method is MethodKind.MIRD_SINGLE:
        assert target.dose_gy is not None
        activity = ctx.step(
            "injected activity",
            "A = D·M/(C·(1−F))",
            single_compartment_activity_gbq(target.dose_gy, ctx.m_p, ctx.f, ctx.c),
            "GBq",
        )
        return activity, 0.0, None
    split = ctx.split
    assert split is not None
    m_t, m_n, tn = split
    if target.maximise is not None:
        inverse = maximise_tumour_dose(plan.device, m_t, m_n, tn, ctx.f, ctx.c, ctx.lung_mass, plan.prior_lung_dose_gy)
        for constraint in inverse.constraints:
            if constraint.max_activity_gbq is not None:
                ctx.step(
                    f"activity cap: {constraint.id}",
                    CAP_EQUATIONS[constraint.id],
                    constraint.max_activity_gbq,
                    "GBq",
                )
        activity = ctx.step(
            "injected activity (largest within limits)", "A = min(caps)", inverse.max_activity_gbq, "GBq"
        )
        return activity, 0.0, inverse
    assert target.compartment is not None
    assert target.dose_gy is not None
    equation = {
        CompartmentKind.TUMOUR: "A = (D_T/(T/N))·((T/N)·M_T + M_N)/(C·(1−F))",
        CompartmentKind.NORMAL_LIVER: "A = D_N·((T/N)·M_T + M_N)/(C·(1−F))",
        CompartmentKind.PERFUSED: "A = D·(M_T + M_N)/(C·(1−F))",
    }[target.compartment]
    activity = ctx.step(
        "injected activity",
        equation,
        partition_activity_gbq(target.compartment, target.dose_gy, m_t, m_n, tn, ctx.f, ctx.c),
        "GBq",
    )
    return activity, 0.0, None


def _doses(ctx: _Context, activity: float) -> Doses:
    lung = ctx.step("lung dose", "D_L = C·A·F/M_L", lung_dose_gy(activity, ctx.f, ctx.lung_mass, ctx.c), "Gy")
    split = ctx.split
    if split is not None:
        m_t, m_n, tn = split
        d = partition_doses_gy(activity, m_t, m_n, tn, ctx.f, ctx.c, ctx.lung_mass)
        ctx.step("normal liver dose", "D_N = C·A·(1−F)/((T/N)·M_T + M_N)", d.normal_liver_gy, "Gy")
        ctx.step("tumour dose", "D_T = (T/N)·D_N", d.tumour_gy, "Gy")
        ctx.step("perfused mean dose", "D = C·A·(1−F)/(M_T + M_N)", d.perfused_mean_gy, "Gy")
        return Doses(tumour=d.tumour_gy, normal_liver=d.normal_liver_gy, lung=lung, perfused_mean=d.perfused_mean_gy)
    mean = ctx.step(
        "perfused mean dose",
        "D = C·A·(1−F)/M",
        single_compartment_dose_gy(activity, ctx.m_p, ctx.f, ctx.c),
        "Gy",
    )
    return Doses(tumour=None, normal_liver=None, lung=lung, perfused_mean=mean)


def _all_checks(ctx: _Context, doses: Doses, inverse: InversePlan | None) -> list[Check]:
    plan = ctx.plan
    result = _checks.lung_checks(doses.lung, plan.prior_lung_dose_gy)
    result += _checks.shunt_checks(plan.lung_shunt_fraction_percent)
    assumed = None
    limit = _checks.liver_limit(plan.device)
    if limit.dose_gy(doses) is None and doses.perfused_mean is not None:
        # Without T/N the normal-liver dose is unknown: the perfused mean stands in (equal at T/N = 1,
        # an upper bound whenever the tumour takes up more than the normal liver); advisory only.
        assumed = "T/N not given: the perfused mean dose stands in for the normal-liver dose (exact at T/N = 1)"
    liver = _checks.liver_check(plan.device, doses, assumed=assumed)
    if liver is not None:
        result.append(liver)
    if inverse is not None and (spent := _checks.no_room_check(inverse)) is not None:
        result.append(spent)
    if doses.tumour is not None and ctx.m_t:
        result.append(_checks.tumour_response_check(doses.tumour))
    if ctx.tn is not None:
        result.append(_checks.tumour_to_normal_check(ctx.tn))
    if plan.maa_time is not None and plan.treatment_time is not None:
        result.append(_checks.maa_interval_check(hours_to_days(hours_between(plan.maa_time, plan.treatment_time))))
    return result


def _vial(ctx: _Context, vial_activity: float, calibration: datetime, treatment: datetime) -> VialChoice | None:
    device = ctx.plan.device
    if vial_activity <= 0:
        ctx.notes.append("no activity to deliver: no vial is chosen")
        return None
    if device is DeviceKind.GLASS:
        choice = choose_glass_vial(vial_activity, calibration, treatment)
    elif device is DeviceKind.RESIN:
        choice = resin_vial_fraction(vial_activity, calibration, treatment)
    else:
        ctx.notes.append("no standard vial sizes on file for 166Ho: order the activity at calibration")
        return None
    if choice.note:
        ctx.notes.append(choice.note)
    return choice


def _schedule(ctx: _Context, injected: float, vial_activity: float) -> tuple[Schedule, int]:
    plan = ctx.plan
    nuclide = nuclide_for_device(plan.device)
    delivery = tuple(
        DeliveryPoint(hours=h, fraction=fraction_of_dose_delivered(h, nuclide))
        for h in numbers("delivery_report_times")
    )
    if plan.treatment_time is None or plan.calibration_time is None:
        ctx.notes.append("no calibration and treatment times: spheres counted as if treated at calibration")
        schedule = Schedule(
            activity_at_calibration_gbq=None,
            vial=None,
            nuclide=nuclide,
            half_life_h=half_life_h(nuclide),
            dose_delivered=delivery,
        )
        return schedule, sphere_count(injected, plan.device)
    elapsed = hours_between(plan.calibration_time, plan.treatment_time)
    if elapsed < 0:
        ctx.notes.append("treatment is before the calibration time")
    factor = decay_factor(elapsed, nuclide)
    at_calibration = ctx.step("vial activity at calibration", "A_cal = A_vial·2^(Δt/T½)", vial_activity / factor, "GBq")
    schedule = Schedule(
        activity_at_calibration_gbq=at_calibration,
        vial=_vial(ctx, vial_activity, plan.calibration_time, plan.treatment_time),
        nuclide=nuclide,
        half_life_h=half_life_h(nuclide),
        hours_from_calibration_to_treatment=elapsed,
        decay_factor=factor,
        dose_delivered=delivery,
    )
    return schedule, sphere_count(injected / factor, plan.device)


def evaluate_plan(plan: SirtPlan) -> SirtResult:
    """Compute activity, doses, checks and logistics for a valid SIRT plan.

    Parameters
    ----------
    plan : SirtPlan
        A plan in the ``nenliver/sirt@1`` format.

    Returns
    -------
    SirtResult
        Every computed figure, the checks with their sources and ``treatable`` (false when a hard
        limit fails; the figures are still given).

    Raises
    ------
    nenliver.errors.DosimetryInputError
        When inverse planning finds no limit that bounds the activity.

    Notes
    -----
    Single compartment: A = D·M/(C·(1−F)). Partition: A = D_N·((T/N)·M_T + M_N)/(C·(1−F)),
    D_T = (T/N)·D_N. BSA (resin): A = (BSA − 0.2 + V_T/(V_T+V_N))·(1 − reduction). Lung:
    D_L = C·A·F/M_L with the injected activity A. Vial at treatment: A/(1 − R).

    References
    ----------
    Weber M, et al. Eur J Nucl Med Mol Imaging 2022;49:1682-1699. doi:10.1007/s00259-021-05600-z.
    Ho S, et al. Eur J Nucl Med 1996;23:947-952. Cazzato RL, et al. Cancers 2021;13:6368.
    doi:10.3390/cancers13246368

    Examples
    --------
    >>> plan = SirtPlan(device="glass", method="mird_single", convention="therasphere_ifu",
    ...     target={"compartment": "perfused", "dose_gy": 120.0}, perfused_volume_ml=1000.0,
    ...     lung_shunt_fraction_percent=0.0, density_g_ml=1.03)
    >>> round(evaluate_plan(plan).injected_activity_gbq, 4)
    2.472
    """
    ctx = _Context(plan)
    _default_notes(ctx)
    _mass_steps(ctx)
    injected, reduction, inverse = _activity(ctx)
    vial_activity = ctx.step(
        "vial activity at treatment", "A_vial = A/(1 − R)", injected / (1.0 - plan.residual_fraction), "GBq"
    )
    doses = _doses(ctx, injected)
    if plan.device is DeviceKind.HOLMIUM:
        ctx.step(
            "166Ho standard activity (reference)",
            f"A = {number('holmium_standard_activity_per_mass'):g} GBq/kg·M",
            holmium_standard_activity_gbq(ctx.m_p),
            "GBq",
        )
    checks = _all_checks(ctx, doses, inverse)
    schedule, spheres = _schedule(ctx, injected, vial_activity)
    inputs: dict[str, Any] = plan.model_dump(mode="json")
    inputs.update(convention=ctx.convention.value, density_g_ml=ctx.density, lung_mass_kg=ctx.lung_mass)
    return SirtResult(
        software_version=__version__,
        notice=CLINICIAN_REVIEW_NOTICE,
        device=plan.device,
        method=plan.method,
        convention=ctx.convention,
        dose_constant_gy_kg_per_gbq=ctx.c,
        injected_activity_gbq=injected,
        vial_activity_at_treatment_gbq=vial_activity,
        doses_gy=doses,
        checks=tuple(checks),
        activity_reduction_percent=reduction,
        spheres=spheres,
        schedule=schedule,
        treatable=_checks.is_treatable(checks),
        limiting_constraint=inverse.limiting_constraint if inverse else None,
        inverse=inverse,
        masses_kg=Masses(tumour=ctx.m_t, normal_liver=ctx.m_n, perfused=ctx.m_p, lung=ctx.lung_mass),
        inputs=inputs,
        steps=tuple(ctx.steps),
        notes=tuple(ctx.notes),
        input_warnings=tuple(w.as_dict() for w in plan_input_warnings(plan)),
    )


def plan_from_quantities(
    *,
    tumour_volume_ml: float,
    normal_volume_ml: float,
    lung_shunt_fraction_percent: float,
    tumour_to_normal_ratio: float | None = None,
    device: DeviceKind | str = DeviceKind.GLASS,
    method: MethodKind | str = MethodKind.PARTITION,
    convention: ConventionKind | str | None = ConventionKind.EANM_2022,
    target: Mapping[str, Any] | None = None,
    prior_lung_dose_gy: float = 0.0,
    residual_fraction: float = 0.0,
    density_g_ml: float | None = None,
    lung_mass_kg: float | None = None,
    height_cm: float | None = None,
    weight_kg: float | None = None,
) -> SirtResult:
    """Evaluate a SIRT plan given as plain quantities (for the decision engine and notebooks).

    Parameters
    ----------
    tumour_volume_ml, normal_volume_ml : float
        Tumour and normal perfused liver volumes, mL.
    lung_shunt_fraction_percent : float
        LSF from the MAA work-up, % (0 <= LSF < 100).
    tumour_to_normal_ratio : float, optional
        T/N from MAA SPECT; required for ``partition``.
    device : {"glass", "resin", "holmium"}, optional
        Defaults to glass.
    method : {"partition", "mird_single", "bsa"}, optional
        Defaults to partition.
    convention : {"eanm_2022", "therasphere_ifu", "aapm_mppg14a"}, optional
        Dose-constant convention; defaults to ``eanm_2022`` (ignored for holmium).
    target : mapping, optional
        ``{"compartment": ..., "dose_gy": ...}`` or ``{"maximise": "tumour"}``. Defaults to
        ``{"maximise": "tumour"}`` for partition (inverse planning to the lung and normal-liver
        limits), ``{"compartment": "perfused", ...}`` must be given for ``mird_single``.
    prior_lung_dose_gy : float, optional
        Lung dose of earlier SIRT sessions, Gy.
    residual_fraction : float, optional
        Fraction left in vial and lines.
    density_g_ml, lung_mass_kg : float, optional
        Override the cited defaults (1.03 g/mL, 1 kg).
    height_cm, weight_kg : float, optional
        Patient size, for ``bsa``.

    Returns
    -------
    SirtResult
        As :func:`evaluate_plan`.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        When the quantities do not make a valid plan; each problem names the plan field.

    Examples
    --------
    >>> r = plan_from_quantities(tumour_volume_ml=200.0, normal_volume_ml=800.0,
    ...     tumour_to_normal_ratio=3.0, lung_shunt_fraction_percent=10.0)
    >>> r.limiting_constraint, r.treatable
    ('normal-liver', True)
    """
    method_kind = MethodKind(method)
    data: dict[str, Any] = {
        "device": device,
        "method": method_kind,
        "tumour_volume_ml": tumour_volume_ml,
        "normal_volume_ml": normal_volume_ml,
        "lung_shunt_fraction_percent": lung_shunt_fraction_percent,
        "prior_lung_dose_gy": prior_lung_dose_gy,
        "residual_fraction": residual_fraction,
    }
    optional = {
        "convention": convention,
        "tumour_to_normal_ratio": tumour_to_normal_ratio,
        "density_g_ml": density_g_ml,
        "lung_mass_kg": lung_mass_kg,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    if target is not None:
        data["target"] = dict(target)
    elif method_kind is MethodKind.PARTITION:
        data["target"] = {"maximise": "tumour"}
    if height_cm is not None or weight_kg is not None:
        data["patient"] = {"height_cm": height_cm, "weight_kg": weight_kg}
    return evaluate_plan(plan_from_mapping(data, source="sirt quantities"))


def dosimetry_for_workup(
    *,
    liver_volume_ml: float,
    tumour_volume_ml: float,
    tumour_to_normal_ratio: float,
    lung_shunt_fraction_percent: float,
    prior_lung_dose_gy: float = 0.0,
    device: DeviceKind | str = DeviceKind.GLASS,
    convention: ConventionKind | str | None = ConventionKind.EANM_2022,
    target: Mapping[str, Any] | None = None,
) -> SirtResult:
    """Partition-model dosimetry from a case's ``sirt_workup`` (whole-liver volumes).

    Parameters
    ----------
    liver_volume_ml : float
        Whole (perfused) liver volume including tumour, mL.
    tumour_volume_ml : float
        Tumour volume, mL (0 < V_T < liver volume).
    tumour_to_normal_ratio : float
        T/N from MAA SPECT.
    lung_shunt_fraction_percent : float
        LSF, %.
    prior_lung_dose_gy : float, optional
        ``history.sirt_lung_dose_gy_cumulative`` of the case.
    device, convention, target
        As :func:`plan_from_quantities`; the default target is inverse planning
        (``{"maximise": "tumour"}``).

    Returns
    -------
    SirtResult
        The result; ``result.checks`` and ``result.treatable`` summarise the limits.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        When the tumour volume is not below the liver volume or another input is invalid.

    Notes
    -----
    V_N = V_liver − V_T. The whole liver is taken as the perfused volume; for a lobar or
    segmental treatment pass the perfused volumes to :func:`plan_from_quantities` instead.

    Examples
    --------
    >>> r = dosimetry_for_workup(liver_volume_ml=1600.0, tumour_volume_ml=380.0,
    ...     tumour_to_normal_ratio=4.5, lung_shunt_fraction_percent=6.0)
    >>> r.limiting_constraint
    'normal-liver'
    """
    normal = liver_volume_ml - tumour_volume_ml
    if normal <= 0:
        raise DosimetryInputError(
            "sirt_workup",
            [
                Problem(
                    "sirt_workup.tumour_volume_ml",
                    f"tumour volume {tumour_volume_ml:g} mL is not below the liver volume {liver_volume_ml:g} mL",
                    "tumour_volume_ml < liver_volume_ml",
                )
            ],
        )
    return plan_from_quantities(
        tumour_volume_ml=tumour_volume_ml,
        normal_volume_ml=normal,
        tumour_to_normal_ratio=tumour_to_normal_ratio,
        lung_shunt_fraction_percent=lung_shunt_fraction_percent,
        prior_lung_dose_gy=prior_lung_dose_gy,
        device=device,
        convention=convention,
        target=target,
    )
