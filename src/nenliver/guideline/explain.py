"""Clinician-facing text of a finding: the rule's message with the patient's values and thresholds.

One rendering path serves the JSON plan, the terminal view and the HTML report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from nenliver.guideline.facts import FACTS, FactValue
from nenliver.guideline.logic import Truth
from nenliver.guideline.schema import Leaf, Not, Rule, iter_leaves

_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)(\.threshold)?\}")
_OP_SYMBOL = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠", "in": "in", "not_in": "not in"}
_UNITLESS = {None, "1"}
#: How a fact's unit code reads in a sentence (UCUM-style codes are kept in data and JSON).
_DISPLAY_UNIT = {"a": "years", "mo": "months", "d": "days", "xULN": "× ULN", "10*9/L": "×10⁹/L"}


def format_number(value: float) -> str:
    if math.isinf(value):
        return "∞"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return text


def format_value(value: Any, unit: str | None = None) -> str:
    """Value with its unit, for people: ``6 %``, ``1.2 mg/dL``, ``yes``, ``unknown``."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        text = format_number(float(value))
        return text if unit in _UNITLESS else f"{text} {_DISPLAY_UNIT.get(unit or '', unit)}"
    if isinstance(value, list):
        return ", ".join(format_value(v, unit) for v in value)
    return str(value).replace("_", " ")


def format_threshold(leaf: Leaf) -> str:
    if leaf.op in ("known", "missing"):
        return leaf.op
    unit = leaf.unit or FACTS[leaf.fact].unit
    return f"{_OP_SYMBOL[leaf.op]} {format_value(leaf.value, unit)}"


def _signed_leaves(condition: Any, negated: bool = False) -> list[tuple[Leaf, bool]]:
    """Leaves with whether an odd number of ``not`` wraps them."""
    if isinstance(condition, Leaf):
        return [(condition, negated)]
    if isinstance(condition, Not):
        return _signed_leaves(condition.not_, not negated)
    children = getattr(condition, "all", None) or getattr(condition, "any", None) or []
    return [pair for child in children for pair in _signed_leaves(child, negated)]


def thresholds(rule: Rule) -> dict[str, str]:
    """``{fact: "≥ 3 mg/dL"}`` for every compared fact of the rule (first comparison wins);
    a comparison under ``not`` reads ``not ≥ 3``."""
    out: dict[str, str] = {}
    for leaf, negated in _signed_leaves(rule.condition):
        if leaf.op not in ("known", "missing"):
            out.setdefault(leaf.fact, ("not " if negated else "") + format_threshold(leaf))
    return out


def render(template: str, rule: Rule, facts: Mapping[str, FactValue]) -> str:
    """Fill ``{fact}`` and ``{fact.threshold}`` placeholders of a message template."""
    leaves: dict[str, Leaf] = {}
    for leaf in iter_leaves(rule.condition):
        leaves.setdefault(leaf.fact, leaf)

    def fill(match: re.Match[str]) -> str:
        name, is_threshold = match.group(1), match.group(2)
        if is_threshold:
            leaf = leaves.get(name)
            if leaf is None or leaf.value is None:
                return match.group(0)
            return format_value(leaf.value, leaf.unit or FACTS[name].unit)
        fact = FACTS.get(name)
        return format_value(facts.get(name), fact.unit if fact else None)

    return _PLACEHOLDER.sub(fill, template)


def unknown_labels(rule: Rule, facts: Mapping[str, FactValue]) -> list[str]:
    names = []
    for leaf in iter_leaves(rule.condition):
        if leaf.op not in ("known", "missing") and facts.get(leaf.fact) is None and leaf.fact not in names:
            names.append(leaf.fact)
    return [FACTS[n].label for n in names]


def finding_text(rule: Rule, result: Truth, facts: Mapping[str, FactValue]) -> str:
    """The sentence a clinician reads for this rule's outcome on this case."""
    if result is True:
        return render(rule.message.if_true, rule, facts)
    if result is False:
        if rule.message.if_false:
            return render(rule.message.if_false, rule, facts)
        return f"Not met: {rule.title}"
    if rule.message.if_unknown:
        return render(rule.message.if_unknown, rule, facts)
    missing = ", ".join(unknown_labels(rule, facts)) or "inputs"
    verb = {"exclude": "cannot be ruled out", "caution": "cannot be ruled out", "support": "cannot be confirmed"}
    return f"Unknown ({missing}): {rule.title} {verb.get(rule.effect, 'cannot be assessed')}"
