# SPDX-License-Identifier: Apache-2.0
"""Logistics: glass vial choice, resin vial fraction, sphere counts.

.. warning:: Vial sizes, calibration conventions and residual handling follow the product
   labelling at the time of writing; the site's radiopharmacy procedure prevails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from nenliver.dosimetry._units import fraction_to_percent, gbq_to_bq, hours_between
from nenliver.dosimetry.constants import number, numbers
from nenliver.dosimetry.conventions import nuclide_for_device
from nenliver.dosimetry.decay import decay_factor, hours_for_decay_to
from nenliver.dosimetry.enums import DeviceKind
from nenliver.dosimetry.model import VialChoice

__all__ = ["activity_per_sphere_bq", "choose_glass_vial", "resin_vial_fraction", "sphere_count"]

_PER_SPHERE = {
    DeviceKind.RESIN: "activity_per_sphere_resin",
    DeviceKind.GLASS: "activity_per_sphere_glass",
    DeviceKind.HOLMIUM: "activity_per_sphere_holmium",
}


def activity_per_sphere_bq(device: DeviceKind) -> float:
    """Nominal activity per sphere at calibration, Bq (resin 50, glass 2500, holmium 450).

    Notes
    -----
    Nominal figures: resin spheres carry 50-80 Bq at delivery and glass spheres vary with the
    vial size and the day of treatment; the count is an order of magnitude, not a dispensed number.

    References
    ----------
    Cazzato RL, et al. Cancers 2021;13:6368, §6.2. doi:10.3390/cancers13246368 (resin, glass);
    RCP journals SIRT compound table (holmium, 450 Bq).

    Examples
    --------
    >>> activity_per_sphere_bq(DeviceKind.GLASS)
    2500.0
    """
    return number(_PER_SPHERE[device])


def sphere_count(activity_at_calibration_gbq: float, device: DeviceKind) -> int:
    """Number of spheres carrying an activity, counted at calibration.

    Parameters
    ----------
    activity_at_calibration_gbq : float
        Activity of the spheres referred to the calibration time, GBq (every sphere decays alike,
        so the count is the same at any time once the activity is referred back).
    device : DeviceKind
        Microsphere device.

    Returns
    -------
    int
        Sphere count, rounded to the nearest integer.

    Notes
    -----
    .. math:: N = A_{cal} / a_{sphere}

    References
    ----------
    Cazzato RL, et al. Cancers 2021;13:6368, §6.2. doi:10.3390/cancers13246368

    Examples
    --------
    >>> sphere_count(3.0, DeviceKind.GLASS)
    1200000
    >>> sphere_count(3.0, DeviceKind.RESIN)
    60000000
    """
    return round(gbq_to_bq(activity_at_calibration_gbq) / activity_per_sphere_bq(device))


def choose_glass_vial(
    required_activity_at_treatment_gbq: float, calibration_time: datetime, treatment_time: datetime
) -> VialChoice:
    """Smallest standard glass vial that holds the required activity at treatment time.

    Parameters
    ----------
    required_activity_at_treatment_gbq : float
        Vial activity needed at treatment (injected activity / (1 − residual)), GBq.
    calibration_time, treatment_time : datetime
        Timezone-aware times; the vial's nominal activity refers to ``calibration_time``.

    Returns
    -------
    VialChoice
        The vial, its activity at treatment, the excess over the requirement and the time at
        which the whole vial holds exactly the required activity. ``nominal_activity_gbq`` is
        ``None`` when even the largest vial is too small.

    Notes
    -----
    A vial of nominal activity A_nom holds A_nom·2^(−Δt/T½) at treatment, Δt = treatment −
    calibration; the smallest size with A_nom·2^(−Δt/T½) ≥ A_req is chosen. The whole glass vial
    is infused, so the excess is delivered unless treatment moves to the time at which
    A_nom·2^(−t/T½) = A_req.

    References
    ----------
    TheraSphere Package Insert (USA) v12: vial sizes 3, 5, 7, 10, 15, 20 GBq at calibration.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2026, 3, 8, 12, tzinfo=timezone(timedelta(hours=-5)))
    >>> choose_glass_vial(3.2, t0, t0 + timedelta(hours=48)).nominal_activity_gbq
    7.0
    """
    sizes = numbers("glass_vial_sizes")
    factor = decay_factor(hours_between(calibration_time, treatment_time), nuclide_for_device(DeviceKind.GLASS))
    for size in sizes:
        at_treatment = size * factor
        if at_treatment >= required_activity_at_treatment_gbq:
            hours = hours_for_decay_to(size, required_activity_at_treatment_gbq, nuclide_for_device(DeviceKind.GLASS))
            return VialChoice(
                device=DeviceKind.GLASS,
                nominal_activity_gbq=size,
                activity_at_treatment_gbq=at_treatment,
                required_activity_gbq=required_activity_at_treatment_gbq,
                excess_percent=fraction_to_percent(at_treatment / required_activity_at_treatment_gbq - 1.0),
                time_of_prescribed_activity=(calibration_time + timedelta(hours=hours)).astimezone(
                    treatment_time.tzinfo
                ),
                available_sizes_gbq=sizes,
            )
    return VialChoice(
        device=DeviceKind.GLASS,
        nominal_activity_gbq=None,
        activity_at_treatment_gbq=None,
        required_activity_gbq=required_activity_at_treatment_gbq,
        available_sizes_gbq=sizes,
        note=(
            f"the required {required_activity_at_treatment_gbq:.2f} GBq exceeds the largest standard vial "
            f"({sizes[-1]:g} GBq at calibration) at treatment time; treat earlier or split the treatment"
        ),
    )


def resin_vial_fraction(
    required_activity_at_treatment_gbq: float, calibration_time: datetime, treatment_time: datetime
) -> VialChoice:
    """Fraction of a resin vial (3 GBq at calibration) to draw for the required activity.

    Parameters
    ----------
    required_activity_at_treatment_gbq : float
        Activity to draw at treatment, GBq.
    calibration_time, treatment_time : datetime
        Timezone-aware times.

    Returns
    -------
    VialChoice
        ``fraction_to_draw`` between 0 and 1, or above 1 with a note when one vial is not enough.

    Notes
    -----
    .. math:: f = \\frac{A_{req}}{A_{vial}\\,2^{-\\Delta t/T_{1/2}}}

    References
    ----------
    SIR-Spheres: 3 GBq vial at calibration, divided to the prescribed activity (PMC6095426 Table 3).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t0 = datetime(2026, 3, 8, 12, tzinfo=timezone.utc)
    >>> round(resin_vial_fraction(1.5, t0, t0).fraction_to_draw, 3)
    0.5
    """
    nominal = number("resin_vial_activity")
    at_treatment = nominal * decay_factor(
        hours_between(calibration_time, treatment_time), nuclide_for_device(DeviceKind.GLASS)
    )
    fraction = required_activity_at_treatment_gbq / at_treatment
    note = None
    if fraction > 1.0:
        note = f"one {nominal:g} GBq vial holds only {at_treatment:.2f} GBq at treatment time"
    return VialChoice(
        device=DeviceKind.RESIN,
        nominal_activity_gbq=nominal,
        activity_at_treatment_gbq=at_treatment,
        required_activity_gbq=required_activity_at_treatment_gbq,
        fraction_to_draw=fraction,
        note=note,
    )
