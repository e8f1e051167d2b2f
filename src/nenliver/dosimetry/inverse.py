# SPDX-License-Identifier: Apache-2.0
"""Inverse planning with the partition model: the largest activity within every limit.

.. warning:: Planning aid for clinician review. Maximising the activity to the limits gives the
   highest tumour dose the cited limits allow; the normal-liver limits come from HCC/mCRC data.
"""

from __future__ import annotations

import math

from nenliver.dosimetry.checks import normal_liver_limit_entry, tumour_response_status
from nenliver.dosimetry.constants import entry, number
from nenliver.dosimetry.enums import DeviceKind
from nenliver.dosimetry.mird import activity_for_lung_dose_gbq
from nenliver.dosimetry.model import Constraint, InversePlan
from nenliver.dosimetry.partition import activity_for_normal_liver_dose_gbq, partition_doses_gy
from nenliver.errors import DosimetryInputError, Problem

__all__ = ["maximise_tumour_dose"]


def maximise_tumour_dose(
    device: DeviceKind,
    tumour_mass_kg: float,
    normal_mass_kg: float,
    tumour_to_normal_ratio: float,
    lung_shunt_fraction: float,
    dose_constant_gy_kg_per_gbq: float,
    lung_mass_kg: float,
    prior_lung_dose_gy: float = 0.0,
) -> InversePlan:
    """Largest injected activity that respects the lung and normal-liver limits.

    Parameters
    ----------
    device : DeviceKind
        Microsphere device (selects the normal-liver limit; holmium has none).
    tumour_mass_kg, normal_mass_kg : float
        Compartment masses, kg.
    tumour_to_normal_ratio : float
        T/N, ratio of activity concentrations (> 0).
    lung_shunt_fraction : float
        F, 0 <= F < 1.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.
    lung_mass_kg : float
        Lung mass, kg.
    prior_lung_dose_gy : float, optional
        Lung dose from earlier sessions, Gy. Defaults to 0.

    Returns
    -------
    InversePlan
        The activity, the limiting constraint, every constraint's own activity cap, and the
        achievable tumour dose against the NEN threshold (100-150 Gy).

    Raises
    ------
    nenliver.errors.DosimetryInputError
        When no limit bounds the activity (holmium with no lung shunt).

    Notes
    -----
    .. math::
        A_{max} = \\min\\Big(\\frac{30\\,M_L}{C F},\\ \\frac{(50 - D_{L,prior})\\,M_L}{C F},\\
        \\frac{D_{N,max}\\,[(T/N)M_T + M_N]}{C(1-F)}\\Big)

    References
    ----------
    Ho S, et al. Eur J Nucl Med 1996;23:947-952. Weber M, et al. Eur J Nucl Med Mol Imaging
    2022;49:1682-1699, Tables 2-3. doi:10.1007/s00259-021-05600-z. Cazzato RL, et al. Cancers
    2021;13:6368, §6.2. doi:10.3390/cancers13246368

    Examples
    --------
    >>> p = maximise_tumour_dose(DeviceKind.GLASS, 0.206, 0.824, 3.0, 0.10, 49.67, 1.0)
    >>> p.limiting_constraint, round(p.tumour_dose_gy, 1)
    ('normal-liver', 225.0)
    """
    single = entry("lung_dose_single_session")
    cumulative = entry("lung_dose_cumulative")
    caps: list[tuple[str, float, float, str, str]] = [
        (
            "lung-single",
            activity_for_lung_dose_gbq(
                number(single.name), lung_shunt_fraction, lung_mass_kg, dose_constant_gy_kg_per_gbq
            ),
            number(single.name),
            single.unit,
            single.source,
        ),
        (
            "lung-cumulative",
            activity_for_lung_dose_gbq(
                number(cumulative.name) - prior_lung_dose_gy,
                lung_shunt_fraction,
                lung_mass_kg,
                dose_constant_gy_kg_per_gbq,
            ),
            number(cumulative.name),
            cumulative.unit,
            cumulative.source,
        ),
    ]
    liver = normal_liver_limit_entry(device)
    if liver is not None:
        caps.append(
            (
                "normal-liver",
                activity_for_normal_liver_dose_gbq(
                    number(liver.name),
                    tumour_mass_kg,
                    normal_mass_kg,
                    tumour_to_normal_ratio,
                    lung_shunt_fraction,
                    dose_constant_gy_kg_per_gbq,
                ),
                number(liver.name),
                liver.unit,
                liver.source,
            )
        )
    finite = [c for c in caps if math.isfinite(c[1])]
    if not finite:
        raise DosimetryInputError(
            "plan",
            [
                Problem(
                    "target.maximise",
                    f"no cited limit bounds the activity for device '{device.value}' with no lung shunt",
                    "a dose target {compartment, dose_gy}",
                )
            ],
        )
    limiting = min(finite, key=lambda c: c[1])
    activity = limiting[1]
    doses = partition_doses_gy(
        activity,
        tumour_mass_kg,
        normal_mass_kg,
        tumour_to_normal_ratio,
        lung_shunt_fraction,
        dose_constant_gy_kg_per_gbq,
        lung_mass_kg,
    )
    return InversePlan(
        max_activity_gbq=activity,
        limiting_constraint=limiting[0],
        constraints=tuple(
            Constraint(
                id=c[0],
                max_activity_gbq=c[1] if math.isfinite(c[1]) else None,
                limit=c[2],
                unit=c[3],
                source=c[4],
            )
            for c in caps
        ),
        tumour_dose_gy=doses.tumour_gy,
        tumour_threshold_status=tumour_response_status(doses.tumour_gy),
        tumour_threshold_range_gy=(number("nen_tumour_response_min"), number("nen_tumour_response_max")),
    )
