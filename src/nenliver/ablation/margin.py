# SPDX-License-Identifier: Apache-2.0
"""Minimal ablative margin (MAM), coverage and margin histogram from tumour and ablation masks.

The margin at a tumour voxel is the signed voxel-centre distance of the ablation zone there
(:func:`nenliver.ablation.distance.signed_distance_mm`): the distance to the nearest voxel
*outside* the zone when the tumour voxel is inside it, minus the distance to the nearest zone voxel
when it is not. The MAM is the minimum over tumour voxels; the histogram counts tumour *surface*
voxels (tumour voxels with a face neighbour outside the tumour) in the bins < 0, 0–5, 5–10 and
≥ 10 mm, whose edges are 0 and the margin policy of ``devices.yaml`` (minimum 5 mm, ideal 10 mm).

Both masks are compared on one grid, the ablation mask's: the tumour (and liver) masks are
resampled onto it with nearest neighbour when their grids differ. The work is restricted to the
tumour's bounding box and the part of the ablation mask that can hold a nearest voxel, so the
result equals a full-grid computation at a fraction of its cost. Nothing is registered: the masks
must already be in one frame of reference.

.. warning:: Decision support for clinician review. The voxel-centre estimate can be off by up to
   about one voxel diagonal (reported as ``discretisation_uncertainty_mm``; typically a fraction
   of a voxel, see ``docs/ablation.md``); registration error (1.2–2.2 mm in published workflows)
   is not included.

References
----------
Sandu RM, Paolucci I, et al. Quantitative ablation margin (QAM). Front Oncol 2021.
https://www.frontiersin.org/articles/10.3389/fonc.2021.623098/full

Kaye EA, et al. Volumetric 3D assessment of ablation zones and margins. Eur Radiol 2019.
doi:10.1007/s00330-018-5809-0

Laimer G, et al. Minimal ablative margin (MAM) assessment with image fusion. Eur Radiol 2020.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.ablation._devices import devices
from nenliver.ablation._grid import box_slices, crop_volume, grow_box, mask_on_grid, surface_voxels, union_box
from nenliver.ablation.distance import Box, bounding_box, distance_to_mask_mm, signed_distance_mm
from nenliver.ablation.planning import load_policy
from nenliver.errors import GeometryMismatchError, ImagingInputError, KnowledgeDataError, Problem
from nenliver.imaging.volume import Volume, as_mask, check_same_frame

__all__ = [
    "ESTIMATOR",
    "MarginMaps",
    "MarginResult",
    "MarginSettings",
    "SurfaceBin",
    "assess_margin",
    "grid_spacing_mm",
    "load_margin_settings",
    "margin_from_masks",
]

#: The estimator, named in every output.
ESTIMATOR = "voxel-centre signed Euclidean distance of the ablation zone, sampled at tumour voxel centres"


@dataclass(frozen=True)
class MarginSettings:
    """Thresholds of the margin assessment with their sources (``devices.yaml``)."""

    minimum_mm: float
    ideal_mm: float
    capsule_exclusion_mm: float
    tissue_at_risk_shell_mm: float
    registration_error_mm: tuple[float, float]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def edges_mm(self) -> tuple[float, float, float]:
        """Histogram edges: 0 (covered or not), minimum and ideal margin."""
        return 0.0, self.minimum_mm, self.ideal_mm


def _number(data: dict[str, Any], name: str) -> Any:
    entry = data.get(name)
    if not isinstance(entry, dict) or any(entry.get(k) in (None, "") for k in ("value", "unit", "tag", "source")):
        raise KnowledgeDataError(f"ablation/data/devices.yaml: {name} needs value, unit, tag and source")
    return entry["value"]


def _cite(entry: dict[str, Any]) -> str:
    src = entry["source"]
    return f"{src['key']}: {src['locator']}"


@cache
def load_margin_settings() -> MarginSettings:
    """The margin policy and assessment parameters of ``ablation/data/devices.yaml``.

    Examples
    --------
    >>> s = load_margin_settings()
    >>> s.edges_mm
    (0.0, 5.0, 10.0)
    """
    data = devices()
    policy = load_policy()
    assessment = data["margin_assessment"]
    low, high = (float(v) for v in _number(assessment, "registration_error_mm"))
    sources = {
        "minimum_mm": _cite(data["margin"]["minimum_mm"]),
        "ideal_mm": _cite(data["margin"]["ideal_mm"]),
        **{name: _cite(assessment[name]) for name in assessment},
    }
    return MarginSettings(
        minimum_mm=policy.margin_mm,
        ideal_mm=policy.ideal_margin_mm,
        capsule_exclusion_mm=float(_number(assessment, "capsule_exclusion_mm")),
        tissue_at_risk_shell_mm=float(_number(assessment, "tissue_at_risk_shell_mm")),
        registration_error_mm=(low, high),
        sources=sources,
    )


@dataclass(frozen=True)
class SurfaceBin:
    """One bin of the tumour-surface margin histogram (``lower_mm <= margin < upper_mm``)."""

    label: str
    lower_mm: float | None
    upper_mm: float | None
    voxels: int
    percent: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "bin": self.label,
            "lower_mm": self.lower_mm,
            "upper_mm": self.upper_mm,
            "voxels": self.voxels,
            "percent": round(self.percent, 3),
        }


@dataclass(frozen=True)
class MarginMaps:
    """Arrays behind a result, for the margin map picture (work grid, tumour box ``region``)."""

    tumour: NDArray[np.bool_]
    ablation: NDArray[np.bool_]
    liver: NDArray[np.bool_] | None
    margin_mm: NDArray[np.float32]
    surface: NDArray[np.bool_]
    excluded: NDArray[np.bool_]
    region: Box
    spacing_mm: tuple[float, float, float]
    voxel: tuple[int, int, int]


@dataclass(frozen=True)
class MarginResult:
    """Minimal ablative margin, coverage and surface histogram of one tumour.

    ``location_index`` is in the array indices of the ablation mask; ``location_mm`` and
    ``direction`` are in patient coordinates (LPS, mm) when the grid's affine is known.
    """

    minimal_margin_mm: float
    minimal_margin_without_exclusion_mm: float
    location_index: tuple[int, int, int]
    location_mm: tuple[float, float, float] | None
    direction: tuple[float, float, float] | None
    discretisation_uncertainty_mm: float
    coverage_percent: float
    tumour_volume_ml: float
    residual_tumour_volume_ml: float
    tissue_at_risk_volume_ml: float
    ablation_volume_ml: float
    surface_voxels: int
    excluded_surface_voxels: int | None
    histogram: tuple[SurfaceBin, ...]
    surface_ge_minimum_percent: float
    surface_ge_ideal_percent: float
    verdict: str
    verdict_code: str
    spacing_mm: tuple[float, float, float]
    settings: MarginSettings
    notes: tuple[str, ...] = ()
    maps: MarginMaps | None = field(default=None, repr=False, compare=False)

    @property
    def minimal_margin_lower_bound_mm(self) -> float:
        """The estimate minus its discretisation uncertainty: what a threshold must be met by."""
        return self.minimal_margin_mm - self.discretisation_uncertainty_mm

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of ``nenliver ablation margin --json`` (without inputs)."""
        s = self.settings
        return {
            "minimal_margin_mm": _round(self.minimal_margin_mm),
            "minimal_margin_lower_bound_mm": _round(self.minimal_margin_lower_bound_mm),
            "minimal_margin_interval_mm": [
                _round(self.minimal_margin_lower_bound_mm),
                _round(self.minimal_margin_mm),
            ],
            "coverage_percent": _round(self.coverage_percent),
            "surface_margin_histogram": [b.as_dict() for b in self.histogram],
            "surface_ge_5mm_percent": _round(self.surface_ge_minimum_percent),
            "surface_ge_10mm_percent": _round(self.surface_ge_ideal_percent),
            "residual_tumour_volume_ml": _round(self.residual_tumour_volume_ml, 4),
            "tissue_at_risk_volume_ml": _round(self.tissue_at_risk_volume_ml, 4),
            "tissue_at_risk_shell_mm": s.tissue_at_risk_shell_mm,
            "tumour_volume_ml": _round(self.tumour_volume_ml, 4),
            "ablation_volume_ml": _round(self.ablation_volume_ml, 4),
            "surface_voxels": self.surface_voxels,
            "verdict": self.verdict,
            "verdict_code": self.verdict_code,
            "minimal_margin_location_index": list(self.location_index),
            "minimal_margin_location_mm": None if self.location_mm is None else [_round(v) for v in self.location_mm],
            "minimal_margin_direction": None if self.direction is None else [_round(v, 4) for v in self.direction],
            "discretisation_uncertainty_mm": _round(self.discretisation_uncertainty_mm),
            "capsule_exclusion": None
            if self.excluded_surface_voxels is None
            else {
                "exclusion_mm": s.capsule_exclusion_mm,
                "excluded_surface_voxels": self.excluded_surface_voxels,
                "minimal_margin_without_exclusion_mm": _round(self.minimal_margin_without_exclusion_mm),
            },
            "grid_spacing_mm": [_round(v, 4) for v in self.spacing_mm],
            "method": {
                "estimator": ESTIMATOR,
                "sign": "positive inside the ablation zone, negative where tumour lies outside it",
                "surface": "tumour voxels with a face neighbour outside the tumour",
                "bias": "voxel-centre estimate; can be off by up to about one voxel diagonal "
                "(discretisation_uncertainty_mm): measured bias on analytic phantoms in docs/ablation.md",
                "verdict_rule": "a threshold counts as met only when the lower bound (estimate minus the "
                "discretisation uncertainty) reaches it; 'borderline' when only the estimate meets the minimum",
            },
            "margin_policy": {
                "minimum_mm": s.minimum_mm,
                "ideal_mm": s.ideal_mm,
                "registration_error_mm": list(s.registration_error_mm),
                "sources": dict(s.sources),
            },
            "notes": list(self.notes),
            "software_version": __version__,
            "notice": CLINICIAN_REVIEW_NOTICE,
        }


