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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver.ablation._grid import box_slices, crop_volume, grow_box, mask_on_grid, surface_voxels, union_box
from nenliver.ablation.distance import Box, bounding_box, distance_to_mask_mm, signed_distance_mm
from nenliver.ablation.margin_result import (
    ESTIMATOR,
    MarginMaps,
    MarginResult,
    MarginSettings,
    SurfaceBin,
    grid_spacing_mm,
    load_margin_settings,
)
from nenliver.ablation.verdict import margin_verdict
from nenliver.errors import GeometryMismatchError, ImagingInputError, Problem
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
    tumour, ablation, liver, spacing = _checked_arrays(tumour, ablation, liver, spacing_mm)
    tbox = bounding_box(tumour)
    if tbox is None:
        raise ValueError("tumour mask is empty")
    region = box_slices(tbox)
    t_r = tumour[region]
    a_r = ablation[region]
    margin = signed_distance_mm(ablation, spacing, region=region)
    surface = surface_voxels(t_r)
    notes: list[str] = []

    excluded = _capsule_exclusion(t_r & a_r, liver, tbox, spacing, s)
    counted = t_r & ~excluded
    if not counted.any():
        notes.append("every tumour voxel lies within the capsule exclusion distance: exclusion not applied")
        counted = t_r
        excluded = np.zeros_like(t_r)
    mam_all = float(margin[t_r].min())
    masked = np.where(counted, margin, np.inf)
    flat = int(np.argmin(masked))
    mam = float(masked.flat[flat])
    local_voxel = np.unravel_index(flat, t_r.shape)
    voxel = (
        int(local_voxel[0] + tbox[0][0]),
        int(local_voxel[1] + tbox[1][0]),
        int(local_voxel[2] + tbox[2][0]),
    )
    location_mm, direction_mm = _location_in_patient(ablation, voxel, mam, spacing, affine)
    # Each mask places its surface only to within a voxel, and a minimum can hide between thick
    # slices: the estimate can be off by up to about one voxel diagonal (docs/ablation.md).
    uncertainty = float(np.linalg.norm(spacing))
    grid_voxel = np.asarray(voxel) + np.asarray(origin_index, dtype=int)

    surf_values = margin[surface & counted]
    bins, ge_min, ge_ideal = _surface_histogram(surf_values, s)
    n_tumour = int(t_r.sum())
    n_covered = int((t_r & a_r).sum())
    voxel_ml = float(np.prod(spacing)) / 1000.0
    at_risk_voxels = _tissue_at_risk_voxels(tumour, ablation, liver, tbox, spacing, s)

    code, verdict, verdict_notes = margin_verdict(mam, uncertainty, s)
    excluded_surface = int((excluded & surface).sum())
    notes = [*verdict_notes, *notes, *_standing_notes(s, None if liver is None else excluded_surface)]
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
            spacing_mm=spacing,
            voxel=voxel,
        )
    return MarginResult(
        minimal_margin_mm=mam,
        minimal_margin_without_exclusion_mm=mam_all,
        location_index=(int(grid_voxel[0]), int(grid_voxel[1]), int(grid_voxel[2])),
        location_mm=location_mm,
        direction=direction_mm,
        discretisation_uncertainty_mm=uncertainty,
        coverage_percent=100.0 * n_covered / n_tumour,
        tumour_volume_ml=n_tumour * voxel_ml,
        residual_tumour_volume_ml=(n_tumour - n_covered) * voxel_ml,
        tissue_at_risk_volume_ml=at_risk_voxels * voxel_ml,
        ablation_volume_ml=float(ablation.sum()) * voxel_ml,
        surface_voxels=int(surf_values.size),
        excluded_surface_voxels=None if liver is None else excluded_surface,
        histogram=bins,
        surface_ge_minimum_percent=ge_min,
        surface_ge_ideal_percent=ge_ideal,
        verdict=verdict,
        verdict_code=code,
        spacing_mm=spacing,
        settings=s,
        notes=tuple(notes),
        maps=maps,
    )


Vec3 = tuple[float, float, float]


def _checked_arrays(
    tumour: NDArray[np.bool_],
    ablation: NDArray[np.bool_],
    liver: NDArray[np.bool_] | None,
    spacing_mm: Sequence[float],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_] | None, Vec3]:
    """The masks as boolean arrays of one 3-D shape and the spacing as three floats."""
    t = np.asarray(tumour, dtype=bool)
    a = np.asarray(ablation, dtype=bool)
    if t.shape != a.shape or t.ndim != 3:
        raise ValueError(f"tumour {t.shape} and ablation {a.shape} must be 3-D arrays of one shape")
    if liver is not None and np.shape(liver) != t.shape:
        raise ValueError("liver mask must have the shape of the tumour mask")
    sp = tuple(float(v) for v in spacing_mm)
    if len(sp) != 3:
        raise ValueError(f"spacing_mm must hold 3 values, got {len(sp)}")
    return t, a, None if liver is None else np.asarray(liver, dtype=bool), (sp[0], sp[1], sp[2])


def _capsule_exclusion(
    inside: NDArray[np.bool_], liver: NDArray[np.bool_] | None, tbox: Box, spacing: Vec3, s: MarginSettings
) -> NDArray[np.bool_]:
    """Tumour voxels inside the zone within the capsule-exclusion distance of the liver boundary.

    ``inside`` is the tumour ∩ ablation mask cropped to the tumour box ``tbox``; without a liver
    mask nothing is excluded.
    """
    if liver is None:
        return np.zeros_like(inside)
    pad = [math.ceil(s.capsule_exclusion_mm / v) + 1 for v in spacing]
    cbox = grow_box(tbox, pad, liver.shape)
    local = tuple(slice(lo - c0, hi - c0) for (lo, hi), (c0, _) in zip(tbox, cbox, strict=True))
    to_capsule = distance_to_mask_mm(~liver[box_slices(cbox)], spacing, region=local)
    return inside & (to_capsule <= s.capsule_exclusion_mm)


