"""Pictures of a plan for the board report (matplotlib, SVG): every number drawn is in the plan.

* :func:`sirt_dose_figure`: the absorbed doses of the SIRT dosimetry against their limits (one bar
  per dose check, the limit as a mark, the status written beside it; colour is never the only cue).
* :func:`ablation_figure`: for each lesion to treat, the zone the plan expects beside the zone the
  lesion needs (its diameter plus the minimum margin on each side).
* :func:`prrt_history_figure`: the cumulative kidney BED after each PRRT cycle, the next cycle
  projected like the last (dashed), against the threshold that applies.

Each returns a ``data:image/svg+xml;base64,…`` URI (or ``None`` when there is nothing to draw);
matplotlib is optional, and a report without it says the figures were left out.
"""

from __future__ import annotations

import base64
import io
from typing import Any

__all__ = ["ablation_figure", "plan_figures", "prrt_history_figure", "sirt_dose_figure"]

_STATUS_COLOUR = {"pass": "#2e7d4f", "warn": "#b7791f", "fail": "#b42318", "info": "#5b6475"}


def _pyplot() -> Any | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _svg_uri(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")


def _dose_checks(sirt: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in sirt.get("checks", []) if c.get("value_gy") is not None and c.get("limit_gy") is not None]


def sirt_dose_figure(sirt: dict[str, Any]) -> str | None:
    """Doses of a ``sirt-result@1`` against the limits of its checks."""
    checks = _dose_checks(sirt)
    plt = _pyplot()
    if not checks or plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7.0, 0.55 * len(checks) + 0.9))
    try:
        labels = [c["id"].replace("-", " ") for c in checks]
        for i, check in enumerate(checks):
            colour = _STATUS_COLOUR.get(check.get("status", "info"), "#5b6475")
            ax.barh(i, check["value_gy"], color=colour, alpha=0.8, height=0.55)
            ax.plot([check["limit_gy"]] * 2, [i - 0.38, i + 0.38], color="#1d2433", linewidth=2)
            ax.text(
                max(check["value_gy"], check["limit_gy"]),
                i,
                f"  {check['value_gy']:.1f} Gy: {check.get('status', '')} (mark at {check['limit_gy']:g} Gy)",
                va="center",
                fontsize=8,
            )
        ax.set_yticks(range(len(checks)), labels)
        ax.invert_yaxis()
        ax.set_xlabel("absorbed dose (Gy); black mark: limit or threshold of the check")
        ax.set_xlim(0, max(max(c["value_gy"], c["limit_gy"]) for c in checks) * 1.6)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg_uri(fig)
    finally:
        plt.close(fig)


def ablation_figure(lesions: list[dict[str, Any]], minimum_margin_mm: float) -> str | None:
    """Expected zone (per lesion plan) against the zone each lesion needs (diameter + 2 × margin)."""
    rows = [lesion for lesion in lesions if lesion.get("diameter_mm") is not None]
    plt = _pyplot()
    if not rows or plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7.0, 0.5 * len(rows) + 1.0))
    try:
        for i, lesion in enumerate(rows):
            needed = lesion["diameter_mm"] + 2 * minimum_margin_mm
            zone = lesion.get("zone_mm")
            if zone:
                ax.barh(i, zone, color="#3a6ea5", alpha=0.75, height=0.55)
            ax.barh(i, lesion["diameter_mm"], color="#8a1515", alpha=0.85, height=0.3)
            ax.plot([needed] * 2, [i - 0.38, i + 0.38], color="#1d2433", linewidth=2)
            modality = (lesion.get("modality") or "no modality").upper()
            count = f" ×{lesion['applicators']}" if lesion.get("applicators") else ""
            ax.text(
                max(needed, zone or 0),
                i,
                f"  {modality}{count}: zone {zone or '—'} mm, needs {needed:g} mm",
                va="center",
                fontsize=8,
            )
        ax.set_yticks(range(len(rows)), [str(lesion["id"]) for lesion in rows])
        ax.invert_yaxis()
        ax.set_xlabel(
            f"mm; red: lesion diameter, blue: expected zone, black mark: diameter + 2 × {minimum_margin_mm:g} mm"
        )
        ax.set_xlim(0, max(max(r["diameter_mm"] + 2 * minimum_margin_mm, r.get("zone_mm") or 0) for r in rows) * 1.7)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg_uri(fig)
    finally:
        plt.close(fig)


def prrt_history_figure(history: dict[str, Any]) -> str | None:
    """Cumulative kidney BED per cycle of a plan's PRRT ``dosimetry_history`` against its threshold."""
    cycles = history.get("cycles") or []
    plt = _pyplot()
    if plt is None or not cycles or any(c.get("kidney_bed_gy") is None for c in cycles):
        return None
    numbers = [c["cycle"] for c in cycles]
    totals, running = [], 0.0
    for c in cycles:
        running += c["kidney_bed_gy"]
        totals.append(running)
    limit = history["kidney_bed_limit_gy"]
    projected = history.get("after_one_more_cycle", {}).get("kidney_bed_gy")
    fig, ax = plt.subplots(figsize=(7.0, 3.2))
    try:
        ax.plot(numbers, totals, "o-", color="#3a6ea5", label="cumulative kidney BED (worse kidney)")
        if projected is not None:
            colour = _STATUS_COLOUR["fail" if projected > limit else "pass"]
            ax.plot(
                [numbers[-1], numbers[-1] + 1],
                [totals[-1], projected],
                "o--",
                color=colour,
                label=f"one more cycle like the last: {projected:.1f} Gy",
            )
        ax.axhline(limit, color="#1d2433", linewidth=1.5)
        ax.text(
            numbers[-1] + 1,
            limit,
            f"threshold {limit:g} Gy ({history['kidney_bed_limit_basis']}) ",
            va="bottom",
            ha="right",
            fontsize=8,
        )
        ax.set_xticks(range(numbers[0], numbers[-1] + 2))
        ax.set_xlabel("PRRT cycle")
        ax.set_ylabel("kidney BED (Gy)")
        ax.set_ylim(0, max(limit, projected or 0, totals[-1]) * 1.15)
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        ax.spines[["top", "right"]].set_visible(False)
        return _svg_uri(fig)
    finally:
        plt.close(fig)


def plan_figures(plan: dict[str, Any]) -> dict[str, str]:
    """The figures a plan@1 has data for, by option (``sirt``, ``ablation``)."""
    figures: dict[str, str] = {}
    for option in plan.get("options", []):
        details = option.get("details") or {}
        if option["therapy"] == "sirt" and details.get("dosimetry"):
            uri = sirt_dose_figure(details["dosimetry"])
            if uri:
                figures["sirt"] = uri
        elif option["therapy"] == "prrt" and details.get("dosimetry_history"):
            uri = prrt_history_figure(details["dosimetry_history"])
            if uri:
                figures["prrt"] = uri
        elif option["therapy"] == "ablation" and details.get("lesions"):
            uri = ablation_figure(details["lesions"], details["margin_policy"]["minimum_mm"])
            if uri:
                figures["ablation"] = uri
    return figures


def figures_available() -> bool:
    """Whether matplotlib is installed (a report without it says its figures were left out)."""
    return _pyplot() is not None
