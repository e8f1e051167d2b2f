"""Zone shapes as cited data, ellipsoid geometry, simulation and the applicator optimiser."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nenliver._data import load_yaml
from nenliver.ablation import (
    ApplicatorPose,
    get_zone_shape,
    load_zone_shapes,
    margin_from_masks,
    max_applicators,
    optimise_applicators,
    simulate_zone,
    spheroid_signed_distance_mm,
    zone_mask,
)
from nenliver.errors import InputError
from nenliver.imaging import Volume

SPACING = (1.0, 1.0, 1.0)
SHAPE = (70, 70, 70)
AFFINE = np.diag([*SPACING, 1.0])
C = np.array([35.0, 35.0, 35.0])


def world(shape=SHAPE, affine=AFFINE) -> np.ndarray:
    idx = np.stack(np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij"), axis=-1)
    return idx @ affine[:3, :3].T + affine[:3, 3]


PTS = world()


def sphere_volume(centre: np.ndarray, radius: float) -> Volume:
    mask = ((PTS - centre) ** 2).sum(axis=-1) <= radius**2
    return Volume(mask.astype(np.uint8), AFFINE, source="tumour")


def test_every_zone_number_is_cited_and_unverified_ones_are_flagged() -> None:
    raw = load_yaml("nenliver.ablation", "data/devices.yaml")["zone_shapes"]
    shapes = load_zone_shapes()
    assert {item["id"] for item in raw} == set(shapes)
    for item in raw:
        shape = shapes[item["id"]]
        for name in ("long_axis_mm", "short_axis_mm", "beyond_tip_mm"):
            entry = item[name]
            assert {"value", "unit", "tag", "source"} <= set(entry), (item["id"], name)
            assert entry["unit"] == "mm"
            assert (name in shape.unverified) == bool(entry.get("unverified")), (item["id"], name)
            if entry["tag"] == "K":
                assert entry.get("unverified"), f"{item['id']} {name}: background knowledge must be flagged"
        assert shape.long_axis_mm >= shape.short_axis_mm > 0


def test_seed_spheres_match_the_planning_zones() -> None:
    from nenliver.ablation import load_policy

    policy = load_policy()
    for shape_id, modality in (("seed-la-1", "la"), ("seed-rfa-1", "rfa"), ("seed-mwa-1", "mwa")):
        config = next(c for c in policy.configurations if c.modality == modality and c.applicators == 1)
        assert get_zone_shape(shape_id).long_axis_mm == config.zone_max_mm


def test_unknown_setting_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown zone shape"):
        get_zone_shape("nanoknife-magic")


def test_spheroid_distance_is_exact_on_axes_and_for_spheres() -> None:
    u = (0.0, 0.0, 1.0)
    pts = np.array([[0, 0, 0], [0, 0, 10], [0, 0, 30], [0, 7, 0], [0, 25, 0], [3, 4, 0]], dtype=float)
    got = spheroid_signed_distance_mm(pts, (0, 0, 0), u, 50.0, 30.0)
    # on the axis 10 mm from the centre the nearest surface point is off-axis: z = 10 / (1 - 15²/25²)
    z = 10.0 / (1 - 15.0**2 / 25.0**2)
    off_axis = math.hypot(z - 10.0, 15.0 * math.sqrt(1 - (z / 25.0) ** 2))
    assert got == pytest.approx([15.0, off_axis, -5.0, 8.0, -10.0, 10.0], abs=1e-9)
    rng = np.random.default_rng(3)
    random = rng.normal(size=(200, 3)) * 20
    sphere = spheroid_signed_distance_mm(random, (1, 2, 3), (0.3, 0.4, 0.5), 30.0, 30.0)
    assert sphere == pytest.approx(15.0 - np.linalg.norm(random - [1, 2, 3], axis=1), abs=1e-9)


def test_spheroid_distance_matches_dense_surface_sampling() -> None:
    a, b = 29.0, 18.5
    t = np.linspace(0, np.pi, 20001)
    surface = np.stack([b * np.sin(t), a * np.cos(t)], axis=1)  # meridian ellipse (radial, axial)
    rng = np.random.default_rng(5)
    pts = np.column_stack([rng.uniform(0, 35, 300), np.zeros(300), rng.uniform(-40, 40, 300)])
    got = spheroid_signed_distance_mm(pts, (0, 0, 0), (0, 0, 1), 2 * a, 2 * b)
    dense = np.min(np.hypot(pts[:, None, 0] - surface[None, :, 0], pts[:, None, 2] - surface[None, :, 1]), axis=1)
    inside = (pts[:, 2] / a) ** 2 + (pts[:, 0] / b) ** 2 <= 1
    np.testing.assert_allclose(np.abs(got), dense, atol=2e-3)
    assert np.array_equal(got > 0, inside)


def test_pose_places_the_zone_centre_behind_the_tip() -> None:
    shape = get_zone_shape("clinical-mwa-1")
    pose = ApplicatorPose((10.0, 0.0, 0.0), (2.0, 0.0, 0.0))
    assert pose.direction == (1.0, 0.0, 0.0)
    expected = 10.0 - (shape.long_axis_mm / 2 - shape.beyond_tip_mm)
    assert pose.centre_mm(shape) == pytest.approx([expected, 0.0, 0.0])
    with pytest.raises(ValueError, match="direction"):
        ApplicatorPose((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))


def test_rasterised_zone_has_the_ellipsoid_volume_on_an_oblique_grid() -> None:
    angle = 0.5
    rot = np.array([[1, 0, 0], [0, math.cos(angle), -math.sin(angle)], [0, math.sin(angle), math.cos(angle)]])
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag([1.5, 0.8, 0.8])
    grid = Volume(np.zeros((60, 110, 110), np.uint8), affine)
    centre = affine[:3, :3] @ np.array([30.0, 55.0, 55.0])  # the grid's middle
    shape = get_zone_shape("clinical-mwa-1")
    direction = np.array([0.2, 0.5, 0.84]) / np.linalg.norm([0.2, 0.5, 0.84])
    tip = centre + direction * shape.centre_behind_tip_mm
    mask = zone_mask(grid, shape, [ApplicatorPose(tuple(tip), tuple(direction))])
    assert not (mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())
    volume_ml = mask.sum() * 1.5 * 0.8 * 0.8 / 1000
    assert volume_ml == pytest.approx(shape.volume_ml, rel=0.01)


def test_concentric_sphere_simulation_gives_the_analytic_margin() -> None:
    shape = get_zone_shape("seed-mwa-1")  # 40 mm sphere
    tip = C + np.array([0.0, 0.0, shape.centre_behind_tip_mm])
    result = simulate_zone(sphere_volume(C, 10.0), shape, [ApplicatorPose(tuple(tip), (0.0, 0.0, 1.0))])
    assert result.margin.minimal_margin_mm == pytest.approx(10.0, abs=SPACING[1] + 0.1)
    assert result.margin.coverage_percent == 100.0
    assert any("[unverified]" in n for n in result.as_dict()["notes"])


def test_simulation_uses_the_same_engine_as_margin_assessment() -> None:
    shape = get_zone_shape("neuwave-pr-65w")
    tumour = sphere_volume(C, 9.0)
    pose = ApplicatorPose(tuple(C + np.array([3.0, 0.0, 10.0])), (0.0, 0.0, 1.0))
    sim = simulate_zone(tumour, shape, [pose])
    zone = zone_mask(tumour, shape, [pose])
    direct = margin_from_masks(np.asarray(tumour.array) > 0, zone, SPACING)
    assert sim.margin.minimal_margin_mm == direct.minimal_margin_mm
    assert sim.margin.coverage_percent == direct.coverage_percent


def test_zone_outside_the_image_is_refused() -> None:
    with pytest.raises(InputError, match="does not reach"):
        simulate_zone(sphere_volume(C, 8.0), get_zone_shape("seed-rfa-1"), [ApplicatorPose((900, 0, 0), (0, 0, 1))])


def test_optimiser_centres_one_applicator_on_a_sphere() -> None:
    shape = get_zone_shape("seed-mwa-1")
    result = optimise_applicators(sphere_volume(C, 10.0), shape, 1)
    assert result.optimised
    assert np.linalg.norm(result.poses[0].centre_mm(shape) - C) < 0.5
    assert result.margin.minimal_margin_mm == pytest.approx(10.0, abs=SPACING[1] + 0.1)
    assert result.objective_mm == pytest.approx(10.0, abs=0.5)


def test_two_applicators_do_not_do_worse_than_one_on_an_elongated_tumour() -> None:
    mask = (((PTS - C) / [8.0, 8.0, 19.0]) ** 2).sum(axis=-1) <= 1
    tumour = Volume(mask.astype(np.uint8), AFFINE, source="tumour")
    shape = get_zone_shape("seed-rfa-1")
    one = optimise_applicators(tumour, shape, 1, restarts=1)
    two = optimise_applicators(tumour, shape, 2, restarts=1)
    assert two.margin.minimal_margin_mm >= one.margin.minimal_margin_mm
    assert one.margin.minimal_margin_mm < 0 < two.margin.minimal_margin_mm  # 38 mm long tumour, 30 mm spheres


@pytest.mark.parametrize("count", [0, 4])
def test_optimiser_count_is_bounded_by_the_data(count: int) -> None:
    assert max_applicators() == 3
    with pytest.raises(InputError, match="applicators"):
        optimise_applicators(sphere_volume(C, 8.0), get_zone_shape("seed-rfa-1"), count)


def test_optimiser_improves_coverage_when_no_margin_is_possible() -> None:
    """A 40 mm tumour and 30 mm RFA zones: full coverage is impossible, so more zones must cover more."""
    tumour = sphere_volume(C, 20.0)
    shape = get_zone_shape("seed-rfa-1")
    one = optimise_applicators(tumour, shape, 1, restarts=1)
    three = optimise_applicators(tumour, shape, 3, restarts=1)
    assert three.margin.minimal_margin_mm < 0
    assert three.margin.coverage_percent >= one.margin.coverage_percent + 25.0
    for pose in three.poses:  # every zone holds tumour: its centre lies within tumour radius + zone radius
        assert np.linalg.norm(pose.centre_mm(shape) - C) < 20.0 + shape.short_axis_mm / 2