def _location_in_patient(
    ablation: NDArray[np.bool_],
    voxel: tuple[int, int, int],
    mam: float,
    spacing: Vec3,
    affine: NDArray[np.float64] | None,
) -> tuple[Vec3 | None, Vec3 | None]:
    """Patient-space (LPS mm) location of the minimum and unit direction to the nearest other-class voxel."""
    if affine is None:
        return None, None
    aff = np.asarray(affine, dtype=float)
    loc = aff[:3, :3] @ np.asarray(voxel, float) + aff[:3, 3]
    location = (float(loc[0]), float(loc[1]), float(loc[2]))
    direction = _direction_to_other_class(ablation, voxel, mam, spacing)
    if direction is None:
        return location, None
    world = aff[:3, :3] @ (direction / np.asarray(spacing))
    unit = world / np.linalg.norm(world)
    return location, (float(unit[0]), float(unit[1]), float(unit[2]))


def _surface_histogram(
    values: NDArray[np.floating[Any]], s: MarginSettings
) -> tuple[tuple[SurfaceBin, ...], float, float]:
    """Counted surface voxels by margin bin, and the percentages at or above the minimum and ideal."""
    n = int(values.size)

    def percent(count: int) -> float:
        return 100.0 * count / n if n else 0.0

    e0, e1, e2 = s.edges_mm
    bounds: list[tuple[str, float | None, float | None]] = [
        (f"<{e0:g}", None, e0),
        (f"{e0:g}-{e1:g}", e0, e1),
        (f"{e1:g}-{e2:g}", e1, e2),
        (f">={e2:g}", e2, None),
    ]
    bins = []
    for label, lo, hi in bounds:
        sel = np.ones(n, dtype=bool)
        if lo is not None:
            sel &= values >= lo
        if hi is not None:
            sel &= values < hi
        count = int(sel.sum())
        bins.append(SurfaceBin(label, lo, hi, count, percent(count)))
    ge_min = percent(int((values >= s.minimum_mm).sum()))
    ge_ideal = percent(int((values >= s.ideal_mm).sum()))
    return tuple(bins), ge_min, ge_ideal


def _tissue_at_risk_voxels(
    tumour: NDArray[np.bool_],
    ablation: NDArray[np.bool_],
    liver: NDArray[np.bool_] | None,
    tbox: Box,
    spacing: Vec3,
    s: MarginSettings,
) -> float:
    """Voxels within the tissue-at-risk shell of the tumour (tumour included) that are not ablated."""
    shell = [math.ceil(s.tissue_at_risk_shell_mm / v) + 1 for v in spacing]
    region = box_slices(grow_box(tbox, shell, tumour.shape))
    near = distance_to_mask_mm(tumour, spacing, region=region) <= s.tissue_at_risk_shell_mm
    at_risk = near & ~ablation[region]
    if liver is not None:  # tissue at risk is liver tissue; the tumour itself always counts
        at_risk &= liver[region] | tumour[region]
    return float(at_risk.sum())


def _standing_notes(s: MarginSettings, excluded_surface: int | None) -> list[str]:
    """The notes every result carries: no registration error, and the capsule exclusion applied."""
    low, high = s.registration_error_mm
    notes = [
        f"masks are compared as given, without registration; published registration errors of "
        f"{low:g}-{high:g} mm are not included"
    ]
    if excluded_surface is not None:
        notes.append(
            f"capsule exclusion: {excluded_surface} surface voxels inside the zone within "
            f"{s.capsule_exclusion_mm:g} mm of the liver boundary are not counted"
        )
    return notes


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
    a_mask = as_mask(ablation, "ablation")
    t_mask = as_mask(tumour, "tumour")
    work_box = _work_box(tumour, t_mask, ablation, a_mask, liver, s)
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
    if liver is not None:
        l_mask = as_mask(liver, "liver")
        liver_w = l_mask[region] if liver.same_grid(ablation) else mask_on_grid(liver, l_mask, work)
    result = margin_from_masks(
        tumour_w,
        a_mask[region],
        grid_spacing_mm(ablation),
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
    a_box = bounding_box(a_mask)
    if a_box is not None and any(b0 == 0 or b1 == n for (b0, b1), n in zip(a_box, ablation.shape, strict=True)):
        notes.append("the ablation zone reaches the edge of its image: distances are measured within the image only")
    return dataclasses.replace(result, notes=tuple(notes))


def _work_box(
    tumour: Volume,
    t_mask: NDArray[np.bool_],
    ablation: Volume,
    a_mask: NDArray[np.bool_],
    liver: Volume | None,
    s: MarginSettings,
) -> Box:
    """The part of the ablation grid every distance of the assessment can reach.

    The tumour's box mapped onto the ablation grid, grown by the capsule-exclusion and
    tissue-at-risk distances, joined with the ablation zone's box plus one voxel. Refuses a tumour
    outside the ablation image's field of view, or outside the liver mask's.
    """
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
    if liver is not None and not _within(*_index_bounds(t_world, liver), liver.shape):
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
    spacing = grid_spacing_mm(ablation)
    pad = [math.ceil(max(s.tissue_at_risk_shell_mm, s.capsule_exclusion_mm) / v) + 2 for v in spacing]
    grown = grow_box(t_grid, pad, ablation.shape)
    return union_box([grown, grow_box(a_box, (1, 1, 1), ablation.shape)])
