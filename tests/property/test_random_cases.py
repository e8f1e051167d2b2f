"""Random whole cases (not only fact rows): derivation of facts plus both evaluators agree, and the
plan is always complete (every therapy once, a status from the allowed set, JSON-serialisable)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nenliver.case import case_from_data
from nenliver.guideline.cohort import evaluate_frame, facts_frame
from nenliver.guideline.engine import STATUS_PRECEDENCE, decide_from_facts
from nenliver.guideline.facts import case_facts
from nenliver.guideline.schema import THERAPIES
from nenliver.service import plan_case
from support.cases import CASES


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CASES, min_size=1, max_size=8))
def test_random_cases_per_case_and_vectorised_agree(datas):
    cases = [case_from_data(d) for d in datas]
    rows = [case_facts(c) for c in cases]
    frame = evaluate_frame(facts_frame(rows))
    for i, row in enumerate(rows):
        statuses, in_scope, _ = decide_from_facts(row)
        vec = frame.row(i, named=True)
        assert {t: vec[f"status_{t}"] for t in THERAPIES} == statuses
        assert vec["in_scope"] is in_scope


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_every_plan_is_complete_and_serialisable(data):
    plan = plan_case(case_from_data(data)).to_json_dict()
    assert [o["therapy"] for o in plan["options"]] == list(THERAPIES)
    assert all(o["status"] in STATUS_PRECEDENCE for o in plan["options"])
    needs = any(o["status"] == "needs_data" for o in plan["options"])
    assert not needs or plan["provisional"] is True
    json.dumps(plan, allow_nan=False)
