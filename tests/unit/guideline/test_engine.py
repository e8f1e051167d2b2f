"""Status precedence and traces of the per-case engine."""

from __future__ import annotations

from nenliver.case import case_from_data
from nenliver.guideline.engine import decide_status, evaluate_case, evaluate_rule
from nenliver.guideline.schema import Rule


def _rule(**kw) -> Rule:
    base = {
        "id": "TST-01",
        "version": "1.0.0",
        "status": "active",
        "evidence": ["S"],
        "title": "test",
        "therapy": ["tae"],
        "kind": "contraindication",
        "effect": "exclude",
        "condition": {"fact": "ascites", "op": "eq", "value": True},
        "message": {"if_true": "ascites"},
        "rationale": "r",
        "citations": [{"key": "CAZZATO21", "locator": "x"}],
    }
    base.update(kw)
    return Rule.model_validate(base)


SUPPORT = _rule(
    id="TST-02",
    effect="support",
    kind="indication",
    condition={"fact": "ssa_status", "op": "eq", "value": "progressing"},
)
EXCLUDE = _rule()
CAUTION = _rule(
    id="TST-03",
    effect="caution",
    kind="caution",
    condition={"fact": "iodinated_contrast_allergy", "op": "eq", "value": True},
)
ROUTE = _rule(id="TST-04", effect="route", kind="route", route_status="trial_only", condition={"always": True})


def _status(rules, facts):
    return decide_status([evaluate_rule(r, facts) for r in rules])[0]


def test_known_contraindication_wins_over_unknown_indication():
    assert _status([SUPPORT, EXCLUDE], {"ascites": True}) == "contraindicated"


def test_indication_known_false_wins_over_unknown_gates():
    assert _status([SUPPORT, EXCLUDE], {"ssa_status": "responding"}) == "not_indicated"


def test_unknown_gate_gives_needs_data():
    assert _status([SUPPORT, EXCLUDE], {"ssa_status": "progressing"}) == "needs_data"


def test_unknown_caution_never_reads_as_indicated():
    facts = {"ssa_status": "progressing", "ascites": False}
    assert _status([SUPPORT, EXCLUDE, CAUTION], facts) == "caution"
    assert _status([SUPPORT, EXCLUDE, CAUTION], {**facts, "iodinated_contrast_allergy": False}) == "indicated"


def test_trial_only_sits_between_needs_data_and_caution():
    facts = {"ssa_status": "progressing", "ascites": False, "iodinated_contrast_allergy": True}
    assert _status([SUPPORT, EXCLUDE, CAUTION, ROUTE], facts) == "trial_only"
    assert _status([SUPPORT, EXCLUDE, CAUTION, ROUTE], {"ssa_status": "progressing"}) == "needs_data"


def test_indication_groups_or_within_and_across():
    a = _rule(
        id="TST-05",
        effect="support",
        kind="indication",
        indication_group="g",
        condition={"fact": "ascites", "op": "eq", "value": True},
    )
    b = _rule(
        id="TST-06",
        effect="support",
        kind="indication",
        indication_group="g",
        condition={"fact": "biliary_stent", "op": "eq", "value": True},
    )
    assert _status([a, b], {"ascites": False, "biliary_stent": True}) == "indicated"
    assert _status([a, b], {"ascites": False, "biliary_stent": False}) == "not_indicated"
    assert _status([a, b, SUPPORT], {"ascites": True, "ssa_status": "naive"}) == "not_indicated"


def test_every_therapy_appears_in_order(make_case):
    decision = evaluate_case(case_from_data(make_case()))
    assert [o.therapy for o in decision.options] == [
        "surgery",
        "liver_transplant",
        "ablation",
        "tae",
        "tace",
        "sirt",
        "prrt",
        "ia_prrt",
        "ssa",
    ]


def test_findings_carry_inputs_thresholds_and_citations(make_case):
    decision = evaluate_case(case_from_data(make_case(**{"labs.bilirubin": 3.4})))
    tae = next(o for o in decision.options if o.therapy == "tae")
    finding = next(f.as_dict() for f in tae.findings if f.rule.id == "TAE-06")
    assert finding["result"] is True and finding["inputs"] == {"labs.bilirubin": 3.4}
    assert finding["thresholds"]["bilirubin_mg_dl"] == "≥ 3 mg/dL"
    assert finding["citations"] == [
        "CAZZATO21:Table 1, TAE/TACE row, contraindications (impaired hepatic function, bilirubin level ≥3 mg/dl); "
        "section 6.1, paragraph 2"
    ]
    assert "3.4 mg/dL" in finding["text"]
    assert tae.status == "contraindicated"


def test_conflict_shown_only_when_sources_disagree_for_the_patient(make_case):
    def topics(bili):
        decision = evaluate_case(case_from_data(make_case(**{"labs.bilirubin": bili})))
        return [c["rules"] for c in decision.conflicts]

    assert ["TAE-06", "TAE-06b"] in topics(2.5)
    assert ["TAE-06", "TAE-06b"] not in topics(0.7)
    assert ["TAE-06", "TAE-06b"] not in topics(3.5)


def test_workup_for_ruled_out_therapies_is_not_listed(make_case):
    """The MAA work-up (SIRT only) is not asked for when SIRT is contraindicated anyway."""
    items = {f.rule.item for f in evaluate_case(case_from_data(make_case())).workup}
    assert "maa_workup" in items
    excluded = evaluate_case(case_from_data(make_case(**{"history.ascites": True})))
    assert next(o for o in excluded.options if o.therapy == "sirt").status == "contraindicated"
    assert "maa_workup" not in {f.rule.item for f in excluded.workup}
