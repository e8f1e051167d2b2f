# SPDX-License-Identifier: Apache-2.0
"""Allowed values of the SIRT plan (``nenliver/sirt@1``) and result."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CheckStatus", "CompartmentKind", "ConventionKind", "DeviceKind", "MethodKind", "Severity"]


class DeviceKind(StrEnum):
    """Microsphere device: the nuclide and product family."""

    GLASS = "glass"
    """90Y glass microspheres (TheraSphere)."""
    RESIN = "resin"
    """90Y resin microspheres (SIR-Spheres)."""
    HOLMIUM = "holmium"
    """166Ho poly-L-lactic-acid microspheres (QuiremSpheres)."""


class MethodKind(StrEnum):
    """Activity-planning method."""

    MIRD_SINGLE = "mird_single"
    """MIRD single compartment (mono-compartment, glass 'standard model')."""
    PARTITION = "partition"
    """MIRD dual-compartment partition model (tumour and normal liver)."""
    BSA = "bsa"
    """Body-surface-area method (resin only)."""


class ConventionKind(StrEnum):
    """Named dose-conversion constant (see ``data/dose_constants.yaml``)."""

    EANM_2022 = "eanm_2022"
    """49.67 Gy·kg/GBq (EANM 2022 procedure guideline)."""
    THERASPHERE_IFU = "therasphere_ifu"
    """50 Gy·kg/GBq (TheraSphere package insert)."""
    AAPM_MPPG14A = "aapm_mppg14a"
    """49.38 Gy·kg/GBq (AAPM MPPG 14.a)."""
    HO166_STANDARD = "ho166_standard"
    """15.87 Gy·kg/GBq, 166Ho; used for every holmium plan."""


class CompartmentKind(StrEnum):
    """Compartment a prescribed dose refers to."""

    TUMOUR = "tumour"
    NORMAL_LIVER = "normal_liver"
    PERFUSED = "perfused"
    """Mean over the perfused volume (tumour + normal liver)."""


class CheckStatus(StrEnum):
    """Outcome of one check."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"


class Severity(StrEnum):
    """How a failed check weighs: a failed ``hard`` check makes the plan not treatable."""

    HARD = "hard"
    ADVISORY = "advisory"