def _round(value: float, digits: int = 3) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def grid_spacing_mm(volume: Volume) -> tuple[float, float, float]:
    """Voxel spacing of an orthogonal grid; a sheared grid (gantry tilt) is refused.

    Raises
    ------
    ImagingInputError
        When the voxel axes of ``volume`` are not orthogonal.
    """
    return volume.orthogonal_spacing_mm("the margin distance")


def _direction_to_other_class(
    ablation: NDArray[np.bool_], voxel: Sequence[int], margin_mm: float, spacing: Sequence[float]
) -> NDArray[np.float64] | None:
    """Unit vector (array axes, mm) from ``voxel`` to the nearest voxel of the other class."""
    if not math.isfinite(margin_mm):
        return None
    reach = [math.ceil(abs(margin_mm) / s) + 1 for s in spacing]
    box = tuple(slice(max(0, v - r), min(n, v + r + 1)) for v, r, n in zip(voxel, reach, ablation.shape, strict=True))
    other = ~ablation[box] if margin_mm > 0 else ablation[box]
    idx = np.argwhere(other)
    if idx.size == 0:
        return None
    offsets = (idx + [b.start for b in box] - np.asarray(voxel)) * np.asarray(spacing)
    best = offsets[int(np.argmin(np.einsum("ij,ij->i", offsets, offsets)))]
    return np.asarray(best / np.linalg.norm(best), dtype=np.float64)


