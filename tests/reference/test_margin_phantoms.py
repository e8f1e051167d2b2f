"""Minimal ablative margin on analytic phantoms with known answers.

Source of the truths: geometry. For a sphere tumour of radius r inside a sphere zone of radius R
whose centre is shifted by s, the minimal margin is R - r - s (negative when the tumour pokes out:
then it is minus the depth of the deepest tumour point outside the zone). For a sphere inside a
spheroid with semi-axes (a, b, b), a > b, centred or shifted by s along a short axis, it is
b - s - r (the nearest surface point lies on the short axis). Phantoms are voxelised by voxel
centre with random sub-voxel offsets (fixed seeds), on anisotropic grids of 0.7-5 mm and on
oblique (rotated) grids.

Tolerances (docs/ablation.md, "Validation"):

* margin direction in-plane: |MAM - truth| <= one in-plane voxel + 0.1 mm (the brief's bound;
  ablation-imaging.md §1.5 measured +0.04..+0.4 mm for this estimator);
* margin direction through thick slices: the voxel data cannot place either surface closer than
  one slice, so the bound is one slice thickness + 0.1 mm;
* always: within the reported ``discretisation_uncertainty_mm`` (one voxel diagonal) + 0.1 mm, and
  a covered tumour's margin is never below the truth.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from nenliver.ablation import assess_margin, margin_from_masks
from nenliver.imaging import Volume

pytestmark = pytest.mark.reference

SPACINGS = [(1.0, 0.7, 0.7), (2.5, 0.8, 0.8), (5.0, 0.7, 0.7), (2.0, 2.0, 2.0)]
EXTENT_MM = 64.0
CENTRE = np.array([32.0, 32.0, 32.0])
TOL_EXTRA_MM = 0.1


def voxel_centres(spacing: tuple[float, ...], offset: np.ndarray, rotation: np.ndarray | None = None) -> np.ndarray:
    shape = tuple(int(EXTENT_MM / s) for s in spacing)
    idx = np.stack(np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing, strict=True)], indexing="ij"), -1)
    pts = idx - offset
    return pts if rotation is None else (pts - CENTRE) @ rotation.T + CENTRE


def sphere(pts: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    return ((pts - centre) ** 2).sum(axis=-1) <= radius**2


def spheroid(
    pts: np.ndarray, centre: np.ndarray, semi_axes: tuple[float, float, float], frame: np.ndarray
) -> np.ndarray:
    local = (pts - centre) @ frame
    return ((local / np.asarray(semi_axes)) ** 2).sum(axis=-1) <= 1.0


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    k = axis / np.linalg.norm(axis)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross


def in_plane_tolerance(spacing: tuple[float, ...]) -> float:
    return sorted(spacing)[1] + TOL_EXTRA_MM  # the larger of the two finest spacings


def offsets(spacing: tuple[float, ...], seed: int, count: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 1, 3) * np.asarray(spacing) for _ in range(count)]


# (name, build(pts) -> (tumour, zone), truth, margin direction in-plane?)
def _concentric(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sphere(pts, CENTRE, 10.0), sphere(pts, CENTRE, 16.0)


def _offset_in_plane(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sphere(pts, CENTRE, 10.0), sphere(pts, CENTRE + np.array([0.0, 3.0, 0.0]), 16.0)


def _offset_through_plane(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sphere(pts, CENTRE, 8.0), sphere(pts, CENTRE + np.array([4.0, 0.0, 0.0]), 16.0)


def _incomplete(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sphere(pts, CENTRE, 10.0), sphere(pts, CENTRE + np.array([0.0, 1.0, 0.0]), 8.0)


def _spheroid_zone(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sphere(pts, CENTRE, 10.0), spheroid(pts, CENTRE, (22.5, 17.5, 17.5), np.eye(3))


def _spheroid_shifted(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sphere(pts, CENTRE, 10.0), spheroid(pts, CENTRE + np.array([0.0, 3.0, 0.0]), (22.5, 17.5, 17.5), np.eye(3))


PHANTOMS = [
    ("concentric", _concentric, 6.0, True),
    ("offset-in-plane", _offset_in_plane, 3.0, True),
    ("offset-through-plane", _offset_through_plane, 4.0, False),
    ("incomplete", _incomplete, -3.0, True),
    ("spheroid-zone", _spheroid_zone, 7.5, True),
    ("spheroid-zone-shifted", _spheroid_shifted, 4.5, True),
]


@pytest.mark.parametrize("spacing", SPACINGS, ids=lambda s: "x".join(f"{v:g}" for v in s))
@pytest.mark.parametrize(("name", "build", "truth", "in_plane"), PHANTOMS, ids=[p[0] for p in PHANTOMS])
def test_minimal_margin_matches_geometry(name, build, truth, in_plane, spacing) -> None:
    thick_slices = spacing[0] > 2.5
    for k, offset in enumerate(offsets(spacing, seed=zlib.crc32(f"{name}{spacing}".encode()))):
        tumour, zone = build(voxel_centres(spacing, offset))
        result = margin_from_masks(tumour, zone, spacing)
        error = result.minimal_margin_mm - truth
        assert abs(error) <= result.discretisation_uncertainty_mm + TOL_EXTRA_MM, (name, k, error)
        assert abs(error) <= max(spacing) + TOL_EXTRA_MM, (name, k, error)  # one slice
        if truth >= 0:
            assert error >= -1e-4, (name, k, error)
        if in_plane and not (thick_slices and name == "incomplete"):
            assert abs(error) <= in_plane_tolerance(spacing), (name, k, error)
        assert (result.coverage_percent < 100.0) == (truth < 0)


@pytest.mark.parametrize("spacing", [(1.0, 0.7, 0.7), (2.5, 0.8, 0.8), (5.0, 0.7, 0.7)])
def test_oblique_grid_and_oblique_zone(spacing: tuple[float, float, float]) -> None:
    """Rotated voxel grid, spheroid zone at another angle: the volumes go through assess_margin."""
    rng = np.random.default_rng(11)
    for _ in range(2):
        grid_rotation = rotation(rng.normal(size=3), rng.uniform(0.3, 1.2))
        zone_frame = rotation(rng.normal(size=3), 0.7)
        offset = rng.uniform(0, 1, 3) * np.asarray(spacing)
        pts = voxel_centres(spacing, offset, grid_rotation)
        tumour = sphere(pts, CENTRE, 10.0)
        zone = spheroid(pts, CENTRE, (22.5, 17.5, 17.5), zone_frame)
        affine = np.eye(4)
        affine[:3, :3] = grid_rotation @ np.diag(spacing)
        affine[:3, 3] = pts[0, 0, 0]
        result = assess_margin(Volume(tumour.astype(np.uint8), affine), Volume(zone.astype(np.uint8), affine))
        assert abs(result.minimal_margin_mm - 7.5) <= in_plane_tolerance(spacing)
        assert result.location_mm is not None
        centre_to_min = np.linalg.norm(np.asarray(result.location_mm) - CENTRE)
        assert centre_to_min == pytest.approx(10.0, abs=math.hypot(*spacing))


def test_acceptance_phantoms_of_the_shared_check() -> None:
    """The four cases of shared/acceptance/check.py (spacing 0.8 x 0.8 x 2.5 mm, tolerance 1 mm)."""
    spacing = (0.8, 0.8, 2.5)
    shape = (120, 120, 40)
    grid = np.stack(np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing, strict=True)], indexing="ij"), -1)
    centre = np.array([48.0, 48.0, 50.0])
    cases = [
        (10.0, 16.0, (0, 0, 0), 6.0),
        (10.0, 16.0, (3.0, 0, 0), 3.0),
        (8.0, 16.0, (0, 0, 4.0), 4.0),
        (10.0, 8.0, (0, 0, 0), -2.0),
    ]
    for r_t, r_a, shift, truth in cases:
        result = margin_from_masks(sphere(grid, centre, r_t), sphere(grid, centre + shift, r_a), spacing)
        assert abs(result.minimal_margin_mm - truth) <= 1.0, (r_t, r_a, shift)
        assert (result.coverage_percent < 100) == (truth < 0)


# Sub-voxel sweep of the verdict: true margins just under and over the thresholds, many placements of
# the voxel grid on coarse and thick-slice grids. The verdict may be pessimistic, never optimistic.
SWEEP_GRIDS = [(2.5, 2.5, 2.5), (5.0, 0.78, 0.78)]
SAFE_BELOW_MINIMUM = {"incomplete", "insufficient", "borderline"}


@pytest.mark.parametrize("spacing", SWEEP_GRIDS, ids=lambda s: "x".join(f"{v:g}" for v in s))
@pytest.mark.parametrize("truth", [3.0, 4.5, 4.9, 9.5])
def test_no_threshold_reads_met_when_the_truth_is_below_it(spacing: tuple[float, float, float], truth: float) -> None:
    rng = np.random.default_rng(zlib.crc32(f"sweep{spacing}{truth}".encode()))
    centre = np.array([24.0, 24.0, 24.0])
    for _ in range(30):
        offset = rng.uniform(0, 1, 3) * np.asarray(spacing)
        shape = tuple(int(48.0 / s) for s in spacing)
        idx = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing, strict=True)], indexing="ij")
        pts = np.stack(idx, -1) - offset
        result = margin_from_masks(sphere(pts, centre, 10.0), sphere(pts, centre, 10.0 + truth), spacing)
        assert result.minimal_margin_lower_bound_mm <= truth + 1e-6, (offset, result.minimal_margin_mm)
        if truth < 5.0:
            assert result.verdict_code in SAFE_BELOW_MINIMUM, (offset, result.minimal_margin_mm)
        assert result.verdict_code != "ideal"
