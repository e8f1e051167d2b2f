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

maybe_bool = st.sampled_from([None, True, False])


def _optional(**fields):
    """A dict strategy where every field may be absent (absent = unknown)."""
    return st.fixed_dictionaries({}, optional=fields)


lesion = st.builds(
    lambda i, d, c, v, vis, p: {
        "id": f"L{i}",
        "diameter_mm": d,
        "central": c,
        "nearest_vessel_mm": v,
        "visible_on": vis,
        "progressing": p,
    },
    st.integers(0, 10_000),
    st.one_of(st.none(), st.floats(1, 90)),
    maybe_bool,
    st.one_of(st.none(), st.floats(0, 40)),
    st.one_of(st.none(), st.lists(st.sampled_from(["us", "ct", "ce_ct", "mri", "pet"]), unique=True)),
    maybe_bool,
)

CASES = st.builds(
    lambda patient, tumour, imaging, liver, lesions, labs, history, workup: {
        "format": "nenliver/case@1",
        "id": "random",
        "decision_date": "2024-01-15",
        "patient": patient,
        "tumour": tumour,
        "imaging": imaging,
        "liver": {**liver, **({"lesions": lesions} if lesions is not None else {})},
        "labs": labs,
        "history": history,
        **({"sirt_workup": workup} if workup else {}),
    },
    _optional(age_years=st.integers(18, 90), ecog=st.integers(0, 4)),
    _optional(
        primary_site=st.sampled_from(["small_intestine", "pancreas", "lung", "unknown", "rectum"]),
        primary_resected=st.booleans(),
        differentiation=st.sampled_from(["well", "poor"]),
        ki67_percent=st.floats(0, 80),
        functioning_syndrome=st.sampled_from(["none", "carcinoid_syndrome"]),
        ssa_status=st.sampled_from(["naive", "responding", "progressing", "symptomatic_despite_ssa"]),
        disease_course=st.sampled_from(["stable", "progressive"]),
        stable_months=st.floats(0, 48),
        extrahepatic_disease=st.booleans(),
    ),
    _optional(liver_mri_dwi=st.booleans(), sstr_pet=st.builds(lambda k: {"krenning_score": k}, st.integers(0, 4))),
    _optional(
        tumour_burden_percent=st.floats(0, 95),
        distribution=st.sampled_from(["bilobar", "unilobar_left"]),
        surgical_indication=st.booleans(),
    ),
    st.one_of(st.none(), st.lists(lesion, max_size=7, unique_by=lambda les: les["id"])),
    _optional(
        bilirubin=st.floats(0.1, 6),
        albumin=st.floats(1.5, 5.5),
        inr=st.floats(0.8, 3),
        platelets=st.floats(20, 500),
        neutrophils=st.floats(0.2, 12),
        haemoglobin=st.floats(6, 17),
        creatinine_clearance=st.floats(10, 140),
    ),
    _optional(
        ascites=st.booleans(),
        portal_vein_thrombosis=st.booleans(),
        bilioenteric_anastomosis=st.booleans(),
        irreversible_coagulopathy=st.booleans(),
        cardiac_arrhythmia=st.booleans(),
        iodinated_contrast_allergy=st.booleans(),
        prior_chemotherapy=st.booleans(),
    ),
    st.one_of(
        st.none(),
        _optional(
            lung_shunt_fraction_percent=st.floats(0, 35),
            uncorrectable_gi_reflux=st.booleans(),
            tumour_to_normal_ratio=st.floats(0.5, 10),
            liver_volume_ml=st.floats(1200, 2500),
            tumour_volume_ml=st.floats(10, 1000),
        ),
    ),
)


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
