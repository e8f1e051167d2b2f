"""Invariants of the decision engine (Hypothesis).

* the per-case evaluator and the vectorised polars evaluator agree on random cases;
* the order of the rules does not change any decision;
* an unknown input never clears: hiding known facts can never turn a contraindicated, not indicated
  or needs-data option into ``caution``/``indicated``, nor a caution (with the caution unknown
  policy) into ``indicated``, nor a fired contraindication into a cleared one.
"""

from __future__ import annotations

import dataclasses
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nenliver.guideline.cohort import evaluate_frame, facts_frame
from nenliver.guideline.engine import decide_from_facts, evaluate_rule
from nenliver.guideline.facts import FACTS
from nenliver.guideline.loader import load_knowledge_base
from nenliver.guideline.schema import THERAPIES, iter_leaves

KB = load_knowledge_base()
CASE_RULES = [r for r in KB.rules if r.scope == "case" and r.kind != "pathway"]


def _thresholds(name: str) -> list[float]:
    values: list[float] = []
    for rule in CASE_RULES:
        for leaf in iter_leaves(rule.condition):
            if leaf.fact == name and isinstance(leaf.value, int | float) and not isinstance(leaf.value, bool):
                values += [float(leaf.value) + d for d in (-0.5, 0.0, 0.5)]
    return values or [0.0, 1.0, 10.0]


def _fact_strategy(name: str) -> st.SearchStrategy:
    fact = FACTS[name]
    if fact.kind == "bool":
        return st.sampled_from([None, True, False])
    if fact.kind == "category":
        return st.sampled_from([None, *fact.values])
    near = _thresholds(name)
    return st.one_of(st.none(), st.sampled_from(near), st.floats(min_value=0, max_value=200))


CASE_FACT_NAMES = [f.name for f in FACTS.values() if f.scope in ("case", "external")]
FACT_ROWS = st.fixed_dictionaries({name: _fact_strategy(name) for name in CASE_FACT_NAMES})
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(FACT_ROWS, min_size=1, max_size=25))
def test_per_case_and_vectorised_agree(rows):
    frame = evaluate_frame(facts_frame(rows), KB, fired=True)
    for i, row in enumerate(rows):
        statuses, in_scope, fired = decide_from_facts(row, KB)
        vec = frame.row(i, named=True)
        assert {t: vec[f"status_{t}"] for t in THERAPIES} == statuses
        assert vec["in_scope"] is in_scope
        assert {t: sorted(vec[f"fired_{t}"]) for t in THERAPIES} == {t: sorted(v) for t, v in fired.items()}
        for rule in CASE_RULES:
            assert vec[f"rule_{rule.id}"] is evaluate_rule(rule, row).result, rule.id


@SETTINGS
@given(FACT_ROWS, st.randoms(use_true_random=False))
def test_rule_order_does_not_change_the_plan(row, rnd: random.Random):
    shuffled = list(KB.rules)
    rnd.shuffle(shuffled)
    other = dataclasses.replace(KB, rules=tuple(shuffled))
    assert decide_from_facts(row, other)[:2] == decide_from_facts(row, KB)[:2]


@SETTINGS
@given(FACT_ROWS, st.data())
def test_unknown_never_clears(row, data):
    known = [k for k, v in row.items() if v is not None]
    hidden = data.draw(st.lists(st.sampled_from(known), unique=True) if known else st.just([]))
    partial = {k: (None if k in hidden else v) for k, v in row.items()}
    full_status = decide_from_facts(row, KB)[0]
    partial_status = decide_from_facts(partial, KB)[0]
    hard = {"contraindicated", "not_indicated", "needs_data"}
    for therapy in THERAPIES:
        if full_status[therapy] in hard:
            assert partial_status[therapy] in hard, therapy
        firm_caution = any(
            therapy in r.therapy
            and r.effect == "caution"
            and r.policy == "caution"
            and evaluate_rule(r, row).result is True
            for r in CASE_RULES
        )
        if full_status[therapy] == "caution" and firm_caution:
            assert partial_status[therapy] != "indicated", therapy
    for rule in CASE_RULES:
        if rule.effect in ("exclude", "caution") and evaluate_rule(rule, row).result is True:
            assert evaluate_rule(rule, partial).result is not False, rule.id
