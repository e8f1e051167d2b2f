# SPDX-License-Identifier: Apache-2.0
"""MIRD single-compartment model and lung dose.

.. warning:: Planning aid for clinician review. The model assumes a uniform distribution in the
   perfused volume, complete decay in place and local energy deposition; the lung shunt fraction
   from 99mTc-MAA planar imaging tends to overestimate the lung dose.
"""

from __future__ import annotations

__all__ = [
    "activity_for_lung_dose_gbq",
    "lung_dose_gy",
    "single_compartment_activity_gbq",
    "single_compartment_dose_gy",
    "vial_activity_gbq",
]


def single_compartment_activity_gbq(
    dose_gy: float, mass_kg: float, lung_shunt_fraction: float, dose_constant_gy_kg_per_gbq: float
) -> float:
    """Activity to inject for a mean absorbed dose to a single compartment.

    Parameters
    ----------
    dose_gy : float
        Prescribed mean absorbed dose to the perfused volume, Gy (> 0).
    mass_kg : float
        Perfused mass, kg (> 0).
    lung_shunt_fraction : float
        Lung shunt fraction F as a fraction, 0 <= F < 1.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C of the chosen convention.

    Returns
    -------
    float
        Injected activity A, GBq.

    Notes
    -----
    .. math:: A = \\frac{D\\,M}{C\\,(1-F)}

    The shunted part F·A leaves the liver, so the activity is *divided* by (1 − F).

    References
    ----------
    Dezarn WA, et al. Recommendations of the American Association of Physicists in Medicine on
    dosimetry, imaging, and quality assurance procedures for 90Y microsphere brachytherapy
    (TG-144). Med Phys 2011;38:4824-4845. doi:10.1118/1.3608909

    Examples
    --------
    >>> round(single_compartment_activity_gbq(120.0, 1.03, 0.0, 50.0), 4)
    2.472
    """
    return dose_gy * mass_kg / (dose_constant_gy_kg_per_gbq * (1.0 - lung_shunt_fraction))


def single_compartment_dose_gy(
    activity_gbq: float,
    mass_kg: float,
    lung_shunt_fraction: float,
    dose_constant_gy_kg_per_gbq: float,
    residual_fraction: float = 0.0,
) -> float:
    """Mean absorbed dose to a single compartment from an activity.

    Parameters
    ----------
    activity_gbq : float
        Activity, GBq (>= 0): the injected activity when ``residual_fraction`` is 0, otherwise the
        vial activity of which ``residual_fraction`` stays behind.
    mass_kg : float
        Perfused mass, kg (> 0).
    lung_shunt_fraction : float
        Lung shunt fraction F, 0 <= F < 1.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.
    residual_fraction : float, optional
        Fraction R left in the vial and lines, 0 <= R < 1. Defaults to 0.

    Returns
    -------
    float
        Mean absorbed dose, Gy.

    Notes
    -----
    .. math:: D = \\frac{C\\,A\\,(1-F)\\,(1-R)}{M}

    References
    ----------
    TheraSphere Yttrium-90 Glass Microspheres, Package Insert (USA) v12, dosimetry section.

    Examples
    --------
    >>> round(single_compartment_dose_gy(3.0, 1.545, 0.10, 50.0), 2)
    87.38
    """
    return (
        dose_constant_gy_kg_per_gbq * activity_gbq * (1.0 - lung_shunt_fraction) * (1.0 - residual_fraction) / mass_kg
    )


def lung_dose_gy(
    injected_activity_gbq: float,
    lung_shunt_fraction: float,
    lung_mass_kg: float,
    dose_constant_gy_kg_per_gbq: float,
) -> float:
    """Mean absorbed dose to the lungs.

    Parameters
    ----------
    injected_activity_gbq : float
        Injected activity, GBq: not the residual-compensated vial activity.
    lung_shunt_fraction : float
        Lung shunt fraction F, 0 <= F < 1.
    lung_mass_kg : float
        Lung mass, kg (1 kg by convention).
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.

    Returns
    -------
    float
        Lung dose D_L, Gy.

    Notes
    -----
    .. math:: D_L = \\frac{C\\,A\\,F}{M_{lung}}

    References
    ----------
    Weber M, et al. Eur J Nucl Med Mol Imaging 2022;49:1682-1699. doi:10.1007/s00259-021-05600-z

    Examples
    --------
    >>> round(lung_dose_gy(3.0, 0.10, 1.0, 50.0), 2)
    15.0
    """
    return dose_constant_gy_kg_per_gbq * injected_activity_gbq * lung_shunt_fraction / lung_mass_kg


def activity_for_lung_dose_gbq(
    lung_dose_limit_gy: float,
    lung_shunt_fraction: float,
    lung_mass_kg: float,
    dose_constant_gy_kg_per_gbq: float,
) -> float:
    """Largest injected activity that keeps the lung dose at or below a limit.

    Parameters
    ----------
    lung_dose_limit_gy : float
        Lung dose allowed, Gy (a negative allowance is treated as 0).
    lung_shunt_fraction : float
        Lung shunt fraction F, 0 <= F < 1.
    lung_mass_kg : float
        Lung mass, kg.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.

    Returns
    -------
    float
        A_max in GBq; ``inf`` when F = 0 (the lung does not limit the activity).

    Notes
    -----
    .. math:: A_{max} = \\frac{D_{L,max}\\,M_{lung}}{C\\,F}

    References
    ----------
    TheraSphere Package Insert (USA) v12: lung activity cap F·A = 0.61 GBq for 30 Gy.

    Examples
    --------
    >>> round(activity_for_lung_dose_gbq(30.0, 1.0, 1.0, 50.0), 4)
    0.6
    """
    if lung_shunt_fraction <= 0.0:
        return float("inf")
    return max(lung_dose_limit_gy, 0.0) * lung_mass_kg / (dose_constant_gy_kg_per_gbq * lung_shunt_fraction)


def vial_activity_gbq(injected_activity_gbq: float, residual_fraction: float) -> float:
    """Vial activity needed at treatment time so that ``injected_activity_gbq`` reaches the patient.

    Parameters
    ----------
    injected_activity_gbq : float
        Activity that must reach the patient, GBq.
    residual_fraction : float
        Fraction R left in the vial and lines, 0 <= R < 1.

    Returns
    -------
    float
        A_vial = A / (1 − R), GBq.

    Notes
    -----
    .. math:: A_{vial} = \\frac{A_{inj}}{1-R}

    References
    ----------
    Dezarn WA, et al. (AAPM TG-144). Med Phys 2011;38:4824-4845. doi:10.1118/1.3608909

    Examples
    --------
    >>> round(vial_activity_gbq(2.304, 0.10), 3)
    2.56
    """
    return injected_activity_gbq / (1.0 - residual_fraction)
