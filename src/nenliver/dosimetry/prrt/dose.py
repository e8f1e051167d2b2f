# SPDX-License-Identifier: Apache-2.0
"""Absorbed dose by local deposition, single-time-point TIA and the kidney BED of 177Lu PRRT.

.. warning:: Local deposition counts the electrons only (147.9 keV of the 183 keV emitted per
   decay): organ self-dose from photons (about 1 % for a kidney) and cross-dose from neighbouring
   organs and tumours are left out. For clinician review.
"""

from __future__ import annotations

import math

from nenliver.dosimetry.constants import number

__all__ = [
    "bed_gy",
    "bed_gy_for_exponentials",
    "hanscheid_tia_mbq_h",
    "ldm_gy_kg_per_mbq_h",
    "local_deposition_dose_gy",
    "madsen_tia_mbq_h",
]

#: Decays per MBq·h (10⁶ per second × 3600 s): a definition, not data.
_DECAYS_PER_MBQ_H = 3.6e9


def ldm_gy_kg_per_mbq_h(nuclide: str = "Lu-177") -> float:
    """Local-deposition dose factor: electron energy per decay × decays per MBq·h, Gy·kg/(MBq·h).

    Examples
    --------
    >>> round(ldm_gy_kg_per_mbq_h() * 1e5, 4)
    8.5306
    """
    if nuclide != "Lu-177":
        raise ValueError(f"no electron energy per decay for {nuclide!r}")
    return number("lu177_electron_energy_per_decay") * number("joule_per_mev") * _DECAYS_PER_MBQ_H


def local_deposition_dose_gy(tia_mbq_h: float, mass_g: float, nuclide: str = "Lu-177") -> float:
    """D = TIA·Δ/m (MIRD self-dose with an absorbed fraction of 1 for electrons, 0 for photons).

    Examples
    --------
    >>> round(local_deposition_dose_gy(10000.0, 200.0), 6)
    4.265315
    """
    return tia_mbq_h * ldm_gy_kg_per_mbq_h(nuclide) / (mass_g / 1000.0)


def hanscheid_tia_mbq_h(activity_mbq: float, time_h: float) -> float:
    """Hänscheid single-time-point TIA = A(t)·2t/ln 2.

    Exact for a mono-exponential curve when t equals its effective half-life; otherwise it assumes
    so (errors are skewed towards under-estimation, Gustafsson & Taprogge 2022).

    References
    ----------
    Hänscheid H, Lapa C, Buck AK, Lassmann M, Werner RA. Dose mapping after endoradiotherapy with
    177Lu-DOTATATE/DOTATOC by a single measurement after 4 days. J Nucl Med 2018;59:75-81.
    doi:10.2967/jnumed.117.193706

    Examples
    --------
    >>> round(hanscheid_tia_mbq_h(50.0, 69.31471805599453), 6)  # 100·e^(−0.01t) at t = T_eff
    10000.0
    """
    return activity_mbq * 2.0 * time_h / math.log(2.0)


def madsen_tia_mbq_h(activity_mbq: float, time_h: float, effective_half_life_h: float) -> float:
    """Madsen single-time-point TIA = A(t)·e^(λt)/λ, λ = ln 2/T_eff (a stated effective half-life).

    References
    ----------
    Madsen MT, Menda Y, O'Dorisio TM, O'Dorisio MS. Technical note: single time point dose estimate
    for exponential clearance. Med Phys 2018;45:2318-2324. doi:10.1002/mp.12886

    Examples
    --------
    >>> round(madsen_tia_mbq_h(100 * math.exp(-0.96), 96.0, math.log(2) / 0.01), 6)
    10000.0
    """
    lam = math.log(2.0) / effective_half_life_h
    return activity_mbq * math.exp(lam * time_h) / lam


def bed_gy(dose_gy: float, effective_half_life_h: float, alpha_beta_gy: float, repair_half_time_h: float) -> float:
    """Biologically effective dose of a mono-exponentially decaying dose rate (linear-quadratic).

    .. math:: \\mathrm{BED} = D + \\frac{D^2}{\\alpha/\\beta}\\,\\frac{T_\\mathrm{rep}}{T_\\mathrm{rep}+T_\\mathrm{eff}}

    References
    ----------
    Bodei L, et al. Eur J Nucl Med Mol Imaging 2008;35:1847-1856. doi:10.1007/s00259-008-0778-1
    (kidney BED of PRRT; α/β 2.6 Gy and T_rep 2.8 h as in ``data/prrt.yaml``).

    Examples
    --------
    >>> round(bed_gy(4.2653146350348, 69.31471805599453, 2.6, 2.8), 9)
    4.53699792
    """
    return dose_gy + dose_gy**2 / alpha_beta_gy * repair_half_time_h / (repair_half_time_h + effective_half_life_h)


def bed_gy_for_exponentials(
    dose_gy: float,
    amplitudes: list[float],
    rates_per_h: list[float],
    alpha_beta_gy: float,
    repair_half_time_h: float,
) -> float:
    """BED of a dose rate that follows the fitted curve Σ cᵢ·e^(−λᵢt) (exact linear-quadratic form).

    .. math:: \\mathrm{BED} = D + \\frac{D^2}{\\alpha/\\beta}\\,G, \\qquad
              G = \\frac{2\\int_0^\\infty \\dot D(t)\\int_0^t \\dot D(w)\\,e^{-\\mu(t-w)}\\,dw\\,dt}{D^2},
              \\quad \\mu = \\ln 2 / T_\\mathrm{rep}

    For Σ cᵢe^(−λᵢt): G = Σᵢⱼ 2cᵢcⱼ [1/(λᵢ+μ) − 1/(λᵢ+λⱼ)]/(λⱼ−μ) / (Σ cᵢ/λᵢ)², which for one term is
    λ/(λ+μ) = T_rep/(T_rep+T_eff): the mono-exponential formula of :func:`bed_gy`. For the
    bi-exponential uptake-washout curve it gives the BED of the spec's worked example (2.775 Gy).

    References
    ----------
    Dale RG. The application of the linear-quadratic dose-effect equation to fractionated and
    protracted radiotherapy. Br J Radiol 1985;58:515-528 (G factor of protracted irradiation).
    Bodei L, et al. Eur J Nucl Med Mol Imaging 2008;35:1847-1856 (kidney BED of PRRT).

    Examples
    --------
    >>> lam = 0.01
    >>> round(bed_gy_for_exponentials(4.2653146350348, [100.0], [lam], 2.6, 2.8), 9)
    4.53699792
    """
    mu = math.log(2.0) / repair_half_time_h
    tia = sum(c / lam for c, lam in zip(amplitudes, rates_per_h, strict=True))
    total = 0.0
    for ci, li in zip(amplitudes, rates_per_h, strict=True):
        for cj, lj in zip(amplitudes, rates_per_h, strict=True):
            if abs(lj - mu) < 1e-12 * mu:  # the limit of the quotient as λⱼ → μ
                term = 1.0 / (li + mu) ** 2
            else:
                term = (1.0 / (li + mu) - 1.0 / (li + lj)) / (lj - mu)
            total += 2.0 * ci * cj * term
    g = total / tia**2
    return dose_gy + dose_gy**2 / alpha_beta_gy * g