def _verdict(mam: float, uncertainty: float, s: MarginSettings) -> tuple[str, str, list[str]]:
    """Verdict code, text and notes; a threshold counts as met only when the lower bound reaches it.

    The lower bound is the estimate minus the discretisation uncertainty. Failing verdicts follow
    the estimate (a pessimistic reading is safe); passing ones need the lower bound: ``borderline``
    when the estimate meets the minimum but the lower bound does not, ``minimum`` when the ideal is
    met by the estimate only.
    """
    notes: list[str] = []
    lower = mam - uncertainty
    if mam < 0:
        return "incomplete", "incomplete ablation: tumour lies outside the ablation zone", notes
    if mam < s.minimum_mm:
        if lower < 0:
            notes.append(f"complete coverage is not confirmed either: the lower bound {lower:.1f} mm is below 0 mm")
        return "insufficient", f"margin below the {s.minimum_mm:g} mm minimum", notes
    if lower < s.minimum_mm:
        return "borderline", _borderline_text(mam, lower, uncertainty, s.minimum_mm), notes
    if mam >= s.ideal_mm and lower >= s.ideal_mm:
        return "ideal", f"ideal margin met (>= {s.ideal_mm:g} mm, lower bound {lower:.1f} mm)", notes
    text = (
        f"minimum margin met (lower bound {lower:.1f} mm >= {s.minimum_mm:g} mm), ideal {s.ideal_mm:g} mm not confirmed"
    )
    if mam >= s.ideal_mm:
        notes.append(
            f"the estimate {mam:.1f} mm reaches the ideal {s.ideal_mm:g} mm but its lower bound {lower:.1f} mm "
            f"does not; {_finer_grid_advice(mam, s.ideal_mm)}"
        )
    return "minimum", text, notes


