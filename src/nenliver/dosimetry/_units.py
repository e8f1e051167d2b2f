# SPDX-License-Identifier: Apache-2.0
"""Unit conversions used by the dosimetry code (pure arithmetic, no physics)."""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "bq_to_gbq",
    "cm_to_m",
    "fraction_to_percent",
    "gbq_to_bq",
    "gbq_to_mbq",
    "hours_between",
    "hours_to_days",
    "mass_kg",
    "mbq_to_gbq",
    "percent_to_fraction",
]

_G_PER_KG = 1000.0
_CM_PER_M = 100.0
_PERCENT = 100.0
_BQ_PER_GBQ = 1.0e9
_MBQ_PER_GBQ = 1000.0
_S_PER_H = 3600.0
_H_PER_D = 24.0


def mass_kg(volume_ml: float, density_g_ml: float) -> float:
    """Mass in kg of ``volume_ml`` mL of tissue of density ``density_g_ml`` g/mL: M = V·ρ/1000."""
    return volume_ml * density_g_ml / _G_PER_KG


def cm_to_m(length_cm: float) -> float:
    """Centimetres to metres."""
    return length_cm / _CM_PER_M


def percent_to_fraction(percent: float) -> float:
    """A percentage to a fraction (10 → 0.1)."""
    return percent / _PERCENT


def fraction_to_percent(fraction: float) -> float:
    """A fraction to a percentage (0.1 → 10)."""
    return fraction * _PERCENT


def gbq_to_bq(activity_gbq: float) -> float:
    """GBq to Bq."""
    return activity_gbq * _BQ_PER_GBQ


def bq_to_gbq(activity_bq: float) -> float:
    """Bq to GBq."""
    return activity_bq / _BQ_PER_GBQ


def gbq_to_mbq(activity_gbq: float) -> float:
    """GBq to MBq."""
    return activity_gbq * _MBQ_PER_GBQ


def mbq_to_gbq(activity_mbq: float) -> float:
    """MBq to GBq."""
    return activity_mbq / _MBQ_PER_GBQ


def hours_between(start: datetime, end: datetime) -> float:
    """Signed hours from ``start`` to ``end`` (both timezone-aware)."""
    return (end - start).total_seconds() / _S_PER_H


def hours_to_days(hours: float) -> float:
    """Hours to days."""
    return hours / _H_PER_D
