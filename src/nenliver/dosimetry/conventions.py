# SPDX-License-Identifier: Apache-2.0
"""Dose-conversion constants as named conventions, and the nuclide of each device.

The constant C (Gy·kg/GBq, equivalently J/GBq) converts an activity that decays fully in place
into absorbed energy: D = C·A/M. For 90Y three published conventions disagree by 1.25 %
(49.38-50); a plan names one of them. For 166Ho the single value 15.87 is used.
"""

from __future__ import annotations

from nenliver.dosimetry.constants import entry, load_data, number
from nenliver.dosimetry.enums import ConventionKind, DeviceKind
from nenliver.errors import KnowledgeDataError

__all__ = [
    "DEFAULT_Y90_CONVENTION",
    "dose_constant_for_nuclide",
    "dose_constant_gy_kg_per_gbq",
    "effective_convention",
    "nuclide_for_device",
]

#: Convention used for 90Y when a plan names none (EANM 2022 procedure guideline).
DEFAULT_Y90_CONVENTION = ConventionKind.EANM_2022

_HOLMIUM_CONVENTION = ConventionKind.HO166_STANDARD
_NUCLIDE_ENTRY = {DeviceKind.GLASS: "y90", DeviceKind.RESIN: "y90", DeviceKind.HOLMIUM: "ho166"}


def effective_convention(device: DeviceKind, convention: ConventionKind | None) -> ConventionKind:
    """Return the convention a plan actually uses.

    Parameters
    ----------
    device : DeviceKind
        Microsphere device.
    convention : ConventionKind or None
        Convention named in the plan; ``None`` for the default.

    Returns
    -------
    ConventionKind
        ``ho166_standard`` for holmium whatever was asked; otherwise ``convention``, or
        ``eanm_2022`` when none was given.

    Notes
    -----
    Holmium has one dose constant in clinical use (15.87 J/GBq), so a 90Y convention named
    for a holmium plan is replaced, and the caller reports the replacement.

    Examples
    --------
    >>> effective_convention(DeviceKind.GLASS, None).value
    'eanm_2022'
    >>> effective_convention(DeviceKind.HOLMIUM, ConventionKind.EANM_2022).value
    'ho166_standard'
    """
    if device is DeviceKind.HOLMIUM:
        return _HOLMIUM_CONVENTION
    return convention or DEFAULT_Y90_CONVENTION


def dose_constant_gy_kg_per_gbq(device: DeviceKind, convention: ConventionKind | None = None) -> float:
    """Dose-conversion constant C for a device and convention.

    Parameters
    ----------
    device : DeviceKind
        Microsphere device.
    convention : ConventionKind or None, optional
        Named convention; defaults to ``eanm_2022`` for 90Y.

    Returns
    -------
    float
        C in Gy·kg/GBq (J/GBq): 49.67 (``eanm_2022``), 50 (``therasphere_ifu``), 49.38
        (``aapm_mppg14a``), 15.87 (166Ho).

    Notes
    -----
    .. math:: C = \\bar{E}\\,\\tau = \\bar{E}\\,T_{1/2}/\\ln 2

    with Ē the mean energy absorbed locally per decay; 0.9336 MeV × 64.1 h gives 49.80 J/GBq.

    References
    ----------
    Weber M, et al. EANM procedure guideline for the treatment of liver cancer and liver
    metastases with intra-arterial radioactive compounds. Eur J Nucl Med Mol Imaging
    2022;49:1682-1699. doi:10.1007/s00259-021-05600-z

    Examples
    --------
    >>> dose_constant_gy_kg_per_gbq(DeviceKind.GLASS, ConventionKind.THERASPHERE_IFU)
    50.0
    >>> dose_constant_gy_kg_per_gbq(DeviceKind.HOLMIUM)
    15.87
    """
    return number(effective_convention(device, convention).value)


def dose_constant_for_nuclide(nuclide: str, convention: ConventionKind | None = None) -> float:
    """Dose-conversion constant C of a nuclide, from the conventions on file for it.

    Voxel dosimetry images a nuclide, not a device, so it asks by nuclide: the named convention
    when it is one of the nuclide's (90Y: eanm_2022, therasphere_ifu, aapm_mppg14a), else the
    nuclide's default (90Y: eanm_2022; 166Ho has one convention).

    Examples
    --------
    >>> dose_constant_for_nuclide("Y-90")
    49.67
    >>> dose_constant_for_nuclide("Y-90", ConventionKind.THERASPHERE_IFU)
    50.0
    >>> dose_constant_for_nuclide("Ho-166", ConventionKind.EANM_2022)
    15.87
    """
    names = sorted(
        e.name for e in load_data().values() if e.file == "dose_constants.yaml" and e.extra.get("nuclide") == nuclide
    )
    if not names:
        raise KnowledgeDataError(f"dose_constants.yaml holds no convention for {nuclide}")
    if convention is not None and convention.value in names:
        return number(convention.value)
    default = DEFAULT_Y90_CONVENTION.value if DEFAULT_Y90_CONVENTION.value in names else names[0]
    return number(default)


def nuclide_for_device(device: DeviceKind) -> str:
    """ICRP-107 nuclide name of a device (``"Y-90"`` or ``"Ho-166"``).

    Examples
    --------
    >>> nuclide_for_device(DeviceKind.RESIN)
    'Y-90'
    """
    return str(entry(_NUCLIDE_ENTRY[device]).extra["nuclide"])
