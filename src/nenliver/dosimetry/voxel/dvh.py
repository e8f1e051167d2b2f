# SPDX-License-Identifier: Apache-2.0
"""Cumulative dose-volume histograms and voxel-exact DVH metrics.

Definitions (as in Taranis, project reference sirt-dosimetry.md §2.6):

* ``D_x``: the minimum dose received by the hottest x % of the structure's voxels;
* ``V_x``: the percentage of the structure's voxels receiving at least x Gy;
* the cumulative DVH: percentage of voxels receiving at least each dose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nenliver.dosimetry.constants import numbers

__all__ = ["DvhMetrics", "cumulative_dvh", "dvh_metrics", "reporting_points"]


def reporting_points() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The D_x (x in % of volume) and V_x (x in Gy) reported for every structure, from cited data
    (``voxel.yaml``: ``dvh_report_dose_percent``, ``dvh_report_volume_dose``).

    Examples
    --------
    >>> reporting_points()[0]
    (2, 50, 70, 90, 95)
    """
    d = tuple(int(x) for x in numbers("dvh_report_dose_percent"))
    v = tuple(int(x) for x in numbers("dvh_report_volume_dose"))
    return d, v


@dataclass(frozen=True)
class DvhMetrics:
    """DVH metrics of one structure (doses in Gy, volumes in mL, fractions in %)."""

    voxels: int
    volume_ml: float
    mean_gy: float
    min_gy: float
    max_gy: float
    d_gy: dict[int, float] = field(default_factory=dict)
    v_percent: dict[int, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float | int]:
        """Flat mapping ``{"mean_gy": …, "d70_gy": …, "v100_percent": …}`` for JSON."""
        out: dict[str, float | int] = {
            "voxels": self.voxels,
            "volume_ml": self.volume_ml,
            "mean_gy": self.mean_gy,
            "min_gy": self.min_gy,
            "max_gy": self.max_gy,
        }
        out.update({f"d{x}_gy": v for x, v in self.d_gy.items()})
        out.update({f"v{x}_percent": v for x, v in self.v_percent.items()})
        return out


def dvh_metrics(
    dose_gy: NDArray[np.floating],
    mask: NDArray[np.bool_],
    voxel_volume_ml: float,
    d_percents: tuple[int, ...] | None = None,
    v_doses_gy: tuple[int, ...] | None = None,
) -> DvhMetrics:
    """Voxel-exact DVH metrics of the voxels in ``mask``.

    Parameters
    ----------
    dose_gy : ndarray
        Dose map, Gy.
    mask : ndarray of bool
        Structure, same shape (must not be empty).
    voxel_volume_ml : float
        Voxel volume, mL.
    d_percents, v_doses_gy : tuple of int, optional
        Which D_x (x in %) and V_x (x in Gy) to report; the cited reporting points by default.

    Returns
    -------
    DvhMetrics

    Notes
    -----
    With the n doses sorted in ascending order :math:`d_{(1)} \\le \\dots \\le d_{(n)}`,
    :math:`D_x = d_{(n-k+1)}` with :math:`k = \\lceil x n / 100 \\rceil` (the coldest voxel of the
    hottest x %), and :math:`V_x = 100\\,\\#\\{d_i \\ge x\\}/n`. Selection by ``np.partition``: no sort.

    Examples
    --------
    >>> d = np.arange(1, 101, dtype=np.float32).reshape(1, 10, 10)
    >>> m = dvh_metrics(d, np.ones_like(d, bool), 1.0)
    >>> m.d_gy[70], m.d_gy[2], m.v_percent[30], m.mean_gy
    (31.0, 99.0, 71.0, 50.5)
    """
    if d_percents is None or v_doses_gy is None:
        default_d, default_v = reporting_points()
        d_percents = default_d if d_percents is None else d_percents
        v_doses_gy = default_v if v_doses_gy is None else v_doses_gy
    values = np.asarray(dose_gy)[mask]
    n = int(values.size)
    if n == 0:
        raise ValueError("empty structure")
    ranks = sorted({n - max(1, math.ceil(x * n / 100 - 1e-9)) for x in d_percents})
    part = np.partition(values, ranks)
    d_gy = {x: float(part[n - max(1, math.ceil(x * n / 100 - 1e-9))]) for x in d_percents}
    v_percent = {x: 100.0 * float(np.count_nonzero(values >= x)) / n for x in v_doses_gy}
    return DvhMetrics(
        voxels=n,
        volume_ml=n * voxel_volume_ml,
        mean_gy=float(values.mean(dtype=np.float64)),
        min_gy=float(part.min()),
        max_gy=float(part.max()),
        d_gy=d_gy,
        v_percent=v_percent,
    )


def cumulative_dvh(
    dose_gy: NDArray[np.floating], mask: NDArray[np.bool_], bin_width_gy: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cumulative DVH on a regular dose axis.

    Parameters
    ----------
    dose_gy : ndarray
        Dose map, Gy.
    mask : ndarray of bool
        Structure.
    bin_width_gy : float
        Dose step, Gy.

    Returns
    -------
    dose_axis_gy : ndarray
        0, w, 2w, … up to the first step above the maximum dose.
    volume_percent : ndarray
        Percentage of voxels with dose ≥ each axis value (100 at 0 Gy, non-increasing).

    Examples
    --------
    >>> d = np.array([[[0.5, 1.5, 2.5, 3.5]]], np.float32)
    >>> axis, vol = cumulative_dvh(d, np.ones_like(d, bool), 1.0)
    >>> axis.tolist(), vol.tolist()
    ([0.0, 1.0, 2.0, 3.0, 4.0], [100.0, 75.0, 50.0, 25.0, 0.0])
    """
    if not bin_width_gy > 0:
        raise ValueError("bin width must be positive")
    values = np.asarray(dose_gy)[mask]
    if values.size == 0:
        raise ValueError("empty structure")
    index = np.floor(np.maximum(values, 0) / bin_width_gy).astype(np.int64)
    counts = np.bincount(index, minlength=int(index.max()) + 2)
    at_least = np.cumsum(counts[::-1])[::-1]  # voxels with dose ≥ k·w
    axis = np.arange(counts.size, dtype=np.float64) * bin_width_gy
    return axis, 100.0 * at_least / values.size
