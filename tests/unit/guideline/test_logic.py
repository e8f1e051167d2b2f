"""Three-valued (Kleene) logic of rule conditions."""

from __future__ import annotations

import pytest

from nenliver.guideline.logic import evaluate, kleene_and, kleene_or
from nenliver.guideline.schema import All, Always, Any_, Leaf, Not

T, F, U = True, False, None


@pytest.mark.parametrize(
    ("values", "expected"),
    [([T, T], T), ([T, U], U), ([F, U], F), ([U, U], U), ([F, T], F)],
)
def test_and_is_false_with_one_false_term_whatever_the_unknowns(values, expected):
    assert kleene_and(values) is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [([F, F], F), ([F, U], U), ([T, U], T), ([U, U], U)],
)
def test_or_is_true_with_one_true_term(values, expected):
    assert kleene_or(values) is expected


def test_comparison_with_unknown_fact_is_unknown():
    assert evaluate(Leaf(fact="bilirubin_mg_dl", op="ge", value=3.0, unit="mg/dL"), {}) is None


def test_known_and_missing_are_never_unknown():
    assert evaluate(Leaf(fact="krenning_score", op="missing"), {}) is True
    assert evaluate(Leaf(fact="krenning_score", op="known"), {"krenning_score": 3.0}) is True


def test_not_keeps_unknown_unknown():
    assert evaluate(Not.model_validate({"not": {"fact": "ascites", "op": "eq", "value": True}}), {}) is None


def test_nested_condition():
    cond = All(
        all=[
            Leaf(fact="ascites", op="eq", value=False),
            Any_(any=[Leaf(fact="ki67_percent", op="ge", value=10, unit="%"), Always(always=True)]),
        ]
    )
    assert evaluate(cond, {"ascites": False}) is True
    assert evaluate(cond, {"ascites": True}) is False
    assert evaluate(cond, {}) is None


def test_in_operator():
    leaf = Leaf(fact="grade", op="in", value=["G1", "G2"])
    assert evaluate(leaf, {"grade": "G2"}) is True
    assert evaluate(leaf, {"grade": "G3"}) is False
    assert evaluate(leaf, {}) is None
