# SPDX-License-Identifier: Apache-2.0
"""Voxel dosimetry pipeline: activity image + masks → activity map → dose map → DVH metrics.

Composable parts (each usable alone): :mod:`~nenliver.dosimetry.voxel.activity` (calibration),
:mod:`~nenliver.dosimetry.voxel.ldm` and :mod:`~nenliver.dosimetry.voxel.kernels` with
:mod:`~nenliver.dosimetry.voxel.convolution` (methods), :mod:`~nenliver.dosimetry.voxel.dvh`
(metrics). :func:`voxel_dose` runs them in order on one image.

.. warning:: Soft-tissue kernel and local deposition both ignore tissue heterogeneity: lung and
   the liver–lung interface are wrong by tens of per cent (lung is therefore dosed by local
   deposition at lung density, its cross-fire from the liver ignored). MAA SPECT predicts, it
   does not measure, the microsphere distribution. Decision support for a multidisciplinary
   tumour board, for clinician review.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from nenliver.dosimetry.constants import number
from nenliver.dosimetry.conventions import dose_constant_for_nuclide
from nenliver.dosimetry.decay import decay_factor, half_life_h
from nenliver.dosimetry.enums import ConventionKind
from nenliver.dosimetry.voxel.activity import (
    ActivityMaps,
    absolute_activity,
    patient_relative_activity,
)
from nenliver.dosimetry.voxel.convolution import KernelConvolver, nonzero_bounds
from nenliver.dosimetry.voxel.dvh import DvhMetrics, cumulative_dvh, dvh_metrics
from nenliver.dosimetry.voxel.kernels import DoseVoxelKernel, dose_voxel_kernel
from nenliver.dosimetry.voxel.ldm import ldm_dose_gy
from nenliver.errors import ImagingInputError, Problem
from nenliver.imaging.volume import Volume

__all__ = [
    "ActivityMode",
    "DoseMap",
    "DoseMethod",
    "VoxelDoseOptions",
    "VoxelDoseResult",
    "activity_maps_for",
    "compare_results",
    "dose_from_activity",
    "kernel_convolver",
    "voxel_dose",
]

ProgressCallback = Callable[[str, float], None]
#: Dose step of the cumulative DVH curves, as a fraction of the maximum dose of the structure set.
_DVH_STEP_OF_MAX = 1e-3
#: Energy share beyond the image edge above which the kernel method says so (float32 round-off of
#: the energy balance is about 1e-6; this only keeps round-off out of the notes).
_EDGE_LOSS_REPORTED = 1e-4


class DoseMethod(StrEnum):
    """How activity becomes absorbed dose."""

    LDM = "ldm"
    """Local deposition (EANM dosimetry-committee SOP default)."""
    KERNEL = "kernel"
    """Dose-voxel-kernel convolution (90Y kernel from the Graves 2019 DPK)."""


class ActivityMode(StrEnum):
    """How image values become activity."""

    AUTO = "auto"
    """Absolute when the image is in Bq/mL (PET BQML), else patient-relative."""
    RELATIVE = "relative"
    """Counts scaled so that the perfused volume holds A·(1 − LSF) (MAA or bremsstrahlung SPECT)."""
    ABSOLUTE = "absolute"
    """Bq/mL decay-corrected to administration (90Y PET)."""


@dataclass(frozen=True)
class VoxelDoseResult:
    """Dose map, metrics per structure and provenance of one voxel-dosimetry run."""

    dose: Volume
    method: DoseMethod
    activity_mode: ActivityMode
    structures: dict[str, DvhMetrics]
    dvh: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]
    lung_mean_gy: float | None
    lung_basis: str
    parameters: dict[str, Any]
    kernel: DoseVoxelKernel | None = None
    activity_in_image_gbq: float = 0.0
    notes: tuple[str, ...] = field(default=())


_ConvolverKey = tuple[tuple[float, ...], float, int | None, str]
_CONVOLVERS: dict[_ConvolverKey, tuple[DoseVoxelKernel, KernelConvolver]] = {}
_CONVOLVERS_LOCK = threading.Lock()
#: Convolvers kept (one per voxel grid and density): a server sees few distinct grids.
_MAX_CONVOLVERS = 4


def kernel_convolver(
    spacing_mm: tuple[float, float, float],
    density_g_per_ml: float,
    workers: int | None = None,
    nuclide: str = "Y-90",
) -> tuple[DoseVoxelKernel, KernelConvolver]:
    """The kernel of ``nuclide`` (90Y by default) and its convolver for a grid (spectra kept: one per grid).

    Thread-safe: concurrent requests share a convolver, created once under a lock. ``workers``
    sets the FFT threads (default :func:`~nenliver.dosimetry.voxel.convolution.default_fft_workers`).
    """
    key: _ConvolverKey = (tuple(round(s, 6) for s in spacing_mm), round(density_g_per_ml, 6), workers, nuclide)
    with _CONVOLVERS_LOCK:
        found = _CONVOLVERS.get(key)
        if found is None:
            kernel = dose_voxel_kernel(spacing_mm, density_g_per_ml, nuclide)
            found = (kernel, KernelConvolver(kernel.fractions, workers=workers))
            if len(_CONVOLVERS) >= _MAX_CONVOLVERS:
                _CONVOLVERS.pop(next(iter(_CONVOLVERS)))
            _CONVOLVERS[key] = found
        return found


class DoseMap(NamedTuple):
    """A dose map and how it was made."""

    #: Absorbed dose, Gy (float32, the image grid).
    dose_gy: NDArray[np.float32]
    #: The dose-voxel kernel (kernel method), else ``None``.
    kernel: DoseVoxelKernel | None
    #: Share of the tissue activity's energy the kernel carried beyond the image edge (0 for LDM).
    energy_outside_image_fraction: float = 0.0


def dose_from_activity(
    activity: ActivityMaps,
    voxel_volume_ml: float,
    spacing_mm: tuple[float, float, float],
    method: DoseMethod,
    dose_constant_gy_kg_per_gbq: float,
    tissue_density_g_per_ml: float,
    lung: NDArray[np.bool_] | None = None,
    lung_density_g_per_ml: float | None = None,
    fft_workers: int | None = None,
) -> DoseMap:
    """Dose map (Gy, float32) from activity maps by LDM or kernel convolution.

    Parameters
    ----------
    activity : ActivityMaps
        Tissue and lung activity per voxel at administration, GBq.
    voxel_volume_ml : float
        Voxel volume, mL.
    spacing_mm : tuple of float
        Voxel edge lengths, mm (kernel method).
    method : DoseMethod
        LDM or kernel.
    dose_constant_gy_kg_per_gbq : float
        Dose-conversion constant C.
    tissue_density_g_per_ml : float
        Soft-tissue density, g/mL (mass of a voxel, and the density the kernel is scaled to).
    lung : ndarray of bool, optional
        Lung voxels: dose by local deposition of the lung activity at lung density.
    lung_density_g_per_ml : float, optional
        Defaults to the cited 0.30 g/mL.
    fft_workers : int, optional
        FFT threads of the kernel method.

    Returns
    -------
    DoseMap
        The dose, the kernel, and the share of the energy carried beyond the image edge.

    Notes
    -----
    Kernel method: :math:`D = D_\\mathrm{LDM} \\circledast K`, K the energy-fraction kernel (sums
    to 1), so the energy of every decay is conserved except what the kernel carries beyond the
    image edge (activity within the kernel range of the border): that share is returned.
    """
    dose = ldm_dose_gy(activity.tissue_gbq, dose_constant_gy_kg_per_gbq, voxel_volume_ml, tissue_density_g_per_ml)
    kernel = None
    lost = 0.0
    if method is DoseMethod.KERNEL:
        kernel, convolver = kernel_convolver(spacing_mm, tissue_density_g_per_ml, fft_workers)
        deposited = float(dose.sum(dtype=np.float64))
        dose = convolver(dose, nonzero_bounds(dose))
        # The kernel and the activity are non-negative; FFT round-off (~1e-7 of the maximum) is not.
        np.maximum(dose, 0.0, out=dose)
        if deposited > 0:
            lost = max(0.0, 1.0 - float(dose.sum(dtype=np.float64)) / deposited)
    if lung is not None:
        rho = number("lung_density") if lung_density_g_per_ml is None else lung_density_g_per_ml
        lung_gbq = activity.lung_gbq if activity.lung_gbq is not None else np.zeros_like(activity.tissue_gbq)
        lung_dose = ldm_dose_gy(lung_gbq, dose_constant_gy_kg_per_gbq, voxel_volume_ml, rho)
        dose[lung] = lung_dose[lung]
    return DoseMap(dose, kernel, lost)


def _resolve_mode(image: Volume, mode: ActivityMode) -> ActivityMode:
    if mode is ActivityMode.AUTO:
        return ActivityMode.ABSOLUTE if image.unit == "Bq/mL" else ActivityMode.RELATIVE
    return mode


def _decay_factor(
    image: Volume, administration_time: datetime | None, hours_after_administration: float | None, notes: list[str]
) -> tuple[float, float]:
    """Factor to administration and the hours it spans (absolute mode)."""
    meta = image.metadata
    if hours_after_administration is not None:
        hours = hours_after_administration
    else:
        admin = administration_time or meta.get("administration_time")
        correction = str(meta.get("decay_correction", "")).upper()
        if correction == "ADMIN":
            notes.append("image decay-corrected to administration (DICOM DecayCorrection ADMIN)")
            return 1.0, 0.0
        reference = meta.get("series_time") if correction == "START" else None
        reference = reference or meta.get("acquisition_time") or meta.get("series_time")
        if admin is None or reference is None:
            raise ImagingInputError(
                image.source,
                [
                    Problem(
                        "RadiopharmaceuticalStartDateTime",
                        "administration or image time unknown",
                        "DICOM times, --administration-time or --hours-after-administration",
                    )
                ],
            )
        if correction == "NONE":
            notes.append("image not decay-corrected (DICOM NONE): acquisition start used as reference time")
        hours = (reference - admin).total_seconds() / 3600.0
    if hours < 0:
        raise ImagingInputError(
            image.source,
            [Problem("times", f"image {hours:.2f} h before administration", "an image acquired after administration")],
        )
    half_s = meta.get("radionuclide_half_life_s")
    if half_s and abs(half_s / 3600.0 - half_life_h("Y-90")) > 0.01 * half_life_h("Y-90"):
        notes.append(
            f"DICOM half-life {half_s / 3600:.4g} h differs from 90Y (ICRP-107, {half_life_h('Y-90'):g} h); 90Y used"
        )
    if hours:
        notes.append(f"decay-corrected to administration over {hours:.2f} h (90Y, ICRP-107)")
    return 1.0 / decay_factor(hours, "Y-90"), hours


def activity_maps_for(
    image: Volume,
    perfused: NDArray[np.bool_],
    injected_gbq: float,
    lung_shunt_fraction: float,
    mode: ActivityMode,
    lung: NDArray[np.bool_] | None = None,
    administration_time: datetime | None = None,
    hours_after_administration: float | None = None,
) -> tuple[ActivityMaps, ActivityMode, list[str]]:
    """Calibrate an image into activity maps (patient-relative or absolute)."""
    resolved = _resolve_mode(image, mode)
    notes: list[str] = []
    if resolved is ActivityMode.RELATIVE:
        maps = patient_relative_activity(
            np.asarray(image.array, dtype=np.float32), perfused, injected_gbq, lung_shunt_fraction, lung, image.source
        )
    else:
        if not injected_gbq > 0:
            raise ImagingInputError(
                image.source, [Problem("injected_gbq", f"{injected_gbq}", "a positive activity in GBq")]
            )
        if image.unit not in (None, "Bq/mL"):
            raise ImagingInputError(image.source, [Problem("Units", f"{image.unit}", "Bq/mL for absolute activity")])
        factor, _ = _decay_factor(image, administration_time, hours_after_administration, notes)
        maps = absolute_activity(
            np.asarray(image.array, dtype=np.float32), image.voxel_volume_ml, factor, lung, image.source
        )
        found = maps.total_gbq
        notes.append(
            f"{found:.3f} GBq at administration in the image ({100 * found / injected_gbq:.0f} % of the injected)"
        )
    return maps, resolved, [*maps.notes, *notes]


@dataclass(frozen=True)
class VoxelDoseOptions:
    """What a voxel-dose calculation is asked besides the image and the masks.

    Attributes
    ----------
    injected_gbq : float
        Injected (planned, for MAA) 90Y activity, GBq.
    lung_shunt_fraction : float
        LSF as a fraction (patient-relative mode).
    method : DoseMethod
        ``ldm`` (default, EANM SOP) or ``kernel``.
    mode : ActivityMode
        Calibration; ``auto`` picks absolute for Bq/mL images.
    convention : ConventionKind, optional
        Dose-constant convention (default EANM 2022, 49.67 J/GBq).
    tissue_density_g_per_ml, lung_density_g_per_ml : float, optional
        Defaults 1.03 (liver) and 0.30 g/mL (lung), cited in the data files.
    administration_time, hours_after_administration : optional
        Override the DICOM times in absolute mode.
    fft_workers : int, optional
        FFT threads of the kernel method (default ``NENLIVER_FFT_WORKERS`` or the CPUs).
    """

    injected_gbq: float
    lung_shunt_fraction: float = 0.0
    method: DoseMethod = DoseMethod.LDM
    mode: ActivityMode = ActivityMode.AUTO
    convention: ConventionKind | None = None
    tissue_density_g_per_ml: float | None = None
    lung_density_g_per_ml: float | None = None
    administration_time: datetime | None = None
    hours_after_administration: float | None = None
    fft_workers: int | None = None


def _structures(masks: Mapping[str, NDArray[np.bool_]], notes: list[str]) -> dict[str, NDArray[np.bool_]]:
    """The structures reported: every mask but the lung first, then normal liver, then lung."""
    liver = masks["liver"]
    lung = masks.get("lung")
    tumours = [m for name, m in masks.items() if name.startswith("tumour")]
    structures: dict[str, NDArray[np.bool_]] = {name: m for name, m in masks.items() if name != "lung"}
    if tumours:
        any_tumour = np.logical_or.reduce(tumours)
        normal = liver & ~any_tumour
        if normal.any():
            structures["normal_liver"] = normal
        if (any_tumour & ~liver).any():
            notes.append(f"{int((any_tumour & ~liver).sum())} tumour voxels lie outside the liver mask")
    if lung is not None:
        structures["lung"] = lung
        if (lung & liver).any():
            notes.append(f"{int((lung & liver).sum())} voxels are in both lung and liver masks (dosed as lung)")
    return structures


def _lung_mean(
    metrics: Mapping[str, DvhMetrics],
    resolved: ActivityMode,
    c_gy_kg: float,
    options: VoxelDoseOptions,
    rho_lung: float,
) -> tuple[float | None, str]:
    """Mean lung dose and how it was obtained (mask, 1 kg convention, or not computed)."""
    if "lung" in metrics:
        return metrics["lung"].mean_gy, f"lung mask, local deposition at {rho_lung:g} g/mL"
    if resolved is ActivityMode.RELATIVE:
        mean = c_gy_kg * options.injected_gbq * options.lung_shunt_fraction / number("lung_mass")
        return mean, f"no lung mask: C·A·LSF / {number('lung_mass'):g} kg (convention)"
    return None, "no lung mask: not computed"


def voxel_dose(
    image: Volume,
    masks: Mapping[str, NDArray[np.bool_]],
    options: VoxelDoseOptions,
    progress: ProgressCallback | None = None,
) -> VoxelDoseResult:
    r"""Voxel dosimetry of one activity image.

    Parameters
    ----------
    image : Volume
        MAA SPECT (counts) or 90Y PET (Bq/mL).
    masks : mapping of str to bool array
        On the image grid: ``liver`` (required), ``tumour``, ``tumour_2`` …, ``perfused``, ``lung``.
    options : VoxelDoseOptions
        Activity, shunt, method, calibration mode, convention, densities, times.
    progress : callable, optional
        ``progress(stage, fraction_done)``.

    Returns
    -------
    VoxelDoseResult

    Notes
    -----
    Steps: check the grid (the kernel needs orthogonal axes) → activity maps (calibration, decay) →
    dose map (LDM, or kernel convolution with the energy share lost at the image edge reported) →
    structures (every mask plus ``normal_liver`` = liver minus all tumours) → DVH metrics and curves →
    lung mean dose (over the lung mask, or by the 1 kg convention :math:`C A\,\mathrm{LSF}/1\,kg`).
    """
    report = progress or (lambda stage, done: None)
    if "liver" not in masks:
        raise ImagingInputError("masks", [Problem("liver", "missing", "a liver mask")])
    if options.method is DoseMethod.KERNEL:
        image.orthogonal_spacing_mm("the dose-voxel kernel")
    rho = number("liver_density") if options.tissue_density_g_per_ml is None else options.tissue_density_g_per_ml
    rho_lung = number("lung_density") if options.lung_density_g_per_ml is None else options.lung_density_g_per_ml
    c_gy_kg = dose_constant_for_nuclide("Y-90", options.convention)
    perfused = masks.get("perfused", masks["liver"])
    lung = masks.get("lung")
    notes: list[str] = list(image.read_notes)
    if not image.is_orthogonal:
        notes.append("sheared grid (gantry tilt): local deposition is unaffected; the kernel method refuses it")
    report("activity", 0.1)
    maps, resolved, activity_notes = activity_maps_for(
        image,
        perfused,
        options.injected_gbq,
        options.lung_shunt_fraction,
        options.mode,
        lung,
        options.administration_time,
        options.hours_after_administration,
    )
    notes += activity_notes
    report("dose", 0.3)
    dose, kernel, lost = dose_from_activity(
        maps, image.voxel_volume_ml, image.spacing_mm, options.method, c_gy_kg, rho, lung, rho_lung, options.fft_workers
    )
    if lost > _EDGE_LOSS_REPORTED:
        notes.append(
            f"activity lies within the kernel range of the image edge: {100 * lost:.2f} % of its energy is "
            "deposited beyond the image and missing from the dose map (doses at the edge are too low)"
        )
    report("dvh", 0.8)
    structures = _structures(masks, notes)
    metrics = {name: dvh_metrics(dose, m, image.voxel_volume_ml) for name, m in structures.items()}
    top = max((m.max_gy for m in metrics.values()), default=0.0)
    step = max(top * _DVH_STEP_OF_MAX, 1e-6)
    curves = {name: cumulative_dvh(dose, m, step) for name, m in structures.items()}
    lung_mean, lung_basis = _lung_mean(metrics, resolved, c_gy_kg, options, rho_lung)
    report("done", 1.0)
    parameters = {
        "injected_gbq": options.injected_gbq,
        "lsf_percent": 100.0 * options.lung_shunt_fraction,
        "convention": (options.convention or ConventionKind.EANM_2022).value,
        "dose_constant_gy_kg_per_gbq": c_gy_kg,
        "tissue_density_g_per_ml": rho,
        "lung_density_g_per_ml": rho_lung,
        "voxel_volume_ml": image.voxel_volume_ml,
        "spacing_mm": list(image.spacing_mm),
        "shape": list(image.shape),
    }
    return VoxelDoseResult(
        dose=image.with_array(dose, unit="Gy"),
        method=options.method,
        activity_mode=resolved,
        structures=metrics,
        dvh=curves,
        lung_mean_gy=lung_mean,
        lung_basis=lung_basis,
        parameters=parameters,
        kernel=kernel,
        activity_in_image_gbq=maps.total_gbq,
        notes=tuple(notes),
    )


def compare_results(predicted: VoxelDoseResult, post: VoxelDoseResult) -> dict[str, Any]:
    """Predicted (MAA) vs post-treatment (90Y PET/SPECT) metrics per structure.

    Returns
    -------
    dict
        ``{"structures": {name: {metric: {"predicted", "post", "difference", "difference_percent"}}},
        "lung_mean_gy": {...}}`` for the structures and metrics both results have.
    """
    out: dict[str, Any] = {"structures": {}}
    for name, pred in predicted.structures.items():
        if name not in post.structures:
            continue
        a, b = pred.as_dict(), post.structures[name].as_dict()
        rows = {}
        for key, value in a.items():
            if key.endswith(("_gy", "_percent")) and key in b:
                diff = float(b[key]) - float(value)
                rows[key] = {
                    "predicted": value,
                    "post": b[key],
                    "difference": diff,
                    "difference_percent": 100.0 * diff / float(value) if value else None,
                }
        out["structures"][name] = rows
    if predicted.lung_mean_gy is not None and post.lung_mean_gy is not None:
        out["lung_mean_gy"] = {
            "predicted": predicted.lung_mean_gy,
            "post": post.lung_mean_gy,
            "difference": post.lung_mean_gy - predicted.lung_mean_gy,
        }
    return out
