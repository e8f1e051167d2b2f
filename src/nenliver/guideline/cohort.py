"""Vectorised evaluation of the same rule data over a polars DataFrame of many cases.

Each rule condition compiles to one nullable-boolean polars expression (null = unknown). Polars'
``&``, ``|``, ``~``, ``all_horizontal`` and ``any_horizontal`` follow Kleene logic, which is exactly
the per-case semantics of :mod:`nenliver.guideline.logic`. Statuses follow
:func:`nenliver.guideline.engine.decide_status`; a property test checks that both agree on random
cases.

Lesion-scope rules (per-lesion ablation modality) are not part of the vectorised evaluation: they
do not decide any therapy's status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from nenliver.guideline.facts import FACTS, FactValue
from nenliver.guideline.loader import KnowledgeBase, load_knowledge_base
from nenliver.guideline.schema import THERAPIES, All, Always, Any_, Leaf, Not, Rule

_POLARS_TYPE = {"number": pl.Float64, "bool": pl.Boolean, "category": pl.String}


def fact_schema() -> dict[str, Any]:
    """Column name → polars dtype for every case-level (and external) fact."""
    return {f.name: _POLARS_TYPE[f.kind] for f in FACTS.values() if f.scope in ("case", "external")}


def facts_frame(rows: Iterable[Mapping[str, FactValue]]) -> pl.DataFrame:
    """A DataFrame with one row per case and one column per fact (null = unknown)."""
    schema = fact_schema()
    return pl.DataFrame([{k: row.get(k) for k in schema} for row in rows], schema=schema)


def compile_condition(condition: Any) -> pl.Expr:
    """A rule condition as a nullable-boolean polars expression (null = unknown)."""
    if isinstance(condition, Leaf):
        return _leaf(condition)
    if isinstance(condition, Always):
        return pl.lit(True)
    if isinstance(condition, All):
        return pl.all_horizontal([compile_condition(c) for c in condition.all])
    if isinstance(condition, Any_):
        return pl.any_horizontal([compile_condition(c) for c in condition.any])
    if isinstance(condition, Not):
        return ~compile_condition(condition.not_)
    raise TypeError(f"not a condition: {condition!r}")


def _leaf(leaf: Leaf) -> pl.Expr:
    col = pl.col(leaf.fact)
    if leaf.op == "known":
        return col.is_not_null()
    if leaf.op == "missing":
        return col.is_null()
    if leaf.op in ("in", "not_in"):
        values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        member = col.is_in(pl.Series(values).implode())
        member = member if leaf.op == "in" else ~member
        return pl.when(col.is_null()).then(pl.lit(None, dtype=pl.Boolean)).otherwise(member)
    value = leaf.value
    ops = {
        "lt": col < value,
        "le": col <= value,
        "gt": col > value,
        "ge": col >= value,
        "eq": col == value,
        "ne": col != value,
    }
    return ops[leaf.op]


def _any(exprs: Sequence[pl.Expr]) -> pl.Expr:
    return pl.any_horizontal(exprs) if exprs else pl.lit(False)


def _all(exprs: Sequence[pl.Expr]) -> pl.Expr:
    return pl.all_horizontal(exprs) if exprs else pl.lit(True)


def status_expression(rules: Sequence[Rule], compiled: Mapping[str, pl.Expr]) -> pl.Expr:
    """The status of one therapy from its case-scope rules (see ``engine.decide_status``)."""
    groups: dict[str, list[pl.Expr]] = {}
    for r in rules:
        if r.effect == "support":
            groups.setdefault(r.indication_group or r.id, []).append(compiled[r.id])
    indication = _all([_any(g) for g in groups.values()])
    excluded = _any([compiled[r.id].fill_null(False) for r in rules if r.effect == "exclude"])
    hangs = indication.is_null() | _any(
        [compiled[r.id].is_null() for r in rules if r.policy == "needs_data" and r.effect != "support"]
        + [compiled[r.id].fill_null(False) for r in rules if r.blocks]
    )
    trial = _any(
        [compiled[r.id].fill_null(False) for r in rules if r.effect == "route" and r.route_status == "trial_only"]
    )
    caution = _any(
        [compiled[r.id].fill_null(False) for r in rules if r.effect == "caution"]
        + [compiled[r.id].is_null() for r in rules if r.policy == "caution"]
    )
    return (
        pl.when(excluded)
        .then(pl.lit("contraindicated"))
        .when(indication.not_().fill_null(False))
        .then(pl.lit("not_indicated"))
        .when(hangs)
        .then(pl.lit("needs_data"))
        .when(trial)
        .then(pl.lit("trial_only"))
        .when(caution)
        .then(pl.lit("caution"))
        .otherwise(pl.lit("indicated"))
    )


def fired_expression(rules: Sequence[Rule], compiled: Mapping[str, pl.Expr]) -> pl.Expr:
    """List of the ids of rules that are true (fired) for the row."""
    if not rules:
        return pl.lit([], dtype=pl.List(pl.String))
    parts = [
        pl.when(compiled[r.id].fill_null(False)).then(pl.lit(r.id)).otherwise(pl.lit(None, dtype=pl.String))
        for r in rules
    ]
    return pl.concat_list(parts).list.drop_nulls()


def evaluate_frame(
    frame: pl.DataFrame | pl.LazyFrame, kb: KnowledgeBase | None = None, fired: bool = False
) -> pl.DataFrame:
    """Statuses, scope and the result of every rule for each case.

    Returns one row per case with ``status_<therapy>`` (string), ``in_scope`` (nullable boolean) and
    ``rule_<ID>`` (nullable boolean: true = fired, null = unknown) for every case-scope rule: the
    fired rule ids in columnar form, ready to filter or count.

    Parameters
    ----------
    frame
        One row per case, one column per fact (see :func:`facts_frame`).
    kb
        Knowledge base; the packaged one by default.
    fired
        Also return ``fired_<therapy>`` list columns with the ids of that therapy's rules that were
        true (convenient for small cohorts; slower on millions of rows).
    """
    kb = kb or load_knowledge_base()
    # Pathway rules read the options' statuses (pathway facts); they are not part of this evaluation yet.
    rules = [r for r in kb.rules if r.scope == "case" and r.kind != "pathway"]
    compiled = {r.id: compile_condition(r.condition) for r in rules}
    columns = {r.id: pl.col(f"rule_{r.id}") for r in rules}
    outputs = []
    for therapy in THERAPIES:
        mine = [r for r in rules if therapy in r.therapy]
        outputs.append(status_expression(mine, columns).alias(f"status_{therapy}"))
        if fired:
            outputs.append(fired_expression(mine, columns).alias(f"fired_{therapy}"))
    outputs.append((~_any([columns[r.id] for r in rules if r.kind == "scope"])).alias("in_scope"))
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    rule_columns = [compiled[r.id].alias(f"rule_{r.id}") for r in rules]
    return (
        lazy.select(rule_columns)
        .with_columns(outputs)
        .select([*(o.meta.output_name() for o in outputs), *(f"rule_{r.id}" for r in rules)])
        .collect()
    )