def _finer_grid_advice(mam: float, threshold: float) -> str:
    gap = mam - threshold
    return (
        f"to confirm it, reassess on a grid whose voxel diagonal is below {gap:.1f} mm "
        f"(isotropic voxels of at most {gap / math.sqrt(3.0):.2f} mm)"
    )


def _borderline_text(mam: float, lower: float, uncertainty: float, minimum: float) -> str:
    return (
        f"the estimate {mam:.1f} mm meets the {minimum:g} mm minimum but its lower bound "
        f"{lower:.1f} mm (estimate minus the {uncertainty:.1f} mm discretisation uncertainty) does not; "
        f"treat as not confirmed; {_finer_grid_advice(mam, minimum)}"
    )


def margin_from_masks(
    tumour: NDArray[np.bool_],
    ablation: NDArray[np.bool_],
    spacing_mm: Sequence[float],
    liver: NDArray[np.bool_] | None = None,
    *,
    affine: NDArray[np.float64] | None = None,
    origin_index: Sequence[int] = (0, 0, 0),
    settings: MarginSettings | None = None,
    keep_maps: bool = False,
) -> MarginResult:
    """Margin metrics of a tumour mask against an ablation mask on the same grid.

    Parameters
    ----------
    tumour, ablation : ndarray of bool, 3-D, same shape
        Co-registered masks on one grid; the tumour must not be empty.
    spacing_mm : sequence of 3 floats
        Voxel spacing along the array axes, mm.
    liver : ndarray of bool, optional
        Liver mask on the same grid: enables capsule exclusion (tumour voxels inside the ablation
        zone within ``capsule_exclusion_mm`` of the liver boundary do not count) and restricts the
        tissue at risk to the liver.
    affine : 4x4 array, optional
        Voxel → LPS mm affine of the arrays, for the location and direction in patient space.
    origin_index : 3 ints
        Index of ``tumour[0, 0, 0]`` in the caller's grid (reported locations are shifted by it).
    settings : MarginSettings, optional
        Thresholds; the packaged data by default.
    keep_maps : bool
        Keep the arrays for :func:`nenliver.ablation.margin_map.render_margin_map`.

    Returns
    -------
    MarginResult

    Notes
    -----
    MAM :math:`= \\min_{t \\in T} s_A(t)` with :math:`s_A` the signed voxel-centre distance of
    the ablation mask. Coverage :math:`= |T \\cap A| / |T|`. Tissue at risk: voxels within
    ``tissue_at_risk_shell_mm`` of a tumour voxel (tumour included) that are not ablated.

    Examples
    --------
    >>> import numpy as np
    >>> z, y, x = np.mgrid[:21, :21, :21] - 10
    >>> r2 = z**2 + y**2 + x**2
    >>> res = margin_from_masks(r2 <= 9, r2 <= 64, (1.0, 1.0, 1.0))
    >>> round(res.minimal_margin_mm, 2), res.coverage_percent  # spheres r 3 and 8 mm: truth 5 mm
    (5.1, 100.0)
    """
    s = settings or load_margin_settings()
    tumour = np.asarray(tumour, dtype=bool)
    ablation = np.asarray(ablation, dtype=bool)
    if tumour.shape != ablation.shape or tumour.ndim != 3:
        raise ValueError(f"tumour {tumour.shape} and ablation {ablation.shape} must be 3-D arrays of one shape")
    if liver is not None and np.shape(liver) != tumour.shape:
        raise ValueError("liver mask must have the shape of the tumour mask")
    spacing = tuple(float(v) for v in spacing_mm)
    sx: tuple[float, float, float] = (spacing[0], spacing[1], spacing[2])
    tbox = bounding_box(tumour)
    if tbox is None:
        raise ValueError("tumour mask is empty")
    voxel_ml = float(np.prod(spacing)) / 1000.0
    region = box_slices(tbox)
    t_r = tumour[region]
    a_r = ablation[region]
    margin = signed_distance_mm(ablation, spacing, region=region)
    values = margin[t_r]
    surface = surface_voxels(t_r)
    notes: list[str] = []

    excluded = np.zeros_like(t_r)
    if liver is not None:
        liver = np.asarray(liver, dtype=bool)
        pad = [math.ceil(s.capsule_exclusion_mm / v) + 1 for v in spacing]
        cbox = grow_box(tbox, pad, tumour.shape)
        local = tuple(slice(lo - c0, hi - c0) for (lo, hi), (c0, _) in zip(tbox, cbox, strict=True))
        to_capsule = distance_to_mask_mm(~liver[box_slices(cbox)], spacing, region=local)
        excluded = t_r & a_r & (to_capsule <= s.capsule_exclusion_mm)
    counted = t_r & ~excluded
    if not counted.any():
        notes.append("every tumour voxel lies within the capsule exclusion distance: exclusion not applied")
        counted = t_r
        excluded = np.zeros_like(t_r)
    mam_all = float(values.min())
    masked = np.where(counted, margin, np.inf)
    flat = int(np.argmin(masked))
    mam = float(masked.flat[flat])
    local_voxel = np.unravel_index(flat, t_r.shape)
    voxel = tuple(int(v + lo) for v, (lo, _) in zip(local_voxel, tbox, strict=True))

    direction = _direction_to_other_class(ablation, voxel, mam, spacing)
    # Each mask places its surface only to within a voxel, and a minimum can hide between thick
    # slices: the estimate can be off by up to about one voxel diagonal (docs/ablation.md).
    uncertainty = float(np.linalg.norm(spacing))
    offset = np.asarray(origin_index, dtype=int)
    grid_voxel = tuple(int(v) for v in np.asarray(voxel) + offset)
    location_mm = direction_mm = None
    if affine is not None:
        aff = np.asarray(affine, dtype=float)
        location_mm = tuple(float(v) for v in aff[:3, :3] @ np.asarray(voxel, float) + aff[:3, 3])
        if direction is not None:
            world = aff[:3, :3] @ (direction / np.asarray(spacing))
            direction_mm = tuple(float(v) for v in world / np.linalg.norm(world))

    counted_surface = surface & counted
    surf_values = margin[counted_surface]
    n_surface = int(surf_values.size)
    edges = s.edges_mm
    labels = (
        f"<{edges[0]:g}",
        f"{edges[0]:g}-{edges[1]:g}",
        f"{edges[1]:g}-{edges[2]:g}",
        f">={edges[2]:g}",
    )
    bounds: list[tuple[float | None, float | None]] = [
        (None, edges[0]),
        (edges[0], edges[1]),
        (edges[1], edges[2]),
        (edges[2], None),
    ]
    bins = []
    for label, (lo, hi) in zip(labels, bounds, strict=True):
        sel = np.ones(n_surface, dtype=bool)
        if lo is not None:
            sel &= surf_values >= lo
        if hi is not None:
            sel &= surf_values < hi
        count = int(sel.sum())
        bins.append(SurfaceBin(label, lo, hi, count, 100.0 * count / n_surface if n_surface else 0.0))
    ge_min = 100.0 * float((surf_values >= s.minimum_mm).sum()) / n_surface if n_surface else 0.0
    ge_ideal = 100.0 * float((surf_values >= s.ideal_mm).sum()) / n_surface if n_surface else 0.0

    n_tumour = int(t_r.sum())
    n_covered = int((t_r & a_r).sum())
    shell = [math.ceil(s.tissue_at_risk_shell_mm / v) + 1 for v in spacing]
    sbox = grow_box(tbox, shell, tumour.shape)
    near = distance_to_mask_mm(tumour, spacing, region=box_slices(sbox)) <= s.tissue_at_risk_shell_mm
    at_risk = near & ~ablation[box_slices(sbox)]
    if liver is not None:  # tissue at risk is liver tissue; the tumour itself always counts
        at_risk &= liver[box_slices(sbox)] | tumour[box_slices(sbox)]

    code, verdict, verdict_notes = _verdict(mam, uncertainty, s)
    notes = [*verdict_notes, *notes]
    low, high = s.registration_error_mm
    notes.append(
        f"masks are compared as given, without registration; published registration errors of "
        f"{low:g}-{high:g} mm are not included"
    )
    if liver is not None:
        notes.append(
            f"capsule exclusion: {int((excluded & surface).sum())} surface voxels inside the zone within "
            f"{s.capsule_exclusion_mm:g} mm of the liver boundary are not counted"
        )
    maps = None
    if keep_maps:
        maps = MarginMaps(
            tumour=tumour,
            ablation=ablation,
            liver=liver,
            margin_mm=np.where(t_r, margin, np.nan).astype(np.float32),
            surface=surface,
            excluded=excluded,
            region=tbox,
            spacing_mm=sx,
            voxel=(voxel[0], voxel[1], voxel[2]),
        )
    return MarginResult(
        minimal_margin_mm=mam,
        minimal_margin_without_exclusion_mm=mam_all,
        location_index=(grid_voxel[0], grid_voxel[1], grid_voxel[2]),
        location_mm=None if location_mm is None else (location_mm[0], location_mm[1], location_mm[2]),
        direction=None if direction_mm is None else (direction_mm[0], direction_mm[1], direction_mm[2]),
        discretisation_uncertainty_mm=uncertainty,
        coverage_percent=100.0 * n_covered / n_tumour,
        tumour_volume_ml=n_tumour * voxel_ml,
        residual_tumour_volume_ml=(n_tumour - n_covered) * voxel_ml,
        tissue_at_risk_volume_ml=float(at_risk.sum()) * voxel_ml,
        ablation_volume_ml=float(ablation.sum()) * voxel_ml,
        surface_voxels=n_surface,
        excluded_surface_voxels=None if liver is None else int((excluded & surface).sum()),
        histogram=tuple(bins),
        surface_ge_minimum_percent=ge_min,
        surface_ge_ideal_percent=ge_ideal,
        verdict=verdict,
        verdict_code=code,
        spacing_mm=sx,
        settings=s,
        notes=tuple(notes),
        maps=maps,
    )


