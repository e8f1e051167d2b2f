# SPDX-License-Identifier: Apache-2.0
"""Predicted ablation zones at applicator poses, and a small optimiser that places 1–3 applicators.

Each applicator makes a prolate (or spherical) ellipsoid, the *zone shape* of a device setting in
``devices.yaml``: long axis ``L`` along the applicator, short axis ``D`` across it, its distal edge
``beyond_tip_mm`` past the tip. Several applicators make the union of their ellipsoids (no
synergy between them is modelled). The predicted zone is rasterised on the tumour's grid and
judged by the same margin engine as a real ablation zone (:func:`margin_from_masks`).

The optimiser keeps the applicators parallel (one direction, as in a cluster) and moves their
zone centres (and the direction, for non-spherical zones when none is given) to maximise the
minimal margin over the tumour's surface voxel centres, computed exactly for each ellipsoid
(point-to-spheroid distance, Eberly's bisection) and taking the best ellipsoid at each point.
Inside the union this is a lower bound of the union's margin. The result is then re-evaluated on
voxels with the margin engine; that is the number reported.

.. warning:: Nominal zones: device charts come from normal animal liver and over-predict clinical
   zones; heat sink, perfusion, access path, vessels and organs at risk are not modelled; numbers
   flagged ``unverified`` are placeholders (``shared/reference/ablation-imaging.md`` §2.3).
   Decision support for clinician review.

References
----------
Eberly D. Distance from a point to an ellipse, an ellipsoid, or a hyperellipsoid. Geometric Tools,
2013 (updated 2020). https://www.geometrictools.com/Documentation/DistancePointEllipseEllipsoid.pdf

Nelder JA, Mead R. A simplex method for function minimization. Comput J 1965;7:308-313.
"""

from __future__ import annotations

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
from nenliver.ablation.distance import Box, bounding_box
from nenliver.ablation.margin import (
    MarginResult,
    MarginSettings,
    grid_spacing_mm,
    load_margin_settings,
    margin_from_masks,
)
from nenliver.errors import InputError, KnowledgeDataError, Problem
from nenliver.imaging.volume import Volume, as_mask, check_same_frame

__all__ = [
    "ApplicatorPose",
    "SimulationResult",
    "ZoneShape",
    "get_zone_shape",
    "load_zone_shapes",
    "max_applicators",
    "optimise_applicators",
    "simulate_zone",
    "spheroid_signed_distance_mm",
    "zone_mask",
]

_SHAPE_NUMBERS = ("long_axis_mm", "short_axis_mm", "beyond_tip_mm")
#: Bisection steps of the point-to-ellipse distance (interval shrinks by 2**-steps).
_BISECTION_STEPS = 60
#: Relative distance from an ellipse axis below which a point is treated as on the axis.
_AXIS_SNAP = 1e-7
#: Surface points used by the optimiser's objective at most (evenly spread over the surface list).
_MAX_POINTS = 1500
#: Weight of the uncovered-depth and missed-tumour terms of the optimiser's objective (mm per mm).
#: An optimiser tuning constant, not clinical knowledge: it only ranks pose sets that leave tumour
#: uncovered (the term is 0 once the zones cover every sampled tumour voxel).
_COVERAGE_WEIGHT = 10.0
#: Tumour voxel centres sampled for the optimiser's coverage term (evenly spread).
_COVERAGE_POINTS = 600


@dataclass(frozen=True)
class ZoneShape:
    """Nominal ellipsoidal ablation zone of one applicator at one device setting."""

    id: str
    modality: str
    label: str
    long_axis_mm: float
    short_axis_mm: float
    beyond_tip_mm: float
    unverified: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def centre_behind_tip_mm(self) -> float:
        """Distance from the tip back to the zone centre along the applicator, mm."""
        return self.long_axis_mm / 2 - self.beyond_tip_mm

    @property
    def volume_ml(self) -> float:
        """Ellipsoid volume π/6 · L · D², mL."""
        return math.pi / 6 * self.long_axis_mm * self.short_axis_mm**2 / 1000.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "modality": self.modality,
            "label": self.label,
            "long_axis_mm": self.long_axis_mm,
            "short_axis_mm": self.short_axis_mm,
            "beyond_tip_mm": self.beyond_tip_mm,
            "volume_ml": round(self.volume_ml, 3),
            "unverified": list(self.unverified),
            "sources": dict(self.sources),
        }


