"""nenliver/prrt@1 validation (every problem names its field) and the limit checks of a cycle."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from nenliver.dosimetry.prrt import CheckState, evaluate_tacs, prrt_plan_from_mapping, tacs_from_plan
from nenliver.errors import DosimetryInputError

BASE: dict[str, Any] = {
    "format": "nenliver/prrt@1",
    "radionuclide": "Lu-177",
    "injected_activity_mbq": 7400,
    "cycle": 1,
    "times_h": [4.0, 24.0, 96.0, 168.0],
    "organs": {
        "kidney_left": {"role": "kidney", "mass_g": 200, "activity_mbq": [96.08, 78.66, 38.29, 18.64]},
    },
    "fit": "mono_exp",
}


def plan_with(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc.update(changes)
    return doc


def paths_of(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(DosimetryInputError) as info:
        prrt_plan_from_mapping(doc, "plan.yaml")
    return [p.path for p in info.value.problems]


def evaluate(doc: dict[str, Any]) -> Any:
    plan = prrt_plan_from_mapping(doc)
    return evaluate_tacs(plan, tacs_from_plan(plan), knowledge_base_version="test")


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"times_h": [4.0, 24.0, 24.0, 168.0]}, "times_h[2]"),
        ({"times_h": [4.0, 96.0, 24.0, 168.0]}, "times_h[2]"),
        ({"times_h": [4.0, 24.0, 96.0]}, "organs.kidney_left.activity_mbq"),
        (
            {"organs": {"k": {"role": "kidney", "mass_g": 200, "activity_mbq": [1.0, -2.0, 1.0, 1.0]}}},
            "organs.k.activity_mbq[1]",
        ),
        ({"organs": {"k": {"role": "liverish", "mass_g": 200, "activity_mbq": [1.0, 2.0, 1.0, 1.0]}}}, "organs.k.role"),
        ({"organs": {"k": {"role": "kidney", "activity_mbq": [1.0, 2.0, 1.0, 1.0]}}}, "organs.k.mass_g"),
        ({"injected_activity_mbq": 7.4e6}, "injected_activity_mbq"),
        ({"injected_activity_mbq": float("nan")}, "injected_activity_mbq"),
        ({"times_h": [4.0, 24.0, float("inf"), 168.0]}, "times_h[2]"),
        ({"cycle": 0}, "cycle"),
        (
            {"cycle": 2, "prior_cycles": [{"cycle": 2, "organs": {"kidney_left": {"dose_gy": 3}}}]},
            "prior_cycles[0].cycle",
        ),
        (
            {"single_time_point": {"method": "madsen", "time_h": 96}, "times_h": None},
            "single_time_point.effective_half_life_h",
        ),
        (
            {
                "fit": "biexp_uptake",
                "times_h": [24.0, 96.0],
                "organs": {"k": {"role": "kidney", "mass_g": 1, "activity_mbq": [2.0, 1.0]}},
            },
            "times_h",
        ),
        ({"unexpected": 1}, "unexpected"),
        (
            {"organs": {"bad name!": {"role": "kidney", "mass_g": 200, "activity_mbq": [1.0, 2.0, 1.0, 1.0]}}},
            "organs.bad name!.[key]",
        ),
    ],
)
def test_invalid_plans_name_the_field(changes: dict[str, Any], path: str) -> None:
    found = paths_of({k: v for k, v in plan_with(**changes).items() if v is not None})
    assert any(p == path or p.startswith(path) for p in found), found


def test_a_tiny_mass_is_accepted() -> None:
    doc = plan_with(organs={"lesion": {"role": "tumour", "mass_g": 0.2, "activity_mbq": [0.05, 0.06, 0.04, 0.03]}})
    assert prrt_plan_from_mapping(doc).organs["lesion"].mass_g == 0.2


def test_unit_slip_is_named_with_a_suggestion() -> None:
    with pytest.raises(DosimetryInputError) as info:
        prrt_plan_from_mapping(plan_with(organs={"k": {"role": "kidney", "mass_g": 200000, "activity_mbq": [1.0] * 4}}))
    assert "did you mean 200 g" in str(info.value) and "mg" in str(info.value)


def test_kidney_bed_limit_follows_the_risk_factors() -> None:
    no_risk = evaluate(plan_with(kidney_risk_factors=False)).organs["kidney_left"].checks
    risk = evaluate(plan_with(kidney_risk_factors=True)).organs["kidney_left"].checks
    unknown = evaluate(plan_with()).organs["kidney_left"].checks
    assert [c.limit for c in no_risk if c.quantity == "bed_gy"] == [40.0]
    assert [c.limit for c in risk if c.quantity == "bed_gy"] == [28.0]
    assert [c.limit for c in unknown if c.quantity == "bed_gy"] == [28.0]  # unknown never clears
    assert "not recorded" in next(c.text for c in unknown if c.quantity == "bed_gy")


def test_missing_earlier_dosimetry_leaves_the_next_cycle_undecided() -> None:
    result = evaluate(
        plan_with(cycle=3, prior_cycles=[{"cycle": 1, "organs": {"kidney_left": {"dose_gy": 4, "bed_gy": 4.4}}}])
    )
    organ = result.organs["kidney_left"]
    assert organ.cumulative == {"dose_gy": None, "bed_gy": None}
    assert organ.dose_gy == pytest.approx(4.2653, rel=1e-3)  # this cycle's figures are still shown
    assert result.treatable_next_cycle is None
    assert any(c.status is CheckState.UNKNOWN for c in organ.checks)
    assert any("cycle(s) 2" in n for n in organ.notes)


def test_prior_cycle_without_bed_makes_only_the_bed_unknown() -> None:
    result = evaluate(plan_with(cycle=2, prior_cycles=[{"cycle": 1, "organs": {"kidney_left": {"dose_gy": 4}}}]))
    organ = result.organs["kidney_left"]
    assert organ.cumulative["dose_gy"] == pytest.approx(4 + organ.dose_gy)
    assert organ.cumulative["bed_gy"] is None
    assert result.treatable_next_cycle is None


def test_cumulative_bed_adds_cycles_and_projects_the_next() -> None:
    prior = [{"cycle": c, "organs": {"kidney_left": {"dose_gy": 4.2, "bed_gy": 4.5}}} for c in (1, 2, 3, 4, 5)]
    result = evaluate(plan_with(cycle=6, prior_cycles=prior, kidney_risk_factors=True))
    organ = result.organs["kidney_left"]
    bed = next(c for c in organ.checks if c.quantity == "bed_gy")
    assert organ.cumulative["bed_gy"] == pytest.approx(5 * 4.5 + organ.bed_gy)
    assert bed.projected_next_cycle == pytest.approx(organ.cumulative["bed_gy"] + organ.bed_gy)
    assert organ.cumulative["bed_gy"] < 28 < bed.projected_next_cycle
    assert bed.status is CheckState.WARN and bed.cycles_remaining == 0
    assert result.treatable_next_cycle is False


def test_passing_a_hard_limit_fails_and_keeps_every_figure() -> None:
    prior = [{"cycle": c, "organs": {"kidney_left": {"dose_gy": 8.0, "bed_gy": 9.5}}} for c in (1, 2, 3)]
    result = evaluate(plan_with(cycle=4, prior_cycles=prior, kidney_risk_factors=True))
    bed = next(c for c in result.organs["kidney_left"].checks if c.quantity == "bed_gy")
    assert bed.status is CheckState.FAIL and bed.value == pytest.approx(28.5 + result.organs["kidney_left"].bed_gy)
    assert result.treatable_next_cycle is False
    assert any("exceeds 28 Gy" in line for line in result.deciding)


def test_draft_limits_only_warn_and_say_so() -> None:
    prior = [{"cycle": c, "organs": {"kidney_left": {"dose_gy": 6.0, "bed_gy": 6.5}}} for c in (1, 2, 3, 4)]
    result = evaluate(plan_with(cycle=5, prior_cycles=prior, kidney_risk_factors=False))
    dose = next(c for c in result.organs["kidney_left"].checks if c.quantity == "dose_gy")
    assert dose.draft and dose.severity == "advisory" and dose.status is CheckState.WARN
    assert "draft" in dose.text
    assert result.treatable_next_cycle is True  # 40 Gy BED not reached; the draft 23 Gy only warns


def test_implausible_kidney_gy_per_gbq_is_flagged() -> None:
    doc = plan_with(
        organs={"kidney_left": {"role": "kidney", "mass_g": 20, "activity_mbq": [96.08, 78.66, 38.29, 18.64]}}
    )
    check = next(c for c in evaluate(doc).organs["kidney_left"].checks if c.id == "kidney-gy-per-gbq-plausible")
    assert check.status is CheckState.WARN and "implausible" in check.text


def test_no_kidney_means_no_answer() -> None:
    doc = plan_with(organs={"t": {"role": "tumour", "mass_g": 20, "activity_mbq": [9.0, 8.0, 4.0, 2.0]}})
    result = evaluate(doc)
    assert result.treatable_next_cycle is None
    assert any("no kidney" in n for n in result.notes)


def test_marrow_has_a_draft_dose_limit() -> None:
    doc = plan_with(
        organs={"marrow": {"role": "marrow", "mass_g": 1100, "activity_mbq": [20.0, 9.0, 2.6, 1.1]}}, fit="auto"
    )
    checks = evaluate(doc).organs["marrow"].checks
    assert [(c.quantity, c.limit, c.draft) for c in checks] == [("dose_gy", 2.0, True)]
