# SPDX-License-Identifier: Apache-2.0
"""Ablation zone shapes of device settings and their geometry: ellipsoids at applicator poses.

Each applicator makes a prolate (or spherical) ellipsoid, the *zone shape* of a device setting in
``devices.yaml``: long axis ``L`` along the applicator, short axis ``D`` across it, its distal edge
``beyond_tip_mm`` past the tip. :func:`zone_mask` rasterises the union of the ellipsoids of several
applicators on a grid; :func:`spheroid_signed_distance_mm` is the exact point-to-spheroid distance
(Eberly's bisection) the optimiser uses.

.. warning:: Nominal zones: device charts come from normal animal liver and over-predict clinical
   zones; numbers flagged ``unverified`` are placeholders (``docs/ablation.md`` §1).
   Decision support for clinician review.

References
----------
Eberly D. Distance from a point to an ellipse, an ellipsoid, or a hyperellipsoid. Geometric Tools,
2013 (updated 2020). https://www.geometrictools.com/Documentation/DistancePointEllipseEllipsoid.pdf
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver.ablation._devices import devices
from nenliver.ablation.distance import Box
from nenliver.errors import InputError, KnowledgeDataError, Problem
from nenliver.imaging.volume import Volume

__all__ = [
    "ApplicatorPose",
    "ZoneShape",
    "get_zone_shape",
    "load_zone_shapes",
    "max_applicators",
    "spheroid_signed_distance_mm",
    "zone_mask",
]

_SHAPE_NUMBERS = ("long_axis_mm", "short_axis_mm", "beyond_tip_mm")

#: Bisection steps of the point-to-ellipse distance (interval shrinks by 2**-steps).
_BISECTION_STEPS = 60

#: Relative distance from an ellipse axis below which a point is treated as on the axis.
_AXIS_SNAP = 1e-7


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


def spheroid_box(grid: Volume, centre: NDArray[np.float64], u: NDArray[np.float64], shape: ZoneShape) -> Box | None:
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
        sbox = spheroid_box(grid, centre, u, shape)
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
