"""Invalid plans raise DosimetryInputError naming the field path and what was expected."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from nenliver._validation import problems_from_validation_error
from nenliver.dosimetry import SirtPlan, plan_from_mapping
from nenliver.errors import DosimetryInputError, InputError


def partition_plan(**changes: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "format": "nenliver/sirt@1",
        "device": "glass",
        "method": "partition",
        "convention": "eanm_2022",
        "target": {"compartment": "tumour", "dose_gy": 150},
        "tumour_volume_ml": 200,
        "normal_volume_ml": 800,
        "tumour_to_normal_ratio": 3,
        "lung_shunt_fraction_percent": 10,
    }
    plan.update(changes)
    return {k: v for k, v in plan.items() if v is not None}


def problems(data: Any) -> dict[str, str]:
    with pytest.raises(DosimetryInputError) as info:
        plan_from_mapping(data, source="plan.yaml")
    assert isinstance(info.value, InputError)
    assert info.value.source == "plan.yaml"
    return {p.path: f"{p.message} | {p.expected}" for p in info.value.problems}


def test_a_valid_plan_constructs() -> None:
    plan = plan_from_mapping(partition_plan())
    assert plan.has_partition_inputs
    assert plan.residual_fraction == 0.0


def test_construction_rejects_negative_volume() -> None:
    found = problems(partition_plan(tumour_volume_ml=-5))
    assert "tumour_volume_ml" in found
    assert "[0, 10000] mL" in found["tumour_volume_ml"]


def test_construction_rejects_lung_shunt_of_100_percent_or_more() -> None:
    found = problems(partition_plan(lung_shunt_fraction_percent=100))
    assert "[0, 100) %" in found["lung_shunt_fraction_percent"]


@pytest.mark.parametrize("ratio", [0, -1.5])
def test_construction_rejects_non_positive_tumour_to_normal_ratio(ratio: float) -> None:
    found = problems(partition_plan(tumour_to_normal_ratio=ratio))
    assert "(0, 1000]" in found["tumour_to_normal_ratio"]


def test_bsa_with_glass_names_the_method() -> None:
    data = partition_plan(method="bsa", target=None, tumour_to_normal_ratio=None)
    data["patient"] = {"height_cm": 175, "weight_kg": 75}
    found = problems(data)
    assert "resin" in found["method"]


def test_unknown_convention_lists_the_valid_ones() -> None:
    found = problems(partition_plan(convention="eanm_2021"))
    assert "did you mean 'eanm_2022'" in found["convention"]
    assert "therasphere_ifu" in found["convention"]


def test_misspelled_field_suggests_the_closest_name() -> None:
    data = partition_plan()
    data["tumor_volume_ml"] = data.pop("tumour_volume_ml")
    found = problems(data)
    assert "unknown field 'tumor_volume_ml'" in found["tumor_volume_ml"]
    assert "did you mean 'tumour_volume_ml'" in found["tumor_volume_ml"]


def test_misspelled_nested_field_names_the_nested_path() -> None:
    found = problems(partition_plan(target={"compartment": "tumour", "dose_gray": 150}))
    assert "target.dose_gray" in found
    assert "did you mean 'dose_gy'" in found["target.dose_gray"]


def test_unknown_device_is_refused() -> None:
    found = problems(partition_plan(device="lutetium"))
    assert "glass" in found["device"]


def test_wrong_format_is_refused() -> None:
    found = problems(partition_plan(format="nenliver/sirt@2"))
    assert "nenliver/sirt@1" in found["format"]


def test_a_boolean_is_not_a_number() -> None:
    found = problems(partition_plan(tumour_volume_ml=True))
    assert "a number" in found["tumour_volume_ml"]


def test_text_is_not_a_number() -> None:
    found = problems(partition_plan(normal_volume_ml="800"))
    assert "normal_volume_ml" in found


def test_missing_lung_shunt_is_named() -> None:
    found = problems(partition_plan(lung_shunt_fraction_percent=None))
    assert "required" in found["lung_shunt_fraction_percent"]


def test_partition_requires_tumour_to_normal_ratio() -> None:
    found = problems(partition_plan(tumour_to_normal_ratio=None))
    assert "T/N" in found["tumour_to_normal_ratio"]


def test_partition_requires_a_tumour() -> None:
    found = problems(partition_plan(tumour_volume_ml=0))
    assert "tumour" in found["tumour_volume_ml"]


def test_partition_refuses_a_separate_perfused_volume() -> None:
    found = problems(partition_plan(perfused_volume_ml=1000))
    assert "perfused_volume_ml" in found


def test_target_needs_compartment_and_dose() -> None:
    found = problems(partition_plan(target={"compartment": "tumour"}))
    assert "dose_gy" in found["target"]


def test_target_cannot_mix_maximise_and_dose() -> None:
    found = problems(partition_plan(target={"maximise": "tumour", "compartment": "tumour", "dose_gy": 1}))
    assert "not both" in found["target"]


def test_maximise_needs_partition() -> None:
    data = {
        "device": "glass",
        "method": "mird_single",
        "target": {"maximise": "tumour"},
        "perfused_volume_ml": 1000,
        "lung_shunt_fraction_percent": 5,
    }
    assert "target.maximise" in problems(data)


def test_single_compartment_refuses_a_tumour_target() -> None:
    data = {
        "device": "glass",
        "method": "mird_single",
        "target": {"compartment": "tumour", "dose_gy": 120},
        "perfused_volume_ml": 1000,
        "lung_shunt_fraction_percent": 5,
    }
    assert "target.compartment" in problems(data)


def test_single_compartment_needs_a_volume() -> None:
    data = {
        "device": "glass",
        "method": "mird_single",
        "target": {"compartment": "perfused", "dose_gy": 120},
        "lung_shunt_fraction_percent": 5,
    }
    assert "perfused_volume_ml" in problems(data)


def test_bsa_needs_the_patient_and_refuses_a_target() -> None:
    data = partition_plan(device="resin", method="bsa")
    found = problems(data)
    assert "patient" in found
    assert "target" in found


def test_holmium_constant_is_refused_for_yttrium() -> None:
    assert "convention" in problems(partition_plan(convention="ho166_standard"))


def test_calibration_time_needs_treatment_time() -> None:
    found = problems(partition_plan(calibration_time="2026-03-08T12:00:00-05:00"))
    assert "treatment_time" in found


def test_times_need_an_offset() -> None:
    found = problems(partition_plan(calibration_time="2026-03-08T12:00:00", treatment_time="2026-03-10T12:00:00+01:00"))
    assert "offset" in found["calibration_time"]


def test_maa_after_treatment_is_refused() -> None:
    found = problems(
        partition_plan(
            calibration_time="2026-03-08T12:00:00-05:00",
            treatment_time="2026-03-10T12:00:00+01:00",
            maa_time="2026-03-11T12:00:00+01:00",
        )
    )
    assert "maa_time" in found


def test_every_problem_is_reported_at_once() -> None:
    found = problems(partition_plan(tumour_volume_ml=-1, lung_shunt_fraction_percent=120, extra_field=1))
    assert {"tumour_volume_ml", "lung_shunt_fraction_percent", "extra_field"} <= set(found)


def test_a_non_mapping_is_refused() -> None:
    assert "" in problems([1, 2, 3])


def test_direct_construction_is_strict_too() -> None:
    """Built in code, a bad plan is a pydantic field error (a ValueError a web framework reports as 422)."""
    with pytest.raises(ValidationError) as info:
        SirtPlan.model_validate({"device": "glass", "method": "bsa", "lung_shunt_fraction_percent": 5.0})
    assert isinstance(info.value, ValueError)
    paths = {p.path for p in problems_from_validation_error(info.value, SirtPlan)}
    assert {"method", "patient", "tumour_volume_ml", "normal_volume_ml"} <= paths


def test_perfused_share_is_for_bsa_only() -> None:
    found = problems(partition_plan(perfused_fraction_of_liver=0.6))
    assert "bsa" in found["perfused_fraction_of_liver"]


@pytest.mark.parametrize("share", [0, 1.2, -0.5])
def test_perfused_share_is_a_fraction_of_the_liver(share: float) -> None:
    data = partition_plan(device="resin", method="bsa", target=None, perfused_fraction_of_liver=share)
    data["patient"] = {"height_cm": 175, "weight_kg": 75}
    assert "perfused_fraction_of_liver" in problems(data)
