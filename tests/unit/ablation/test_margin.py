"""Margin metrics, geometry handling and refusals of :mod:`nenliver.ablation.margin`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver._data import load_yaml
from nenliver.ablation import assess_margin, grid_spacing_mm, load_margin_settings, margin_from_masks
from nenliver.errors import GeometryMismatchError, ImagingInputError
from nenliver.imaging import Volume

SPACING = (2.5, 0.8, 0.8)
SHAPE = (30, 80, 80)


def centres(shape: tuple[int, ...], spacing: tuple[float, ...]) -> list[np.ndarray]:
    return np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing, strict=True)], indexing="ij")


def ball(centre_mm: tuple[float, ...], radius_mm: float, shape=SHAPE, spacing=SPACING) -> np.ndarray:
    grid = centres(shape, spacing)
    return sum((g - c) ** 2 for g, c in zip(grid, centre_mm, strict=True)) <= radius_mm**2


C = (37.5, 32.0, 32.0)


def test_settings_come_from_the_device_data_with_sources() -> None:
    s = load_margin_settings()
    data = load_yaml("nenliver.ablation", "data/devices.yaml")
    assert s.edges_mm == (0.0, data["margin"]["minimum_mm"]["value"], data["margin"]["ideal_mm"]["value"])
    for name, entry in data["margin_assessment"].items():
        assert {"value", "unit", "tag", "source"} <= set(entry), name
        assert s.sources[name]


def test_covered_tumour_has_full_coverage_no_residual_and_positive_margin() -> None:
    result = margin_from_masks(ball(C, 8), ball(C, 15), SPACING)
    assert result.coverage_percent == 100.0
    assert result.residual_tumour_volume_ml == 0.0
    assert result.minimal_margin_mm > 0
    assert result.tissue_at_risk_volume_ml == 0.0  # 7 mm margin everywhere > 5 mm shell
    # 7 mm true margin, but the 2.75 mm voxel diagonal leaves a lower bound under 5 mm: not confirmed.
    assert result.minimal_margin_lower_bound_mm < 5.0 <= result.minimal_margin_mm
    assert result.verdict_code == "borderline"


def test_histogram_counts_every_surface_voxel_once() -> None:
    result = margin_from_masks(ball(C, 8), ball((40.0, 35.0, 32.0), 12), SPACING)
    assert sum(b.voxels for b in result.histogram) == result.surface_voxels
    assert sum(b.percent for b in result.histogram) == pytest.approx(100.0)
    assert result.surface_ge_minimum_percent == pytest.approx(
        sum(b.percent for b in result.histogram if b.lower_mm is not None and b.lower_mm >= 5)
    )
    assert [b.label for b in result.histogram] == ["<0", "0-5", "5-10", ">=10"]


def test_incomplete_ablation_reports_residual_tumour_and_negative_margin() -> None:
    tumour, zone = ball(C, 10), ball(C, 7)
    result = margin_from_masks(tumour, zone, SPACING)
    voxel_ml = math.prod(SPACING) / 1000
    assert result.minimal_margin_mm < 0
    assert result.verdict_code == "incomplete"
    assert result.residual_tumour_volume_ml == pytest.approx((tumour & ~zone).sum() * voxel_ml)
    assert result.coverage_percent == pytest.approx(100 * (tumour & zone).sum() / tumour.sum())
    assert result.histogram[0].percent > 0
    assert result.tissue_at_risk_volume_ml > result.residual_tumour_volume_ml


def test_tissue_at_risk_is_tumour_plus_shell_not_ablated() -> None:
    from scipy import ndimage

    tumour = ball(C, 6)
    zone = ball((37.5, 36.0, 32.0), 9)
    result = margin_from_masks(tumour, zone, SPACING)
    shell = load_margin_settings().tissue_at_risk_shell_mm
    near = ndimage.distance_transform_edt(~tumour, sampling=SPACING) <= shell
    expected = (near & ~zone).sum() * math.prod(SPACING) / 1000
    assert result.tissue_at_risk_volume_ml == pytest.approx(expected)
    assert result.tissue_at_risk_volume_ml > result.residual_tumour_volume_ml > 0


def test_capsule_exclusion_ignores_covered_subcapsular_voxels_only() -> None:
    tumour = ball((37.5, 20.0, 32.0), 7)
    zone = ball((37.5, 20.0, 32.0), 11)
    liver = ball((37.5, 52.0, 32.0), 37)  # capsule near y = 15 mm, next to the tumour
    plain = margin_from_masks(tumour, zone, SPACING)
    excl = margin_from_masks(tumour, zone, SPACING, liver)
    assert excl.excluded_surface_voxels and excl.excluded_surface_voxels > 0
    assert excl.minimal_margin_without_exclusion_mm == pytest.approx(plain.minimal_margin_mm)
    assert excl.minimal_margin_mm >= plain.minimal_margin_mm
    assert excl.as_dict()["capsule_exclusion"]["exclusion_mm"] == load_margin_settings().capsule_exclusion_mm
    # uncovered tumour is never excluded
    small = ball((37.5, 20.0, 32.0), 5)
    incomplete = margin_from_masks(tumour, small, SPACING, liver)
    assert incomplete.minimal_margin_mm < 0


def test_location_and_direction_point_to_the_thinnest_side() -> None:
    tumour = ball(C, 8)
    zone = ball((37.5, 36.0, 32.0), 14)  # shifted +4 mm along axis 1: thinnest margin on the -1 side
    affine = np.diag([*SPACING, 1.0])
    result = margin_from_masks(tumour, zone, SPACING, affine=affine)
    assert result.location_index[1] < C[1] / SPACING[1]
    assert result.direction is not None and result.direction[1] < -0.9
    assert result.location_mm == pytest.approx(
        tuple(i * s for i, s in zip(result.location_index, SPACING, strict=True))
    )
    assert result.discretisation_uncertainty_mm == pytest.approx(math.hypot(*SPACING))


def test_json_carries_version_notice_method_and_policy() -> None:
    data = margin_from_masks(ball(C, 8), ball(C, 15), SPACING).as_dict()
    for key in (
        "minimal_margin_mm",
        "coverage_percent",
        "surface_margin_histogram",
        "surface_ge_5mm_percent",
        "residual_tumour_volume_ml",
        "tissue_at_risk_volume_ml",
    ):
        assert key in data
    assert data["software_version"] == __version__
    assert data["notice"] == CLINICIAN_REVIEW_NOTICE
    assert "voxel-centre" in data["method"]["estimator"]
    assert data["margin_policy"]["minimum_mm"] == 5
    assert any("registration" in n for n in data["notes"])


@pytest.mark.parametrize(
    ("zone_radius", "code"),
    [
        (7.0, "incomplete"),
        (11.0, "insufficient"),
        (15.0, "borderline"),  # 7 mm, lower bound 4.3 mm at a 2.75 mm voxel diagonal
        (17.0, "minimum"),
        (19.5, "minimum"),  # 11.5 mm meets the ideal 10 mm, its lower bound 8.8 mm does not
        (22.0, "ideal"),
    ],
)
def test_verdict_follows_the_policy_on_the_lower_bound(zone_radius: float, code: str) -> None:
    assert margin_from_masks(ball(C, 8), ball(C, zone_radius), SPACING).verdict_code == code


def test_a_7mm_margin_on_a_fine_grid_reads_minimum() -> None:
    fine = (0.5, 0.5, 0.5)
    shape = (80, 80, 80)
    result = margin_from_masks(
        ball((20.0, 20.0, 20.0), 8, shape, fine), ball((20.0, 20.0, 20.0), 15, shape, fine), fine
    )
    assert result.minimal_margin_lower_bound_mm >= 5.0
    assert result.verdict_code == "minimum"


def test_borderline_verdict_gives_the_interval_and_the_finer_grid_advice() -> None:
    result = margin_from_masks(ball(C, 8), ball(C, 13.2), SPACING)
    assert result.verdict_code == "borderline"
    assert "discretisation uncertainty" in result.verdict
    assert "voxel diagonal is below" in result.verdict
    data = result.as_dict()
    lower, estimate = data["minimal_margin_interval_mm"]
    assert estimate == data["minimal_margin_mm"] and lower == data["minimal_margin_lower_bound_mm"]
    assert lower == pytest.approx(estimate - data["discretisation_uncertainty_mm"], abs=2e-3)


def test_empty_tumour_array_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        margin_from_masks(np.zeros(SHAPE, bool), ball(C, 5), SPACING)


# --- assess_margin: Volumes, grids and refusals ------------------------------------------------


def volume(mask: np.ndarray, affine: np.ndarray | None = None, uid: str | None = None, name: str = "m") -> Volume:
    return Volume(mask.astype(np.uint8), np.diag([*SPACING, 1.0]) if affine is None else affine, uid, None, name)


def test_assess_margin_on_one_grid_equals_the_array_engine() -> None:
    tumour, zone = ball(C, 8), ball((37.5, 34.0, 32.0), 14)
    direct = margin_from_masks(tumour, zone, SPACING)
    result = assess_margin(volume(tumour), volume(zone))
    assert result.minimal_margin_mm == direct.minimal_margin_mm
    assert result.coverage_percent == direct.coverage_percent
    assert result.location_index == direct.location_index


def test_tumour_on_a_finer_grid_is_resampled_onto_the_ablation_grid() -> None:
    fine_spacing = (1.25, 0.4, 0.4)
    fine_shape = (60, 160, 160)
    tumour_fine = ball(C, 8, fine_shape, fine_spacing)
    zone = ball((37.5, 34.0, 32.0), 14)
    same = assess_margin(volume(ball(C, 8)), volume(zone))
    moved = assess_margin(volume(tumour_fine, np.diag([*fine_spacing, 1.0])), volume(zone))
    assert abs(moved.minimal_margin_mm - same.minimal_margin_mm) <= max(SPACING[1:]) + 1e-6
    assert any("resampled" in n for n in moved.notes)


def test_different_frames_of_reference_are_refused() -> None:
    with pytest.raises(GeometryMismatchError, match="FrameOfReferenceUID"):
        assess_margin(volume(ball(C, 8), uid="1.2.3"), volume(ball(C, 14), uid="1.2.4"))


def test_tumour_outside_the_ablation_field_of_view_is_refused() -> None:
    moved = np.diag([*SPACING, 1.0])
    moved[:3, 3] = (0.0, 50.0, 0.0)  # the tumour grid sits 50 mm further along axis 1
    with pytest.raises(GeometryMismatchError, match="field of view"):
        assess_margin(volume(ball(C, 8), moved, name="t.nii"), volume(ball(C, 14), name="a.nii"))


@pytest.mark.parametrize(
    ("tumour", "zone", "message"),
    [
        (np.zeros(SHAPE, np.uint8), ball(C, 14).astype(np.uint8), "empty"),
        (ball(C, 8).astype(np.uint8) * 2, ball(C, 14).astype(np.uint8), "binary"),
        (ball(C, 8).astype(np.uint8), np.zeros(SHAPE, np.uint8), "empty"),
    ],
)
def test_empty_or_non_binary_masks_are_refused(tumour: np.ndarray, zone: np.ndarray, message: str) -> None:
    affine = np.diag([*SPACING, 1.0])
    with pytest.raises(ImagingInputError, match=message):
        assess_margin(Volume(tumour, affine, source="t.nii"), Volume(zone, affine, source="a.nii"))


def test_sheared_grid_is_refused_and_oblique_grid_is_accepted() -> None:
    sheared = np.diag([*SPACING, 1.0])
    sheared[0, 1] = 0.3
    with pytest.raises(ImagingInputError, match="orthogonal"):
        grid_spacing_mm(Volume(np.zeros((2, 2, 2)), sheared))
    angle = 0.4
    rot = np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]])
    oblique = np.eye(4)
    oblique[:3, :3] = rot @ np.diag(SPACING)
    assert grid_spacing_mm(Volume(np.zeros((2, 2, 2)), oblique)) == pytest.approx(SPACING)


def test_liver_field_of_view_must_contain_the_tumour() -> None:
    shifted = np.diag([*SPACING, 1.0])
    shifted[:3, 3] = (0.0, 70.0, 0.0)
    with pytest.raises(GeometryMismatchError, match="liver"):
        assess_margin(volume(ball(C, 8)), volume(ball(C, 14)), volume(ball(C, 30), shifted))