def _box_corners(box: Box) -> NDArray[np.float64]:
    """The 8 corner voxel centres of an index box, homogeneous, shape (4, 8)."""
    (z0, z1), (y0, y1), (x0, x1) = box
    pts = [(i, j, k, 1.0) for i in (z0, z1 - 1) for j in (y0, y1 - 1) for k in (x0, x1 - 1)]
    return np.asarray(pts, dtype=float).T


def _index_bounds(world: NDArray[np.float64], grid: Volume) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    idx = (np.linalg.inv(grid.affine) @ world)[:3]
    return idx.min(axis=1), idx.max(axis=1)


def _within(lo: NDArray[np.float64], hi: NDArray[np.float64], shape: tuple[int, int, int]) -> bool:
    tol = 1e-3
    return bool(np.all(lo >= -0.5 - tol) and np.all(hi <= np.asarray(shape) - 0.5 + tol))


def assess_margin(
    tumour: Volume,
    ablation: Volume,
    liver: Volume | None = None,
    *,
    settings: MarginSettings | None = None,
    keep_maps: bool = False,
) -> MarginResult:
    """Minimal ablative margin of a tumour mask against an ablation-zone mask.

    Parameters
    ----------
    tumour : Volume
        Binary tumour mask (pre-ablation, already registered to the ablation image).
    ablation : Volume
        Binary ablation-zone mask; its grid is the common grid.
    liver : Volume, optional
        Binary liver mask for capsule exclusion and tissue at risk.
    settings : MarginSettings, optional
        Thresholds; the packaged data by default.
    keep_maps : bool
        Keep the arrays for the margin map picture.

    Returns
    -------
    MarginResult

    Raises
    ------
    ImagingInputError
        An empty or non-binary mask, or a sheared ablation grid.
    GeometryMismatchError
        Different frames of reference, or a tumour (or liver) mask that does not lie within the
        field of view it must be compared in.

    Notes
    -----
    The tumour and liver masks are resampled onto the ablation grid with nearest neighbour when
    their grids differ; the computation then runs on the ablation grid cropped to the tumour's
    box (grown by the capsule-exclusion and tissue-at-risk distances) and the ablation zone's
    box plus one voxel, which holds every voxel a distance can reach (see
    :func:`~nenliver.ablation.distance.signed_distance_mm`): the result equals a full-grid
    computation.
    """
    s = settings or load_margin_settings()
    check_same_frame(ablation, tumour)
    if liver is not None:
        check_same_frame(ablation, liver)
    spacing = grid_spacing_mm(ablation)
    a_mask = as_mask(ablation, "ablation")
    t_mask = as_mask(tumour, "tumour")
    l_mask = as_mask(liver, "liver") if liver is not None else None
    t_box = bounding_box(t_mask)
    a_box = bounding_box(a_mask)
    assert t_box is not None and a_box is not None  # as_mask refuses empty masks
    t_world = tumour.affine @ _box_corners(t_box)
    lo, hi = _index_bounds(t_world, ablation)
    if not _within(lo, hi, ablation.shape):
        raise GeometryMismatchError(
            tumour.source,
            [
                Problem(
                    "tumour",
                    f"the tumour reaches outside the field of view of the ablation mask {ablation.source}",
                    "masks of the same patient space, the tumour inside the ablation image",
                )
            ],
        )
    if liver is not None:
        l_lo, l_hi = _index_bounds(t_world, liver)
        if not _within(l_lo, l_hi, liver.shape):
            raise GeometryMismatchError(
                liver.source,
                [
                    Problem(
                        "liver",
                        "the liver mask's field of view does not contain the tumour",
                        "a liver mask around the tumour",
                    )
                ],
            )
    t_grid: Box = tuple(  # type: ignore[assignment]
        (max(0, math.floor(a) - 1), min(n, math.ceil(b) + 2)) for a, b, n in zip(lo, hi, ablation.shape, strict=True)
    )
    pad = [math.ceil(max(s.tissue_at_risk_shell_mm, s.capsule_exclusion_mm) / v) + 2 for v in spacing]
    grown = grow_box(t_grid, pad, ablation.shape)
    a_grown = grow_box(a_box, (1, 1, 1), ablation.shape)
    work_box = union_box([grown, a_grown])
    work = crop_volume(ablation, work_box)
    region = box_slices(work_box)
    tumour_w = t_mask[region] if tumour.same_grid(ablation) else mask_on_grid(tumour, t_mask, work)
    if not tumour_w.any():
        raise ImagingInputError(
            tumour.source,
            [
                Problem(
                    "tumour",
                    "no tumour voxel falls on the ablation grid after resampling",
                    "a tumour larger than a voxel",
                )
            ],
        )
    liver_w = None
    if liver is not None and l_mask is not None:
        liver_w = l_mask[region] if liver.same_grid(ablation) else mask_on_grid(liver, l_mask, work)
    result = margin_from_masks(
        tumour_w,
        a_mask[region],
        spacing,
        liver_w,
        affine=work.affine,
        origin_index=[b[0] for b in work_box],
        settings=s,
        keep_maps=keep_maps,
    )
    notes = list(result.notes)
    if not tumour.same_grid(ablation):
        notes.append(f"tumour mask resampled (nearest neighbour) onto the grid of {ablation.source}")
    if liver is not None and not liver.same_grid(ablation):
        notes.append(f"liver mask resampled (nearest neighbour) onto the grid of {ablation.source}")
    if any(b0 == 0 or b1 == n for (b0, b1), n in zip(a_box, ablation.shape, strict=True)):
        notes.append("the ablation zone reaches the edge of its image: distances are measured within the image only")
    return dataclasses.replace(result, notes=tuple(notes))
