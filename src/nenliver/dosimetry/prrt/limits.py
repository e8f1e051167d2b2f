# SPDX-License-Identifier: Apache-2.0
"""Cumulative dose and BED against the cited PRRT limits, and how many more cycles they allow.

Limits are the ``prrt_*`` entries of ``data/prrt.yaml`` with a ``role`` and a ``quantity``. The
kidney BED limit depends on the patient's risk factors (Bodei 2008): 28 Gy with, 40 Gy without;
when they are not recorded the stricter limit applies (an unknown never clears). A limit tagged
[K] is a *draft*: its check is advisory and says so.

Projection: the next cycle is assumed to deliver what this one did (same injected activity and
the same Gy/GBq), so cumulative dose and BED grow by this cycle's value per further cycle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from nenliver.dosimetry.constants import DataEntry, load_data, numbers
from nenliver.dosimetry.prrt.model import CheckState, OrganRole, PrrtCheck

__all__ = ["cycles_within", "kidney_bed_limit_name", "organ_checks", "plausibility_check"]

#: More further cycles than this are not counted (a per-cycle value near zero): reported as unknown.
_MAX_COUNTED_CYCLES = 100


_RISK_BASIS = {
    True: " (renal risk factors)",
    False: " (no renal risk factors)",
    None: " (risk factors not recorded: the stricter limit)",
}


def cycles_within(limit: float, cumulative: float, per_cycle: float) -> int | None:
    """How many more cycles of ``per_cycle`` keep ``cumulative`` within ``limit`` (None: not countable).

    Examples
    --------
    >>> cycles_within(28.0, 19.1, 7.1), cycles_within(28.0, 30.0, 7.1), cycles_within(28.0, 1.0, 0.0)
    (1, 0, None)
    """
    if not per_cycle > 0:
        return None
    count = (limit - cumulative) / per_cycle
    if not math.isfinite(count) or count > _MAX_COUNTED_CYCLES:
        return None
    return max(0, math.floor(count + 1e-12))


def kidney_bed_limit_name(risk_factors: bool | None) -> str:
    """The kidney BED limit entry for the patient's renal risk factors (unknown → the stricter)."""
    if risk_factors is False:
        return "prrt_kidney_bed_without_risk_factors"
    return "prrt_kidney_bed_with_risk_factors"


def _limits_for(role: OrganRole, risk_factors: bool | None) -> Iterable[DataEntry]:
    wanted_bed = kidney_bed_limit_name(risk_factors)
    for item in load_data().values():
        if item.extra.get("role") != role.value or "quantity" not in item.extra:
            continue
        if item.extra.get("quantity") == "bed_gy" and item.name != wanted_bed:
            continue
        yield item


def _check(item: DataEntry, cumulative: float | None, this_cycle: float | None, risk_factors: bool | None) -> PrrtCheck:
    limit = float(item.value)  # type: ignore[arg-type]
    quantity = str(item.extra["quantity"])
    hard = item.extra.get("severity") == "hard" and item.tag != "K"
    draft = item.tag == "K"
    label = "BED" if quantity == "bed_gy" else "absorbed dose"
    basis = ""
    if quantity == "bed_gy":
        basis = {
            True: " (renal risk factors)",
            False: " (no renal risk factors)",
            None: " (risk factors not recorded: the stricter limit)",
        }[risk_factors]
    projected = None if cumulative is None or this_cycle is None else cumulative + this_cycle
    remaining = None
    if cumulative is not None and this_cycle is not None:
        remaining = cycles_within(limit, cumulative, this_cycle)
    if cumulative is None:
        status = CheckState.UNKNOWN
        text = f"cumulative {label} unknown (an earlier cycle lacks it): cannot be checked against {limit:g} Gy{basis}"
    elif cumulative > limit:
        status = CheckState.FAIL if hard else CheckState.WARN
        text = f"cumulative {label} {cumulative:.2f} Gy exceeds {limit:g} Gy{basis}"
    elif projected is not None and projected > limit:
        status = CheckState.WARN
        text = (
            f"cumulative {label} {cumulative:.2f} Gy; one more cycle like this one ({this_cycle:.2f} Gy) "
            f"would reach {projected:.2f} Gy, above {limit:g} Gy{basis}"
        )
    else:
        status = CheckState.PASS
        more = ""
        if remaining is not None:
            cycles = (
                "1 more cycle like this one stays" if remaining == 1 else f"{remaining} more cycles like this one stay"
            )
            more = f"; {cycles} within it"
        text = f"cumulative {label} {cumulative:.2f} Gy within {limit:g} Gy{basis}{more}"
    if draft:
        text += " [draft limit: source not yet verified]"
    return PrrtCheck(
        id=item.name.removeprefix("prrt_").replace("_", "-"),
        status=status,
        severity="hard" if hard else "advisory",
        draft=draft,
        quantity=quantity,
        value=cumulative,
        limit=limit,
        unit=item.unit,
        projected_next_cycle=projected,
        cycles_remaining=remaining,
        text=text,
        source=item.source,
        locator=item.locator,
        tag=item.tag,
    )


def organ_checks(
    role: OrganRole,
    cumulative: dict[str, float | None],
    this_cycle: dict[str, float | None],
    risk_factors: bool | None,
) -> list[PrrtCheck]:
    """Checks of one volume of interest against every limit of its role.

    Parameters
    ----------
    role : OrganRole
        Role of the volume (kidney and marrow have limits).
    cumulative, this_cycle : dict
        ``dose_gy`` and ``bed_gy`` over all cycles so far (``None`` when unknown) and of this cycle.
    risk_factors : bool or None
        Renal risk factors of the patient (kidney BED limit).

    Returns
    -------
    list of PrrtCheck
    """
    return [
        _check(
            item, cumulative.get(str(item.extra["quantity"])), this_cycle.get(str(item.extra["quantity"])), risk_factors
        )
        for item in _limits_for(role, risk_factors)
    ]


def plausibility_check(role: OrganRole, gy_per_gbq: float) -> PrrtCheck | None:
    """Flag a kidney Gy/GBq outside the published range (a calibration, mask or unit error?)."""
    if role is not OrganRole.KIDNEY:
        return None
    item = load_data()["prrt_kidney_gy_per_gbq_plausible"]
    low, high = numbers(item.name)
    inside = low <= gy_per_gbq <= high
    text = (
        f"kidney {gy_per_gbq:.3f} Gy/GBq within the published {low:g}-{high:g} Gy/GBq"
        if inside
        else f"kidney {gy_per_gbq:.3f} Gy/GBq outside the published {low:g}-{high:g} Gy/GBq: implausible — "
        "check calibration, masks, mass and units"
    )
    return PrrtCheck(
        id="kidney-gy-per-gbq-plausible",
        status=CheckState.PASS if inside else CheckState.WARN,
        severity="plausibility",
        draft=False,
        quantity="gy_per_gbq",
        value=gy_per_gbq,
        limit=(low, high),
        unit=item.unit,
        text=text,
        source=item.source,
        locator=item.locator,
        tag=item.tag,
    )
