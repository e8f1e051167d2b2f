# SPDX-License-Identifier: Apache-2.0
"""Time-activity curves of one volume of interest: fits, time-integrated activity, model choice.

Models (activity A in MBq, t in h after administration):

* ``mono_exp``      A(t) = A₀·e^(−λt)                 TIA = A₀/λ
* ``biexp_uptake``  A(t) = A₀·(e^(−λw·t) − e^(−λu·t))  TIA = A₀/λw − A₀/λu   (λu > λw)
* ``trapezoid``     A(0) = 0, trapezoids between the points, then a named tail to infinity

Every clearance rate is bounded below by the physical decay constant (a tracer cannot leave a
region more slowly than it decays). Fits are unweighted least squares on activity. They are made
robust to starting values by *variable projection*: the amplitude A₀ enters linearly, so for any
rates it has a closed form; a grid over the rates (log-spaced, the whole admissible range) gives
the starting points, the best few are refined with bounded least squares and the lowest sum of
squares wins. The same answer therefore comes back whatever the caller would have guessed.

``auto`` ranks the parametric models by AICc (Akaike's criterion with the small-sample term) when
every candidate leaves at least two degrees of freedom, otherwise by AIC (said in the notes), and
prefers the model with fewer parameters when it is within ``prrt_fit_delta_ic_prefer_simpler`` of
the best (the PyTheranostics rule).

.. warning:: Four time points cannot distinguish every curve shape: the choice is reported with the
   candidates' criteria and residuals for the physicist to confirm. For clinician review.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from nenliver.dosimetry.constants import number

__all__ = [
    "FitKind",
    "TacFit",
    "TailKind",
    "fit_biexp_uptake",
    "fit_mono_exp",
    "fit_tac",
    "information_criteria",
    "trapezoid_tia",
]

#: Rates scanned for starting values, per hour: from the physical decay constant up to this (an
#: uptake or clearance faster than about 20 min is not resolved by scans hours apart). Numerical
#: settings of the search, not physics: the refinement is bounded only by λ_phys and ``_RATE_MAX``.
_RATE_MAX_PER_H = 50.0
#: Time points or activities: a list, tuple or array of floats.
Floats = Sequence[float] | NDArray[np.float64]
_GRID_POINTS = 40
_REFINE_BEST = 4


class FitKind(StrEnum):
    """Time-activity model of a ``nenliver/prrt@1`` plan."""

    AUTO = "auto"
    MONO_EXP = "mono_exp"
    BIEXP_UPTAKE = "biexp_uptake"
    TRAPEZOID = "trapezoid"


class TailKind(StrEnum):
    """How the trapezoid method integrates beyond the last scan."""

    PHYSICAL = "physical"
    """Physical decay only from the last point (an upper bound: no further clearance)."""
    LAST_TWO_POINTS = "last_two_points"
    """Mono-exponential through the last two points (at least physical decay)."""
    FITTED = "fitted"
    """Mono-exponential least-squares fit to the points from the peak on (at least physical decay)."""


@dataclass(frozen=True)
class TacFit:
    """One model fitted to one time-activity curve.

    Attributes
    ----------
    model : str
        ``mono_exp``, ``biexp_uptake`` or ``trapezoid``.
    parameters : dict of str to float
        ``a_mbq``, ``lambda_per_h`` (mono); ``a_mbq``, ``lambda_washout_per_h``,
        ``lambda_uptake_per_h`` (biexp); ``lambda_tail_per_h``, ``tail_start_h`` and, for a fitted
        tail, ``tail_a_mbq`` (trapezoid).
    tia_mbq_h : float
        Time-integrated activity from administration to infinity, MBq·h.
    effective_half_life_h : float
        ln 2 over the clearance rate (mono), the washout rate (biexp) or the tail rate (trapezoid), h.
    residuals_mbq : tuple of float
        Measured minus modelled activity at each time point, MBq (a trapezoid passes through its
        points: the residuals of its fitted tail, zero elsewhere).
    sum_squares : float
        Sum of squared residuals, MBq².
    n_parameters : int
        Free parameters of the model (0 for a trapezoid with a physical tail).
    notes : tuple of str
        Bounds reached, degenerate fits, tail choices.
    """

    model: str
    parameters: dict[str, float]
    tia_mbq_h: float
    effective_half_life_h: float
    residuals_mbq: tuple[float, ...]
    sum_squares: float
    n_parameters: int
    notes: tuple[str, ...] = field(default=())

    def activity_mbq(self, times_h: NDArray[np.float64] | Sequence[float]) -> NDArray[np.float64]:
        """The fitted curve at ``times_h`` (for plots and residuals)."""
        t = np.asarray(times_h, dtype=np.float64)
        p = self.parameters
        if self.model == "mono_exp":
            return p["a_mbq"] * np.exp(-p["lambda_per_h"] * t)
        if self.model == "biexp_uptake":
            return p["a_mbq"] * (np.exp(-p["lambda_washout_per_h"] * t) - np.exp(-p["lambda_uptake_per_h"] * t))
        raise ValueError("a trapezoid has no closed-form curve: plot its points and tail")

    @property
    def r_squared(self) -> float | None:
        """Coefficient of determination of the fit (``None`` for a trapezoid)."""
        return self.parameters.get("r_squared")


def _lambda_phys(half_life_h: float) -> float:
    return math.log(2.0) / half_life_h


def _amplitude(basis: NDArray[np.float64], a: NDArray[np.float64]) -> NDArray[np.float64]:
    """Least-squares amplitude for each basis row (variable projection), at least 0."""
    num = basis @ a
    den = np.einsum("ij,ij->i", basis, basis)
    with np.errstate(divide="ignore", invalid="ignore"):
        amp = np.where(den > 0, num / den, 0.0)
    return np.maximum(amp, 0.0)


def _sse(basis: NDArray[np.float64], amp: NDArray[np.float64], a: NDArray[np.float64]) -> NDArray[np.float64]:
    r = a[None, :] - amp[:, None] * basis
    return np.einsum("ij,ij->i", r, r)


def _scale(a: NDArray[np.float64]) -> float:
    top = float(np.max(np.abs(a))) if a.size else 0.0
    return top if top > 0 else 1.0


def _rate_grid(low: float) -> NDArray[np.float64]:
    return np.geomspace(low, _RATE_MAX_PER_H, _GRID_POINTS)


def _refine(
    residual: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    starts: Sequence[NDArray[np.float64]],
    bounds: tuple[list[float], list[float]],
) -> NDArray[np.float64]:
    """Bounded least squares from each start; the parameters with the lowest cost."""
    best = None
    for start in starts:
        sol = least_squares(residual, start, bounds=bounds, x_scale="jac", xtol=1e-15, ftol=1e-15, gtol=1e-15)
        if best is None or sol.cost < best.cost:
            best = sol
    assert best is not None
    return np.asarray(best.x, dtype=np.float64)


def _r_squared(a: NDArray[np.float64], sse: float) -> float:
    total = float(((a - a.mean()) ** 2).sum())
    return 1.0 - sse / total if total > 0 else 1.0


def fit_mono_exp(times_h: Floats, activity_mbq: Floats, half_life_h: float) -> TacFit:
    """Least-squares A₀·e^(−λt) with λ ≥ λ_phys, robust to starting values.

    Parameters
    ----------
    times_h, activity_mbq : sequence of float
        At least two time points (h after administration) and activities (MBq).
    half_life_h : float
        Physical half-life of the nuclide, h (lower bound of the clearance rate).

    Returns
    -------
    TacFit
        TIA = A₀/λ.

    Examples
    --------
    >>> t = [4.0, 24.0, 96.0, 168.0]
    >>> a = [100 * math.exp(-0.01 * x) for x in t]
    >>> round(fit_mono_exp(t, a, 159.528).tia_mbq_h, 6)
    10000.0
    """
    t = np.asarray(times_h, dtype=np.float64)
    a_raw = np.asarray(activity_mbq, dtype=np.float64)
    scale = _scale(a_raw)
    a = a_raw / scale  # fitted in units of the largest value: the same answer at any scale
    lam_min = _lambda_phys(half_life_h)
    grid = _rate_grid(lam_min)
    basis = np.exp(-grid[:, None] * t[None, :])
    amp = _amplitude(basis, a)
    order = np.argsort(_sse(basis, amp, a))[:_REFINE_BEST]

    def residual(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return p[0] * np.exp(-p[1] * t) - a

    starts = [np.array([max(amp[i], 1e-12), grid[i]]) for i in order]
    best = _refine(residual, starts, ([0.0, lam_min], [np.inf, _RATE_MAX_PER_H]))
    a0, lam = float(best[0]) * scale, float(best[1])
    resid = a_raw - a0 * np.exp(-lam * t)
    sse = float(resid @ resid)
    notes = []
    if math.isclose(lam, lam_min, rel_tol=1e-6):
        notes.append("clearance rate at its lower bound (physical decay only): no biological washout resolved")
    return TacFit(
        model="mono_exp",
        parameters={"a_mbq": a0, "lambda_per_h": lam, "r_squared": _r_squared(a_raw, sse)},
        tia_mbq_h=a0 / lam,
        effective_half_life_h=math.log(2.0) / lam,
        residuals_mbq=tuple(float(x) for x in resid),
        sum_squares=sse,
        n_parameters=2,
        notes=tuple(notes),
    )


def fit_biexp_uptake(times_h: Floats, activity_mbq: Floats, half_life_h: float) -> TacFit:
    """Least-squares A₀·(e^(−λw·t) − e^(−λu·t)) with λ_phys ≤ λw < λu, robust to starting values.

    Parameters
    ----------
    times_h, activity_mbq : sequence of float
        At least three time points and activities.
    half_life_h : float
        Physical half-life, h (lower bound of the washout rate).

    Returns
    -------
    TacFit
        TIA = A₀/λw − A₀/λu.

    Notes
    -----
    The fit is parametrised as (A₀, λw, δ) with λu = λw + δ, δ > 0, so the uptake rate stays above
    the washout rate; the grid of starting points covers every (λw, λu) pair of the rate grid.

    References
    ----------
    qurit/PyTheranostics ``fits.py`` (uptake-constrained bi-exponential, λw bounded by λ_phys).
    """
    t = np.asarray(times_h, dtype=np.float64)
    a_raw = np.asarray(activity_mbq, dtype=np.float64)
    scale = _scale(a_raw)
    a = a_raw / scale
    lam_min = _lambda_phys(half_life_h)
    grid = _rate_grid(lam_min)
    iw, iu = np.triu_indices(len(grid), k=1)
    lw, lu = grid[iw], grid[iu]
    basis = np.exp(-lw[:, None] * t[None, :]) - np.exp(-lu[:, None] * t[None, :])
    amp = _amplitude(basis, a)
    order = np.argsort(_sse(basis, amp, a))[:_REFINE_BEST]

    def residual(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return p[0] * (np.exp(-p[1] * t) - np.exp(-(p[1] + p[2]) * t)) - a

    starts = [np.array([max(amp[i], 1e-12), lw[i], lu[i] - lw[i]]) for i in order]
    best = _refine(residual, starts, ([0.0, lam_min, 1e-9], [np.inf, _RATE_MAX_PER_H, _RATE_MAX_PER_H]))
    a0, lam_w, delta = (float(v) for v in best)
    a0 *= scale
    lam_u = lam_w + delta
    resid = a_raw - a0 * (np.exp(-lam_w * t) - np.exp(-lam_u * t))
    sse = float(resid @ resid)
    notes = []
    if math.isclose(lam_w, lam_min, rel_tol=1e-6):
        notes.append("washout rate at its lower bound (physical decay only)")
    if delta >= _RATE_MAX_PER_H * 0.999:
        notes.append(
            "uptake faster than the scans resolve (uptake rate at its bound): the curve is in effect mono-exponential"
        )
    if delta < 1e-6:
        notes.append("uptake and washout rates coincide: the bi-exponential fit is degenerate")
    return TacFit(
        model="biexp_uptake",
        parameters={
            "a_mbq": a0,
            "lambda_washout_per_h": lam_w,
            "lambda_uptake_per_h": lam_u,
            "r_squared": _r_squared(a_raw, sse),
        },
        tia_mbq_h=a0 / lam_w - a0 / lam_u,
        effective_half_life_h=math.log(2.0) / lam_w,
        residuals_mbq=tuple(float(x) for x in resid),
        sum_squares=sse,
        n_parameters=3,
        notes=tuple(notes),
    )


def trapezoid_tia(times_h: Floats, activity_mbq: Floats, half_life_h: float, tail: TailKind) -> TacFit:
    """TIA by trapezoids from A(0) = 0 through the points, plus a tail to infinity.

    Parameters
    ----------
    times_h, activity_mbq : sequence of float
        Time points (increasing) and activities.
    half_life_h : float
        Physical half-life, h.
    tail : TailKind
        ``physical``: A_n/λ_phys; ``last_two_points``: A_n/λ with λ from the last two points;
        ``fitted``: the integral beyond t_n of a mono-exponential fitted to the points from the
        peak on. Rates below λ_phys are raised to λ_phys (and said so).

    Returns
    -------
    TacFit
        Parameters ``lambda_tail_per_h``, ``tail_start_h``, ``tail_share`` (share of the TIA in the tail).

    Examples
    --------
    >>> round(float(trapezoid_tia([1.0, 2.0], [1.0, 1.0], 1e9, TailKind.PHYSICAL).tia_mbq_h) / 1e9, 3)
    1.443
    """
    t = np.asarray(times_h, dtype=np.float64)
    a = np.asarray(activity_mbq, dtype=np.float64)
    lam_phys = _lambda_phys(half_life_h)
    area = 0.5 * t[0] * a[0] + float(np.sum(0.5 * (a[1:] + a[:-1]) * np.diff(t)))
    notes: list[str] = []
    resid = np.zeros_like(a)
    params: dict[str, float] = {"tail_start_h": float(t[-1])}
    n_params = 0
    if tail is TailKind.PHYSICAL:
        lam = lam_phys
        tail_tia = float(a[-1]) / lam
    elif tail is TailKind.LAST_TWO_POINTS:
        if len(t) < 2 or a[-1] <= 0 or a[-2] <= 0:
            lam = lam_phys
            notes.append("last two activities not both positive: physical-decay tail")
        else:
            lam = math.log(a[-2] / a[-1]) / (t[-1] - t[-2])
            if lam < lam_phys:
                notes.append(
                    f"last two points clear more slowly than physical decay ({lam:.5f}/h): physical-decay tail"
                )
                lam = lam_phys
        tail_tia = float(a[-1]) / lam
        n_params = 1
    else:
        peak = int(np.argmax(a))
        if len(t) - peak < 2:
            lam = lam_phys
            tail_tia = float(a[-1]) / lam
            notes.append("activity still rising at the last scan: physical-decay tail")
        else:
            mono = fit_mono_exp(t[peak:], a[peak:], half_life_h)
            lam = mono.parameters["lambda_per_h"]
            tail_tia = mono.parameters["a_mbq"] * math.exp(-lam * t[-1]) / lam
            params["tail_a_mbq"] = mono.parameters["a_mbq"]
            resid[peak:] = mono.residuals_mbq
            n_params = 2
            notes.extend(mono.notes)
            notes.append(f"tail fitted to the {len(t) - peak} points from the peak at {t[peak]:g} h")
    params["lambda_tail_per_h"] = lam
    total = area + tail_tia
    params["tail_share"] = tail_tia / total if total > 0 else 0.0
    return TacFit(
        model="trapezoid",
        parameters=params,
        tia_mbq_h=total,
        effective_half_life_h=math.log(2.0) / lam,
        residuals_mbq=tuple(float(x) for x in resid),
        sum_squares=float(resid @ resid),
        n_parameters=n_params,
        notes=(f"tail: {tail.value}", *notes),
    )


def information_criteria(fit: TacFit, n_points: int) -> tuple[float, float | None]:
    """AIC and AICc of a least-squares fit (AICc ``None`` when n − k − 1 ≤ 0).

    .. math:: \\mathrm{AIC} = n\\ln(\\mathrm{SSR}/n) + 2k, \\qquad
              \\mathrm{AICc} = \\mathrm{AIC} + \\frac{2k(k+1)}{n-k-1}

    A perfect fit (SSR = 0) is given the SSR of float round-off so that the logarithm stays finite.

    References
    ----------
    Glatting G, Kletting P, Reske SN, Hohl K, Ring C. Choosing the optimal fit function: comparison
    of the Akaike information criterion and the F-test. Med Phys 2007;34:4285-4292.
    doi:10.1118/1.2794176
    """
    k = fit.n_parameters
    ssr = max(fit.sum_squares, 1e-300)
    aic = n_points * math.log(ssr / n_points) + 2 * k
    dof = n_points - k - 1
    return aic, (aic + 2 * k * (k + 1) / dof if dof > 0 else None)


@dataclass(frozen=True)
class Selection:
    """The chosen fit with the candidates and how they were ranked."""

    chosen: TacFit
    candidates: tuple[tuple[TacFit, float], ...]
    criterion: str | None
    notes: tuple[str, ...]


def fit_tac(
    times_h: Floats,
    activity_mbq: Floats,
    half_life_h: float,
    kind: FitKind,
    tail: TailKind = TailKind.FITTED,
) -> Selection:
    """Fit one time-activity curve with the plan's model (or choose one with ``auto``).

    Parameters
    ----------
    times_h, activity_mbq : sequence of float
        Time points (strictly increasing, h) and activities (MBq, ≥ 0).
    half_life_h : float
        Physical half-life, h.
    kind : FitKind
        Model, or ``auto``.
    tail : TailKind
        Tail of the trapezoid method.

    Returns
    -------
    Selection
        The fit, the ranked candidates (``auto``) with their criterion values, the criterion used.
    """
    n = len(times_h)
    if kind is FitKind.MONO_EXP:
        return Selection(fit_mono_exp(times_h, activity_mbq, half_life_h), (), None, ())
    if kind is FitKind.BIEXP_UPTAKE:
        return Selection(fit_biexp_uptake(times_h, activity_mbq, half_life_h), (), None, ())
    if kind is FitKind.TRAPEZOID:
        return Selection(trapezoid_tia(times_h, activity_mbq, half_life_h, tail), (), None, ())
    fits = [fit_mono_exp(times_h, activity_mbq, half_life_h)]
    notes: list[str] = []
    if n > 3:  # three parameters need more than three points to leave a residual
        fits.append(fit_biexp_uptake(times_h, activity_mbq, half_life_h))
    else:
        notes.append(f"{n} time points: only the mono-exponential model leaves degrees of freedom")
    ics = [information_criteria(f, n) for f in fits]
    use_aicc = all(c[1] is not None for c in ics)
    if not use_aicc:
        notes.append(f"AICc needs n − k − 1 > 0 for every candidate (n = {n}): ranked by AIC")
    scores = [c[1] if use_aicc and c[1] is not None else c[0] for c in ics]
    criterion = "AICc" if use_aicc else "AIC"
    best = min(range(len(fits)), key=lambda i: scores[i])
    margin = number("prrt_fit_delta_ic_prefer_simpler")
    simpler = [
        i
        for i in range(len(fits))
        if fits[i].n_parameters < fits[best].n_parameters and scores[i] - scores[best] <= margin
    ]
    if simpler:
        pick = min(simpler, key=lambda i: (fits[i].n_parameters, scores[i]))
        notes.append(
            f"{fits[pick].model} chosen over {fits[best].model}: within Δ{criterion} ≤ {margin:g} with fewer parameters"
        )
        best = pick
    ranked = tuple(sorted(zip(fits, scores, strict=True), key=lambda fs: fs[1]))
    return Selection(fits[best], ranked, criterion, tuple(notes))
