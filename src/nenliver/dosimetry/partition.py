# SPDX-License-Identifier: Apache-2.0
"""MIRD dual-compartment partition model (tumour and normal liver, plus lung shunt).

T/N is the ratio of activity *concentrations* (activity per unit mass) in tumour and normal
liver from 99mTc-MAA SPECT, not the ratio of total activities.

.. warning:: Planning aid for clinician review. MAA is a surrogate for the microsphere
   distribution; the model gives mean doses per compartment, not the dose to each lesion.
"""

from __future__ import annotations

from typing import NamedTuple

from nenliver.dosimetry.enums import CompartmentKind
from nenliver.dosimetry.mird import lung_dose_gy

__all__ = [
    "PartitionDoses",
    "activity_for_normal_liver_dose_gbq",
    "partition_activity_gbq",
    "partition_doses_gy",
]


class PartitionDoses(NamedTuple):
    """Mean absorbed doses (Gy) from the partition model."""

    tumour_gy: float
    normal_liver_gy: float
    perfused_mean_gy: float
    lung_gy: float


def _weighted_mass_kg(tumour_mass_kg: float, normal_mass_kg: float, tumour_to_normal_ratio: float) -> float:
    # Activity splits in proportion to concentration x mass: (T/N)·M_T + M_N.
    return tumour_to_normal_ratio * tumour_mass_kg + normal_mass_kg


def activity_for_normal_liver_dose_gbq(
    normal_liver_dose_gy: float,
    tumour_mass_kg: float,
    normal_mass_kg: float,
    tumour_to_normal_ratio: float,
    lung_shunt_fraction: float,
    dose_constant_gy_kg_per_gbq: float,
) -> float:
    """Injected activity that gives a mean normal-liver dose D_N.

    Parameters
    ----------
    normal_liver_dose_gy : float
        Normal-liver dose D_N, Gy.
    tumour_mass_kg, normal_mass_kg : float
        Tumour and normal perfused liver masses, kg.
    tumour_to_normal_ratio : float
        T/N, ratio of activity concentrations (> 0).
    lung_shunt_fraction : float
        F, 0 <= F < 1.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.

    Returns
    -------
    float
        Injected activity, GBq.

    Notes
    -----
    .. math:: A = \\frac{D_N\\,[(T/N)\\,M_T + M_N]}{C\\,(1-F)}

    References
    ----------
    Ho S, Lau WY, Leung TWT, et al. Partition model for estimating radiation doses from
    yttrium-90 microspheres in treating hepatic tumours. Eur J Nucl Med 1996;23:947-952.

    Examples
    --------
    >>> round(activity_for_normal_liver_dose_gbq(100.0, 0.206, 0.824, 3.0, 0.1, 49.67), 5)
    3.22573
    """
    weighted = _weighted_mass_kg(tumour_mass_kg, normal_mass_kg, tumour_to_normal_ratio)
    return normal_liver_dose_gy * weighted / (dose_constant_gy_kg_per_gbq * (1.0 - lung_shunt_fraction))


