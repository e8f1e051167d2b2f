# SPDX-License-Identifier: Apache-2.0
"""The margin verdict, read on the interval [lower bound, estimate] of the minimal ablative margin.

Failing verdicts follow the estimate (a pessimistic reading is safe); passing ones need the lower
bound (estimate minus the discretisation uncertainty): ``borderline`` when the estimate meets the
minimum but the lower bound does not, ``minimum`` when the ideal is met by the estimate only.
"""

from __future__ import annotations

import math

from nenliver.ablation.margin_result import MarginSettings

__all__ = ["margin_verdict"]


def margin_verdict(mam: float, uncertainty: float, s: MarginSettings) -> tuple[str, str, list[str]]:
    """Verdict code, text and notes; a threshold counts as met only when the lower bound reaches it.

    The lower bound is the estimate minus the discretisation uncertainty. Failing verdicts follow
    the estimate (a pessimistic reading is safe); passing ones need the lower bound: ``borderline``
    when the estimate meets the minimum but the lower bound does not, ``minimum`` when the ideal is
    met by the estimate only.
    """
    notes: list[str] = []
    lower = mam - uncertainty
    if mam < 0:
        return "incomplete", "incomplete ablation: tumour lies outside the ablation zone", notes
    if mam < s.minimum_mm:
        if lower < 0:
            notes.append(f"complete coverage is not confirmed either: the lower bound {lower:.1f} mm is below 0 mm")
        return "insufficient", f"margin below the {s.minimum_mm:g} mm minimum", notes
    if lower < s.minimum_mm:
        return "borderline", _borderline_text(mam, lower, uncertainty, s.minimum_mm), notes
    if mam >= s.ideal_mm and lower >= s.ideal_mm:
        return "ideal", f"ideal margin met (>= {s.ideal_mm:g} mm, lower bound {lower:.1f} mm)", notes
    text = (
        f"minimum margin met (lower bound {lower:.1f} mm >= {s.minimum_mm:g} mm), ideal {s.ideal_mm:g} mm not confirmed"
    )
    if mam >= s.ideal_mm:
        notes.append(
            f"the estimate {mam:.1f} mm reaches the ideal {s.ideal_mm:g} mm but its lower bound {lower:.1f} mm "
            f"does not; {_finer_grid_advice(mam, s.ideal_mm)}"
        )
    return "minimum", text, notes


def _finer_grid_advice(mam: float, threshold: float) -> str:
    gap = mam - threshold
    return (
        f"to confirm it, reassess on a grid whose voxel diagonal is below {gap:.1f} mm "
        f"(isotropic voxels of at most {gap / math.sqrt(3.0):.2f} mm)"
    )


def _borderline_text(mam: float, lower: float, uncertainty: float, minimum: float) -> str:
    return (
        f"the estimate {mam:.1f} mm meets the {minimum:g} mm minimum but its lower bound "
        f"{lower:.1f} mm (estimate minus the {uncertainty:.1f} mm discretisation uncertainty) does not; "
        f"treat as not confirmed; {_finer_grid_advice(mam, minimum)}"
    )
