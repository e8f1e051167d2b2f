# SPDX-License-Identifier: Apache-2.0
"""Radioactive decay of 90Y, 166Ho, 99mTc and 177Lu with ICRP-107 half-lives from ``radioactivedecay``.

``radioactivedecay`` is imported on first use (it takes about a second to load its data set).
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache

from nenliver.dosimetry._units import hours_between
from nenliver.dosimetry.constants import number

__all__ = [
    "activity_at_calibration_gbq",
    "activity_at_time_gbq",
    "decay_factor",
    "fraction_of_dose_delivered",
    "half_life_h",
    "half_life_h_icrp107",
    "hours_for_decay_to",
]


_NUCLIDE_ENTRIES = {"Y-90": "y90", "Ho-166": "ho166", "Tc-99m": "tc99m", "Lu-177": "lu177"}


@lru_cache(maxsize=8)
def half_life_h(nuclide: str) -> float:
    """Half-life in hours, ICRP Publication 107 (as distributed with ``radioactivedecay``).

    The value is read from ``dosimetry/data/decay.yaml``, which records what
    :func:`half_life_h_icrp107` returns; a unit test keeps the two equal. Reading the recorded value
    spares every command the second ``radioactivedecay`` needs to load its data set.

    Parameters
    ----------
    nuclide : str
        Nuclide name as ``radioactivedecay`` spells it: ``"Y-90"``, ``"Ho-166"``, ``"Tc-99m"``.

    Returns
    -------
    float
        Half-life, h.

    References
    ----------
    ICRP Publication 107. Nuclear decay data for dosimetric calculations. Ann ICRP 2008;38(3).
    doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> half_life_h("Y-90")
    64.1
    """
    key = _NUCLIDE_ENTRIES.get(nuclide)
    if key is None:
        return half_life_h_icrp107(nuclide)
    return number(key)


@lru_cache(maxsize=8)
def half_life_h_icrp107(nuclide: str) -> float:
    """Half-life in hours straight from ``radioactivedecay``'s ICRP-107 data set (slow first call)."""
    import radioactivedecay  # deferred: loading its data set takes about a second

    return float(radioactivedecay.Nuclide(nuclide).half_life("h"))


def decay_factor(elapsed_h: float, nuclide: str) -> float:
    """Fraction of the activity left after ``elapsed_h`` hours (> 1 for negative times).

    Parameters
    ----------
    elapsed_h : float
        Elapsed time, h (may be negative: back-decay).
    nuclide : str
        Nuclide name, for example ``"Y-90"``.

    Returns
    -------
    float
        A(t)/A(0).

    Notes
    -----
    .. math:: \\frac{A(t)}{A_0} = 2^{-t/T_{1/2}}

    References
    ----------
    ICRP Publication 107. Ann ICRP 2008;38(3). doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> round(decay_factor(48.0, "Y-90"), 5)
    0.59509
    """
    return float(2.0 ** (-elapsed_h / half_life_h(nuclide)))


def activity_at_time_gbq(activity_gbq: float, reference_time: datetime, time: datetime, nuclide: str) -> float:
    """Activity at ``time`` of a source that holds ``activity_gbq`` at ``reference_time``.

    Parameters
    ----------
    activity_gbq : float
        Activity at the reference time, GBq.
    reference_time, time : datetime
        Timezone-aware times; ``time`` may precede ``reference_time``.
    nuclide : str
        Nuclide name.

    Returns
    -------
    float
        Activity at ``time``, GBq.

    Notes
    -----
    .. math:: A(t) = A(t_0)\\,2^{-(t-t_0)/T_{1/2}}

    References
    ----------
    ICRP Publication 107. Ann ICRP 2008;38(3). doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2026, 3, 8, 12, tzinfo=timezone(timedelta(hours=-5)))
    >>> round(activity_at_time_gbq(3.0, t0, t0 + timedelta(hours=64.1), "Y-90"), 6)
    1.5
    """
    return activity_gbq * decay_factor(hours_between(reference_time, time), nuclide)


def activity_at_calibration_gbq(
    activity_at_treatment_gbq: float, calibration_time: datetime, treatment_time: datetime, nuclide: str
) -> float:
    """Activity at calibration that decays to ``activity_at_treatment_gbq`` at treatment time.

    Parameters
    ----------
    activity_at_treatment_gbq : float
        Activity wanted at treatment, GBq.
    calibration_time, treatment_time : datetime
        Timezone-aware times.
    nuclide : str
        Nuclide name.

    Returns
    -------
    float
        Activity at calibration, GBq.

    Notes
    -----
    .. math:: A_{cal} = A_{treat}\\,2^{+(t_{treat}-t_{cal})/T_{1/2}}

    References
    ----------
    ICRP Publication 107. Ann ICRP 2008;38(3). doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2026, 3, 8, 12, tzinfo=timezone.utc)
    >>> round(activity_at_calibration_gbq(1.5, t0, t0 + timedelta(hours=64.1), "Y-90"), 6)
    3.0
    """
    return activity_at_time_gbq(activity_at_treatment_gbq, treatment_time, calibration_time, nuclide)


def hours_for_decay_to(activity_gbq: float, target_activity_gbq: float, nuclide: str) -> float:
    """Hours until ``activity_gbq`` has decayed to ``target_activity_gbq`` (negative: in the past).

    Notes
    -----
    .. math:: t = T_{1/2}\\,\\log_2\\frac{A}{A_{target}}

    References
    ----------
    ICRP Publication 107. Ann ICRP 2008;38(3). doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> round(hours_for_decay_to(4.0, 1.0, "Y-90"), 1)
    128.2
    """
    return half_life_h(nuclide) * math.log2(activity_gbq / target_activity_gbq)


def fraction_of_dose_delivered(elapsed_h: float, nuclide: str) -> float:
    """Fraction of the total absorbed dose (permanent implant) delivered by ``elapsed_h`` hours.

    Parameters
    ----------
    elapsed_h : float
        Time since implantation, h (>= 0).
    nuclide : str
        Nuclide name.

    Returns
    -------
    float
        1 − 2^(−t/T½), between 0 and 1.

    Notes
    -----
    .. math:: \\frac{D(t)}{D_\\infty} = 1 - 2^{-t/T_{1/2}}

    References
    ----------
    ICRP Publication 107. Ann ICRP 2008;38(3). doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> round(fraction_of_dose_delivered(24.0, "Y-90"), 3)
    0.229
    """
    return 1.0 - decay_factor(elapsed_h, nuclide)
