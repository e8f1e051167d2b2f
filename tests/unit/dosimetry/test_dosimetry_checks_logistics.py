"""Checks, inverse planning, decay and logistics."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nenliver.dosimetry.checks import (
    is_treatable,
    liver_check,
    liver_limit,
    lung_checks,
    maa_interval_check,
    no_room_check,
    shunt_checks,
    tumour_response_check,
    tumour_to_normal_check,
)
from nenliver.dosimetry.decay import (
    activity_at_calibration_gbq,
    activity_at_time_gbq,
    decay_factor,
    half_life_h,
)
from nenliver.dosimetry.enums import CheckStatus, DeviceKind, Severity
from nenliver.dosimetry.inverse import maximise_tumour_dose
from nenliver.dosimetry.logistics import choose_glass_vial, resin_vial_fraction, sphere_count
from nenliver.dosimetry.model import Doses

CAL = datetime(2026, 3, 8, 12, 0, tzinfo=timezone(timedelta(hours=-5)))


def test_lung_limits_pass_at_the_limit_and_fail_above() -> None:
    single, cumulative = lung_checks(30.0, 20.0)
    assert single.status is CheckStatus.PASS
    assert single.limit_gy == 30.0
    assert cumulative.status is CheckStatus.PASS
    assert cumulative.value_gy == 50.0
    single, cumulative = lung_checks(30.5, 20.0)
    assert single.status is CheckStatus.FAIL
    assert cumulative.status is CheckStatus.FAIL
    assert single.severity is Severity.HARD
    assert not is_treatable([single])


def test_every_check_carries_a_source() -> None:
    checks = [
        *lung_checks(10.0, 0.0),
        *shunt_checks(12.0),
        tumour_response_check(120.0),
        tumour_to_normal_check(2.0),
        maa_interval_check(10.0),
    ]
    liver = liver_check(DeviceKind.RESIN, _doses(normal_liver=35.0))
    assert liver is not None
    checks.append(liver)
    for check in checks:
        assert check.source
        assert check.locator
        assert check.tag


def test_shunt_above_twenty_percent_is_a_hard_failure() -> None:
    hard, caution = shunt_checks(20.5)
    assert hard.status is CheckStatus.FAIL
    assert hard.severity is Severity.HARD
    assert caution.status is CheckStatus.WARN
    assert caution.severity is Severity.ADVISORY
    assert shunt_checks(20.0)[0].status is CheckStatus.PASS


@pytest.mark.parametrize(("dose", "status"), [(99.0, "fail"), (100.0, "warn"), (149.9, "warn"), (150.0, "pass")])
def test_tumour_response_threshold_is_advisory(dose: float, status: str) -> None:
    check = tumour_response_check(dose)
    assert check.status.value == status
    assert check.range_gy == (100.0, 150.0)
    assert is_treatable([check])


def _doses(normal_liver: float | None = None, perfused_mean: float | None = None) -> Doses:
    return Doses(tumour=None, normal_liver=normal_liver, lung=1.0, perfused_mean=perfused_mean)


def test_liver_limits_by_device() -> None:
    resin = liver_check(DeviceKind.RESIN, _doses(normal_liver=41.0, perfused_mean=50.0))
    glass = liver_check(DeviceKind.GLASS, _doses(normal_liver=74.0, perfused_mean=100.0))
    holmium = liver_check(DeviceKind.HOLMIUM, _doses(normal_liver=40.0, perfused_mean=61.0))
    assert resin is not None
    assert resin.status is CheckStatus.FAIL
    assert resin.limit_gy == 40.0
    assert glass is not None
    assert glass.status is CheckStatus.PASS
    assert glass.limit_gy == 75.0
    assert "HCC/mCRC" in resin.text
    # 166Ho: the standard 60 Gy bounds the perfused (treated) liver, tumour included.
    assert holmium is not None
    assert (holmium.id, holmium.status, holmium.severity) == ("perfused-liver", CheckStatus.FAIL, Severity.HARD)
    assert holmium.limit_gy == 60.0 and holmium.value_gy == 61.0


def test_every_device_has_exactly_one_cited_liver_limit() -> None:
    for device in DeviceKind:
        limit = liver_limit(device)
        assert limit.item.source and limit.item.locator and limit.item.extra["severity"] == "hard"


def test_liver_check_without_the_dose_is_absent_or_advisory() -> None:
    assert liver_check(DeviceKind.GLASS, _doses(perfused_mean=None)) is None
    stand_in = liver_check(DeviceKind.RESIN, _doses(perfused_mean=55.0), assumed="T/N not given")
    assert stand_in is not None
    assert (stand_in.status, stand_in.severity) == (CheckStatus.WARN, Severity.ADVISORY)
    assert stand_in.value_gy == 55.0 and "T/N not given" in stand_in.text


@pytest.mark.parametrize(("ratio", "status"), [(0.8, "warn"), (1.2, "warn"), (1.5, "pass"), (6.0, "pass")])
def test_tumour_to_normal_plausibility(ratio: float, status: str) -> None:
    assert tumour_to_normal_check(ratio).status.value == status


def test_inverse_is_limited_by_the_lung_when_the_shunt_is_high() -> None:
    plan = maximise_tumour_dose(DeviceKind.GLASS, 0.2, 0.8, 8.0, 0.18, 49.67, 1.0)
    assert plan.limiting_constraint == "lung-single"
    assert plan.max_activity_gbq == pytest.approx(30.0 / (49.67 * 0.18))


def test_inverse_is_limited_by_prior_lung_dose() -> None:
    plan = maximise_tumour_dose(DeviceKind.GLASS, 0.2, 0.8, 8.0, 0.10, 49.67, 1.0, prior_lung_dose_gy=40.0)
    assert plan.limiting_constraint == "lung-cumulative"
    assert plan.max_activity_gbq == pytest.approx(10.0 / (49.67 * 0.10))


def test_inverse_gives_zero_when_the_lung_allowance_is_spent() -> None:
    plan = maximise_tumour_dose(DeviceKind.RESIN, 0.2, 0.8, 3.0, 0.10, 49.67, 1.0, prior_lung_dose_gy=55.0)
    assert plan.max_activity_gbq == 0.0
    assert plan.tumour_threshold_status is CheckStatus.FAIL
    spent = no_room_check(plan)
    assert spent is not None
    assert (spent.status, spent.severity) == (CheckStatus.FAIL, Severity.HARD)
    assert "lung-cumulative" in spent.text and spent.source


def test_holmium_inverse_is_bounded_by_the_perfused_liver_limit() -> None:
    # The example: V_T 100 mL, V_N 1400 mL (1.03 g/mL), T/N 3, LSF 2 %: 94.5 GBq before the fix.
    plan = maximise_tumour_dose(DeviceKind.HOLMIUM, 0.103, 1.442, 3.0, 0.02, 15.87, 1.0)
    assert plan.limiting_constraint == "perfused-liver"
    assert plan.max_activity_gbq == pytest.approx(60.0 * 1.545 / (15.87 * 0.98))
    # Within 1/(1 - F) of the standard 3.78 GBq/kg of treated liver.
    assert plan.max_activity_gbq / (3.78 * 1.545) == pytest.approx(1.0 / 0.98, rel=1e-3)
    assert no_room_check(plan) is None


def test_holmium_without_lung_shunt_is_still_bounded() -> None:
    plan = maximise_tumour_dose(DeviceKind.HOLMIUM, 0.2, 0.8, 3.0, 0.0, 15.87, 1.0)
    assert plan.limiting_constraint == "perfused-liver"
    assert plan.max_activity_gbq == pytest.approx(60.0 * 1.0 / 15.87)


def test_decay_one_half_life_halves_the_activity() -> None:
    assert decay_factor(half_life_h("Y-90"), "Y-90") == pytest.approx(0.5)
    assert decay_factor(-half_life_h("Ho-166"), "Ho-166") == pytest.approx(2.0)


def test_activity_to_calibration_and_back() -> None:
    treatment = CAL + timedelta(hours=70)
    at_cal = activity_at_calibration_gbq(2.0, CAL, treatment, "Y-90")
    assert activity_at_time_gbq(at_cal, CAL, treatment, "Y-90") == pytest.approx(2.0)


def test_glass_vial_is_the_smallest_that_suffices() -> None:
    treatment = CAL + timedelta(hours=64.1)  # one half-life: vials hold half their nominal activity
    choice = choose_glass_vial(2.4, CAL, treatment)
    assert choice.nominal_activity_gbq == 5.0
    assert choice.activity_at_treatment_gbq == pytest.approx(2.5)
    assert choice.excess_percent == pytest.approx(100 * (2.5 / 2.4 - 1))
    assert choice.time_of_prescribed_activity is not None
    assert choice.time_of_prescribed_activity > treatment
    assert choice.time_of_prescribed_activity.utcoffset() == treatment.utcoffset()


def test_glass_vial_too_small_is_reported() -> None:
    choice = choose_glass_vial(11.0, CAL, CAL + timedelta(hours=64.1))
    assert choice.nominal_activity_gbq is None
    assert choice.note
    assert "largest standard vial" in choice.note


def test_resin_fraction_to_draw() -> None:
    choice = resin_vial_fraction(1.2, CAL, CAL + timedelta(hours=64.1))
    assert choice.fraction_to_draw == pytest.approx(0.8)
    assert resin_vial_fraction(2.0, CAL, CAL + timedelta(hours=64.1)).note is not None


def test_sphere_counts_use_activity_per_sphere() -> None:
    assert sphere_count(3.0, DeviceKind.GLASS) == 1_200_000
    assert sphere_count(3.0, DeviceKind.RESIN) == 60_000_000
    assert sphere_count(0.45, DeviceKind.HOLMIUM) == 1_000_000
