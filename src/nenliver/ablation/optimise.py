# SPDX-License-Identifier: Apache-2.0
"""A small optimiser that places 1–3 parallel applicators to maximise the tumour's minimal margin.

The applicators stay parallel (one direction, as in a cluster); their zone centres (and the
direction, for non-spherical zones when none is given) move to maximise the minimal margin over the
tumour's surface voxel centres, computed exactly for each ellipsoid (point-to-spheroid distance)
and taking the best ellipsoid at each point. Where no pose set covers the tumour, the mean depth of
uncovered tumour steers the zones to cover more, and a zone that misses the tumour is pulled back
(or dropped). The poses found are then judged on voxels by the margin engine; that is the number
reported.

References
----------
Nelder JA, Mead R. A simplex method for function minimization. Comput J 1965;7:308-313.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from nenliver.ablation._grid import box_slices, surface_voxels
from nenliver.ablation.margin_result import MarginSettings
from nenliver.ablation.simulate import SimulationResult, prepare_tumour_grid, simulate_zone
from nenliver.ablation.zones import (
    ApplicatorPose,
    ZoneShape,
    max_applicators,
    spheroid_signed_distance_mm,
)
from nenliver.errors import InputError, Problem
from nenliver.imaging.volume import Volume

__all__ = ["optimise_applicators"]

#: Surface points used by the optimiser's objective at most (evenly spread over the surface list).
_MAX_POINTS = 1500

#: Weight of the uncovered-depth and missed-tumour terms of the optimiser's objective (mm per mm).
#: An optimiser tuning constant, not clinical knowledge: it only ranks pose sets that leave tumour
#: uncovered (the term is 0 once the zones cover every sampled tumour voxel).
_COVERAGE_WEIGHT = 10.0

#: Tumour voxel centres sampled for the optimiser's coverage term (evenly spread).
_COVERAGE_POINTS = 600


def _kmeans(points: NDArray[np.float64], k: int, iterations: int = 25) -> NDArray[np.float64]:
    """Deterministic Lloyd k-means, seeded by farthest points from the centroid."""
    centres = [points.mean(axis=0)]
    if k > 1:
        centres = [points[int(np.argmax(np.linalg.norm(points - centres[0], axis=1)))]]
        while len(centres) < k:
            dist = np.min([np.linalg.norm(points - c, axis=1) for c in centres], axis=0)
            centres.append(points[int(np.argmax(dist))])
    c = np.asarray(centres, dtype=float)
    for _ in range(iterations):
        label = np.argmin(((points[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
        new = np.array([points[label == i].mean(axis=0) if np.any(label == i) else c[i] for i in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return c


def _angles(u: NDArray[np.float64]) -> tuple[float, float]:
    return math.acos(max(-1.0, min(1.0, float(u[2])))), math.atan2(float(u[1]), float(u[0]))


def _unit(theta: float, phi: float) -> NDArray[np.float64]:
    return np.array([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta)])


def _start_direction(body: NDArray[np.float64], direction: Sequence[float] | None) -> NDArray[np.float64]:
    """The given applicator direction (checked, normalised), else the tumour's principal axis."""
    if direction is not None:
        u0 = np.asarray(direction, dtype=float)
        if u0.shape != (3,) or not np.linalg.norm(u0) > 0:
            raise InputError("--direction", [Problem("direction", "not a non-zero 3-D vector", "three numbers")])
        return np.asarray(u0 / np.linalg.norm(u0), dtype=np.float64)
    if len(body) > 2:
        eigval, eigvec = np.linalg.eigh(np.cov(body.T))
        return np.asarray(eigvec[:, int(np.argmax(eigval))], dtype=np.float64)
    return np.array([0.0, 0.0, 1.0])


