"""A cohort's facts → every option's status, the pathway, fired rules, provisional flags and missing inputs.

The same rule data and the same decision logic as one case (:mod:`nenliver.guideline.engine`):
:func:`nenliver.guideline.cohort.status_expression` for each option, the provisional flag as
``decide_status`` sets it, the inputs a decision waits on as ``_missing`` lists them, and the
pathway rules in priority order as ``decide_pathway`` reads them (the first rule that holds places
the patient unless all of its options are ruled out; an unknown one before it leaves the branch
undetermined).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from nenliver.guideline.cohort import compile_condition, status_expression
from nenliver.guideline.facts import FACTS
from nenliver.guideline.loader import KnowledgeBase
from nenliver.guideline.schema import ALLOWED_STATUSES, THERAPIES, Rule, iter_leaves

__all__ = ["decide_frame", "decision_columns", "missing_fields"]


def _provisional(rules: Sequence[Rule], results: Mapping[str, pl.Expr], status: pl.Expr) -> pl.Expr:
    """``decide_status``'s second value: needs data, or a caution that stands only on unknowns."""
    known = [results[r.id].fill_null(False) for r in rules if r.effect in ("caution", "exclude")]
    unknown = [results[r.id].is_null() for r in rules if r.policy == "caution"]
    known_caution = pl.any_horizontal(known) if known else pl.lit(False)
    unknown_caution = pl.any_horizontal(unknown) if unknown else pl.lit(False)
    return (status == "needs_data") | ((status == "caution") & unknown_caution & ~known_caution)


def _waiting(rules: Sequence[Rule], results: Mapping[str, pl.Expr]) -> dict[str, pl.Expr]:
    """Per fact, whether an unknown rule (not ``report``) waits on it: ``_missing`` as columns."""
    by_fact: dict[str, list[pl.Expr]] = {}
    for rule in rules:
        if rule.policy == "report":
            continue
        for name in dict.fromkeys(leaf.fact for leaf in iter_leaves(rule.condition)):
            by_fact.setdefault(name, []).append(results[rule.id].is_null())
    return {name: pl.col(name).is_null() & pl.any_horizontal(waits) for name, waits in by_fact.items()}


def missing_fields(fact: str) -> str:
    """The case field(s) a missing fact names (as the plan's ``missing[].field``)."""
    return ", ".join(FACTS[fact].paths)


def _allowed(therapy: str) -> pl.Expr:
    """The ``allowed_<therapy>`` pathway fact."""
    status = pl.col(f"status_{therapy}")
    return pl.when(status == "needs_data").then(pl.lit(None, pl.Boolean)).otherwise(status.is_in(ALLOWED_STATUSES))


def _ranked(therapies: Sequence[str]) -> pl.Expr:
    """Allowed options, indicated before caution, otherwise in the given order (``_rank``)."""
    parts = [
        pl.when(pl.col(f"status_{t}") == wanted).then(pl.lit(t)).otherwise(pl.lit(None, pl.String))
        for wanted in ALLOWED_STATUSES
        for t in therapies
    ]
    return pl.concat_list(parts).list.drop_nulls() if parts else pl.lit([], pl.List(pl.String))


def _pathway(kb: KnowledgeBase) -> list[pl.Expr]:
    rules = sorted((r for r in kb.rules if r.kind == "pathway"), key=lambda r: r.priority or 0)
    branch: pl.Expr = pl.lit("undetermined")
    preferred: pl.Expr = pl.lit([], pl.List(pl.String))
    for rule in reversed(rules):
        result = compile_condition(rule.condition)
        allowed = _ranked(list(rule.preferred))
        places = result.fill_null(False) & (pl.lit(not rule.preferred) | (allowed.list.len() > 0))
        branch = (
            pl.when(result.is_null())
            .then(pl.lit("undetermined"))
            .when(places)
            .then(pl.lit(str(rule.branch)))
            .otherwise(branch)
        )
        preferred = (
            pl.when(result.is_null())
            .then(pl.lit([], pl.List(pl.String)))
            .when(places)
            .then(allowed)
            .otherwise(preferred)
        )
    return [branch.alias("pathway"), preferred.alias("pathway_preferred")]


def decision_columns(kb: KnowledgeBase, lists: bool = False) -> tuple[list[pl.Expr], list[pl.Expr], list[pl.Expr]]:
    """Three stages of expressions over a facts frame.

    1. ``rule_<ID>``: every case rule's result (true = fired, null = unknown);
    2. ``status_<t>``, ``provisional_<t>``, ``in_scope``, and ``missing_<fact>`` (true when a
       decision waits on the fact); with ``lists``, also ``fired`` and ``missing`` as lists of rule
       ids and field paths (readable, but several times slower on millions of rows);
    3. ``allowed_<t>``, the pathway facts (the pathway reads the statuses).
    """
    rules = [r for r in kb.rules if r.scope == "case" and r.kind != "pathway"]
    results = {r.id: pl.col(f"rule_{r.id}") for r in rules}
    stage1 = [compile_condition(r.condition).alias(f"rule_{r.id}") for r in rules]
    stage2: list[pl.Expr] = []
    options = [[r for r in rules if t in r.therapy] for t in THERAPIES]
    for therapy, mine in zip(THERAPIES, options, strict=True):
        status = status_expression(mine, results)
        provisional = _provisional(mine, results, status)
        stage2 += [status.alias(f"status_{therapy}"), provisional.alias(f"provisional_{therapy}")]
    waiting = _waiting([r for mine in options for r in mine], results)
    stage2 += [expr.alias(f"missing_{name}") for name, expr in waiting.items()]
    scope = [results[r.id] for r in rules if r.kind == "scope"]
    stage2.append((~pl.any_horizontal(scope)).alias("in_scope") if scope else pl.lit(True).alias("in_scope"))
    if lists:
        ids = pl.lit(pl.Series([[r.id for r in rules]]))
        fired = pl.concat_list([results[r.id].fill_null(False) for r in rules]).list.eval(pl.element().arg_true())
        stage2.append(ids.list.gather(fired).alias("fired"))
        names = list(waiting)
        fields = pl.lit(pl.Series([[missing_fields(n) for n in names]]))
        flags = pl.concat_list([waiting[n] for n in names]).list.eval(pl.element().arg_true())
        stage2.append(fields.list.gather(flags).list.unique(maintain_order=True).alias("missing"))
    stage3 = [*(_allowed(t).alias(f"allowed_{t}") for t in THERAPIES)]
    return stage1, stage2, stage3


def decide_frame(facts: pl.LazyFrame, kb: KnowledgeBase, lists: bool = False) -> pl.LazyFrame:
    """``facts`` with the decision columns of :func:`decision_columns` and ``pathway``,
    ``pathway_preferred`` added."""
    stage1, stage2, stage3 = decision_columns(kb, lists)
    return facts.with_columns(stage1).with_columns(stage2).with_columns(stage3).with_columns(_pathway(kb))