@cache
def load_zone_shapes() -> dict[str, ZoneShape]:
    """Zone shapes of ``ablation/data/devices.yaml`` by id.

    Examples
    --------
    >>> load_zone_shapes()["seed-rfa-1"].long_axis_mm
    30.0
    """
    data = devices()
    shapes = {}
    for item in data["zone_shapes"]:
        numbers, unverified, sources = {}, [], {}
        for name in _SHAPE_NUMBERS:
            entry = item.get(name)
            if not isinstance(entry, dict) or any(
                entry.get(k) in (None, "") for k in ("value", "unit", "tag", "source")
            ):
                raise KnowledgeDataError(
                    f"ablation/data/devices.yaml: zone {item.get('id')} {name} lacks value/unit/tag/source"
                )
            numbers[name] = float(entry["value"])
            sources[name] = f"{entry['source']['key']}: {entry['source']['locator']} [{entry['tag']}]"
            if entry.get("unverified"):
                unverified.append(name)
        shapes[item["id"]] = ZoneShape(
            id=item["id"],
            modality=item["modality"],
            label=item["label"],
            long_axis_mm=numbers["long_axis_mm"],
            short_axis_mm=numbers["short_axis_mm"],
            beyond_tip_mm=numbers["beyond_tip_mm"],
            unverified=tuple(unverified),
            sources=sources,
        )
    return shapes


def get_zone_shape(name: str) -> ZoneShape:
    """The zone shape ``name``; unknown names raise :class:`~nenliver.errors.InputError`."""
    shapes = load_zone_shapes()
    if name not in shapes:
        raise InputError(
            "--setting", [Problem("setting", f"unknown zone shape {name!r}", "one of " + ", ".join(shapes))]
        )
    return shapes[name]


def max_applicators() -> int:
    """Most applicators the optimiser places (``optimiser.max_applicators`` of ``devices.yaml``)."""
    return int(devices()["optimiser"]["max_applicators"]["value"])


@dataclass(frozen=True)
class ApplicatorPose:
    """An applicator: tip position and direction (from skin entry towards the tip), LPS mm."""

    tip_mm: tuple[float, float, float]
    direction: tuple[float, float, float]

    def __post_init__(self) -> None:
        tip = np.asarray(self.tip_mm, dtype=float)
        u = np.asarray(self.direction, dtype=float)
        norm = float(np.linalg.norm(u)) if u.shape == (3,) else 0.0
        if tip.shape != (3,) or not np.all(np.isfinite(tip)) or not math.isfinite(norm) or norm == 0.0:
            raise ValueError("an applicator needs a finite 3-D tip and a non-zero 3-D direction")
        object.__setattr__(self, "tip_mm", (float(tip[0]), float(tip[1]), float(tip[2])))
        object.__setattr__(self, "direction", (float(u[0] / norm), float(u[1] / norm), float(u[2] / norm)))

    def centre_mm(self, shape: ZoneShape) -> NDArray[np.float64]:
        """Zone centre: behind the tip by ``L/2 - beyond_tip_mm`` along the applicator."""
        return np.asarray(self.tip_mm) - np.asarray(self.direction) * shape.centre_behind_tip_mm


def _spheroid_box(grid: Volume, centre: NDArray[np.float64], u: NDArray[np.float64], shape: ZoneShape) -> Box | None:
    a, b = shape.long_axis_mm / 2, shape.short_axis_mm / 2
    half = np.sqrt(a**2 * u**2 + b**2 * (1 - u**2))
    signs = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1], indexing="ij")).reshape(3, -1).T
    world = np.column_stack([centre + signs * half, np.ones(len(signs))]).T
    idx = (np.linalg.inv(grid.affine) @ world)[:3]
    box = []
    for axis, n in enumerate(grid.shape):
        lo = max(0, math.floor(idx[axis].min()))
        hi = min(n, math.ceil(idx[axis].max()) + 1)
        if hi <= lo:
            return None
        box.append((lo, hi))
    return (box[0], box[1], box[2])


