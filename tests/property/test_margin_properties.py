"""Invariants of the margin engine (Hypothesis).

* the distance transform equals scipy's on any mask and spacing;
* enlarging the ablation zone never lowers the minimal margin or the coverage;
* mirroring or permuting the axes (with the spacing) changes nothing;
* the margin is negative exactly when coverage is below 100 %;
* on random sphere phantoms the error stays within the reported discretisation uncertainty (one
  voxel diagonal), and a covered tumour's margin is never underestimated (centre sampling puts
  every tumour centre inside the true zone and every non-zone centre outside it).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from nenliver.ablation import margin_from_masks, signed_distance_mm

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

spacings = st.tuples(*[st.floats(0.5, 5.0, allow_nan=False) for _ in range(3)])
shapes = st.tuples(*[st.integers(1, 12) for _ in range(3)])


@SETTINGS
@given(data=st.data(), shape=shapes, spacing=spacings)
def test_distance_transform_equals_scipy(data: st.DataObject, shape: tuple[int, int, int], spacing) -> None:
    mask = data.draw(arrays(np.bool_, shape))
    if mask.all() or not mask.any():
        return
    expected = np.where(
        mask,
        ndimage.distance_transform_edt(mask, sampling=spacing),
        -ndimage.distance_transform_edt(~mask, sampling=spacing),
    )
    np.testing.assert_allclose(signed_distance_mm(mask, spacing), expected, rtol=2e-6, atol=2e-5)


def _pair(data: st.DataObject) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    shape = data.draw(st.tuples(*[st.integers(4, 12) for _ in range(3)]))
    spacing = data.draw(spacings)
    tumour = data.draw(arrays(np.bool_, shape))
    zone = data.draw(arrays(np.bool_, shape))
    tumour[tuple(s // 2 for s in shape)] = True
    zone[0, 0, 0] = zone[-1, -1, -1] = True
    zone[1, 1, 1] = False
    return tumour, zone, spacing


@SETTINGS
@given(data=st.data())
def test_a_larger_zone_never_lowers_margin_or_coverage(data: st.DataObject) -> None:
    tumour, zone, spacing = _pair(data)
    extra = data.draw(arrays(np.bool_, tumour.shape))
    bigger = zone | extra
    bigger[1, 1, 1] = False  # keep a voxel outside so that distances stay finite
    small = margin_from_masks(tumour, zone, spacing)
    large = margin_from_masks(tumour, bigger, spacing)
    assert large.minimal_margin_mm >= small.minimal_margin_mm - 1e-4
    assert large.coverage_percent >= small.coverage_percent


@SETTINGS
@given(data=st.data(), axis=st.integers(0, 2), order=st.permutations([0, 1, 2]))
def test_mirroring_and_permuting_axes_change_nothing(data: st.DataObject, axis: int, order: list[int]) -> None:
    tumour, zone, spacing = _pair(data)
    base = margin_from_masks(tumour, zone, spacing)
    mirrored = margin_from_masks(np.flip(tumour, axis), np.flip(zone, axis), spacing)
    permuted = margin_from_masks(
        np.transpose(tumour, order), np.transpose(zone, order), tuple(spacing[i] for i in order)
    )
    for other in (mirrored, permuted):
        assert abs(other.minimal_margin_mm - base.minimal_margin_mm) <= 1e-4
        assert other.coverage_percent == base.coverage_percent
        assert other.surface_voxels == base.surface_voxels


@SETTINGS
@given(data=st.data())
def test_margin_is_negative_exactly_when_tumour_is_not_covered(data: st.DataObject) -> None:
    tumour, zone, spacing = _pair(data)
    result = margin_from_masks(tumour, zone, spacing)
    assert (result.minimal_margin_mm < 0) == (result.coverage_percent < 100.0)


@settings(max_examples=60, deadline=None)
@given(
    spacing=st.tuples(st.floats(0.7, 5.0), st.floats(0.7, 1.0), st.floats(0.7, 1.0)),
    offset=st.tuples(*[st.floats(0.0, 1.0) for _ in range(3)]),
    r_tumour=st.floats(4.0, 8.0),
    gap=st.floats(-3.0, 6.0),
    shift=st.tuples(*[st.floats(-2.0, 2.0) for _ in range(3)]),
)
@example(spacing=(2.5, 0.8, 0.8), offset=(0.0, 0.0, 0.0), r_tumour=8.0, gap=8.0, shift=(4.0, 0.0, 0.0))
@example(spacing=(4.0, 1.0, 1.0), offset=(0.0, 0.0, 0.0), r_tumour=4.0, gap=0.0, shift=(2.0, 0.0, 0.0))
@example(spacing=(4.0, 0.75, 1.0), offset=(0.5, 0.0, 0.0), r_tumour=6.0, gap=-1.5, shift=(-1.0, 0.0, 1.5))
@example(spacing=(2.0, 1.0, 1.0), offset=(0.0, 0.0, 0.0), r_tumour=4.0, gap=0.0, shift=(2.0, 0.0, 0.0))
def test_sphere_phantom_error_is_within_the_reported_uncertainty(spacing, offset, r_tumour, gap, shift) -> None:
    shift_mm = np.asarray(shift)
    r_zone = r_tumour + gap + float(np.linalg.norm(shift_mm))
    truth = r_zone - r_tumour - float(np.linalg.norm(shift_mm))
    extent = 2 * (r_zone + 3 + max(spacing))
    shape = tuple(int(extent / s) + 1 for s in spacing)
    pts = np.stack(np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing, strict=True)], indexing="ij"), -1)
    pts = pts - np.asarray(offset) * np.asarray(spacing)
    centre = np.full(3, extent / 2)
    tumour = ((pts - centre) ** 2).sum(-1) <= r_tumour**2
    zone = ((pts - centre - shift_mm) ** 2).sum(-1) <= r_zone**2
    if not tumour.any():
        return
    result = margin_from_masks(tumour, zone, spacing)
    assert abs(result.minimal_margin_mm - truth) <= result.discretisation_uncertainty_mm + 0.1
    assert result.discretisation_uncertainty_mm == pytest.approx(float(np.linalg.norm(spacing)))
    if truth >= 0:  # tumour centres lie in the true zone, non-zone centres outside it: never below truth
        assert result.minimal_margin_mm >= truth - 1e-4
