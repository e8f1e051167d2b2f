"""Scenario tests generated from every rule's embedded examples, and the corpus lint."""

from __future__ import annotations

import pytest

from nenliver.guideline import lint, load_knowledge_base
from nenliver.guideline.logic import evaluate
from nenliver.guideline.schema import Always

KB = load_knowledge_base()
EXAMPLES = [
    pytest.param(rule, example, id=f"{rule.id}-{i}") for rule in KB.rules for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_rule_example(rule, example):
    assert evaluate(rule.condition, example.given) is example.expect


def test_knowledge_base_lints_clean():
    errors = [str(i) for i in lint(KB) if i.severity == "error"]
    assert errors == []


def test_every_rule_has_a_positive_and_a_negative_example():
    for rule in KB.rules:
        expects = {e.expect for e in rule.examples}
        assert True in expects, rule.id
        assert False in expects or isinstance(rule.condition, Always), rule.id


def test_unverified_evidence_is_draft():
    for rule in KB.rules:
        if not set(rule.evidence) <= {"S", "V"}:
            assert rule.status == "draft", rule.id


def test_every_reference_rule_id_is_encoded():
    """Each rule id of guideline-rules.md §4.1-4.10 has a record (derived variants add a letter)."""
    wanted = (
        [f"CLS-0{i}" for i in (1, 2, 3)]
        + [f"IMG-0{i}" for i in range(1, 6)]
        + ["MDT-01"]
        + [f"SUR-0{i}" for i in range(1, 5)]
        + [f"LT-0{i}" for i in range(1, 10)]
        + [f"BUR-0{i}" for i in range(1, 6)]
        + [f"ABL-{i:02d}" for i in range(1, 15)]
        + [f"TAE-{i:02d}" for i in range(1, 15)]
        + [f"SIRT-{i:02d}" for i in range(1, 15)]
        + [f"PRR-{i:02d}" for i in range(1, 14)]
        + [f"PERI-0{i}" for i in range(1, 7)]
        + [f"SYS-0{i}" for i in (1, 2, 3)]
        + [f"DATA-0{i}" for i in range(1, 8)]
    )
    assert sorted(set(wanted) - set(KB.by_id)) == []


def test_rule_catalogue_is_up_to_date():
    """docs/rules.md is generated; regenerate with `nenliver rules list --markdown > docs/rules.md`."""
    from pathlib import Path

    from nenliver.guideline.catalogue import catalogue_markdown

    committed = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == catalogue_markdown(KB)


def test_facts_catalogue_is_up_to_date():
    """docs/facts.md is generated; regenerate with `nenliver rules facts > docs/facts.md`."""
    from pathlib import Path

    from nenliver.guideline.catalogue import facts_markdown

    committed = (Path(__file__).resolve().parents[2] / "docs" / "facts.md").read_text(encoding="utf-8")
    assert committed == facts_markdown()
