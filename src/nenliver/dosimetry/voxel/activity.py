# SPDX-License-Identifier: Apache-2.0
"""Activity maps (GBq per voxel at administration) from MAA SPECT or 90Y PET.

* **Patient-relative** (99mTc-MAA SPECT, bremsstrahlung SPECT): the image is in counts; the counts
  inside the perfused volume carry the injected activity times (1 − LSF); voxels outside it carry
  none. The lung share A·LSF is spread over the lung mask (by its counts, or evenly when the lung
  holds no counts, as with a planar LSF).
* **Absolute** (90Y PET, Bq/mL): activity concentration times voxel volume, decay-corrected from
  the image reference time back to administration.

.. warning:: MAA distribution is a surrogate of the microsphere distribution. Decision support for
   a multidisciplinary tumour board, for clinician review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from nenliver.dosimetry.constants import number
from nenliver.dosimetry.decay import decay_factor
from nenliver.errors import ImagingInputError, Problem

__all__ = [
    "ActivityMaps",
    "absolute_activity",
    "clip_negative",
    "decay_correction_to_administration",
    "patient_relative_activity",
]

#: Negative voxels are set to zero when their sum is at most this fraction of the positive sum.
_NEGATIVE_TOLERANCE = 0.01


@dataclass(frozen=True)
class ActivityMaps:
    """Activity per voxel at administration (GBq): tissue (liver and the rest) and lung."""

    tissue_gbq: NDArray[np.float32]
    lung_gbq: NDArray[np.float32] | None
    notes: tuple[str, ...] = ()

    @property
    def total_gbq(self) -> float:
        """Activity in both maps, GBq."""
        lung = 0.0 if self.lung_gbq is None else float(self.lung_gbq.sum(dtype=np.float64))
        return float(self.tissue_gbq.sum(dtype=np.float64)) + lung


def clip_negative(image: NDArray[np.floating], source: str) -> tuple[NDArray[np.float32], list[str]]:
    """Image as float32 with small negative values (reconstruction noise) set to zero.

    Refuses an image whose negative voxels sum to more than 1 % of the positive ones, or that
    has no positive voxel at all.
    """
    data = np.asarray(image, dtype=np.float32)
    notes: list[str] = []
    if not np.isfinite(data).all():
        raise ImagingInputError(source, [Problem("voxels", "NaN or infinite values", "finite activity values")])
    negative = data < 0
    if negative.any():
        neg = -float(data[negative].sum(dtype=np.float64))
        pos = float(data[~negative].sum(dtype=np.float64))
        if pos <= 0 or neg > _NEGATIVE_TOLERANCE * pos:
            raise ImagingInputError(
                source,
                [Problem("voxels", f"negative activity ({neg:.4g} against {pos:.4g} positive)", "non-negative values")],
            )
        data = np.where(negative, np.float32(0), data)
        notes.append(f"{int(negative.sum())} negative voxels ({100 * neg / pos:.2g} % of the sum) set to 0")
    return data, notes


def patient_relative_activity(
    counts: NDArray[np.floating],
    perfused: NDArray[np.bool_],
    injected_gbq: float,
    lung_shunt_fraction: float,
    lung: NDArray[np.bool_] | None = None,
    source: str = "activity image",
) -> ActivityMaps:
    """Patient-relative calibration of a count image (MAA SPECT).

    Parameters
    ----------
    counts : ndarray
        Reconstructed counts (any unit proportional to activity), ≥ 0.
    perfused : ndarray of bool
        Perfused volume (the whole liver when no perfused territory is given).
    injected_gbq : float
        Injected (or planned) 90Y activity, GBq, > 0.
    lung_shunt_fraction : float
        Lung shunt fraction, 0 ≤ LSF < 1.
    lung : ndarray of bool, optional
        Lung mask; receives A·LSF.
    source : str
        Name of the image for error messages.

    Returns
    -------
    ActivityMaps

    Notes
    -----
    .. math:: A_i = A\\,(1-\\mathrm{LSF})\\,\\frac{c_i\\,[i \\in P]}{\\sum_{j\\in P} c_j}

    References
    ----------
    Chiesa C et al. EJNMMI Phys 2021;8:77 (patient-relative calibration). doi:10.1186/s40658-021-00394-3

    Examples
    --------
    >>> c = np.ones((2, 2, 2), np.float32); p = np.ones((2, 2, 2), bool)
    >>> round(patient_relative_activity(c, p, 2.0, 0.1).total_gbq, 6)
    1.8
    """
    if not injected_gbq > 0:
        raise ImagingInputError(source, [Problem("injected_gbq", f"{injected_gbq}", "a positive activity in GBq")])
    if not 0 <= lung_shunt_fraction < 1:
        raise ImagingInputError(
            source, [Problem("lsf_percent", f"{100 * lung_shunt_fraction:g} %", "0 <= LSF < 100 %")]
        )
    data, notes = clip_negative(counts, source)
    inside = float(data[perfused].sum(dtype=np.float64))
    if inside <= 0:
        raise ImagingInputError(source, [Problem("counts", "no counts inside the perfused volume", "uptake in it")])
    total = float(data.sum(dtype=np.float64))
    floor = number("min_counts_in_perfused_fraction")
    if inside < floor * total:
        raise ImagingInputError(
            source,
            [
                Problem(
                    "counts",
                    f"only {100 * inside / total:.1f} % of the image counts lie inside the perfused volume: the "
                    "mask does not match the image (another grid, patient or frame?)",
                    f"at least {100 * floor:g} % of the counts inside the perfused (or liver) mask",
                )
            ],
        )
    in_lung = float(data[lung & ~perfused].sum(dtype=np.float64)) if lung is not None else 0.0
    outside_percent = 100.0 * (total - inside - in_lung) / total
    if in_lung > 0:
        notes.append(
            f"{100.0 * in_lung / total:.1f} % of the image counts lie in the lung mask: their distribution "
            "carries A·LSF to the lung"
        )
    if outside_percent > 0:
        where = "the perfused volume and the lung" if lung is not None else "the perfused volume"
        notes.append(f"{outside_percent:.1f} % of the image counts lie outside {where} (not dosed)")
    scale = np.float32(injected_gbq * (1.0 - lung_shunt_fraction) / inside)
    tissue = np.where(perfused, data * scale, np.float32(0)).astype(np.float32, copy=False)
    lung_map = None
    if lung is not None:
        lung_counts = np.where(lung & ~perfused, data, np.float32(0))
        lung_sum = float(lung_counts.sum(dtype=np.float64))
        lung_gbq = injected_gbq * lung_shunt_fraction
        if lung_sum > 0:
            lung_map = (lung_counts * np.float32(lung_gbq / lung_sum)).astype(np.float32)
        else:
            n = int((lung & ~perfused).sum())
            lung_map = np.where(lung & ~perfused, np.float32(lung_gbq / max(n, 1)), np.float32(0)).astype(np.float32)
            if lung_gbq > 0:
                notes.append("no counts in the lung mask: A·LSF spread evenly over it")
    return ActivityMaps(tissue, lung_map, tuple(notes))


def decay_correction_to_administration(
    reference_time: datetime, administration_time: datetime, nuclide: str = "Y-90"
) -> float:
    """Factor that converts activity at the image reference time to activity at administration.

    Parameters
    ----------
    reference_time : datetime
        Time the image values refer to (DICOM DecayCorrection START: series start; ADMIN: the
        administration itself).
    administration_time : datetime
        Time of administration (DICOM RadiopharmaceuticalStartDateTime).
    nuclide : str
        Nuclide, ICRP-107 half-life (``radioactivedecay`` data set).

    Returns
    -------
    float
        :math:`2^{\\Delta t / T_{1/2}}` with Δt the hours from administration to the reference time.

    Examples
    --------
    >>> from datetime import datetime
    >>> round(decay_correction_to_administration(datetime(2024, 1, 3, 9), datetime(2024, 1, 1, 9)), 4)
    1.6804
    """
    elapsed_h = (reference_time - administration_time).total_seconds() / 3600.0
    return 1.0 / decay_factor(elapsed_h, nuclide)


def absolute_activity(
    concentration_bq_per_ml: NDArray[np.floating],
    voxel_volume_ml: float,
    correction_to_administration: float,
    lung: NDArray[np.bool_] | None = None,
    source: str = "activity image",
) -> ActivityMaps:
    """Activity per voxel at administration from an absolute image (90Y PET, Bq/mL).

    Parameters
    ----------
    concentration_bq_per_ml : ndarray
        Activity concentration at the image reference time, Bq/mL.
    voxel_volume_ml : float
        Voxel volume, mL.
    correction_to_administration : float
        Factor from :func:`decay_correction_to_administration` (1 if already at administration).
    lung : ndarray of bool, optional
        Lung mask: its activity is kept apart (dosed by local deposition at lung density).
    source : str
        Name of the image for error messages.

    Returns
    -------
    ActivityMaps

    Examples
    --------
    >>> c = np.full((2, 2, 2), 1e6, np.float32)  # 1 MBq/mL
    >>> round(absolute_activity(c, 1.0, 1.0).total_gbq, 6)
    0.008
    """
    data, notes = clip_negative(concentration_bq_per_ml, source)
    scale = np.float32(voxel_volume_ml * 1e-9 * correction_to_administration)
    activity = data * scale
    lung_map = None
    if lung is not None:
        lung_map = np.where(lung, activity, np.float32(0)).astype(np.float32)
        activity[lung] = 0
    return ActivityMaps(activity.astype(np.float32, copy=False), lung_map, tuple(notes))
