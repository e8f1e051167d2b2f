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
