"""Checks, inverse planning, decay and logistics."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nenliver.dosimetry.checks import (
    is_treatable,
    lung_checks,
    maa_interval_check,
    normal_liver_check,
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
from nenliver.errors import DosimetryInputError

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
    liver = normal_liver_check(DeviceKind.RESIN, 35.0)
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


def test_normal_liver_limits_by_device() -> None:
    resin = normal_liver_check(DeviceKind.RESIN, 41.0)
    glass = normal_liver_check(DeviceKind.GLASS, 74.0)
    assert resin is not None
    assert resin.status is CheckStatus.FAIL
    assert resin.limit_gy == 40.0
    assert glass is not None
    assert glass.status is CheckStatus.PASS
    assert glass.limit_gy == 75.0
    assert "HCC/mCRC" in resin.text
    assert normal_liver_check(DeviceKind.HOLMIUM, 500.0) is None


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


def test_inverse_without_any_bound_is_an_input_error() -> None:
    with pytest.raises(DosimetryInputError, match=r"target\.maximise"):
        maximise_tumour_dose(DeviceKind.HOLMIUM, 0.2, 0.8, 3.0, 0.0, 15.87, 1.0)


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
