"""Time-activity fits of nenliver prrt: analytic curves, robustness, tails, model choice."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import curve_fit

from nenliver.dosimetry.prrt.fit import (
    FitKind,
    TailKind,
    fit_biexp_uptake,
    fit_mono_exp,
    fit_tac,
    information_criteria,
    trapezoid_tia,
)

LU177_H = 159.528
TIMES = [4.0, 24.0, 96.0, 168.0]


def mono(a0: float, lam: float, times: list[float] = TIMES) -> list[float]:
    return [a0 * math.exp(-lam * t) for t in times]


def biexp(a0: float, lw: float, lu: float, times: list[float] = TIMES) -> list[float]:
    return [a0 * (math.exp(-lw * t) - math.exp(-lu * t)) for t in times]


@pytest.mark.parametrize(("a0", "lam"), [(100.0, 0.01), (5.0, 0.2), (2500.0, 0.005), (0.3, 0.0300)])
def test_mono_exponential_tia_is_a_over_lambda(a0: float, lam: float) -> None:
    fit = fit_mono_exp(TIMES, mono(a0, lam), LU177_H)
    assert fit.tia_mbq_h == pytest.approx(a0 / lam, rel=1e-8)
    assert fit.effective_half_life_h == pytest.approx(math.log(2) / lam, rel=1e-8)
    assert max(abs(r) for r in fit.residuals_mbq) < 1e-6 * a0


@pytest.mark.parametrize(("lw", "lu"), [(0.012, 0.9), (0.008, 0.15), (0.03, 2.0)])
def test_biexponential_uptake_tia_is_a_over_lw_minus_a_over_lu(lw: float, lu: float) -> None:
    times = [1.0, 4.0, 24.0, 72.0, 168.0]
    fit = fit_biexp_uptake(times, biexp(80.0, lw, lu, times), LU177_H)
    assert fit.tia_mbq_h == pytest.approx(80.0 / lw - 80.0 / lu, rel=1e-6)
    assert fit.parameters["lambda_washout_per_h"] == pytest.approx(lw, rel=1e-6)


def test_clearance_is_never_slower_than_physical_decay() -> None:
    # Activity rising then flat: the unconstrained optimum would be λ < λ_phys.
    fit = fit_mono_exp(TIMES, [50.0, 50.5, 50.2, 50.4], LU177_H)
    assert fit.parameters["lambda_per_h"] == pytest.approx(math.log(2) / LU177_H)
    assert any("lower bound" in n for n in fit.notes)
    bi = fit_biexp_uptake(TIMES, [50.0, 50.5, 50.2, 50.4], LU177_H)
    assert bi.parameters["lambda_washout_per_h"] >= math.log(2) / LU177_H * (1 - 1e-12)


def test_fit_does_not_hang_on_starting_values_where_a_single_start_does() -> None:
    """A plain curve_fit from a poor start (the usual p0 = 1, 1) lands far from the optimum; the
    variable-projection grid plus refinement finds the least-squares minimum (checked on a fine grid)."""
    times = [3.7, 27.7, 103.1, 124.0]
    data = [98.561432, 73.599408, 25.39568, 19.04661]
    t = np.asarray(times)

    def model(t: np.ndarray, a: float, lw: float, lu: float) -> np.ndarray:
        return a * (np.exp(-lw * t) - np.exp(-lu * t))

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p, _ = curve_fit(model, t, data, p0=[1.0, 1.0, 1.0], maxfev=2000)
            naive_sse = float(((model(t, *p) - data) ** 2).sum())
        except RuntimeError:
            naive_sse = math.inf
    fit = fit_biexp_uptake(times, data, LU177_H)
    assert fit.sum_squares < 0.01 * naive_sse
    # Brute force over a dense (λw, λu) grid with the amplitude solved exactly: nothing is lower.
    lw = np.geomspace(math.log(2) / LU177_H, 1.0, 300)
    lu = np.geomspace(0.01, 50.0, 300)
    best = math.inf
    for w in lw:
        basis = np.exp(-w * t)[None, :] - np.exp(-lu[:, None] * t[None, :])
        ok = lu > w
        amp = (basis @ np.asarray(data)) / (basis * basis).sum(axis=1)
        sse = ((np.asarray(data)[None, :] - amp[:, None] * basis) ** 2).sum(axis=1)
        best = min(best, float(sse[ok].min()))
    assert fit.sum_squares <= best * (1 + 1e-9)


def test_result_does_not_depend_on_the_scale_of_the_data() -> None:
    data = [98.561432, 73.599408, 25.39568, 19.04661]
    base = fit_biexp_uptake(TIMES, data, LU177_H)
    for scale in (1e-3, 1e3):
        scaled = fit_biexp_uptake(TIMES, [d * scale for d in data], LU177_H)
        assert scaled.tia_mbq_h == pytest.approx(base.tia_mbq_h * scale, rel=1e-6)


def test_trapezoid_tails() -> None:
    data = mono(100.0, 0.02)
    phys = trapezoid_tia(TIMES, data, LU177_H, TailKind.PHYSICAL)
    two = trapezoid_tia(TIMES, data, LU177_H, TailKind.LAST_TWO_POINTS)
    fitted = trapezoid_tia(TIMES, data, LU177_H, TailKind.FITTED)
    area = 0.5 * 4 * data[0] + sum(0.5 * (data[i] + data[i + 1]) * (TIMES[i + 1] - TIMES[i]) for i in range(3))
    assert phys.tia_mbq_h == pytest.approx(area + data[-1] / (math.log(2) / LU177_H))
    assert two.tia_mbq_h == pytest.approx(area + data[-1] / 0.02, rel=1e-9)
    assert fitted.tia_mbq_h == pytest.approx(area + data[-1] / 0.02, rel=1e-6)
    assert phys.tia_mbq_h > two.tia_mbq_h  # a physical tail is the upper bound
    rising = trapezoid_tia(TIMES, [10.0, 20.0, 30.0, 40.0], LU177_H, TailKind.LAST_TWO_POINTS)
    assert rising.parameters["lambda_tail_per_h"] == pytest.approx(math.log(2) / LU177_H)
    assert any("physical-decay tail" in n for n in rising.notes)


def test_auto_prefers_the_simpler_model_for_a_mono_exponential_curve() -> None:
    chosen = fit_tac(TIMES, mono(100.0, 0.01), LU177_H, FitKind.AUTO)
    assert chosen.chosen.model == "mono_exp"
    assert {c.model for c, _ in chosen.candidates} == {"mono_exp", "biexp_uptake"}


def test_auto_picks_the_uptake_model_when_the_curve_rises_first() -> None:
    times = [2.0, 6.0, 24.0, 72.0, 168.0]
    chosen = fit_tac(times, biexp(50.0, 0.006, 0.12, times), LU177_H, FitKind.AUTO)
    assert chosen.chosen.model == "biexp_uptake"
    assert chosen.criterion == "AICc"  # five points leave n − k − 1 = 1 for three parameters


def test_auto_with_three_points_only_fits_the_mono_exponential() -> None:
    chosen = fit_tac(TIMES[:3], mono(10.0, 0.02, TIMES[:3]), LU177_H, FitKind.AUTO)
    assert chosen.chosen.model == "mono_exp"
    assert any("degrees of freedom" in n for n in chosen.notes)


def test_information_criteria_follow_their_definition() -> None:
    fit = fit_mono_exp(TIMES, [100.0, 80.0, 35.0, 20.0], LU177_H)
    aic, aicc = information_criteria(fit, 4)
    assert aic == pytest.approx(4 * math.log(fit.sum_squares / 4) + 4)
    assert aicc == pytest.approx(aic + 2 * 2 * 3 / 1)
    bi = fit_biexp_uptake(TIMES, [100.0, 80.0, 35.0, 20.0], LU177_H)
    assert information_criteria(bi, 4)[1] is None
