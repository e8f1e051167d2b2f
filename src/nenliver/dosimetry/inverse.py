# SPDX-License-Identifier: Apache-2.0
"""Inverse planning with the partition model: the largest activity within every hard limit.

Every device has a liver limit (90Y: normal liver, EANM 2022; 166Ho: perfused liver, the standard
60 Gy) besides the single-session and cumulative lung limits, so the activity is always bounded.

.. warning:: Planning aid for clinician review. Maximising the activity to the limits gives the
   highest tumour dose the cited limits allow; the 90Y normal-liver limits come from HCC/mCRC data.
"""

from __future__ import annotations

from nenliver.dosimetry.checks import liver_limit, tumour_response_status
from nenliver.dosimetry.constants import DataEntry, entry, number
from nenliver.dosimetry.enums import CompartmentKind, DeviceKind
from nenliver.dosimetry.mird import activity_for_lung_dose_gbq, single_compartment_activity_gbq
from nenliver.dosimetry.model import Constraint, InversePlan
from nenliver.dosimetry.partition import activity_for_normal_liver_dose_gbq, partition_doses_gy

__all__ = ["CAP_EQUATIONS", "maximise_tumour_dose"]

#: The activity cap each constraint puts on the injected activity A, as shown in the plan's steps.
CAP_EQUATIONS = {
    "lung-single": "A ≤ D_L,max·M_L/(C·F)",
    "lung-cumulative": "A ≤ (D_L,cum − D_L,prior)·M_L/(C·F)",
    "normal-liver": "A ≤ D_N,max·((T/N)·M_T + M_N)/(C·(1−F))",
    "perfused-liver": "A ≤ D_P,max·(M_T + M_N)/(C·(1−F))",
}


def _constraint(id_: str, max_activity_gbq: float, item: DataEntry) -> Constraint:
    return Constraint(
        id=id_,
        max_activity_gbq=max_activity_gbq if max_activity_gbq != float("inf") else None,
        limit=number(item.name),
        unit=item.unit,
        source=item.source,
        locator=item.locator,
        tag=item.tag,
    )


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
    """Largest injected activity that respects the lung limits and the device's liver limit.

    Parameters
    ----------
    device : DeviceKind
        Microsphere device (selects the liver limit: normal liver for 90Y, perfused liver for 166Ho).
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
        The activity, the limiting (binding) constraint, every constraint's own activity cap, and
        the achievable tumour dose against the NEN threshold (100-150 Gy). The activity is 0 when
        the cumulative lung dose is already spent.

    Notes
    -----
    .. math::
        A_{max} = \\min\\Big(\\frac{30\\,M_L}{C F},\\ \\frac{(50 - D_{L,prior})\\,M_L}{C F},\\ A_{liver}\\Big)

    with :math:`A_{liver} = D_{N,max}[(T/N)M_T + M_N]/(C(1-F))` for 90Y and
    :math:`A_{liver} = D_{P,max}(M_T + M_N)/(C(1-F))` for 166Ho.

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
    >>> p = maximise_tumour_dose(DeviceKind.HOLMIUM, 0.103, 1.442, 3.0, 0.02, 15.87, 1.0)
    >>> p.limiting_constraint, round(p.max_activity_gbq, 2)
    ('perfused-liver', 5.96)
    """
    single = entry("lung_dose_single_session")
    cumulative = entry("lung_dose_cumulative")
    liver = liver_limit(device)
    if liver.compartment is CompartmentKind.PERFUSED:
        liver_cap = single_compartment_activity_gbq(
            liver.limit_gy, tumour_mass_kg + normal_mass_kg, lung_shunt_fraction, dose_constant_gy_kg_per_gbq
        )
    else:
        liver_cap = activity_for_normal_liver_dose_gbq(
            liver.limit_gy,
            tumour_mass_kg,
            normal_mass_kg,
            tumour_to_normal_ratio,
            lung_shunt_fraction,
            dose_constant_gy_kg_per_gbq,
        )
    constraints = (
        _constraint(
            "lung-single",
            activity_for_lung_dose_gbq(
                number(single.name), lung_shunt_fraction, lung_mass_kg, dose_constant_gy_kg_per_gbq
            ),
            single,
        ),
        _constraint(
            "lung-cumulative",
            activity_for_lung_dose_gbq(
                number(cumulative.name) - prior_lung_dose_gy,
                lung_shunt_fraction,
                lung_mass_kg,
                dose_constant_gy_kg_per_gbq,
            ),
            cumulative,
        ),
        _constraint(liver.check_id, liver_cap, liver.item),
    )
    # The liver cap is always finite (1 - F > 0), so the minimum is always defined.
    binding = min((c for c in constraints if c.max_activity_gbq is not None), key=lambda c: c.max_activity_gbq or 0.0)
    activity = binding.max_activity_gbq or 0.0
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
        limiting_constraint=binding.id,
        constraints=constraints,
        tumour_dose_gy=doses.tumour_gy,
        tumour_threshold_status=tumour_response_status(doses.tumour_gy),
        tumour_threshold_range_gy=(number("nen_tumour_response_min"), number("nen_tumour_response_max")),
    )