def zone_mask(
    grid: Volume, shape: ZoneShape, poses: Sequence[ApplicatorPose], box: Box | None = None
) -> NDArray[np.bool_]:
    """Union of the ellipsoids of ``poses`` on the voxel centres of ``grid`` (or its part ``box``).

    Parameters
    ----------
    grid : Volume
        The grid (its array is not used).
    shape : ZoneShape
        Zone of one applicator.
    poses : sequence of ApplicatorPose
        Applicators (LPS mm).
    box : index box, optional
        Part of the grid to rasterise; the whole grid by default.

    Returns
    -------
    ndarray of bool
        Shape of ``box`` (or of the grid).
    """
    full: Box = ((0, grid.shape[0]), (0, grid.shape[1]), (0, grid.shape[2]))
    box = box or full
    out = np.zeros(tuple(hi - lo for lo, hi in box), dtype=bool)
    a, b = shape.long_axis_mm / 2, shape.short_axis_mm / 2
    for pose in poses:
        u = np.asarray(pose.direction)
        centre = pose.centre_mm(shape)
        sbox = _spheroid_box(grid, centre, u, shape)
        if sbox is None:
            continue
        sub = [(max(s0, b0), min(s1, b1)) for (s0, s1), (b0, b1) in zip(sbox, box, strict=True)]
        if any(hi <= lo for lo, hi in sub):
            continue
        i, j, k = np.meshgrid(*[np.arange(lo, hi, dtype=float) for lo, hi in sub], indexing="ij")
        rel = [
            grid.affine[r, 0] * i + grid.affine[r, 1] * j + grid.affine[r, 2] * k + grid.affine[r, 3] - centre[r]
            for r in range(3)
        ]
        axial = rel[0] * u[0] + rel[1] * u[1] + rel[2] * u[2]
        radial2 = rel[0] ** 2 + rel[1] ** 2 + rel[2] ** 2 - axial**2
        inside = (axial / a) ** 2 + radial2 / b**2 <= 1.0
        view = tuple(slice(lo - b0, hi - b0) for (lo, hi), (b0, _) in zip(sub, box, strict=True))
        out[view] |= inside
    return out


