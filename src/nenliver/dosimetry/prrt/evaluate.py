# SPDX-License-Identifier: Apache-2.0
"""One PRRT cycle, organ by organ: fit → TIA → dose → BED → cumulative → checks → next cycle?

:func:`evaluate_tacs` takes time-activity curves (from the plan's lists, or extracted from images
by :mod:`nenliver.dosimetry.prrt.images`) and returns the :class:`PrrtResult`. Every computed figure
is kept when a check fails; an unknown (an earlier cycle without dosimetry) never reads as safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.dosimetry.constants import entry, number
from nenliver.dosimetry.decay import half_life_h
from nenliver.dosimetry.prrt.dose import (
    bed_gy,
    bed_gy_for_exponentials,
    hanscheid_tia_mbq_h,
    ldm_gy_kg_per_mbq_h,
    local_deposition_dose_gy,
    madsen_tia_mbq_h,
)
from nenliver.dosimetry.prrt.fit import fit_tac
from nenliver.dosimetry.prrt.limits import kidney_bed_limit_name, organ_checks, plausibility_check
from nenliver.dosimetry.prrt.model import (
    CheckState,
    FitCandidate,
    OrganRole,
    PrrtCheck,
    PrrtOrganResult,
    PrrtPlan,
    PrrtResult,
    SinglePointMethod,
    plan_input_warnings,
)

__all__ = ["Tac", "evaluate_tacs", "tacs_from_plan"]


@dataclass(frozen=True)
class Tac:
    """A time-activity curve of one volume of interest, ready to fit."""

    name: str
    role: OrganRole
    times_h: tuple[float, ...]
    activity_mbq: tuple[float, ...]
    mass_g: float
    mass_basis: str = "plan (mass_g)"
    notes: tuple[str, ...] = field(default=())


def tacs_from_plan(plan: PrrtPlan) -> list[Tac]:
    """The curves of an organ-level plan (activity lists), recovery coefficients applied."""
    stp = plan.single_time_point
    times = (stp.time_h,) if stp is not None else tuple(plan.times_h or ())
    out = []
    for name, organ in plan.organs.items():
        assert organ.activity_mbq is not None and organ.mass_g is not None  # checked by the model
        values = tuple(organ.activity_mbq)
        notes: tuple[str, ...] = ()
        if organ.recovery_coefficient is not None:
            values = tuple(v / organ.recovery_coefficient for v in values)
            notes = (f"activities divided by the recovery coefficient {organ.recovery_coefficient:g}",)
        out.append(Tac(name, organ.role, times, values, organ.mass_g, notes=notes))
    return out


def _prior(plan: PrrtPlan, name: str, quantity: str) -> tuple[float | None, str | None]:
    """Sum of ``quantity`` over the earlier cycles, or ``None`` with the reason it is unknown."""
    missing_cycles = sorted(set(range(1, plan.cycle)) - {p.cycle for p in plan.prior_cycles})
    if missing_cycles:
        return None, f"cycle(s) {', '.join(map(str, missing_cycles))} have no dosimetry in prior_cycles"
    total = 0.0
    for prior in plan.prior_cycles:
        organ = prior.organs.get(name)
        value = None if organ is None else getattr(organ, quantity)
        if value is None:
            what = "no entry" if organ is None else f"no {quantity}"
            return None, f"prior cycle {prior.cycle} has {what} for {name}"
        total += value
    return total, None


def _organ(plan: PrrtPlan, tac: Tac, half_life: float) -> PrrtOrganResult:
    stp = plan.single_time_point
    notes = list(tac.notes)
    candidates: list[FitCandidate] = []
    criterion = None
    if stp is not None:
        activity = tac.activity_mbq[0]
        if stp.method is SinglePointMethod.HANSCHEID:
            tia = hanscheid_tia_mbq_h(activity, stp.time_h)
            t_eff = stp.time_h
            notes.append(
                "Hänscheid single time point: assumes the effective half-life equals the scan time "
                f"({stp.time_h:g} h); errors are skewed towards under-estimation"
            )
        else:
            assert stp.stated_half_life_h is not None
            t_eff = stp.stated_half_life_h
            tia = madsen_tia_mbq_h(activity, stp.time_h, t_eff)
            notes.append(f"Madsen single time point with the stated effective half-life {t_eff:g} h")
        model, params, residuals = stp.method.value, {"time_h": stp.time_h, "activity_mbq": activity}, []
    else:
        selection = fit_tac(tac.times_h, tac.activity_mbq, half_life, plan.fit, plan.tail)
        fit = selection.chosen
        tia, t_eff, model = fit.tia_mbq_h, fit.effective_half_life_h, fit.model
        params, residuals = dict(fit.parameters), list(fit.residuals_mbq)
        notes += [*selection.notes, *fit.notes]
        criterion = selection.criterion
        candidates = [
            FitCandidate(model=c.model, criterion_value=v, tia_mbq_h=c.tia_mbq_h, sum_squares_mbq2=c.sum_squares)
            for c, v in selection.candidates
        ]
    dose = local_deposition_dose_gy(tia, tac.mass_g, plan.radionuclide)
    gy_per_gbq = dose / (plan.injected_activity_mbq / 1000.0)
    bed = None
    if tac.role is OrganRole.KIDNEY:
        alpha_beta, t_rep = number("kidney_alpha_beta"), number("kidney_repair_half_time")
        if model == "biexp_uptake":  # the exact G factor of the fitted curve
            a, lw, lu = params["a_mbq"], params["lambda_washout_per_h"], params["lambda_uptake_per_h"]
            bed = bed_gy_for_exponentials(dose, [a, -a], [lw, lu], alpha_beta, t_rep)
        else:  # mono-exponential dose rate with the effective half-life
            bed = bed_gy(dose, t_eff, alpha_beta, t_rep)
    cumulative: dict[str, float | None] = {}
    for quantity, value in (("dose_gy", dose), ("bed_gy", bed)):
        if value is None:
            continue
        before, why = _prior(plan, tac.name, quantity)
        cumulative[quantity] = None if before is None else before + value
        if why is not None:
            notes.append(f"cumulative {quantity.removesuffix('_gy')} unknown: {why}")
    checks = organ_checks(tac.role, cumulative, {"dose_gy": dose, "bed_gy": bed}, plan.kidney_risk_factors)
    plausible = plausibility_check(tac.role, gy_per_gbq)
    if plausible is not None:
        checks.append(plausible)
    return PrrtOrganResult(
        role=tac.role,
        mass_g=tac.mass_g,
        mass_basis=tac.mass_basis,
        times_h=list(tac.times_h),
        activity_mbq=list(tac.activity_mbq),
        model=model,
        parameters=params,
        residuals_mbq=residuals,
        effective_half_life_h=t_eff,
        tia_mbq_h=tia,
        dose_gy=dose,
        gy_per_gbq=gy_per_gbq,
        bed_gy=bed,
        cumulative=cumulative,
        checks=checks,
        criterion=criterion,
        candidates=candidates,
        notes=notes,
    )


def _treatable(organs: dict[str, PrrtOrganResult]) -> tuple[bool | None, list[str]]:
    """False when a projected next cycle passes a hard limit; None when a hard check is unknown."""
    hard: list[tuple[str, PrrtCheck]] = [
        (name, c) for name, o in organs.items() for c in o.checks if c.severity == "hard"
    ]
    blocking = [(n, c) for n, c in hard if c.status in (CheckState.FAIL, CheckState.WARN)]
    unknown = [(n, c) for n, c in hard if c.status is CheckState.UNKNOWN]
    if blocking:
        return False, [f"{n}: {c.text}" for n, c in blocking]
    if unknown:
        return None, [f"{n}: {c.text}" for n, c in unknown]
    deciding = [f"{n}: {c.text}" for n, c in hard]
    warned = [f"{n}: {c.text}" for n, o in organs.items() for c in o.checks if c.status is CheckState.WARN]
    return (True if hard else None), deciding + warned


def evaluate_tacs(
    plan: PrrtPlan,
    tacs: Sequence[Tac],
    *,
    knowledge_base_version: str,
    voxel: dict[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> PrrtResult:
    """The result of one cycle from its time-activity curves.

    Parameters
    ----------
    plan : PrrtPlan
        The valid plan (fit, tail, single time point, prior cycles, risk factors).
    tacs : sequence of Tac
        One curve per volume of interest.
    knowledge_base_version : str
        Version of the knowledge base the limits belong to (shown in every output).
    voxel : dict, optional
        Voxel-dosimetry section (image mode).
    notes : sequence of str
        Notes of the image extraction.

    Returns
    -------
    PrrtResult
        ``treatable_next_cycle`` is ``False`` when a cycle like this one would pass a hard limit,
        ``None`` when a hard limit cannot be checked (missing earlier dosimetry, no kidney volume).
    """
    half_life = half_life_h(plan.radionuclide)
    organs = {tac.name: _organ(plan, tac, half_life) for tac in tacs}
    treatable, deciding = _treatable(organs)
    all_notes = list(notes)
    if not any(o.role is OrganRole.KIDNEY for o in organs.values()):
        all_notes.append("no kidney volume of interest: the kidney limits cannot be checked")
    if plan.single_time_point is None:
        all_notes.append("organ doses by local deposition of the electron energy (self-dose; no cross-dose)")
    basis = kidney_bed_limit_name(plan.kidney_risk_factors)
    return PrrtResult(
        software_version=__version__,
        knowledge_base_version=knowledge_base_version,
        notice=CLINICIAN_REVIEW_NOTICE,
        radionuclide=plan.radionuclide,
        half_life_h=half_life,
        ldm_gy_kg_per_mbq_h=ldm_gy_kg_per_mbq_h(plan.radionuclide),
        injected_activity_mbq=plan.injected_activity_mbq,
        cycle=plan.cycle,
        method=plan.single_time_point.method.value if plan.single_time_point else plan.fit.value,
        organs=organs,
        treatable_next_cycle=treatable,
        deciding=deciding,
        kidney_limit_basis=f"{basis}: {entry(basis).value:g} Gy",
        radiobiology={
            "kidney_alpha_beta_gy": number("kidney_alpha_beta"),
            "kidney_repair_half_time_h": number("kidney_repair_half_time"),
            "model": "linear-quadratic: BED = D + D²/(α/β)·G; G = T_rep/(T_rep + T_eff) for a mono-exponential "
            "dose rate (also used for trapezoid and single-time-point curves), the exact G factor of the fitted "
            "curve for a bi-exponential one",
            "source": entry("kidney_alpha_beta").citation,
        },
        voxel=voxel,
        input_warnings=[w.as_dict() for w in plan_input_warnings(plan)],
        notes=all_notes,
        administered_at=plan.administered_at,
    )
