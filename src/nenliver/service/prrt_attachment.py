"""The patient's PRRT dosimetry history attached to the ``prrt`` option of a plan.

When the case lists PRRT cycles (``history.prrt_cycles``), the option shows each cycle's kidney
dose and BED and marrow dose, the cumulative figures (the same facts the rules PRR-15 to PRR-19
read), the kidney BED threshold that applies (28 Gy with renal risk factors or when they are not
recorded, 40 Gy without; Bodei 2008), and how many more cycles like the last stay within it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nenliver.case.model import Case
from nenliver.dosimetry.constants import entry, number
from nenliver.dosimetry.prrt.limits import cycles_within, kidney_bed_limit_name
from nenliver.guideline.facts import FactValue

__all__ = ["prrt_history_details"]


def prrt_history_details(case: Case, facts: Mapping[str, FactValue]) -> dict[str, Any]:
    """Details for the ``prrt`` option (empty when the case lists no PRRT cycle)."""
    cycles = sorted(case.history.prrt_cycles or [], key=lambda c: c.cycle)
    if not cycles:
        return {}
    risk = case.history.prrt_kidney_risk_factors
    limit_name = kidney_bed_limit_name(risk)
    limit = number(limit_name)
    cumulative = facts.get("prrt_kidney_bed_gy_cumulative")
    last = cycles[-1].kidney_bed_gy
    remaining = None
    if isinstance(cumulative, float) and last is not None:
        remaining = cycles_within(limit, cumulative, last)
    basis = {True: "renal risk factors", False: "no renal risk factors", None: "risk factors not recorded"}[risk]
    return {
        "dosimetry_history": {
            "cycles": [c.model_dump(mode="json", exclude_none=True) for c in cycles],
            "cumulative": {
                "kidney_bed_gy": cumulative,
                "kidney_dose_gy": facts.get("prrt_kidney_dose_gy_cumulative"),
                "marrow_dose_gy": facts.get("prrt_marrow_dose_gy_cumulative"),
            },
            "after_one_more_cycle": {
                "kidney_bed_gy": facts.get("prrt_kidney_bed_gy_projected"),
                "kidney_dose_gy": facts.get("prrt_kidney_dose_gy_projected"),
            },
            "kidney_bed_limit_gy": limit,
            "kidney_bed_limit_basis": basis,
            "kidney_bed_limit_source": entry(limit_name).citation,
            "cycles_remaining_within_bed_limit": remaining,
            "note": "kidney figures of the worse kidney; unknown (null) when a cycle lacks its dosimetry",
        }
    }
