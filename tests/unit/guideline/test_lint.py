"""The corpus lint fails on each kind of defect it promises to catch."""

from __future__ import annotations

import dataclasses

import pytest

from nenliver.guideline import lint, load_knowledge_base
from nenliver.guideline.schema import Rule

GOOD = {
    "id": "TST-01",
    "version": "1.0.0",
    "status": "active",
    "evidence": ["S"],
    "title": "test rule",
    "therapy": ["tae"],
    "kind": "contraindication",
    "effect": "exclude",
    "condition": {"fact": "bilirubin_mg_dl", "op": "ge", "value": 3.0, "unit": "mg/dL"},
    "message": {"if_true": "bilirubin {bilirubin_mg_dl} ≥ {bilirubin_mg_dl.threshold}"},
    "rationale": "r",
    "citations": [{"key": "CAZZATO21", "locator": "Table 1"}],
    "examples": [
        {"given": {"bilirubin_mg_dl": 3.5}, "expect": True},
        {"given": {"bilirubin_mg_dl": 1}, "expect": False},
    ],
}


def _errors(**changes) -> list[str]:
    kb = load_knowledge_base()
    rule = Rule.model_validate({**GOOD, **changes})
    corpus = dataclasses.replace(kb, rules=(rule,), by_id={rule.id: rule})
    return [i.message for i in lint(corpus) if i.rule == rule.id]


def test_good_rule_is_clean():
    assert _errors() == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"citations": [{"key": "NOBODY99", "locator": "p. 1"}]}, "not in the bibliography"),
        ({"condition": {"fact": "bilirubin_mg_dl", "op": "ge", "value": 3.0}}, "has no unit"),
        (
            {"condition": {"fact": "bilirubin_mg_dl", "op": "ge", "value": 51, "unit": "umol/L"}},
            "differs from the fact's unit",
        ),
        ({"condition": {"fact": "bilirubin", "op": "ge", "value": 3.0, "unit": "mg/dL"}}, "unknown fact"),
        ({"examples": [{"given": {"bilirubin_mg_dl": 3.5}, "expect": True}]}, "no negative example"),
        ({"examples": [{"given": {"bilirubin_mg_dl": 1}, "expect": False}]}, "no positive example"),
        ({"examples": [*GOOD["examples"], {"given": {"bilirubin_mg_dl": 2}, "expect": True}]}, "gives False"),
        ({"evidence": ["K"]}, "draft"),
        ({"message": {"if_true": "value {bilirubin}"}}, "placeholder"),
        ({"condition": {"fact": "grade", "op": "eq", "value": "G4"}}, "takes"),
        ({"condition": {"fact": "ascites", "op": "eq", "value": "yes"}}, "yes/no"),
        ({"conflicts_with": ["TST-99"]}, "unknown rule"),
    ],
)
def test_lint_catches(changes, words):
    assert any(words in e for e in _errors(**changes)), _errors(**changes)
