"""Hostile variants of valid documents, for the fuzz tests of every input format.

A mutation replaces, deletes or adds values anywhere in a valid document with hostile scalars
(NaN, infinity, booleans, huge numbers, text, impossible dates, lists, mappings).
"""

from __future__ import annotations

import copy
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# A bounded number under CI; NENLIVER_FUZZ_EXAMPLES=5000 for a longer local hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("NENLIVER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -0.0, 1e-300, 2**63]),
    st.text(max_size=12),
    st.sampled_from(["2021-02-30", "2021-06-01", "1900-01-01", "2999-01-01", "2026-03-12T90:00:00+01:00", ".nan"]),
    st.dates().map(str),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from(["value", "unit", "x"]), st.one_of(st.floats(), st.text(max_size=6)), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a document (mappings and lists), leaves and inner nodes."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, bases: list[dict[str, Any]]) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        kind = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        last = path[-1]
        if kind == "replace":
            parent[last] = draw(HOSTILE)
        elif kind == "delete" and isinstance(parent, dict):
            parent.pop(last, None)
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "ki67", "value", "unit", "lesion_count"]))] = draw(HOSTILE)
        if not _paths(doc):
            break
    return doc
