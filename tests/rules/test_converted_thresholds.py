"""A unit conversion never flips a threshold: every lab threshold, entered at its exact equivalent.

For every rule leaf that compares a laboratory fact with a number, and for every unit that lab may
be entered in, the exact equivalent of the threshold in that unit (decimal arithmetic, from the
conversion table) must read back as exactly the threshold, so the rule gives the same answer as
for the canonical value. 51.3 umol/L of bilirubin read as 2.9999999999999996 mg/dL and cleared
the TAE, TACE and SIRT contraindication before the conversion became exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from nenliver.case import Case
from nenliver.case.model import lab_units
from nenliver.guideline.facts import FACTS, case_facts
from nenliver.guideline.loader import load_knowledge_base
from nenliver.guideline.logic import evaluate
from nenliver.guideline.schema import Leaf, iter_leaves

KB = load_knowledge_base()


def _lab_of(fact: str) -> str | None:
    paths = FACTS[fact].paths
    if FACTS[fact].direct and paths and paths[0].startswith("labs."):
        return paths[0].removeprefix("labs.")
    return None


def _threshold_cases() -> list[tuple[str, str, float, str]]:
    out = []
    for rule in KB.rules:
        for leaf in iter_leaves(rule.condition):
            lab = _lab_of(leaf.fact)
            if lab is None or leaf.op not in ("lt", "le", "gt", "ge") or not isinstance(leaf.value, int | float):
                continue
            for unit in lab_units()[lab]["units"]:
                out.append((rule.id, leaf.fact, float(leaf.value), unit))
    return out


CASES = _threshold_cases()


def _entered(lab: str, canonical: float, unit: str) -> float:
    """The exact value in ``unit`` that equals ``canonical`` (the inverse of the conversion table)."""
    factor = lab_units()[lab]["units"][unit]
    value = Decimal(str(canonical))
    if "divide_by" in factor:
        value *= Decimal(str(factor["divide_by"]))
    elif "multiply_by" in factor:
        value /= Decimal(str(factor["multiply_by"]))
    return float(value)


def test_every_converted_lab_threshold_is_covered() -> None:
    """The table below is not empty, and covers the labs the issue names."""
    labs = {_lab_of(fact) for _, fact, _, _ in CASES}
    assert {"bilirubin", "albumin", "haemoglobin", "platelets", "creatinine"} <= labs
    assert ("TAE-06", "bilirubin_mg_dl", 3.0, "umol/L") in CASES


@pytest.mark.parametrize(("rule_id", "fact", "threshold", "unit"), CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES])
def test_threshold_at_its_exact_equivalent_reads_as_the_threshold(
    rule_id: str, fact: str, threshold: float, unit: str
) -> None:
    lab = _lab_of(fact)
    assert lab is not None
    entered = _entered(lab, threshold, unit)
    case = Case.model_validate(
        {"format": "nenliver/case@1", "id": "x", "labs": {lab: {"value": entered, "unit": unit}}}
    )
    facts = case_facts(case)
    assert facts[fact] == threshold, f"{entered} {unit} reads as {facts[fact]}, not {threshold}"
    leaves: list[Leaf] = [
        leaf
        for leaf in iter_leaves(KB.rule(rule_id).condition)
        if leaf.fact == fact and leaf.op in ("lt", "le", "gt", "ge") and leaf.value == threshold
    ]
    # At the threshold itself an inclusive comparison holds and an exclusive one does not, whatever the unit.
    for leaf in leaves:
        assert evaluate(leaf, facts) is (leaf.op in ("le", "ge"))


def test_bilirubin_51_3_umol_per_litre_contraindicates_embolisation(make_case: Any) -> None:
    """The issue's own example through the whole plan."""
    from nenliver.service import plan_case

    plan = plan_case(
        Case.model_validate(make_case(**{"labs.bilirubin": {"value": 51.3, "unit": "umol/L"}}))
    ).to_json_dict()
    status = {o["therapy"]: o for o in plan["options"]}
    for therapy in ("tae", "tace"):
        assert status[therapy]["status"] == "contraindicated"
        assert "TAE-06" in status[therapy]["deciding"]
    finding = next(f for f in status["tae"]["findings"] if f["rule"] == "TAE-06")
    shown = next(c["patient"] for c in finding["comparisons"] if c["fact"] == "bilirubin_mg_dl")
    assert shown == "3 mg/dL (entered 51.3 umol/L)"