def partition_activity_gbq(
    compartment: CompartmentKind,
    dose_gy: float,
    tumour_mass_kg: float,
    normal_mass_kg: float,
    tumour_to_normal_ratio: float,
    lung_shunt_fraction: float,
    dose_constant_gy_kg_per_gbq: float,
) -> float:
    """Injected activity for a target dose to the tumour, the normal liver or the perfused mean.

    Parameters
    ----------
    compartment : CompartmentKind
        Which mean dose ``dose_gy`` prescribes.
    dose_gy : float
        Prescribed dose, Gy (> 0).
    tumour_mass_kg, normal_mass_kg : float
        Compartment masses, kg.
    tumour_to_normal_ratio : float
        T/N, ratio of activity concentrations (> 0).
    lung_shunt_fraction : float
        F, 0 <= F < 1.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.

    Returns
    -------
    float
        Injected activity, GBq.

    Notes
    -----
    With D_T = (T/N)·D_N and the energy balance
    C·A·(1 − F) = D_T·M_T + D_N·M_N:

    .. math::
        A = \\frac{D_N\\,[(T/N)\\,M_T + M_N]}{C\\,(1-F)},\\qquad
        D_N = \\frac{D_T}{T/N}\\ \\text{(tumour target)},\\qquad
        A = \\frac{\\bar D\\,(M_T+M_N)}{C\\,(1-F)}\\ \\text{(perfused mean)}

    References
    ----------
    Ho S, et al. Eur J Nucl Med 1996;23:947-952. Weber M, et al. Eur J Nucl Med Mol Imaging
    2022;49:1682-1699 (mass-weighted partition equation). doi:10.1007/s00259-021-05600-z

    Examples
    --------
    >>> round(partition_activity_gbq(CompartmentKind.TUMOUR, 300.0, 0.206, 0.824, 3.0, 0.1, 49.67), 5)
    3.22573
    """
    if compartment is CompartmentKind.PERFUSED:
        return dose_gy * (tumour_mass_kg + normal_mass_kg) / (dose_constant_gy_kg_per_gbq * (1.0 - lung_shunt_fraction))
    normal_dose_gy = dose_gy / tumour_to_normal_ratio if compartment is CompartmentKind.TUMOUR else dose_gy
    return activity_for_normal_liver_dose_gbq(
        normal_dose_gy,
        tumour_mass_kg,
        normal_mass_kg,
        tumour_to_normal_ratio,
        lung_shunt_fraction,
        dose_constant_gy_kg_per_gbq,
    )


def partition_doses_gy(
    injected_activity_gbq: float,
    tumour_mass_kg: float,
    normal_mass_kg: float,
    tumour_to_normal_ratio: float,
    lung_shunt_fraction: float,
    dose_constant_gy_kg_per_gbq: float,
    lung_mass_kg: float,
) -> PartitionDoses:
    """Mean doses to tumour, normal liver, perfused volume and lung from an injected activity.

    Parameters
    ----------
    injected_activity_gbq : float
        Injected activity A, GBq.
    tumour_mass_kg, normal_mass_kg : float
        Compartment masses, kg (their sum > 0).
    tumour_to_normal_ratio : float
        T/N, ratio of activity concentrations (> 0).
    lung_shunt_fraction : float
        F, 0 <= F < 1.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.
    lung_mass_kg : float
        Lung mass, kg.

    Returns
    -------
    PartitionDoses
        Tumour, normal-liver, perfused-mean and lung doses, Gy.

    Notes
    -----
    .. math::
        A_{liver} = A(1-F),\\quad
        A_T = A_{liver}\\frac{(T/N)M_T}{(T/N)M_T + M_N},\\quad A_N = A_{liver} - A_T,

        D_T = C A_T/M_T,\\quad D_N = C A_N / M_N,\\quad
        \\bar D = C A_{liver}/(M_T+M_N),\\quad D_L = C A F / M_{lung}

    A compartment of zero mass gets the dose it would have at its concentration, so that
    D_T = (T/N)·D_N holds for any split.

    References
    ----------
    Ho S, et al. Eur J Nucl Med 1996;23:947-952.

    Examples
    --------
    >>> d = partition_doses_gy(3.2257342907, 0.206, 0.824, 3.0, 0.1, 49.67, 1.0)
    >>> round(d.tumour_gy, 3), round(d.normal_liver_gy, 3), round(d.perfused_mean_gy, 3)
    (300.0, 100.0, 140.0)
    """
    liver_energy_j = dose_constant_gy_kg_per_gbq * injected_activity_gbq * (1.0 - lung_shunt_fraction)
    weighted = _weighted_mass_kg(tumour_mass_kg, normal_mass_kg, tumour_to_normal_ratio)
    normal_gy = liver_energy_j / weighted
    return PartitionDoses(
        tumour_gy=tumour_to_normal_ratio * normal_gy,
        normal_liver_gy=normal_gy,
        perfused_mean_gy=liver_energy_j / (tumour_mass_kg + normal_mass_kg),
        lung_gy=lung_dose_gy(injected_activity_gbq, lung_shunt_fraction, lung_mass_kg, dose_constant_gy_kg_per_gbq),
    )
