"""Invariants of the SIRT dosimetry models (Hypothesis).

Includes mutation checks for the two classic partition-model bugs found in a public calculator
(project reference sirt-dosimetry.md §2.2): (i) multiplying by (1 − F) instead of dividing, and
(ii) weighting the masses as M_N·(T/N + 1) instead of (T/N)·M_T + M_N. Each invariant is written
as a predicate on an activity function; the predicate holds for nenliver's implementation and is
shown to fail for each buggy mutant.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from nenliver.dosimetry import evaluate_plan, plan_from_mapping
from nenliver.dosimetry.checks import is_treatable, liver_check, lung_checks
from nenliver.dosimetry.decay import decay_factor
from nenliver.dosimetry.enums import CheckStatus, CompartmentKind, DeviceKind, Severity
from nenliver.dosimetry.inverse import maximise_tumour_dose
from nenliver.dosimetry.mird import single_compartment_activity_gbq
from nenliver.dosimetry.model import Doses
from nenliver.dosimetry.partition import partition_activity_gbq, partition_doses_gy

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)

masses = st.floats(min_value=0.01, max_value=3.0)
ratios = st.floats(min_value=0.2, max_value=20.0)
shunts = st.floats(min_value=0.0, max_value=0.6)
doses = st.floats(min_value=1.0, max_value=500.0)
constants = st.sampled_from([49.38, 49.67, 50.0, 15.87])

# An activity function: (normal-liver dose, M_T, M_N, T/N, F, C) -> A
ActivityFn = Callable[[float, float, float, float, float, float], float]


def nenliver_activity(d_n: float, m_t: float, m_n: float, tn: float, f: float, c: float) -> float:
    return partition_activity_gbq(CompartmentKind.NORMAL_LIVER, d_n, m_t, m_n, tn, f, c)


def bug_multiplies_by_one_minus_f(d_n: float, m_t: float, m_n: float, tn: float, f: float, c: float) -> float:
    return d_n * (tn * m_t + m_n) * (1 - f) / c


def bug_weights_normal_mass(d_n: float, m_t: float, m_n: float, tn: float, f: float, c: float) -> float:
    return d_n * m_n * (tn + 1) / (c * (1 - f))


def energy_balance_holds(fn: ActivityFn, d_n: float, m_t: float, m_n: float, tn: float, f: float, c: float) -> bool:
    """C·A·(1 − F) = D_T·M_T + D_N·M_N with D_T = (T/N)·D_N."""
    activity = fn(d_n, m_t, m_n, tn, f, c)
    return c * activity * (1 - f) == pytest.approx(tn * d_n * m_t + d_n * m_n, rel=1e-9)


@SETTINGS
@given(doses, masses, masses, ratios, shunts, constants)
@example(100.0, 0.206, 0.824, 3.0, 0.1, 49.67)
def test_energy_balance(d_n: float, m_t: float, m_n: float, tn: float, f: float, c: float) -> None:
    assert energy_balance_holds(nenliver_activity, d_n, m_t, m_n, tn, f, c)


@SETTINGS
@given(st.floats(min_value=0.0, max_value=0.2), masses, masses, ratios, shunts, constants)
def test_forward_doses_conserve_energy(activity: float, m_t: float, m_n: float, tn: float, f: float, c: float) -> None:
    d = partition_doses_gy(activity, m_t, m_n, tn, f, c, 1.0)
    assert c * activity * (1 - f) == pytest.approx(d.tumour_gy * m_t + d.normal_liver_gy * m_n, rel=1e-9, abs=1e-12)
    assert d.perfused_mean_gy * (m_t + m_n) == pytest.approx(d.tumour_gy * m_t + d.normal_liver_gy * m_n, rel=1e-9)
    assert min(d.tumour_gy, d.normal_liver_gy, d.perfused_mean_gy, d.lung_gy) >= 0.0


def test_mutant_multiplying_by_one_minus_f_breaks_energy_balance() -> None:
    args = (100.0, 0.206, 0.824, 3.0, 0.1, 49.67)
    assert not energy_balance_holds(bug_multiplies_by_one_minus_f, *args)


def test_mutant_weighting_normal_mass_breaks_energy_balance() -> None:
    args = (100.0, 0.206, 0.824, 3.0, 0.1, 49.67)
    assert not energy_balance_holds(bug_weights_normal_mass, *args)


def test_partition_activity_divides_by_one_minus_f() -> None:
    """Doubling 1 − F halves A exactly (fails for bug (i), which would double it)."""
    at_half = nenliver_activity(100.0, 0.2, 0.8, 3.0, 0.5, 50.0)
    at_zero = nenliver_activity(100.0, 0.2, 0.8, 3.0, 0.0, 50.0)
    assert at_half == pytest.approx(2 * at_zero)
    assert bug_multiplies_by_one_minus_f(100.0, 0.2, 0.8, 3.0, 0.5, 50.0) != pytest.approx(2 * at_zero)


def test_partition_mass_weighting_is_tn_times_tumour_mass_plus_normal_mass() -> None:
    """B9 numbers: (T/N)·M_T + M_N = 1.442 kg; bug (ii) gives M_N·(T/N + 1) = 3.296 kg."""
    activity = nenliver_activity(100.0, 0.206, 0.824, 3.0, 0.1, 49.67)
    assert activity == pytest.approx(3.22573429076, rel=1e-10)
    assert bug_weights_normal_mass(100.0, 0.206, 0.824, 3.0, 0.1, 49.67) != pytest.approx(activity, rel=1e-3)


@SETTINGS
@given(doses, masses, masses, shunts, constants, st.sampled_from(list(CompartmentKind)))
def test_tn_of_one_equals_single_compartment(
    dose: float, m_t: float, m_n: float, f: float, c: float, compartment: CompartmentKind
) -> None:
    partition = partition_activity_gbq(compartment, dose, m_t, m_n, 1.0, f, c)
    single = single_compartment_activity_gbq(dose, m_t + m_n, f, c)
    assert partition == pytest.approx(single, rel=1e-9)


@SETTINGS
@given(doses, masses, masses, ratios, shunts, shunts, constants, st.sampled_from(list(CompartmentKind)))
def test_activity_strictly_increases_with_lung_shunt(
    dose: float,
    m_t: float,
    m_n: float,
    tn: float,
    f1: float,
    f2: float,
    c: float,
    compartment: CompartmentKind,
) -> None:
    assume(abs(f1 - f2) > 1e-6)
    lo, hi = sorted((f1, f2))
    assert partition_activity_gbq(compartment, dose, m_t, m_n, tn, lo, c) < partition_activity_gbq(
        compartment, dose, m_t, m_n, tn, hi, c
    )
    assert single_compartment_activity_gbq(dose, m_t + m_n, lo, c) < single_compartment_activity_gbq(
        dose, m_t + m_n, hi, c
    )


volumes_ml = st.floats(min_value=10.0, max_value=2500.0)
lsf_percent = st.floats(min_value=0.0, max_value=40.0)
residuals = st.floats(min_value=0.0, max_value=0.5)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(volumes_ml, volumes_ml, ratios, lsf_percent, residuals, residuals)
def test_lung_dose_does_not_depend_on_residual(
    v_t: float, v_n: float, tn: float, lsf: float, r1: float, r2: float
) -> None:
    def lung(residual: float) -> tuple[float, float]:
        plan = plan_from_mapping(
            {
                "device": "glass",
                "method": "partition",
                "target": {"compartment": "tumour", "dose_gy": 150.0},
                "tumour_volume_ml": v_t,
                "normal_volume_ml": v_n,
                "tumour_to_normal_ratio": tn,
                "lung_shunt_fraction_percent": lsf,
                "residual_fraction": residual,
            }
        )
        result = evaluate_plan(plan)
        return result.doses_gy.lung, result.vial_activity_at_treatment_gbq

    (lung1, vial1), (lung2, vial2) = lung(r1), lung(r2)
    assert lung1 == pytest.approx(lung2, rel=1e-12)
    if abs(r1 - r2) > 1e-6:
        assert vial1 != pytest.approx(vial2, rel=1e-9)


@SETTINGS
@given(
    st.floats(min_value=-200.0, max_value=400.0),
    st.floats(min_value=-200.0, max_value=400.0),
    st.sampled_from(["Y-90", "Ho-166", "Tc-99m"]),
)
def test_decay_composes(t1: float, t2: float, nuclide: str) -> None:
    assert decay_factor(t1, nuclide) * decay_factor(t2, nuclide) == pytest.approx(
        decay_factor(t1 + t2, nuclide), rel=1e-9
    )


@SETTINGS
@given(st.floats(min_value=0.0, max_value=400.0), st.floats(min_value=1e-3, max_value=100.0))
def test_decay_is_monotonic(t: float, dt: float) -> None:
    assert decay_factor(t + dt, "Y-90") < decay_factor(t, "Y-90")


def _hard_checks(device: DeviceKind, d, prior: float) -> list:
    doses = Doses(tumour=d.tumour_gy, normal_liver=d.normal_liver_gy, lung=d.lung_gy, perfused_mean=d.perfused_mean_gy)
    checks = [*lung_checks(d.lung_gy, prior), liver_check(device, doses)]
    return [ch for ch in checks if ch is not None and ch.severity is Severity.HARD]


@SETTINGS
@given(
    st.sampled_from(list(DeviceKind)),
    masses,
    masses,
    ratios,
    st.floats(min_value=0.0, max_value=0.5),
    st.floats(min_value=0.0, max_value=45.0),
)
def test_inverse_plan_sits_on_the_binding_limit(
    device: DeviceKind, m_t: float, m_n: float, tn: float, f: float, prior: float
) -> None:
    c = 15.87 if device is DeviceKind.HOLMIUM else 49.67
    plan = maximise_tumour_dose(device, m_t, m_n, tn, f, c, 1.0, prior)
    assume(plan.max_activity_gbq > 0)
    d = partition_doses_gy(plan.max_activity_gbq, m_t, m_n, tn, f, c, 1.0)
    assert all(ch.status is CheckStatus.PASS for ch in _hard_checks(device, d, prior))
    bumped = partition_doses_gy(plan.max_activity_gbq * 1.01, m_t, m_n, tn, f, c, 1.0)
    assert any(ch.status is CheckStatus.FAIL for ch in _hard_checks(device, bumped, prior))


@SETTINGS
@given(
    st.sampled_from(list(DeviceKind)),
    st.floats(min_value=1.0, max_value=2000.0),
    st.floats(min_value=50.0, max_value=3000.0),
    ratios,
    st.floats(min_value=0.0, max_value=25.0),
    st.floats(min_value=0.0, max_value=60.0),
    st.sampled_from([None, 0.5, 1.0]),
)
def test_treatable_inverse_plan_keeps_every_hard_limit(
    device: DeviceKind, v_t: float, v_n: float, tn: float, lsf: float, prior: float, lung_mass: float | None
) -> None:
    """Whole plans of every device: treatable means every hard check passes, and one more percent breaks one."""
    data = {
        "device": device.value,
        "method": "partition",
        "target": {"maximise": "tumour"},
        "tumour_volume_ml": v_t,
        "normal_volume_ml": v_n,
        "tumour_to_normal_ratio": tn,
        "lung_shunt_fraction_percent": lsf,
        "prior_lung_dose_gy": prior,
    }
    if lung_mass is not None:
        data["lung_mass_kg"] = lung_mass
    result = evaluate_plan(plan_from_mapping(data))
    hard = [ch for ch in result.checks if ch.severity is Severity.HARD]
    assert {"lung-single", "lung-cumulative", "lung-shunt"} <= {ch.id for ch in hard}
    assert any(ch.id in ("normal-liver", "perfused-liver") for ch in hard)
    assert result.treatable == all(ch.status is not CheckStatus.FAIL for ch in hard)
    assert result.treatable == is_treatable(result.checks)
    assert result.limiting_constraint in {c.id for c in result.inverse.constraints}
    caps = [c.max_activity_gbq for c in result.inverse.constraints if c.max_activity_gbq is not None]
    assert result.injected_activity_gbq == pytest.approx(min(caps))
    if result.treatable:
        assert result.injected_activity_gbq > 0
        # The same plan forward-planned at 1 % more activity fails a hard limit.
        bumped = dict(data, target={"compartment": "normal_liver", "dose_gy": result.doses_gy.normal_liver * 1.01})
        assert not evaluate_plan(plan_from_mapping(bumped)).treatable
