# SPDX-License-Identifier: Apache-2.0
"""166Ho (QuiremSpheres) dosimetry conventions.

166Ho uses the same MIRD equations as 90Y with its own constant, 15.87 J/GBq (Gy·kg/GBq), and
the standard treatment of 3.78 GBq per kg of treated liver, which delivers about 60 Gy.
"""

from __future__ import annotations

from nenliver.dosimetry.constants import number

__all__ = ["holmium_dose_gy", "holmium_standard_activity_gbq"]


def holmium_standard_activity_gbq(treated_liver_mass_kg: float) -> float:
    """Standard 166Ho activity: 3.78 GBq per kg of treated liver.

    Parameters
    ----------
    treated_liver_mass_kg : float
        Treated (perfused) liver mass, kg.

    Returns
    -------
    float
        Activity, GBq.

    Notes
    -----
    .. math:: A = 3.78\\ \\mathrm{GBq/kg} \\times M

    which gives 3.78 × 15.87 = 59.99 ≈ 60 Gy to the treated liver.

    References
    ----------
    EJNMMI Phys 2021 (166Ho gamma camera at high activity): "approximately 3.8 GBq of 166Ho is
    injected per kilogram of treated liver mass ... to deliver 60 Gy". doi:10.1186/s40658-021-00372-9
    van Roekel C, PhD thesis (Utrecht), chapter 2: A(MBq) = liver weight (kg) × 3780 MBq/kg.

    Examples
    --------
    >>> round(holmium_standard_activity_gbq(1.5), 3)
    5.67
    """
    return number("holmium_standard_activity_per_mass") * treated_liver_mass_kg


def holmium_dose_gy(activity_gbq: float, mass_kg: float) -> float:
    """Mean 166Ho absorbed dose for an activity deposited in a mass (no shunt).

    Parameters
    ----------
    activity_gbq : float
        Activity deposited, GBq.
    mass_kg : float
        Mass, kg.

    Returns
    -------
    float
        Dose, Gy.

    Notes
    -----
    .. math:: D = 15.87\\ \\mathrm{J/GBq}\\ \\frac{A}{M}

    References
    ----------
    J Nucl Med 2016;57(suppl 2):199 (E_absorbed = 15.87 mJ/MBq).

    Examples
    --------
    >>> round(holmium_dose_gy(3.78, 1.0), 2)
    59.99
    """
    return number("ho166_standard") * activity_gbq / mass_kg
