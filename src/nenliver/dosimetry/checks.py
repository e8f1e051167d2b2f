# SPDX-License-Identifier: Apache-2.0
"""Limit and plausibility checks of a SIRT plan, each citing its source.

Hard limits (a failure makes the plan not treatable): single-session lung dose, cumulative lung
dose, lung shunt fraction above the contraindication, normal-liver dose above the device limit
(EANM 2022; derived from HCC/mCRC data). Advisory checks: the NEN tumour response threshold,
the lung-shunt caution level, T/N plausibility and the MAA work-up interval.
"""

from __future__ import annotations

import math

from nenliver.dosimetry.constants import DataEntry, entry
from nenliver.dosimetry.enums import CheckStatus, DeviceKind, Severity
from nenliver.dosimetry.model import Check

__all__ = [
    "is_treatable",
    "lung_checks",
    "maa_interval_check",
    "normal_liver_check",
    "normal_liver_limit_entry",
    "shunt_checks",
    "tumour_response_check",
    "tumour_response_status",
    "tumour_to_normal_check",
]

_ROUNDING_REL_TOL = 1e-9
_NORMAL_LIVER_LIMIT = {
    DeviceKind.RESIN: "normal_liver_limit_resin",
    DeviceKind.GLASS: "normal_liver_limit_glass",
}


def _severity(item: DataEntry) -> Severity:
    return Severity(str(item.extra.get("severity", Severity.ADVISORY.value)))


def _limit(item: DataEntry) -> float:
    if not isinstance(item.value, float):
        raise TypeError(f"{item.name} is not a single number")
    return item.value


def _cited(item: DataEntry) -> dict[str, str]:
    return {"source": item.source, "locator": item.locator, "tag": item.tag}


def _max_status(value: float, limit: float, item: DataEntry) -> CheckStatus:
    # A value at the limit passes; the tolerance absorbs floating-point rounding only (inverse
    # planning puts doses exactly on a limit).
    if value <= limit or math.isclose(value, limit, rel_tol=_ROUNDING_REL_TOL):
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
    """Lung-shunt contraindication (> 20 %) and caution (> 10 %) checks.

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
                f"Lung shunt fraction {lung_shunt_fraction_percent:g} %, caution above {_limit(caution):g} % "
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


def normal_liver_limit_entry(device: DeviceKind) -> DataEntry | None:
    """Normal-liver dose limit of a device, or ``None`` where no cited limit exists (holmium).

    Examples
    --------
    >>> normal_liver_limit_entry(DeviceKind.RESIN).value
    40.0
    >>> normal_liver_limit_entry(DeviceKind.HOLMIUM) is None
    True
    """
    name = _NORMAL_LIVER_LIMIT.get(device)
    return entry(name) if name else None


def normal_liver_check(device: DeviceKind, normal_liver_dose_gy: float) -> Check | None:
    """Normal-liver dose against the EANM 2022 limit for the device (hard).

    Parameters
    ----------
    device : DeviceKind
        Microsphere device.
    normal_liver_dose_gy : float
        Mean dose to the normal perfused liver, Gy.

    Returns
    -------
    Check or None
        ``normal-liver``; ``None`` for holmium (no cited limit).

    Notes
    -----
    The EANM 2022 limits (resin < 40 Gy, glass < 75 Gy) were derived from HCC and mCRC data, not
    NEN, and refer to the normal (perfused or whole) liver; the check says so.

    References
    ----------
    Weber M, et al. Eur J Nucl Med Mol Imaging 2022;49:1682-1699, Tables 2 and 3.
    doi:10.1007/s00259-021-05600-z

    Examples
    --------
    >>> normal_liver_check(DeviceKind.GLASS, 100.0).status.value
    'fail'
    """
    item = normal_liver_limit_entry(device)
    if item is None:
        return None
    limit = _limit(item)
    return Check(
        id="normal-liver",
        status=_max_status(normal_liver_dose_gy, limit, item),
        severity=_severity(item),
        text=(
            f"Normal perfused liver dose {normal_liver_dose_gy:.1f} Gy, limit {limit:g} Gy for "
            f"{device.value} (EANM 2022; derived from HCC/mCRC data, not NEN)"
        ),
        limit_gy=limit,
        value_gy=normal_liver_dose_gy,
        note=item.note,
        **_cited(item),
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
