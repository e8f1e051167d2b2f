"""Rule scenarios of the PRRT dosimetry history (PRR-15 to PRR-19): a case and its expected outcome."""

from __future__ import annotations

from typing import Any

import pytest

from nenliver.case import Case
from nenliver.report.html import render_html
from nenliver.service import plan_case


def _prrt(
    make_case: Any, cycles: list[dict[str, Any]] | None, risk: bool | None, given: int | None = None
) -> dict[str, Any]:
    data = make_case(**{"tumour.ssa_status": "progressing", "imaging.sstr_pet": {"krenning_score": 3}})
    history = data["history"]
    if given is not None:
        history["prior_treatments"] = [{"kind": "prrt", "cycles": given}]
    if cycles is not None:
        history["prrt_cycles"] = cycles
    if risk is not None:
        history["prrt_kidney_risk_factors"] = risk
    plan = plan_case(Case.model_validate(data)).to_json_dict()
    return next(o for o in plan["options"] if o["therapy"] == "prrt")


def _fired(option: dict[str, Any]) -> dict[str, bool | None]:
    return {f["rule"]: f["result"] for f in option["findings"] if f["rule"].startswith("PRR-1")}


def cycles(*beds: float | None, dose: float = 5.0) -> list[dict[str, Any]]:
    return [
        {"cycle": i + 1, "kidney_bed_gy": b, "kidney_dose_gy": dose, "marrow_dose_gy": 0.2} for i, b in enumerate(beds)
    ]


def test_no_prrt_before_reads_as_zero_and_clears(make_case: Any) -> None:
    option = _prrt(make_case, None, None)
    fired = _fired(option)
    assert fired["PRR-15"] is False and fired["PRR-17"] is False
    assert option["details"] == {}


def test_cumulative_bed_above_40_contraindicates(make_case: Any) -> None:
    option = _prrt(make_case, cycles(11, 11, 11, 9), False, given=4)
    assert option["status"] == "contraindicated"
    assert "PRR-15" in option["deciding"]
    assert option["details"]["dosimetry_history"]["cumulative"]["kidney_bed_gy"] == pytest.approx(42)


def test_with_risk_factors_the_28_gy_threshold_decides(make_case: Any) -> None:
    option = _prrt(make_case, cycles(10, 10, 10), True, given=3)
    assert option["status"] == "contraindicated" and "PRR-15b" in option["deciding"]
    history = option["details"]["dosimetry_history"]
    assert history["kidney_bed_limit_gy"] == 28 and history["cycles_remaining_within_bed_limit"] == 0


def test_unknown_risk_factors_never_clear_the_28_gy_threshold(make_case: Any) -> None:
    option = _prrt(make_case, cycles(10, 10, 10), None, given=3)
    assert _fired(option)["PRR-15b"] is None
    assert option["details"]["dosimetry_history"]["kidney_bed_limit_basis"] == "risk factors not recorded"
    assert option["details"]["dosimetry_history"]["kidney_bed_limit_gy"] == 28


def test_near_the_threshold_is_a_caution(make_case: Any) -> None:
    option = _prrt(make_case, cycles(8, 8, 8), True, given=3)  # 24 Gy now, 32 Gy after one more
    fired = _fired(option)
    assert fired["PRR-15b"] is False and fired["PRR-16"] is True
    assert option["status"] in ("caution", "needs_data")


def test_earlier_prrt_without_dosimetry_needs_data(make_case: Any) -> None:
    option = _prrt(make_case, None, False, given=2)
    assert _fired(option)["PRR-17"] is True
    assert option["status"] == "needs_data" and option["provisional"] is True
    assert option["deciding"] == ["PRR-17"]


def test_unrecorded_history_only_reports(make_case: Any) -> None:
    """A case that does not record earlier treatments is not held for PRRT dosimetry (PRR-14 says why)."""
    data = make_case(**{"tumour.ssa_status": "progressing", "imaging.sstr_pet": {"krenning_score": 3}})
    del data["history"]["prior_treatments"]
    option = next(o for o in plan_case(Case.model_validate(data)).to_json_dict()["options"] if o["therapy"] == "prrt")
    assert _fired(option)["PRR-17"] is None
    assert "PRR-17" not in option["deciding"]


def test_a_cycle_without_its_bed_leaves_the_cumulative_unknown(make_case: Any) -> None:
    option = _prrt(make_case, cycles(6, None, 6), False, given=3)
    assert option["details"]["dosimetry_history"]["cumulative"]["kidney_bed_gy"] is None
    assert _fired(option)["PRR-17"] is True


def test_more_cycles_given_than_listed_leaves_the_cumulative_unknown(make_case: Any) -> None:
    option = _prrt(make_case, cycles(6, 6), False, given=4)
    assert option["details"]["dosimetry_history"]["cumulative"]["kidney_bed_gy"] is None


def test_draft_kidney_dose_and_marrow_cautions(make_case: Any) -> None:
    data = cycles(5, 5, 5, dose=7.0)
    for c in data:
        c["marrow_dose_gy"] = 0.8
    fired = _fired(_prrt(make_case, data, False, given=3))
    assert fired["PRR-18"] is True  # 21 Gy now, 28 Gy after one more
    assert fired["PRR-19"] is True  # 2.4 Gy red marrow


def test_the_report_shows_the_history_and_its_figure(make_case: Any) -> None:
    data = make_case(**{"tumour.ssa_status": "progressing"})
    data["history"]["prrt_cycles"] = cycles(6, 7)
    data["history"]["prrt_kidney_risk_factors"] = True
    html = render_html(plan_case(Case.model_validate(data)).to_json_dict())
    assert "PRRT dosimetry history" in html and "13.00 Gy" in html
    assert "Cumulative kidney BED after each cycle" in html  # the figure's caption


def test_listing_a_cycle_twice_is_refused(make_case: Any) -> None:
    data = make_case()
    data["history"]["prrt_cycles"] = [{"cycle": 1}, {"cycle": 1}]
    with pytest.raises(Exception, match=r"prrt_cycles\[1\]\.cycle"):
        Case.model_validate(data)
