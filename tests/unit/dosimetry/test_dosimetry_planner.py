"""evaluate_plan and the plain-quantity API used by the decision engine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.dosimetry import (
    dosimetry_for_workup,
    evaluate_plan,
    plan_from_mapping,
    plan_from_quantities,
    result_to_json,
)
from nenliver.errors import DosimetryInputError

B9: dict[str, Any] = {
    "device": "glass",
    "method": "partition",
    "convention": "eanm_2022",
    "target": {"compartment": "tumour", "dose_gy": 300},
    "tumour_volume_ml": 200,
    "normal_volume_ml": 800,
    "tumour_to_normal_ratio": 3,
    "lung_shunt_fraction_percent": 10,
    "density_g_ml": 1.03,
}


def test_result_json_has_the_contract_keys() -> None:
    data = json.loads(result_to_json(evaluate_plan(plan_from_mapping(B9))))
    for key in (
        "format",
        "device",
        "method",
        "convention",
        "dose_constant_gy_kg_per_gbq",
        "injected_activity_gbq",
        "vial_activity_at_treatment_gbq",
        "doses_gy",
        "checks",
        "activity_reduction_percent",
        "spheres",
        "schedule",
        "treatable",
    ):
        assert key in data, key
    assert data["format"] == "nenliver/sirt-result@1"
    assert set(data["doses_gy"]) == {"tumour", "normal_liver", "lung", "perfused_mean"}
    assert data["schedule"]["activity_at_calibration_gbq"] is None
    assert data["schedule"]["vial"] is None
    assert data["software_version"] == __version__
    assert data["notice"] == CLINICIAN_REVIEW_NOTICE
    for check in data["checks"]:
        assert {"id", "status", "source"} <= set(check)
    lung = next(c for c in data["checks"] if c["id"] == "lung-single")
    assert {"limit_gy", "value_gy"} <= set(lung)


def test_json_keeps_full_precision() -> None:
    data = json.loads(result_to_json(evaluate_plan(plan_from_mapping(B9))))
    assert data["injected_activity_gbq"] == pytest.approx(3.22573429076, rel=1e-10)


def test_a_failed_hard_limit_keeps_every_figure() -> None:
    result = evaluate_plan(plan_from_mapping(B9))  # normal liver 100 Gy > 75 Gy glass limit
    assert not result.treatable
    assert [c.id for c in result.failed_checks()] == ["normal-liver"]
    assert result.doses_gy.tumour == pytest.approx(300.0)
    assert result.spheres > 0


def test_single_compartment_with_split_volumes_reports_compartment_doses() -> None:
    plan = {
        "device": "glass",
        "method": "mird_single",
        "target": {"compartment": "perfused", "dose_gy": 120},
        "tumour_volume_ml": 200,
        "normal_volume_ml": 800,
        "tumour_to_normal_ratio": 3,
        "lung_shunt_fraction_percent": 5,
    }
    result = evaluate_plan(plan_from_mapping(plan))
    assert result.doses_gy.perfused_mean == pytest.approx(120.0)
    assert result.doses_gy.tumour is not None
    assert result.doses_gy.tumour > 120.0


def test_bsa_above_twenty_percent_shunt_is_not_treatable() -> None:
    plan = {
        "device": "resin",
        "method": "bsa",
        "patient": {"height_cm": 175, "weight_kg": 75},
        "tumour_volume_ml": 250,
        "normal_volume_ml": 1250,
        "lung_shunt_fraction_percent": 25,
    }
    result = evaluate_plan(plan_from_mapping(plan))
    assert result.activity_reduction_percent is None
    assert not result.treatable
    assert result.injected_activity_gbq == pytest.approx(1.8698, abs=5e-5)
    assert result.doses_gy.tumour is None
    assert result.doses_gy.perfused_mean is not None


def test_bsa_reduction_is_applied() -> None:
    plan = {
        "device": "resin",
        "method": "bsa",
        "patient": {"height_cm": 175, "weight_kg": 75},
        "tumour_volume_ml": 250,
        "normal_volume_ml": 1250,
        "lung_shunt_fraction_percent": 16,
    }
    result = evaluate_plan(plan_from_mapping(plan))
    assert result.activity_reduction_percent == 40.0
    assert result.injected_activity_gbq == pytest.approx(1.8698 * 0.6, abs=5e-5)


def test_holmium_notes_the_replaced_convention() -> None:
    plan = {
        "device": "holmium",
        "method": "mird_single",
        "convention": "therasphere_ifu",
        "target": {"compartment": "perfused", "dose_gy": 60},
        "perfused_volume_ml": 1000,
        "lung_shunt_fraction_percent": 0,
        "density_g_ml": 1.0,
    }
    result = evaluate_plan(plan_from_mapping(plan))
    assert result.convention.value == "ho166_standard"
    assert result.dose_constant_gy_kg_per_gbq == 15.87
    assert any("166Ho always uses" in n for n in result.notes)
    assert result.injected_activity_gbq == pytest.approx(60.0 / 15.87)


def test_schedule_with_times_chooses_a_vial() -> None:
    plan = dict(B9, treatment_time="2026-03-12T10:00:00+01:00", calibration_time="2026-03-08T12:00:00-05:00")
    result = evaluate_plan(plan_from_mapping(plan))
    vial = result.schedule.vial
    assert vial is not None
    assert vial.nominal_activity_gbq in (3.0, 5.0, 7.0, 10.0, 15.0, 20.0)
    assert result.schedule.activity_at_calibration_gbq is not None
    assert result.schedule.activity_at_calibration_gbq > result.vial_activity_at_treatment_gbq
    # spheres counted at calibration: more activity per sphere at calibration than at treatment
    assert result.spheres == round(result.schedule.activity_at_calibration_gbq * 1e9 / 2500)


def test_plan_from_quantities_defaults_to_inverse_planning() -> None:
    result = plan_from_quantities(
        tumour_volume_ml=200.0,
        normal_volume_ml=800.0,
        tumour_to_normal_ratio=3.0,
        lung_shunt_fraction_percent=10.0,
    )
    assert result.inverse is not None
    assert result.limiting_constraint == "normal-liver"
    assert result.doses_gy.normal_liver == pytest.approx(75.0)
    assert result.treatable


def test_plan_from_quantities_reports_invalid_quantities_by_field() -> None:
    with pytest.raises(DosimetryInputError) as info:
        plan_from_quantities(
            tumour_volume_ml=200.0,
            normal_volume_ml=800.0,
            tumour_to_normal_ratio=0.0,
            lung_shunt_fraction_percent=10.0,
        )
    assert [p.path for p in info.value.problems] == ["tumour_to_normal_ratio"]


def test_dosimetry_for_workup_uses_liver_minus_tumour() -> None:
    result = dosimetry_for_workup(
        liver_volume_ml=1600.0,
        tumour_volume_ml=380.0,
        tumour_to_normal_ratio=4.5,
        lung_shunt_fraction_percent=6.0,
    )
    assert result.inputs["normal_volume_ml"] == pytest.approx(1220.0)
    assert result.masses_kg.perfused == pytest.approx(1.6 * 1.03)


def test_dosimetry_for_workup_refuses_tumour_larger_than_liver() -> None:
    with pytest.raises(DosimetryInputError, match=r"sirt_workup\.tumour_volume_ml"):
        dosimetry_for_workup(
            liver_volume_ml=300.0,
            tumour_volume_ml=380.0,
            tumour_to_normal_ratio=4.5,
            lung_shunt_fraction_percent=6.0,
        )
