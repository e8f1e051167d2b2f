"""Corpus checks of the knowledge base (``nenliver rules lint``).

Each check returns :class:`Issue` s with a severity; ``error`` issues fail the lint. A rule fails
when it has no source, a numeric threshold without the fact's unit, no positive and no negative
example (an ``always`` rule needs only the positive one), an example that does not reproduce, an
unknown fact, or an ``active`` status while its evidence is not [S]/[V] only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from nenliver.guideline.facts import FACTS
from nenliver.guideline.loader import KnowledgeBase
from nenliver.guideline.logic import evaluate
from nenliver.guideline.schema import Always, Leaf, Rule, iter_leaves

Severity = Literal["error", "warning"]
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)(?:\.threshold)?\}")


@dataclass(frozen=True)
class Issue:
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.rule}: {self.message}"


def _leaf_issues(rule: Rule, leaf: Leaf) -> list[str]:
    fact = FACTS.get(leaf.fact)
    if fact is None:
        return [f"unknown fact {leaf.fact!r}"]
    problems = []
    if fact.scope == "lesion" and rule.scope != "lesion":
        problems.append(f"lesion fact {leaf.fact!r} used in a case-scope rule")
    if fact.scope == "pathway" and rule.kind != "pathway":
        problems.append(f"pathway fact {leaf.fact!r} used outside a pathway rule (it exists only after the statuses)")
    if fact.scope == "external" and rule.scope == "lesion":
        problems.append(f"external fact {leaf.fact!r} used in a lesion rule (lesion rules run before it is computed)")
    if leaf.op in ("known", "missing"):
        return problems
    if fact.kind == "number":
        values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
            problems.append(f"{leaf.fact} is a number; threshold {leaf.value!r} is not")
        if leaf.unit is None:
            problems.append(f"numeric threshold on {leaf.fact} has no unit (expected {fact.unit!r})")
        elif leaf.unit != fact.unit:
            problems.append(f"threshold unit {leaf.unit!r} on {leaf.fact} differs from the fact's unit {fact.unit!r}")
    elif fact.kind == "bool":
        if leaf.op not in ("eq", "ne") or not isinstance(leaf.value, bool):
            problems.append(f"{leaf.fact} is yes/no: use eq/ne with true or false")
    elif fact.kind == "category":
        values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        bad = [v for v in values if v not in (fact.values or ())]
        if bad or leaf.op not in ("eq", "ne", "in", "not_in"):
            problems.append(f"{leaf.fact} takes {fact.values}; got {leaf.op} {leaf.value!r}")
    return problems


def _source_issues(rule: Rule, kb: KnowledgeBase) -> list[str]:
    out = []
    for citation in rule.citations:
        if citation.key not in kb.bibliography:
            out.append(f"citation key {citation.key!r} is not in the bibliography")
        if not citation.locator.strip():
            out.append(f"citation {citation.key} has no locator")
    if rule.status == "active" and not set(rule.evidence) <= {"S", "V"}:
        out.append(f"evidence {rule.evidence} includes [K]/[D]: keep the rule draft until a clinician checks it")
    for other in rule.conflicts_with:
        if other not in kb.by_id:
            out.append(f"conflicts_with names unknown rule {other}")
        elif rule.id not in kb.by_id[other].conflicts_with:
            out.append(f"conflict with {other} is not recorded on {other}")
    return out


def _structure_issues(rule: Rule) -> list[str]:
    out = []
    if rule.indication_group and rule.effect != "support":
        out.append("indication_group is only meaningful on support rules")
    if rule.route_status and rule.effect != "route":
        out.append("route_status is only meaningful on route rules")
    if rule.effect in ("support", "exclude", "caution") and not rule.therapy:
        out.append(f"a {rule.effect} rule needs at least one therapy")
    if rule.modality and rule.scope != "lesion":
        out.append("modality is only meaningful on lesion-scope rules")
    texts = [rule.message.if_true, rule.message.if_false or "", rule.message.if_unknown or ""]
    for name in sorted({m.group(1) for t in texts for m in _PLACEHOLDER.finditer(t)}):
        if name not in FACTS:
            out.append(f"message placeholder {{{name}}} is not a fact")
    for leaf in iter_leaves(rule.condition):
        out += _leaf_issues(rule, leaf)
    return out


def _example_issues(rule: Rule) -> list[str]:
    out = []
    expects = [ex.expect for ex in rule.examples]
    if True not in expects:
        out.append("no positive example (expect: true)")
    if False not in expects and not isinstance(rule.condition, Always):
        out.append("no negative example (expect: false)")
    for i, example in enumerate(rule.examples):
        unknown = [k for k in example.given if k not in FACTS]
        if unknown:
            out.append(f"examples[{i}] gives unknown fact(s) {unknown}")
            continue
        got = evaluate(rule.condition, example.given)
        if got is not example.expect:
            out.append(f"examples[{i}] {example.given} gives {got}, expected {example.expect}")
    return out


def check_rule(rule: Rule, kb: KnowledgeBase) -> list[Issue]:
    """All issues of one rule: sources, structure and units, executable examples."""
    problems = _source_issues(rule, kb) + _structure_issues(rule) + _example_issues(rule)
    return [Issue(rule.id, "error", p) for p in problems]


def lint(kb: KnowledgeBase) -> list[Issue]:
    """Every issue of the knowledge base, rule by rule, then corpus-wide checks."""
    issues = [issue for rule in kb.rules for issue in check_rule(rule, kb)]
    priorities: dict[int, str] = {}
    for rule in kb.rules:
        if rule.kind == "pathway" and rule.priority is not None:
            if rule.priority in priorities:
                issues.append(
                    Issue(
                        rule.id, "error", f"pathway priority {rule.priority} also used by {priorities[rule.priority]}"
                    )
                )
            priorities[rule.priority] = rule.id
    return issues
