"""What if the board adopted another threshold or rule set? (``nenliver cohort --what-if FILE``)

An overrides file names what changes::

    thresholds:               # a rule's threshold on one fact takes another value
      - {rule: SIR-06, fact: bilirubin_mg_dl, value: 3.0}
    disable: [LT-01b]         # rules left out of the decision (e.g. one side of a source conflict)

The cohort is decided twice, with the knowledge base as shipped and with the overrides, in one
vectorised pass each; the report gives, per therapy, how many cases change status and from what to
what, and which cases. Thresholds are the clinical thresholds of cited rules: an override is a
research question, never a change of what the board sees.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nenliver._parsing import load_document
from nenliver._validation import problems_from_validation_error
from nenliver.errors import InputError, Problem
from nenliver.guideline.loader import KnowledgeBase
from nenliver.guideline.schema import THERAPIES, All, Any_, Leaf, Not, Rule

__all__ = ["Overrides", "apply_overrides", "compare", "load_overrides", "plot_changes"]


class ThresholdOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str
    fact: str
    value: float | str | bool | list[str] | list[float]


class Overrides(BaseModel):
    """The changes of a what-if run."""

    model_config = ConfigDict(extra="forbid")

    thresholds: list[ThresholdOverride] = Field(default_factory=list)
    disable: list[str] = Field(default_factory=list)


class OverridesError(InputError):
    """An overrides file that does not name existing rules and facts."""


def load_overrides(path: str | Path) -> Overrides:
    data = load_document(path, OverridesError, "a what-if overrides file (thresholds, disable)")
    if not isinstance(data, dict):
        raise OverridesError(str(path), [Problem("", "not a mapping", "thresholds and/or disable")])
    try:
        return Overrides.model_validate(data)
    except ValidationError as exc:
        raise OverridesError(str(path), problems_from_validation_error(exc, Overrides)) from None


def _replace_leaf(condition: Any, fact: str, value: Any) -> tuple[Any, int]:
    if isinstance(condition, Leaf):
        if condition.fact == fact and condition.op not in ("known", "missing"):
            return condition.model_copy(update={"value": value}), 1
        return condition, 0
    if isinstance(condition, All):
        parts = [_replace_leaf(c, fact, value) for c in condition.all]
        return condition.model_copy(update={"all": [p[0] for p in parts]}), sum(p[1] for p in parts)
    if isinstance(condition, Any_):
        parts = [_replace_leaf(c, fact, value) for c in condition.any]
        return condition.model_copy(update={"any": [p[0] for p in parts]}), sum(p[1] for p in parts)
    if isinstance(condition, Not):
        inner, n = _replace_leaf(condition.not_, fact, value)
        return condition.model_copy(update={"not_": inner}), n
    return condition, 0


def apply_overrides(kb: KnowledgeBase, overrides: Overrides, source: str = "overrides") -> KnowledgeBase:
    """A knowledge base with the overrides applied; unknown rules or facts are refused by path."""
    ids = {r.id for r in kb.rules}
    problems = [
        Problem(f"disable[{i}]", f"no rule {rid!r}", "a rule id")
        for i, rid in enumerate(overrides.disable)
        if rid not in ids
    ]
    rules: dict[str, Rule] = {r.id: r for r in kb.rules}
    for i, change in enumerate(overrides.thresholds):
        if change.rule not in rules:
            problems.append(Problem(f"thresholds[{i}].rule", f"no rule {change.rule!r}", "a rule id"))
            continue
        condition, replaced = _replace_leaf(rules[change.rule].condition, change.fact, change.value)
        if not replaced:
            problems.append(
                Problem(
                    f"thresholds[{i}].fact",
                    f"rule {change.rule} has no threshold on {change.fact!r}",
                    "a fact the rule compares",
                )
            )
            continue
        rules[change.rule] = rules[change.rule].model_copy(update={"condition": condition})
    if problems:
        raise OverridesError(source, problems)
    kept = tuple(r for rid, r in rules.items() if rid not in set(overrides.disable))
    return dataclasses.replace(kb, rules=kept, sha256=f"{kb.sha256}+what-if")


def compare(baseline: pl.DataFrame, scenario: pl.DataFrame, max_listed: int = 50) -> dict[str, Any]:
    """Per therapy: how many (valid) cases change status, the transitions, and the first cases that do."""
    joined = baseline.select("row", "id", *(f"status_{t}" for t in THERAPIES)).join(
        scenario.select("row", *(pl.col(f"status_{t}").alias(f"after_{t}") for t in THERAPIES)), on="row"
    )
    out: dict[str, Any] = {
        "cases": joined.filter(pl.col(f"status_{THERAPIES[0]}").is_not_null()).height,
        "therapies": {},
    }
    for therapy in THERAPIES:
        before, after = pl.col(f"status_{therapy}"), pl.col(f"after_{therapy}")
        changed = joined.filter(before.is_not_null() & (before != after))
        transitions = (
            changed.group_by(before.alias("from"), after.alias("to")).len().sort("len", descending=True).to_dicts()
        )
        out["therapies"][therapy] = {
            "changed": changed.height,
            "transitions": [{"from": t["from"], "to": t["to"], "cases": t["len"]} for t in transitions],
            "examples": changed.get_column("id").head(max_listed).to_list(),
        }
    return out


def summary_table(report: dict[str, Any]) -> pl.DataFrame:
    """One row per therapy and transition (for CSV)."""
    rows = [
        {"therapy": therapy, "from": t["from"], "to": t["to"], "cases": t["cases"]}
        for therapy, entry in report["therapies"].items()
        for t in entry["transitions"]
    ]
    return pl.DataFrame(rows, schema={"therapy": pl.String, "from": pl.String, "to": pl.String, "cases": pl.Int64})


def plot_changes(report: dict[str, Any], target: Path) -> None:
    """A bar chart of the cases that change status, per therapy (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    therapies = list(report["therapies"])
    counts = [report["therapies"][t]["changed"] for t in therapies]
    fig, ax = plt.subplots(figsize=(8, 4))
    try:
        bars = ax.bar([t.replace("_", " ") for t in therapies], counts, color="#3a6ea5")
        ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=8)
        ax.set_ylabel(f"cases that change status (of {report['cases']:,})")
        ax.set_title("What-if: cases whose option status changes")
        ax.tick_params(axis="x", rotation=30)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        fig.savefig(target, dpi=120)
    finally:
        plt.close(fig)
