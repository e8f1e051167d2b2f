# SPDX-License-Identifier: Apache-2.0
"""Serial quantitative SPECT/CT → time-activity curves, voxel TIA, voxel dose and DVHs (177Lu).

Steps:

1. **Times**: per image ``time_h``, or ``time`` minus ``administered_at``, or the DICOM acquisition
   time minus the administration time (plan, else the DICOM radiopharmaceutical start). Scans must
   come in increasing time order.
2. **Activity per voxel** at scan time, MBq: Bq/mL images × voxel volume; count images ×
   ``calibration_mbq_per_count``. DICOM images decay-corrected to administration (``ADMIN``) are
   decayed back to the scan time. Negative voxels are set to 0 (and said so).
3. **Curves**: activity inside each organ's mask (the plan's ``masks``, or ``images[].masks`` per
   time point: registration between time points is out of scope), divided by the organ's recovery
   coefficient; mass from ``mass_g`` or the mask volume × density.
4. **Voxel dosimetry** (all images on one grid): time-integrated activity voxel by voxel — trapezoids
   from A(0) = 0, then a tail from the last two scans (at least physical decay; ``tail: physical``
   uses physical decay), or the single-time-point formula per voxel — then absorbed dose by local
   deposition or convolution with the 177Lu dose-voxel kernel, and cumulative DVHs per structure.

.. warning:: Homogeneous soft tissue, no cross-dose between organs in the organ-level figures,
   and a per-voxel tail from two noisy scans: the organ-level fit (step 3) is the reference figure;
   the voxel map shows the distribution. For clinician review.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver.dosimetry._units import hours_between
from nenliver.dosimetry.constants import number
from nenliver.dosimetry.decay import half_life_h
from nenliver.dosimetry.prrt.dose import hanscheid_tia_mbq_h, ldm_gy_kg_per_mbq_h, madsen_tia_mbq_h
from nenliver.dosimetry.prrt.evaluate import Tac
from nenliver.dosimetry.prrt.fit import TailKind
from nenliver.dosimetry.prrt.model import PrrtPlan, SinglePointMethod
from nenliver.dosimetry.voxel.convolution import nonzero_bounds
from nenliver.dosimetry.voxel.dvh import DvhMetrics, cumulative_dvh, dvh_metrics
from nenliver.dosimetry.voxel.kernels import DoseVoxelKernel
from nenliver.dosimetry.voxel.pipeline import kernel_convolver
from nenliver.errors import DosimetryInputError, ImagingInputError, Problem
from nenliver.imaging.io import read_image, read_mask
from nenliver.imaging.volume import Volume

__all__ = ["TimedImage", "VoxelPrrt", "dose_from_series", "extract_and_dose", "voxel_tia_mbq_h"]

#: DVH dose step as a share of the largest dose in the structures (plot resolution only).
_DVH_STEP_OF_MAX = 1e-3


@dataclass(frozen=True)
class TimedImage:
    """One SPECT/CT with its time after administration and its activity per voxel (MBq)."""

    volume: Volume
    time_h: float
    activity_mbq: NDArray[np.float32]
    masks: dict[str, NDArray[np.bool_]] = field(default_factory=dict)


@dataclass(frozen=True)
class VoxelPrrt:
    """What the images gave: the curves, and (one grid) the voxel maps and DVHs."""

    tacs: list[Tac]
    reference: Volume
    times_h: tuple[float, ...]
    tia_mbq_h: NDArray[np.float32] | None
    dose_gy: NDArray[np.float32] | None
    metrics: dict[str, DvhMetrics]
    dvh: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]
    kernel: DoseVoxelKernel | None
    method: str
    notes: list[str]
    timings_s: dict[str, float]

    def summary(self) -> dict[str, Any] | None:
        """The ``voxel`` section of the result (``None`` when no voxel dosimetry ran)."""
        if self.dose_gy is None:
            return None
        kernel = "local deposition"
        if self.kernel is not None:
            kernel = f"177Lu dose-voxel kernel ({'draft: ' if self.kernel.draft else ''}{self.kernel.source})"
        return {
            "method": self.method,
            "kernel": kernel,
            "spacing_mm": list(self.reference.spacing_mm),
            "times_h": list(self.times_h),
            "tia_in_image_mbq_h": float(self.tia_mbq_h.sum(dtype=np.float64)) if self.tia_mbq_h is not None else None,
            "structures": {name: m.as_dict() for name, m in self.metrics.items()},
            "integration": "per voxel: trapezoids from A(0) = 0, tail from the last two scans (≥ physical decay)",
        }


def voxel_tia_mbq_h(
    activity_mbq: Sequence[NDArray[np.floating]],
    times_h: Sequence[float],
    half_life: float,
    tail: TailKind = TailKind.LAST_TWO_POINTS,
) -> NDArray[np.float32]:
    """Time-integrated activity per voxel by trapezoids and a tail (vectorised over voxels).

    Parameters
    ----------
    activity_mbq : sequence of ndarray
        Activity per voxel at each scan, MBq (same grid).
    times_h : sequence of float
        Scan times, h after administration (strictly increasing).
    half_life : float
        Physical half-life, h.
    tail : TailKind
        ``physical``: A_n/λ_phys; otherwise A_n/λ with λ from the last two scans, at least λ_phys
        (a voxel whose activity rises, or is zero at either scan, decays physically).

    Returns
    -------
    ndarray of float32
        TIA per voxel, MBq·h; sums to the trapezoid TIA of the summed curve when every voxel's tail
        is physical (activity conservation).

    Examples
    --------
    >>> a = [np.full((1, 1, 1), 50.0), np.full((1, 1, 1), 25.0)]
    >>> round(float(voxel_tia_mbq_h(a, [69.3147, 138.6294], 1e9, TailKind.LAST_TWO_POINTS)[0, 0, 0]), 1)
    6832.2
    """
    lam_phys = math.log(2.0) / half_life
    t = [float(x) for x in times_h]
    frames = [np.asarray(a, dtype=np.float32) for a in activity_mbq]
    total = frames[0] * np.float32(0.5 * t[0])
    for i in range(1, len(t)):
        total += (frames[i - 1] + frames[i]) * np.float32(0.5 * (t[i] - t[i - 1]))
    last = frames[-1]
    if tail is TailKind.PHYSICAL or len(t) < 2:
        total += last / np.float32(lam_phys)
        return total
    prev = frames[-2]
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.log(prev / last) / np.float32(t[-1] - t[-2])
    lam = np.where(np.isfinite(lam) & (lam > lam_phys), lam, np.float32(lam_phys)).astype(np.float32)
    total += last / lam
    return total


def _time_of(plan: PrrtPlan, index: int, volume: Volume) -> float:
    image = (plan.images or [])[index]
    if image.time_h is not None:
        return image.time_h
    if image.time is not None and plan.administered_at is not None:
        return hours_between(plan.administered_at, image.time)
    if plan.single_time_point is not None and image.time is None:
        return plan.single_time_point.time_h
    scanned = volume.metadata.get("acquisition_time") or volume.metadata.get("series_time")
    given = plan.administered_at or volume.metadata.get("administration_time")
    if scanned is not None and given is not None:
        try:
            return hours_between(given, scanned)
        except (TypeError, ValueError):
            pass
    raise DosimetryInputError(
        "plan",
        [
            Problem(
                f"images[{index}].time_h",
                "no scan time: not given and not in the image header with an administration time",
                "time_h (h after administration), or time with administered_at",
            )
        ],
    )


def _activity_mbq(plan: PrrtPlan, index: int, volume: Volume, time_h: float, notes: list[str]) -> NDArray[np.float32]:
    data = np.asarray(volume.array, dtype=np.float32)
    if not np.isfinite(data).all():
        raise ImagingInputError(volume.source, [Problem(f"images[{index}]", "NaN or infinite voxels", "finite values")])
    unit = (volume.unit or "").lower()
    if unit in ("bq/ml", "bqml"):
        activity = data * np.float32(volume.voxel_volume_ml * 1e-6)
        if plan.calibration_mbq_per_count is not None:
            notes.append(f"images[{index}] is in Bq/mL: calibration_mbq_per_count not applied to it")
    else:
        if plan.calibration_mbq_per_count is None:
            raise DosimetryInputError(
                "plan",
                [
                    Problem(
                        "calibration_mbq_per_count",
                        f"missing for images[{index}] ({volume.unit or 'no unit'}: counts)",
                        "MBq per count, or images in Bq/mL",
                    )
                ],
            )
        activity = data * np.float32(plan.calibration_mbq_per_count)
    if str(volume.metadata.get("decay_correction", "")).upper() == "ADMIN":
        activity *= np.float32(2.0 ** (-time_h / half_life_h(plan.radionuclide)))
        notes.append(f"images[{index}] was decay-corrected to administration: decayed back to its scan time")
    negative = int((activity < 0).sum())
    if negative:
        np.maximum(activity, 0.0, out=activity)
        notes.append(f"images[{index}]: {negative} negative voxels set to 0")
    return activity


def _resolve(base_dir: Path, text: str) -> str:
    return text if Path(text.split("#", 1)[0]).is_absolute() else str(base_dir / text)


def _read_series(plan: PrrtPlan, base_dir: Path, notes: list[str]) -> list[TimedImage]:
    out: list[TimedImage] = []
    for i, image in enumerate(plan.images or []):
        volume = read_image(_resolve(base_dir, image.spect))
        t = _time_of(plan, i, volume)
        stp = plan.single_time_point
        if stp is not None and not math.isclose(t, stp.time_h, rel_tol=1e-6):
            found = f"{stp.time_h:g} h, but the image was taken at {t:g} h"
            raise DosimetryInputError(
                "plan", [Problem("single_time_point.time_h", found, "the scan time of the image")]
            )
        if out and not t > out[-1].time_h:
            raise DosimetryInputError(
                "plan", [Problem(f"images[{i}]", f"{t:g} h is not after {out[-1].time_h:g} h", "scans in time order")]
            )
        activity = _activity_mbq(plan, i, volume, t, notes)
        masks: dict[str, NDArray[np.bool_]] = {}
        for name in plan.organs:
            text = (image.masks or {}).get(name) or (plan.masks or {}).get(name)
            assert text is not None  # the model requires a mask per organ
            mask, mask_notes = read_mask(_resolve(base_dir, text), volume, name)
            masks[name] = mask
            notes.extend(n for n in mask_notes if n not in notes)
        out.append(TimedImage(volume, t, activity, masks))
    return out


def dose_from_series(plan: PrrtPlan, series: Sequence[TimedImage], notes: list[str] | None = None) -> VoxelPrrt:
    """Curves, voxel TIA, dose and DVHs from images already in memory (see the module docstring).

    Parameters
    ----------
    plan : PrrtPlan
        The image plan (organs, recovery coefficients, tail, dose method, density).
    series : sequence of TimedImage
        Scans in time order with their masks on their own grid.
    notes : list of str, optional
        Notes so far (reading).

    Returns
    -------
    VoxelPrrt
    """
    notes = list(notes or [])
    timings: dict[str, float] = {}
    start = time.perf_counter()
    density = plan.density_g_per_ml or number("soft_tissue_density_icru")
    times = tuple(s.time_h for s in series)
    reference = series[0].volume
    tacs: list[Tac] = []
    for name, organ in plan.organs.items():
        rc = organ.recovery_coefficient or 1.0
        values = tuple(float(s.activity_mbq[s.masks[name]].sum(dtype=np.float64)) / rc for s in series)
        first = series[0].masks[name]
        if organ.mass_g is not None:
            mass, basis = organ.mass_g, "plan (mass_g)"
        else:
            volume_ml = float(first.sum()) * reference.voxel_volume_ml
            mass, basis = volume_ml * density, f"mask volume {volume_ml:.1f} mL × {density:g} g/mL"
        tac_notes = (f"activities divided by the recovery coefficient {rc:g}",) if organ.recovery_coefficient else ()
        tacs.append(Tac(name, organ.role, times, values, mass, basis, tac_notes))
    timings["extraction"] = time.perf_counter() - start
    one_grid = all(s.volume.same_grid(reference) for s in series)
    if not one_grid:
        notes.append("the scans are not on one grid: no voxel dosimetry (organ-level curves only)")
        return VoxelPrrt(tacs, reference, times, None, None, {}, {}, None, "none", notes, timings)
    start = time.perf_counter()
    half_life = half_life_h(plan.radionuclide)
    stp = plan.single_time_point
    if stp is not None:
        # TIA per MBq at the scan time, from the organ-level formulas, applied to every voxel
        if stp.method is SinglePointMethod.HANSCHEID:
            per_mbq = hanscheid_tia_mbq_h(1.0, stp.time_h)
        else:
            assert stp.stated_half_life_h is not None
            per_mbq = madsen_tia_mbq_h(1.0, stp.time_h, stp.stated_half_life_h)
        tia = series[0].activity_mbq * np.float32(per_mbq)
    else:
        tail = TailKind.PHYSICAL if plan.tail is TailKind.PHYSICAL else TailKind.LAST_TWO_POINTS
        if plan.tail is TailKind.FITTED:
            notes.append("voxel tails from the last two scans (a per-voxel fit of noisy voxels is not attempted)")
        tia = voxel_tia_mbq_h([s.activity_mbq for s in series], times, half_life, tail)
    timings["voxel_tia"] = time.perf_counter() - start
    start = time.perf_counter()
    voxel_kg = reference.voxel_volume_ml * density / 1000.0
    dose = tia * np.float32(ldm_gy_kg_per_mbq_h(plan.radionuclide) / voxel_kg)
    kernel = None
    if plan.dose_method == "kernel":
        spacing = reference.orthogonal_spacing_mm("177Lu kernel dosimetry")
        kernel, convolver = kernel_convolver(spacing, density, nuclide=plan.radionuclide)
        dose = convolver(dose, nonzero_bounds(dose))
        np.maximum(dose, 0.0, out=dose)
    timings["dose"] = time.perf_counter() - start
    start = time.perf_counter()
    masks = {name: series[0].masks[name] for name in plan.organs}
    metrics = {name: dvh_metrics(dose, m, reference.voxel_volume_ml) for name, m in masks.items()}
    top = max((m.max_gy for m in metrics.values()), default=0.0)
    step = top * _DVH_STEP_OF_MAX if top > 0 else 1.0
    dvh = {name: cumulative_dvh(dose, m, step) for name, m in masks.items()}
    timings["dvh"] = time.perf_counter() - start
    method = "kernel" if kernel is not None else "ldm"
    return VoxelPrrt(tacs, reference, times, tia, dose, metrics, dvh, kernel, method, notes, timings)


def extract_and_dose(plan: PrrtPlan, base_dir: Path, *, source: str = "plan") -> VoxelPrrt:
    """Read the plan's images and masks (paths relative to ``base_dir``) and run :func:`dose_from_series`."""
    notes: list[str] = []
    start = time.perf_counter()
    try:
        series = _read_series(plan, base_dir, notes)
    except DosimetryInputError as exc:
        raise DosimetryInputError(source, exc.problems) from None
    read_s = time.perf_counter() - start
    result = dose_from_series(plan, series, notes)
    result.timings_s["read"] = read_s
    return result