def _ellipse_distance(
    y0: NDArray[np.float64], y1: NDArray[np.float64], e0: float, e1: float
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Distance from points ``(y0, y1) >= 0`` to the ellipse with semi-axes ``e0 >= e1``; inside flags.

    Eberly's method: bisection on the Lagrange parameter in the open quadrant, closed forms on
    the axes (points within ``_AXIS_SNAP`` of an axis are moved onto it; the distance is
    1-Lipschitz, so this changes it by at most that much).
    """
    y0 = np.where(y0 < _AXIS_SNAP * e0, 0.0, y0)
    y1 = np.where(y1 < _AXIS_SNAP * e1, 0.0, y1)
    inside = (y0 / e0) ** 2 + (y1 / e1) ** 2 < 1.0
    # Open quadrant (both coordinates positive): bisection.
    q0, q1 = np.maximum(y0, _AXIS_SNAP * e0), np.maximum(y1, _AXIS_SNAP * e1)
    z0, z1 = q0 / e0, q1 / e1
    g = z0**2 + z1**2 - 1.0
    r0 = (e0 / e1) ** 2
    n0 = r0 * z0
    s0 = z1 - 1.0
    s1 = np.where(g < 0, 0.0, np.hypot(n0, z1) - 1.0)
    for _ in range(_BISECTION_STEPS):
        s = (s0 + s1) / 2
        above = (n0 / (s + r0)) ** 2 + (z1 / (s + 1.0)) ** 2 - 1.0 > 0
        s0 = np.where(above, s, s0)
        s1 = np.where(above, s1, s)
    s = (s0 + s1) / 2
    dist = np.hypot(r0 * q0 / (s + r0) - q0, q1 / (s + 1.0) - q1)
    # On the minor axis (y0 = 0): the nearest point is the end of the minor axis.
    dist = np.where(y0 == 0.0, np.abs(y1 - e1), dist)
    # On the major axis (y1 = 0): off-axis nearest point while y0 < (e0² - e1²) / e0.
    on_major = (y1 == 0.0) & (y0 > 0.0)
    if on_major.any():
        numer, denom = e0 * y0, e0**2 - e1**2
        ratio = np.where(denom > 0, numer / np.where(denom > 0, denom, 1.0), np.inf)
        inner = ratio < 1.0
        x0 = e0 * np.where(inner, ratio, 1.0)
        x1 = e1 * np.sqrt(np.maximum(0.0, 1.0 - np.where(inner, ratio, 1.0) ** 2))
        major = np.where(inner, np.hypot(x0 - y0, x1), np.abs(y0 - e0))
        dist = np.where(on_major, major, dist)
    return dist, inside


def spheroid_signed_distance_mm(
    points_mm: NDArray[np.float64],
    centre_mm: Sequence[float],
    direction: Sequence[float],
    long_mm: float,
    short_mm: float,
) -> NDArray[np.float64]:
    """Signed distance of points to a spheroid surface: positive inside, negative outside, mm.

    Parameters
    ----------
    points_mm : (N, 3) array
        Points, mm.
    centre_mm, direction : 3 floats
        Centre and unit axis of the spheroid.
    long_mm, short_mm : float
        Axis lengths (diameters) along and across ``direction``, mm.

    Returns
    -------
    (N,) array

    Notes
    -----
    In the meridian plane the problem is the distance to an ellipse, solved by Eberly's bisection
    on the Lagrange parameter (robust inside and outside).

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 25.0], [0.0, 30.0, 0.0]])
    >>> spheroid_signed_distance_mm(pts, (0, 0, 0), (0, 0, 1), 40.0, 20.0).round(6).tolist()
    [10.0, -5.0, -20.0]
    """
    rel = np.asarray(points_mm, dtype=float) - np.asarray(centre_mm, dtype=float)
    u = np.asarray(direction, dtype=float)
    axial = np.abs(rel @ u)
    radial = np.sqrt(np.maximum(np.einsum("ij,ij->i", rel, rel) - axial**2, 0.0))
    a, b = long_mm / 2, short_mm / 2
    if a >= b:
        d, inside = _ellipse_distance(axial, radial, a, b)
    else:
        d, inside = _ellipse_distance(radial, axial, b, a)
    return np.where(inside, d, -d)


@dataclass(frozen=True)
class SimulationResult:
    """A predicted zone and its margin judged by the margin engine."""

    shape: ZoneShape
    poses: tuple[ApplicatorPose, ...]
    margin: MarginResult
    optimised: bool
    notes: tuple[str, ...] = ()
    objective_mm: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of ``nenliver ablation simulate --json`` (without inputs)."""
        m = self.margin.as_dict()
        return {
            "setting": self.shape.as_dict(),
            "applicators": [
                {
                    "tip_mm": [round(v, 3) for v in p.tip_mm],
                    "direction": [round(v, 5) for v in p.direction],
                    "zone_centre_mm": [round(float(v), 3) for v in p.centre_mm(self.shape)],
                }
                for p in self.poses
            ],
            "optimised": self.optimised,
            "optimiser_objective_mm": None if self.objective_mm is None else round(self.objective_mm, 3),
            "predicted": {k: v for k, v in m.items() if k not in ("software_version", "notice", "notes")},
            "notes": [*self.notes, *m["notes"]],
            "frame": "LPS (DICOM patient coordinates), mm",
            "software_version": __version__,
            "notice": CLINICIAN_REVIEW_NOTICE,
        }