def optimise_applicators(
    tumour: Volume,
    shape: ZoneShape,
    count: int,
    *,
    direction: Sequence[float] | None = None,
    liver: Volume | None = None,
    settings: MarginSettings | None = None,
    keep_maps: bool = False,
    restarts: int = 3,
) -> SimulationResult:
    """Place ``count`` parallel applicators to maximise the tumour's minimal margin.

    Parameters
    ----------
    tumour : Volume
        Binary tumour (lesion) mask.
    shape : ZoneShape
        Zone of one applicator.
    count : int
        Number of applicators, 1 to ``max_applicators()`` (3, the seed's clusters).
    direction : 3 floats, optional
        Fixed applicator direction (LPS, entry → tip). By default the tumour's principal axis is the
        start and, for non-spherical zones, the direction is optimised too.
    liver : Volume, optional
        Liver mask for the final margin evaluation.
    settings : MarginSettings, optional
        Margin thresholds.
    keep_maps : bool
        Keep arrays for the margin map picture.
    restarts : int
        Nelder–Mead starts (the k-means start and perturbed copies, seeded for reproducibility).

    Returns
    -------
    SimulationResult
        Poses found and their margin judged on voxels (``objective_mm`` holds the optimiser's own
        analytic value over surface voxel centres).

    Notes
    -----
    Objective: :math:`\\max \\min_{p \\in S} \\max_i d_i(p)` over zone centres (and direction), with
    :math:`S` the tumour surface voxel centres (at most 1500, evenly picked) and :math:`d_i` the
    signed distance to ellipsoid :math:`i`. Nelder–Mead, seeded by k-means centres of the tumour.
    """
    from scipy.optimize import minimize

    limit = max_applicators()
    if not 1 <= count <= limit:
        raise InputError("--optimise", [Problem("optimise", f"{count} applicators", f"1 to {limit}")])
    spacing, t_mask, t_box, _ = prepare_tumour_grid(tumour, liver)
    del spacing
    region = box_slices(t_box)
    offset = np.array([b[0] for b in t_box], dtype=float)
    surf = np.argwhere(surface_voxels(t_mask[region])) + offset
    if len(surf) > _MAX_POINTS:
        surf = surf[np.linspace(0, len(surf) - 1, _MAX_POINTS).round().astype(int)]
    points = (tumour.affine @ np.column_stack([surf, np.ones(len(surf))]).T)[:3].T
    voxels = np.argwhere(t_mask[region]) + offset
    if len(voxels) > 20000:
        voxels = voxels[np.linspace(0, len(voxels) - 1, 20000).round().astype(int)]
    body = (tumour.affine @ np.column_stack([voxels, np.ones(len(voxels))]).T)[:3].T
    u0 = _start_direction(body, direction)
    free_direction = direction is None and shape.long_axis_mm != shape.short_axis_mm
    centres0 = _kmeans(body, count)

    def unpack(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        centres = x[: 3 * count].reshape(count, 3)
        u = _unit(x[-2], x[-1]) if free_direction else u0
        return centres, u

    sample = body[np.linspace(0, len(body) - 1, min(len(body), _COVERAGE_POINTS)).round().astype(int)]

    def signed(centres: NDArray[np.float64], u: NDArray[np.float64], where: NDArray[np.float64]) -> NDArray[np.float64]:
        rel = (where[None, :, :] - centres[:, None, :]).reshape(-1, 3)
        d = spheroid_signed_distance_mm(rel, (0.0, 0.0, 0.0), tuple(u), shape.long_axis_mm, shape.short_axis_mm)
        return d.reshape(len(centres), -1)

    def objective(x: NDArray[np.float64]) -> float:
        centres, u = unpack(x)
        margin = float(signed(centres, u, points).max(axis=0).min())
        inner = signed(centres, u, sample)
        # Where no pose set can cover the tumour the minimal margin is flat in every zone but the one
        # at the worst point; the mean depth of uncovered tumour then steers the others to cover more,
        # and a zone that misses the tumour is pulled back to it.
        uncovered = float(np.minimum(inner.max(axis=0), 0.0).mean())
        missing = float(np.maximum(-inner.max(axis=1), 0.0).sum())
        return -(margin + _COVERAGE_WEIGHT * uncovered) + _COVERAGE_WEIGHT * missing

    x0 = centres0.ravel()
    if free_direction:
        x0 = np.concatenate([x0, _angles(u0)])
    rng = np.random.default_rng(0)
    scale = shape.short_axis_mm / 4
    best_x, best_f = x0, objective(x0)
    for attempt in range(max(1, restarts)):
        start = x0.copy()
        if attempt:
            start[: 3 * count] += rng.normal(0.0, scale, 3 * count)
        res = minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={"xatol": 0.05, "fatol": 0.005, "maxfev": 250 * len(start), "adaptive": True},
        )
        if res.fun < best_f:
            best_x, best_f = np.asarray(res.x), float(res.fun)
    centres, u = unpack(best_x)
    # A zone that holds no tumour voxel adds nothing but a needle: drop it and say so.
    reach = signed(centres, u, body).max(axis=1)
    kept = centres[reach > 0.0] if (reach > 0.0).any() else centres[[int(np.argmax(reach))]]
    dropped = len(centres) - len(kept)
    poses = [ApplicatorPose(tuple(c + u * shape.centre_behind_tip_mm), tuple(u)) for c in kept]
    result = simulate_zone(tumour, shape, poses, liver, settings=settings, keep_maps=keep_maps)
    notes = [
        *result.notes,
        f"optimiser: {count} parallel applicator(s), Nelder-Mead from k-means centres ({max(1, restarts)} starts); "
        f"analytic minimal margin over surface voxel centres {-best_f:.2f} mm",
        "applicator directions ignore the access path: check the trajectory",
    ]
    if direction is None and not free_direction:
        notes.append("spherical zone: the direction does not change the zone")
    if dropped:
        notes.append(f"{dropped} of {count} applicator(s) placed no zone on the tumour and were left out")
    return SimulationResult(shape, result.poses, result.margin, True, tuple(notes), objective_mm=-best_f)
