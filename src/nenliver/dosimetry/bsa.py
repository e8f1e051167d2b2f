# SPDX-License-Identifier: Apache-2.0
"""Resin body-surface-area (BSA) method with the lung-shunt reduction table.

.. warning:: Planning aid for clinician review. The BSA method is semi-empirical: it ignores the
   tumour-to-normal ratio and can under- or over-dose; EANM 2022 prefers personalised
   (partition or voxel) dosimetry.
"""

from __future__ import annotations

from nenliver.dosimetry._units import cm_to_m
from nenliver.dosimetry.constants import entry, load_data, number

__all__ = ["bsa_activity_gbq", "dubois_bsa_m2", "shunt_reduction_percent", "tumour_involvement_fraction"]

_REDUCTION_PREFIX = "shunt_reduction_"


def dubois_bsa_m2(height_cm: float, weight_kg: float) -> float:
    """Body surface area by the DuBois formula (SI form).

    Parameters
    ----------
    height_cm : float
        Height, cm (> 0).
    weight_kg : float
        Weight, kg (> 0).

    Returns
    -------
    float
        BSA, m².

    Notes
    -----
    .. math:: BSA = 0.20247\\,h[m]^{0.725}\\,w[kg]^{0.425}

    equivalent to 0.007184·h[cm]^0.725·w^0.425 within 0.01 %.

    References
    ----------
    Du Bois D, Du Bois EF. A formula to estimate the approximate surface area if height and weight
    be known. Arch Intern Med 1916;17:863-871.

    Examples
    --------
    >>> round(dubois_bsa_m2(175.0, 75.0), 4)
    1.9031
    """
    return (
        number("dubois_coefficient")
        * cm_to_m(height_cm) ** number("dubois_height_exponent")
        * weight_kg ** number("dubois_weight_exponent")
    )


def tumour_involvement_fraction(tumour_volume_ml: float, normal_volume_ml: float) -> float:
    """Tumour involvement V_T / (V_T + V_N) as a fraction (0 to 1).

    Notes
    -----
    .. math:: f_T = \\frac{V_T}{V_T + V_N}

    References
    ----------
    SIR-Spheres instructions for use (Sirtex Medical), BSA method.

    Examples
    --------
    >>> tumour_involvement_fraction(250.0, 1250.0)
    0.16666666666666666
    """
    return tumour_volume_ml / (tumour_volume_ml + normal_volume_ml)


def bsa_activity_gbq(height_cm: float, weight_kg: float, tumour_volume_ml: float, normal_volume_ml: float) -> float:
    """Resin activity by the BSA method, before any shunt reduction.

    Parameters
    ----------
    height_cm : float
        Height, cm.
    weight_kg : float
        Weight, kg.
    tumour_volume_ml : float
        Tumour volume V_T, mL (>= 0).
    normal_volume_ml : float
        Normal liver volume V_N, mL (> 0).

    Returns
    -------
    float
        Activity, GBq.

    Notes
    -----
    .. math:: A = (BSA - 0.2) + \\frac{V_T}{V_T + V_N}

    with BSA in m² read numerically as GBq and the involvement term a fraction (25 % → +0.25 GBq).

    References
    ----------
    SIR-Spheres instructions for use (Sirtex Medical), BSA method. Kao YH, et al. Clinical
    implications of the body surface area method versus partition model dosimetry for yttrium-90
    radioembolization using resin microspheres. Ann Nucl Med 2011;25:455-461.
    doi:10.1007/s12149-011-0499-6

    Examples
    --------
    >>> round(bsa_activity_gbq(175.0, 75.0, 250.0, 1250.0), 4)
    1.8698
    """
    return (
        dubois_bsa_m2(height_cm, weight_kg)
        - number("bsa_offset")
        + number("bsa_tumour_involvement_activity") * tumour_involvement_fraction(tumour_volume_ml, normal_volume_ml)
    )


def shunt_reduction_percent(lung_shunt_fraction_percent: float) -> float | None:
    """Activity reduction (%) for a lung shunt fraction, from the SIR-Spheres table.

    Parameters
    ----------
    lung_shunt_fraction_percent : float
        LSF, %.

    Returns
    -------
    float or None
        0, 20 or 40 (%); ``None`` when no band applies (LSF above 20 %: not treatable).

    Notes
    -----
    Bands (data file ``bsa.yaml``, tag [K]): [0, 10) → 0 %, [10, 15) → 20 %, [15, 20] → 40 %,
    > 20 % → do not treat. The boundaries (≤ vs <) could not be checked against the IFU; this
    choice gives the larger reduction at 10 % and 15 % and keeps 20 % treatable as the
    contraindication reads "greater than 20 %".

    References
    ----------
    SIR-Spheres instructions for use (Sirtex Medical), lung-shunting table. Grosser OS, et al.
    J Vasc Interv Radiol 2015;26:1615 (PMID 26321017).

    Examples
    --------
    >>> shunt_reduction_percent(5.0), shunt_reduction_percent(12.0), shunt_reduction_percent(20.0)
    (0.0, 20.0, 40.0)
    >>> shunt_reduction_percent(21.0) is None
    True
    """
    for name in sorted(n for n in load_data() if n.startswith(_REDUCTION_PREFIX)):
        band = entry(name)
        lower = float(band.extra["lower_percent"])
        upper = float(band.extra["upper_percent"])
        inclusive = bool(band.extra.get("upper_inclusive", False))
        above_upper = lung_shunt_fraction_percent > upper if inclusive else lung_shunt_fraction_percent >= upper
        if lung_shunt_fraction_percent >= lower and not above_upper:
            return number(name)
    return None
