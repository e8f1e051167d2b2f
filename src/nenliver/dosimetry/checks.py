# SPDX-License-Identifier: Apache-2.0
"""Limit and plausibility checks of a SIRT plan, each citing its source.

Hard limits (a failure makes the plan not treatable): single-session lung dose, cumulative lung
dose, lung shunt fraction above the contraindication, and the device's liver limit: normal-liver
dose for 90Y (EANM 2022; derived from HCC/mCRC data), perfused-liver dose for 166Ho (the standard
60 Gy). Advisory checks: the NEN tumour response threshold,
the lung-shunt caution level, T/N plausibility and the MAA work-up interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nenliver.dosimetry.constants import DataEntry, entry, load_data
from nenliver.dosimetry.enums import CheckStatus, CompartmentKind, DeviceKind, Severity
from nenliver.dosimetry.model import Check, Doses, InversePlan
from nenliver.errors import KnowledgeDataError

__all__ = [
    "LiverLimit",
    "is_treatable",
    "liver_check",
    "liver_limit",
    "lung_checks",
    "maa_interval_check",
    "no_room_check",
    "shunt_checks",
    "tumour_response_check",
    "tumour_response_status",
    "tumour_to_normal_check",
]

_ROUNDING_REL_TOL = 1e-9


def _severity(item: DataEntry) -> Severity:
    return Severity(str(item.extra.get("severity", Severity.ADVISORY.value)))


def _limit(item: DataEntry) -> float:
    if not isinstance(item.value, float):
        raise TypeError(f"{item.name} is not a single number")
    return item.value


def _cited(item: DataEntry) -> dict[str, str]:
    return {"source": item.source, "locator": item.locator, "tag": item.tag}


def _max_status(value: float, limit: float, item: DataEntry) -> CheckStatus:
    # `max`: a value at the limit passes; the tolerance absorbs floating-point rounding only (inverse
    # planning puts doses exactly on a limit). `below`: the limit itself already counts.
    if item.extra.get("comparison") == "below":
        if value < limit:
            return CheckStatus.PASS
    elif value <= limit or math.isclose(value, limit, rel_tol=_ROUNDING_REL_TOL):
        return CheckStatus.PASS
    return CheckStatus.FAIL if _severity(item) is Severity.HARD else CheckStatus.WARN


def lung_checks(lung_dose_gy: float, prior_lung_dose_gy: float) -> list[Check]:
    """Single-session and cumulative lung-dose checks.

    Parameters
    ----------
    lung_dose_gy : float
        Lung dose of this session, Gy.
    prior_lung_dose_gy : float
        Lung dose from earlier SIRT sessions, Gy.

    Returns
    -------
    list of Check
        ``lung-single`` (limit 30 Gy) and ``lung-cumulative`` (limit 50 Gy, prior + this session).

    References
    ----------
    Cazzato RL, et al. Cancers 2021;13:6368, §6.2. doi:10.3390/cancers13246368

    Examples
    --------
    >>> [c.status.value for c in lung_checks(16.0, 40.0)]
    ['pass', 'fail']
    """
    single = entry("lung_dose_single_session")
    cumulative = entry("lung_dose_cumulative")
    total = prior_lung_dose_gy + lung_dose_gy
    return [
        Check(
            id="lung-single",
            status=_max_status(lung_dose_gy, _limit(single), single),
            severity=_severity(single),
            text=f"Lung dose this session {lung_dose_gy:.1f} Gy, limit {_limit(single):g} Gy",
            limit_gy=_limit(single),
            value_gy=lung_dose_gy,
            **_cited(single),
        ),
        Check(
            id="lung-cumulative",
            status=_max_status(total, _limit(cumulative), cumulative),
            severity=_severity(cumulative),
            text=(
                f"Cumulative lung dose {total:.1f} Gy (prior {prior_lung_dose_gy:g} Gy + this session), "
                f"limit {_limit(cumulative):g} Gy"
            ),
            limit_gy=_limit(cumulative),
            value_gy=total,
            **_cited(cumulative),
        ),
    ]


def shunt_checks(lung_shunt_fraction_percent: float) -> list[Check]:
    """Lung-shunt contraindication (> 20 %) and caution (>= 10 %) checks.

    Parameters
    ----------
    lung_shunt_fraction_percent : float
        LSF from the 99mTc-MAA work-up, %.

    Returns
    -------
    list of Check
        ``lung-shunt`` (hard) and ``lung-shunt-caution`` (advisory).

    References
    ----------
    Cazzato RL, et al. Cancers 2021;13:6368, Table 1. doi:10.3390/cancers13246368

    Examples
    --------
    >>> [c.status.value for c in shunt_checks(12.0)]
    ['pass', 'warn']
    """
    hard = entry("lung_shunt_contraindication")
    caution = entry("lung_shunt_caution")
    return [
        Check(
            id="lung-shunt",
            status=_max_status(lung_shunt_fraction_percent, _limit(hard), hard),
            severity=_severity(hard),
            text=(f"Lung shunt fraction {lung_shunt_fraction_percent:g} %, contraindication above {_limit(hard):g} %"),
            limit_percent=_limit(hard),
            value_percent=lung_shunt_fraction_percent,
            **_cited(hard),
        ),
        Check(
            id="lung-shunt-caution",
            status=_max_status(lung_shunt_fraction_percent, _limit(caution), caution),
            severity=_severity(caution),
            text=(
                f"Lung shunt fraction {lung_shunt_fraction_percent:g} %, caution from {_limit(caution):g} % "
                "(resin activity reduction; poorer survival reported in one NET series)"
            ),
            limit_percent=_limit(caution),
            value_percent=lung_shunt_fraction_percent,
            **_cited(caution),
        ),
    ]


def tumour_response_status(tumour_dose_gy: float) -> CheckStatus:
    """Where a tumour dose lies against the NEN response threshold of 100-150 Gy.

    Returns
    -------
    CheckStatus
        ``pass`` at or above 150 Gy, ``warn`` from 100 up to 150 Gy, ``fail`` below 100 Gy.

    Examples
    --------
    >>> tumour_response_status(120.0).value
    'warn'
    """
    low = _limit(entry("nen_tumour_response_min"))
    high = _limit(entry("nen_tumour_response_max"))
    if tumour_dose_gy >= high:
        return CheckStatus.PASS
    return CheckStatus.WARN if tumour_dose_gy >= low else CheckStatus.FAIL


def tumour_response_check(tumour_dose_gy: float) -> Check:
    """NEN tumour response threshold (100-150 Gy), advisory.

    Parameters
    ----------
    tumour_dose_gy : float
        Mean tumour dose, Gy.

    Returns
    -------
    Check
        ``tumour-response``: ``pass`` >= 150 Gy, ``warn`` 100-150 Gy, ``fail`` < 100 Gy; never
        makes the plan untreatable (an efficacy threshold, not a safety limit).

    References
    ----------
    Cazzato RL, et al. Cancers 2021;13:6368, §6.2, citing Levillain H, et al. Eur J Nucl Med Mol
    Imaging 2021;48:1570-1584. doi:10.3390/cancers13246368

    Examples
    --------
    >>> tumour_response_check(90.0).status.value
    'fail'
    """
    low_item = entry("nen_tumour_response_min")
    low, high = _limit(low_item), _limit(entry("nen_tumour_response_max"))
    status = tumour_response_status(tumour_dose_gy)
    wording = {
        CheckStatus.PASS: "reaches every proposed cutoff",
        CheckStatus.WARN: "lies inside the proposed cutoff range",
        CheckStatus.FAIL: "is below the proposed cutoff range",
    }[status]
    return Check(
        id="tumour-response",
        status=status,
        severity=_severity(low_item),
        text=f"Tumour dose {tumour_dose_gy:.0f} Gy {wording} for NEN response ({low:g}-{high:g} Gy)",
        limit_gy=low,
        value_gy=tumour_dose_gy,
        range_gy=(low, high),
        note=low_item.note,
        **_cited(low_item),
    )


@dataclass(frozen=True)
class LiverLimit:
    """The hard liver-dose limit of a device: which compartment it bounds, and the cited entry.

    Attributes
    ----------
    compartment : CompartmentKind
        ``normal_liver`` (90Y: EANM 2022) or ``perfused`` (166Ho: the standard 60 Gy to the treated
        liver, tumour included).
    item : DataEntry
        The cited limit (``limits.yaml``), in Gy.
    """

    compartment: CompartmentKind
    item: DataEntry

    @property
    def check_id(self) -> str:
        """``normal-liver`` or ``perfused-liver``: the id of its check and inverse-planning cap."""
        return _LIVER_CHECK_ID[self.compartment]

    @property
    def limit_gy(self) -> float:
        """The limit, Gy."""
        return _limit(self.item)

    def dose_gy(self, doses: Doses) -> float | None:
        """The dose of ``doses`` this limit bounds (``None`` when the inputs do not define it)."""
        return doses.normal_liver if self.compartment is CompartmentKind.NORMAL_LIVER else doses.perfused_mean


_LIVER_CHECK_ID = {CompartmentKind.NORMAL_LIVER: "normal-liver", CompartmentKind.PERFUSED: "perfused-liver"}


def liver_limit(device: DeviceKind) -> LiverLimit:
    """The hard liver-dose limit of a device, found in the limits data by ``device`` and ``compartment``.

    Raises
    ------
    nenliver.errors.KnowledgeDataError
        When the data hold no limit, or more than one, for the device (every device needs exactly one).

    Examples
    --------
    >>> liver_limit(DeviceKind.RESIN).limit_gy, liver_limit(DeviceKind.RESIN).check_id
    (40.0, 'normal-liver')
    >>> liver_limit(DeviceKind.HOLMIUM).limit_gy, liver_limit(DeviceKind.HOLMIUM).check_id
    (60.0, 'perfused-liver')
    """
    found = [
        item
        for item in load_data().values()
        if item.extra.get("device") == device.value and "compartment" in item.extra
    ]
    if len(found) != 1:
        raise KnowledgeDataError(
            f"expected one liver-dose limit (an entry with 'device: {device.value}' and 'compartment') "
            f"in the dosimetry data, found {len(found)}"
        )
    return LiverLimit(compartment=CompartmentKind(str(found[0].extra["compartment"])), item=found[0])


def liver_check(device: DeviceKind, doses: Doses, *, assumed: str | None = None) -> Check | None:
    """The device's liver dose against its hard limit (normal liver for 90Y, perfused liver for 166Ho).

    Parameters
    ----------
    device : DeviceKind
        Microsphere device.
    doses : Doses
        Compartment doses of the plan.
    assumed : str, optional
        When the dose checked stands in for an unknown one (the perfused mean for the normal liver
        without T/N), what was assumed: the check is then advisory and says so.

    Returns
    -------
    Check or None
        ``normal-liver`` or ``perfused-liver``; ``None`` when the plan does not define the dose.

    Notes
    -----
    The EANM 2022 90Y limits (resin < 40 Gy, glass < 75 Gy) were derived from HCC and mCRC data,
    not NEN; the 166Ho limit is the standard 60 Gy to the treated liver. The check says which.

    References
    ----------
    Weber M, et al. Eur J Nucl Med Mol Imaging 2022;49:1682-1699, Tables 2 and 3.
    doi:10.1007/s00259-021-05600-z

    Examples
    --------
    >>> d = Doses(tumour=300.0, normal_liver=100.0, lung=10.0, perfused_mean=140.0)
    >>> liver_check(DeviceKind.GLASS, d).status.value, liver_check(DeviceKind.HOLMIUM, d).status.value
    ('fail', 'fail')
    """
    limit = liver_limit(device)
    value = doses.perfused_mean if assumed is not None else limit.dose_gy(doses)
    if value is None:
        return None
    item = limit.item
    status = _max_status(value, limit.limit_gy, item)
    severity = _severity(item)
    label = str(item.extra.get("label", item.source))
    name = "Normal perfused liver" if limit.compartment is CompartmentKind.NORMAL_LIVER else "Perfused liver"
    text = f"{name} dose {value:.1f} Gy, limit {limit.limit_gy:g} Gy for {device.value} ({label})"
    if assumed is not None:
        severity = Severity.ADVISORY
        if status is CheckStatus.FAIL:
            status = CheckStatus.WARN
        text += f"; {assumed}"
    return Check(
        id=limit.check_id,
        status=status,
        severity=severity,
        text=text,
        limit_gy=limit.limit_gy,
        value_gy=value,
        note=item.note,
        **_cited(item),
    )


def no_room_check(inverse: InversePlan) -> Check | None:
    """A hard failure when inverse planning leaves no activity (a limit is already spent).

    Returns
    -------
    Check or None
        ``no-activity-within-limits`` (hard, ``fail``) when the largest activity within the limits
        is 0 GBq, typically a cumulative lung dose already at its limit; otherwise ``None``.

    Examples
    --------
    >>> from nenliver.dosimetry.inverse import maximise_tumour_dose
    >>> spent = maximise_tumour_dose(DeviceKind.GLASS, 0.2, 0.8, 3.0, 0.1, 49.67, 1.0, prior_lung_dose_gy=50.0)
    >>> no_room_check(spent).status.value
    'fail'
    """
    if inverse.max_activity_gbq > 0.0:
        return None
    binding = next(c for c in inverse.constraints if c.id == inverse.limiting_constraint)
    return Check(
        id="no-activity-within-limits",
        status=CheckStatus.FAIL,
        severity=Severity.HARD,
        text=f"No activity fits within the limits: {binding.id} ({binding.limit:g} {binding.unit}) is already reached",
        source=binding.source,
        locator=binding.locator,
        tag=binding.tag,
    )


def tumour_to_normal_check(tumour_to_normal_ratio: float) -> Check:
    """Plausibility of T/N (advisory).

    Parameters
    ----------
    tumour_to_normal_ratio : float
        T/N from MAA SPECT.

    Returns
    -------
    Check
        ``tumour-to-normal``: ``warn`` below 1.5 (low) and below 1.0 (tumour not preferentially
        perfused), else ``pass``.

    References
    ----------
    Taranis (SlicerRadioembolizationDosimetry) guardrails TN_LOW = 1.5, TN_TOO_LOW = 1.0.

    Examples
    --------
    >>> tumour_to_normal_check(1.2).status.value
    'warn'
    """
    too_low = entry("tumour_to_normal_too_low")
    low = entry("tumour_to_normal_low")
    if tumour_to_normal_ratio < _limit(too_low):
        item, text = too_low, "T/N very low: the tumour takes up less than normal liver; check the MAA SPECT"
    elif tumour_to_normal_ratio < _limit(low):
        item, text = low, "T/N low: the normal liver receives a dose close to the tumour dose"
    else:
        item, text = low, "T/N plausible"
    status = CheckStatus.PASS if tumour_to_normal_ratio >= _limit(low) else CheckStatus.WARN
    return Check(
        id="tumour-to-normal",
        status=status,
        severity=_severity(item),
        text=f"{text} (T/N {tumour_to_normal_ratio:g}, warning below {_limit(item):g})",
        limit_ratio=_limit(item),
        value_ratio=tumour_to_normal_ratio,
        note=item.note,
        **_cited(item),
    )


def maa_interval_check(interval_days: float) -> Check:
    """Interval between the 99mTc-MAA work-up and treatment (advisory, <= 4 weeks).

    Examples
    --------
    >>> maa_interval_check(35.0).status.value
    'warn'
    """
    item = entry("maa_workup_max_interval")
    limit = _limit(item)
    return Check(
        id="maa-interval",
        status=_max_status(interval_days, limit, item),
        severity=_severity(item),
        text=f"MAA work-up {interval_days:.1f} days before treatment, up to {limit:g} days",
        limit_days=limit,
        value_days=interval_days,
        **_cited(item),
    )


def is_treatable(checks: list[Check] | tuple[Check, ...]) -> bool:
    """``False`` when any hard check failed.

    Examples
    --------
    >>> is_treatable(lung_checks(10.0, 0.0))
    True
    """
    return not any(c.status is CheckStatus.FAIL and c.severity is Severity.HARD for c in checks)
