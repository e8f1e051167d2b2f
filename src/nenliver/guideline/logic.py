"""Three-valued (Kleene) evaluation of rule conditions for one case.

``True`` / ``False`` / ``None`` (unknown). ``all`` is false as soon as one term is false, whatever
the unknown terms; ``any`` is true as soon as one term is true; ``not`` keeps unknown unknown.
Comparisons with an unknown fact are unknown, except ``known`` / ``missing``, which test exactly
that and are never unknown.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from nenliver.guideline.facts import FactValue
from nenliver.guideline.schema import All, Always, Any_, Leaf, Not

Truth = bool | None

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}


def kleene_and(values: list[Truth]) -> Truth:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_or(values: list[Truth]) -> Truth:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def evaluate_leaf(leaf: Leaf, facts: Mapping[str, FactValue]) -> Truth:
    value = facts.get(leaf.fact)
    if leaf.op == "known":
        return value is not None
    if leaf.op == "missing":
        return value is None
    if value is None:
        return None
    return bool(_COMPARE[leaf.op](value, leaf.value))


def evaluate(condition: Any, facts: Mapping[str, FactValue]) -> Truth:
    """Evaluate a condition tree against a mapping of fact values."""
    if isinstance(condition, Leaf):
        return evaluate_leaf(condition, facts)
    if isinstance(condition, Always):
        return True
    if isinstance(condition, All):
        return kleene_and([evaluate(c, facts) for c in condition.all])
    if isinstance(condition, Any_):
        return kleene_or([evaluate(c, facts) for c in condition.any])
    if isinstance(condition, Not):
        inner = evaluate(condition.not_, facts)
        return None if inner is None else not inner
    raise TypeError(f"not a condition: {condition!r}")
