"""SIRT dosimetry attached to the ``sirt`` option of a plan.

When the case carries a 99mTc-MAA work-up with liver and tumour volumes, T/N and lung shunt, the
partition model is planned inversely (the largest activity within the lung and liver limits,
see :func:`nenliver.dosimetry.dosimetry_for_workup`). The plan shows the activity and the predicted
doses; the rules read the predicted lung doses and the achievable tumour dose as facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nenliver.case.model import Case
from nenliver.errors import DosimetryInputError
from nenliver.guideline.facts import FactValue

#: Decimals (Gy) the dosimetry facts are rounded to before the rules compare them with thresholds.
FACT_DECIMALS = 9


@dataclass(frozen=True)
class SirtAttachment:
    """Facts for the rule engine and details for the plan's ``sirt`` option."""

    facts: dict[str, FactValue] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def _prior_lung_dose_gy(case: Case) -> float | None:
    """Lung dose from earlier SIRT; 0 when the history is known to hold no SIRT; else unknown."""
    if case.history.sirt_lung_dose_gy_cumulative is not None:
        return float(case.history.sirt_lung_dose_gy_cumulative)
    treatments = case.history.prior_treatments
    if treatments is not None and not any(t.kind == "sirt" for t in treatments):
        return 0.0
    return None


def sirt_for_case(case: Case) -> SirtAttachment:
    """Dosimetry for the case's MAA work-up, or nothing when the work-up lacks an input."""
    workup = case.sirt_workup
    if workup is None:
        return SirtAttachment()
    needed = {
        "liver_volume_ml": workup.liver_volume_ml,
        "tumour_volume_ml": workup.tumour_volume_ml,
        "tumour_to_normal_ratio": workup.tumour_to_normal_ratio,
        "lung_shunt_fraction_percent": workup.lung_shunt_fraction_percent,
    }
    missing = [f"sirt_workup.{k}" for k, v in needed.items() if v is None]
    if missing:
        return SirtAttachment(details={"dosimetry": None, "summary": "dosimetry needs " + ", ".join(missing)})
    prior = _prior_lung_dose_gy(case)
    from nenliver.dosimetry import dosimetry_for_workup  # only cases with an MAA work-up need it

    try:
        result = dosimetry_for_workup(
            liver_volume_ml=float(needed["liver_volume_ml"] or 0),
            tumour_volume_ml=float(needed["tumour_volume_ml"] or 0),
            tumour_to_normal_ratio=float(needed["tumour_to_normal_ratio"] or 0),
            lung_shunt_fraction_percent=float(needed["lung_shunt_fraction_percent"] or 0),
            prior_lung_dose_gy=prior or 0.0,
        )
    except DosimetryInputError as exc:
        return SirtAttachment(details={"dosimetry": None, "summary": f"dosimetry not computed: {exc}"})
    doses = result.doses_gy
    lung = doses.lung
    tumour = result.inverse.tumour_dose_gy if result.inverse is not None else doses.tumour
    # Inverse planning stops the activity at a limit, so a dose sits on that limit by construction;
    # rounding to 1e-9 Gy keeps float round-off from carrying it across (the cohort rounds alike).
    facts: dict[str, FactValue] = {
        "sirt_predicted_lung_dose_gy": round(lung, FACT_DECIMALS),
        "sirt_predicted_cumulative_lung_dose_gy": None if prior is None else round(lung + prior, FACT_DECIMALS),
        "sirt_achievable_tumour_dose_gy": None if tumour is None else round(tumour, FACT_DECIMALS),
    }
    notes = []
    if workup.perfused_territory not in (None, "whole_liver"):
        notes.append(
            f"perfused territory {workup.perfused_territory}: whole-liver volumes were used; enter the perfused "
            "volumes in a sirt@1 plan (`nenliver sirt`) for lobar or segmental treatment"
        )
    if prior is None:
        notes.append("prior SIRT lung dose unknown: the cumulative lung dose cannot be checked")
    summary = (
        f"{result.device} partition model ({result.convention}), largest activity within the limits "
        f"{result.injected_activity_gbq:.2f} GBq (limited by {result.limiting_constraint}): tumour "
        f"{doses.tumour or 0:.0f} Gy, normal liver {doses.normal_liver or 0:.0f} Gy, lung {lung:.1f} Gy"
    )
    return SirtAttachment(
        facts=facts,
        details={"summary": summary, "notes": notes, "dosimetry": result.to_json_dict()},
    )
