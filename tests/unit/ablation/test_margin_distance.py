"""The exact voxel-centre distance transforms: equal to scipy, restricted regions, conventions.

Library cross-checks: scipy and SimpleITK (a dev dependency). SimpleITK's
``SignedMaurerDistanceMap`` measures inside distances to the mask's own boundary voxels, so it is
shorter inside by one voxel spacing up to one voxel diagonal, and equal outside; that documented
offset is asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from nenliver.ablation import bounding_box, distance_to_mask_mm, signed_distance_mm

RNG = np.random.default_rng(20240605)


def scipy_signed(mask: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
    inside = ndimage.distance_transform_edt(mask, sampling=spacing)
    outside = ndimage.distance_transform_edt(~mask, sampling=spacing)
    return np.where(mask, inside, -outside)


def random_mask(shape: tuple[int, int, int], fraction: float) -> np.ndarray:
    mask = RNG.random(shape) < fraction
    mask.flat[RNG.integers(mask.size)] = True
    mask.flat[RNG.integers(mask.size)] = False
    return mask


@pytest.mark.parametrize("fraction", [0.002, 0.05, 0.5, 0.95])
def test_signed_distance_equals_scipy_on_random_masks(fraction: float) -> None:
    for _ in range(6):
        shape = tuple(int(v) for v in RNG.integers(2, 28, 3))
        spacing = tuple(float(v) for v in RNG.uniform(0.3, 5.0, 3))
        mask = random_mask(shape, fraction)  # type: ignore[arg-type]
        expected = scipy_signed(mask, spacing)  # type: ignore[arg-type]
        got = signed_distance_mm(mask, spacing)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-5)


def test_distance_to_mask_equals_scipy_and_is_zero_inside() -> None:
    mask = random_mask((17, 23, 29), 0.01)
    spacing = (2.5, 0.8, 0.7)
    got = distance_to_mask_mm(mask, spacing)
    np.testing.assert_allclose(got, ndimage.distance_transform_edt(~mask, sampling=spacing), rtol=2e-6, atol=2e-5)
    assert np.all(got[mask] == 0)


def test_region_gives_the_same_values_as_the_full_grid() -> None:
    mask = random_mask((30, 31, 32), 0.003)
    spacing = (1.5, 0.9, 0.6)
    full = signed_distance_mm(mask, spacing)
    for _ in range(10):
        lo = RNG.integers(0, 25, 3)
        hi = lo + RNG.integers(1, 7, 3)
        region = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
        np.testing.assert_array_equal(signed_distance_mm(mask, spacing, region=region), full[region])
        np.testing.assert_allclose(
            distance_to_mask_mm(mask, spacing, region=region),
            ndimage.distance_transform_edt(~mask, sampling=spacing)[region],
            rtol=2e-6,
            atol=2e-5,
        )


def test_small_mask_in_a_large_grid_uses_every_slice() -> None:
    mask = np.zeros((60, 40, 50), dtype=bool)
    mask[30:34, 18:22, 20:27] = True
    spacing = (2.0, 0.8, 0.8)
    np.testing.assert_allclose(signed_distance_mm(mask, spacing), scipy_signed(mask, spacing), rtol=2e-6, atol=2e-5)


def test_convention_has_no_zero_and_measures_between_voxel_centres() -> None:
    mask = np.zeros((1, 1, 9), dtype=bool)
    mask[0, 0, 3:6] = True
    got = signed_distance_mm(mask, (1.0, 1.0, 0.5))[0, 0]
    assert got.tolist() == [-1.5, -1.0, -0.5, 0.5, 1.0, 0.5, -0.5, -1.0, -1.5]


def test_grid_exterior_is_neither_inside_nor_outside() -> None:
    full = np.ones((3, 4, 5), dtype=bool)
    assert np.all(np.isposinf(signed_distance_mm(full, (1, 1, 1))))
    empty = np.zeros((3, 4, 5), dtype=bool)
    assert np.all(np.isneginf(signed_distance_mm(empty, (1, 1, 1))))
    assert np.all(np.isposinf(distance_to_mask_mm(empty, (1, 1, 1))))


def test_bounding_box_is_end_exclusive() -> None:
    mask = np.zeros((5, 6, 7), dtype=bool)
    mask[1, 2, 3] = mask[3, 4, 5] = True
    assert bounding_box(mask) == ((1, 4), (2, 5), (3, 6))
    assert bounding_box(np.zeros((2, 2, 2), dtype=bool)) is None


@pytest.mark.parametrize(
    ("spacing", "shape"), [((0.0, 1.0, 1.0), (2, 2, 2)), ((1.0, 1.0), (2, 2, 2)), ((1.0, 1.0, 1.0), (2, 2))]
)
def test_bad_spacing_or_dimension_is_refused(spacing: tuple[float, ...], shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"spacing|3-D"):
        signed_distance_mm(np.ones(shape, dtype=bool), spacing)


def test_cross_check_with_simpleitk_documents_its_boundary_convention() -> None:
    import SimpleITK as sitk  # a dev dependency: the cross-check always runs in CI

    mask = np.zeros((24, 40, 40), dtype=bool)
    z, y, x = np.mgrid[:24, :40, :40]
    mask[((z - 12) * 2.5) ** 2 + ((y - 20) * 0.8) ** 2 + ((x - 19) * 0.8) ** 2 <= 12.0**2] = True
    spacing = (2.5, 0.8, 0.8)
    image = sitk.GetImageFromArray(mask.astype(np.uint8))
    image.SetSpacing(spacing[::-1])  # SimpleITK orders (x, y, z)
    maurer = sitk.GetArrayFromImage(
        sitk.SignedMaurerDistanceMap(image, insideIsPositive=True, squaredDistance=False, useImageSpacing=True)
    )
    ours = signed_distance_mm(mask, spacing)
    np.testing.assert_allclose(ours[~mask], maurer[~mask], atol=1e-4)  # outside: identical
    shorter = ours[mask] - maurer[mask]  # inside: Maurer measures to the boundary voxels (26-connected)
    assert shorter.min() >= min(spacing) - 1e-4
    assert shorter.max() <= float(np.linalg.norm(spacing)) + 1e-4  # at most one voxel diagonal