def _shape_notes(shape: ZoneShape) -> list[str]:
    notes = [
        f"nominal zone {shape.long_axis_mm:g} x {shape.short_axis_mm:g} mm ({shape.label}): charts come from "
        "normal animal liver and over-predict clinical zones; heat sink, perfusion, access path and organs at risk "
        "are not modelled"
    ]
    if shape.unverified:
        notes.append(
            f"[unverified] placeholder values in {shape.id}: {', '.join(shape.unverified)} "
            "(shared/reference/ablation-imaging.md §2.3): replace from the device's instructions for use"
        )
    return notes


def _prepare(
    tumour: Volume, liver: Volume | None
) -> tuple[tuple[float, float, float], NDArray[np.bool_], Box, NDArray[np.bool_] | None]:
    spacing = grid_spacing_mm(tumour)
    t_mask = as_mask(tumour, "tumour")
    l_mask = None
    if liver is not None:
        check_same_frame(tumour, liver)
        l_mask = mask_on_grid(liver, as_mask(liver, "liver"), tumour)
    t_box = bounding_box(t_mask)
    assert t_box is not None  # as_mask refuses empty masks
    return spacing, t_mask, t_box, l_mask


def simulate_zone(
    tumour: Volume,
    shape: ZoneShape,
    poses: Sequence[ApplicatorPose],
    liver: Volume | None = None,
    *,
    settings: MarginSettings | None = None,
    keep_maps: bool = False,
) -> SimulationResult:
    """Predicted coverage and margin of the zones of ``poses`` around a tumour mask.

    Parameters
    ----------
    tumour : Volume
        Binary tumour mask; its grid carries the simulation.
    shape : ZoneShape
        Zone of one applicator (device setting).
    poses : sequence of ApplicatorPose
        One to a few applicators, LPS mm.
    liver : Volume, optional
        Liver mask (capsule exclusion, tissue at risk).
    settings : MarginSettings, optional
        Margin thresholds.
    keep_maps : bool
        Keep arrays for the margin map picture.

    Returns
    -------
    SimulationResult
    """
    if not poses:
        raise InputError("--applicator", [Problem("applicator", "no applicator given", "at least one pose")])
    spacing, t_mask, t_box, l_mask = _prepare(tumour, liver)
    s = settings or load_margin_settings()
    pad = [math.ceil(max(s.tissue_at_risk_shell_mm, s.capsule_exclusion_mm) / v) + 2 for v in spacing]
    boxes = [grow_box(t_box, pad, tumour.shape)]
    clipped = False
    for pose in poses:
        sbox = _spheroid_box(tumour, pose.centre_mm(shape), np.asarray(pose.direction), shape)
        if sbox is not None:
            boxes.append(grow_box(sbox, (1, 1, 1), tumour.shape))
    work_box = union_box(boxes)
    zone = zone_mask(tumour, shape, poses, work_box)
    if not zone.any():
        raise InputError(
            "--applicator",
            [
                Problem(
                    "applicator", "the predicted zone does not reach the tumour image", "poses near the tumour (LPS mm)"
                )
            ],
        )
    edge = [(lo, hi) for lo, hi in work_box]
    for axis, (lo, hi) in enumerate(edge):
        if (lo == 0 and zone.take(0, axis=axis).any()) or (hi == tumour.shape[axis] and zone.take(-1, axis=axis).any()):
            clipped = True
    work = crop_volume(tumour, work_box)
    margin = margin_from_masks(
        t_mask[box_slices(work_box)],
        zone,
        spacing,
        None if l_mask is None else l_mask[box_slices(work_box)],
        affine=work.affine,
        origin_index=[b[0] for b in work_box],
        settings=s,
        keep_maps=keep_maps,
    )
    notes = _shape_notes(shape)
    notes.append(f"{len(poses)} applicator(s): union of independent ellipsoids, no synergy modelled")
    if clipped:
        notes.append("the predicted zone reaches beyond the tumour image and is clipped there")
    return SimulationResult(shape, tuple(poses), margin, optimised=False, notes=tuple(notes))


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
    spacing, t_mask, t_box, _ = _prepare(tumour, liver)
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
