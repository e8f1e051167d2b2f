"""Benchmark: minimal ablative margin on a tumour ROI, and a signed EDT on a full 512x512x300 grid.

Goals (issue 5), on the 2-core machine:

* MAM on a tumour ROI <= 50 ms (``margin_from_masks``: tumour r = 12 mm off-centre in a
  45 x 35 x 35 mm ellipsoidal zone, ROI = tumour box + 20 mm at 1.0 x 0.78 x 0.78 mm, as in
  ablation-imaging.md §1.5); the whole ``assess_margin`` on the 512x512x300 grid is shown too;
* signed EDT of an ablation-zone mask on a full 512x512x300 grid <= 2 s, printed with its ratio
  to ``scipy.ndimage.distance_transform_edt`` (two calls: inside and outside) in the same run.
  A liver-sized mask is timed as well (information, not a goal).

``--bias`` prints the discretisation bias of the estimator on analytic phantoms (the table of
docs/ablation.md): sphere tumours in sphere/spheroid zones, random sub-voxel offsets, in-plane
0.78 mm, slices 1 / 2.5 / 5 mm.

    python benchmarks/bench_margin.py [--repeat 5] [--no-scipy] [--bias]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

import numpy as np

from nenliver.ablation import assess_margin, margin_from_masks, signed_distance_mm, spheroid_signed_distance_mm
from nenliver.imaging import Volume

GRID = (300, 512, 512)
SPACING = (1.0, 0.78, 0.78)


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), times


def ellipsoid(shape, spacing, centre_mm, semi_axes_mm) -> np.ndarray:
    axes = [
        ((np.arange(n) * s - c) / a) ** 2 for n, s, c, a in zip(shape, spacing, centre_mm, semi_axes_mm, strict=True)
    ]
    return (axes[0][:, None, None] + axes[1][None, :, None] + axes[2][None, None, :]) <= 1.0


def roi_case() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    zone_c = (150.0, 200.0, 200.0)
    tumour_c = (152.0, 203.0, 199.0)
    zone = ellipsoid(GRID, SPACING, zone_c, (22.5, 17.5, 17.5))
    tumour = ellipsoid(GRID, SPACING, tumour_c, (12.0, 12.0, 12.0))
    idx = np.argwhere(tumour)
    pad = [int(np.ceil(20.0 / s)) for s in SPACING]
    lo = np.maximum(idx.min(axis=0) - pad, 0)
    hi = np.minimum(idx.max(axis=0) + 1 + pad, GRID)
    roi = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    return tumour, zone, tumour[roi], zone[roi]


def bench_roi(repeat: int) -> None:
    tumour, zone, t_roi, z_roi = roi_case()
    result = margin_from_masks(t_roi, z_roi, SPACING)
    best, times = best_of(lambda: margin_from_masks(t_roi, z_roi, SPACING), repeat)
    # a ball inside a convex zone: MAM = depth of its centre in the zone - its radius
    depth = spheroid_signed_distance_mm(np.array([[2.0, 3.0, -1.0]]), (0, 0, 0), (1, 0, 0), 45.0, 35.0)[0]
    truth = depth - 12.0
    print(
        f"MAM on a tumour ROI {t_roi.shape} ({t_roi.size / 1e6:.2f} M voxels): best {best * 1000:.1f} ms, "
        f"median {statistics.median(times) * 1000:.1f} ms  [goal <= 50 ms: {'PASS' if best <= 0.05 else 'FAIL'}]"
    )
    print(
        f"  MAM {result.minimal_margin_mm:.2f} mm (geometric truth {truth:.2f} mm), "
        f"coverage {result.coverage_percent:.1f} %"
    )
    affine = np.diag([*SPACING, 1.0])
    tv, zv = Volume(tumour.astype(np.uint8), affine), Volume(zone.astype(np.uint8), affine)
    best_full, _ = best_of(lambda: assess_margin(tv, zv), max(1, repeat // 2))
    print(f"assess_margin on the full {GRID} grid (checks, box scans, ROI, margin): best {best_full * 1000:.0f} ms")


def bench_full(repeat: int, with_scipy: bool) -> None:
    zone = ellipsoid(GRID, SPACING, (150.0, 200.0, 200.0), (22.5, 17.5, 17.5))
    signed_distance_mm(zone, SPACING)  # warm-up
    best, times = best_of(lambda: signed_distance_mm(zone, SPACING), repeat)
    print(
        f"signed EDT, ablation-zone mask ({zone.mean() * 100:.2f} % of {GRID}): best {best:.2f} s, "
        f"median {statistics.median(times):.2f} s  [goal <= 2 s: {'PASS' if best <= 2.0 else 'FAIL'}]"
    )
    if with_scipy:
        from scipy import ndimage

        def scipy_signed() -> np.ndarray:
            inside = ndimage.distance_transform_edt(zone, sampling=SPACING)
            outside = ndimage.distance_transform_edt(~zone, sampling=SPACING)
            return np.where(zone, inside, -outside)

        t0 = time.perf_counter()
        expected = scipy_signed()
        t_scipy = time.perf_counter() - t0
        ours = signed_distance_mm(zone, SPACING)
        err = float(np.max(np.abs(ours - expected)))
        del expected
        print(
            f"  scipy.ndimage.distance_transform_edt (inside + outside), same run: {t_scipy:.2f} s; "
            f"ratio scipy / nenliver = {t_scipy / best:.1f}x; max |difference| {err:.2e} mm"
        )
    liver = ellipsoid(GRID, SPACING, (150.0, 200.0, 200.0), (120.0, 90.0, 110.0))
    t_liver, _ = best_of(lambda: signed_distance_mm(liver, SPACING), 1)
    print(f"signed EDT, liver-sized mask ({liver.mean() * 100:.1f} % of the grid; information): {t_liver:.2f} s")


def bias_table(repeats: int = 6, seed: int = 0) -> None:
    """Estimate minus truth (mm) on voxelised phantoms with random sub-voxel offsets."""
    rng = np.random.default_rng(seed)
    cases = [
        ("sphere r10 in sphere r15, concentric", (15.0, 15.0), (0.0, 0.0, 0.0)),
        ("sphere r10 in spheroid 45x35x35, concentric", (22.5, 17.5), (0.0, 0.0, 0.0)),
        ("... tumour shifted 4 mm in-plane", (22.5, 17.5), (0.0, 4.0, 0.0)),
        ("... tumour shifted 6 mm along the slice axis", (22.5, 17.5), (6.0, 0.0, 0.0)),
        ("incomplete: sphere r10 in sphere r8, shifted 1 mm in-plane", (8.0, 8.0), (0.0, 1.0, 0.0)),
    ]
    print("\nBias of the voxel-centre MAM (estimate - truth, mm): mean (sd) [min, max] over random offsets")
    print(f"{'case':<62} {'truth':>6}  " + "  ".join(f"{f'slices {s:g} mm':>24}" for s in (1.0, 2.5, 5.0)))
    for name, (a, b), shift in cases:
        zone_axis = np.array([1.0, 0.0, 0.0])  # long axis along the slice axis
        shift_v = np.asarray(shift)
        depth = spheroid_signed_distance_mm(-shift_v[None, :], (0, 0, 0), zone_axis, 2 * a, 2 * b)[0]
        truth = depth - 10.0
        cells = []
        for slice_mm in (1.0, 2.5, 5.0):
            spacing = (slice_mm, 0.78, 0.78)
            shape = tuple(int(2 * (a + 4) / s) + 1 for s in spacing)
            errs = []
            for _ in range(repeats):
                origin = -rng.uniform(0, 1, 3) * np.asarray(spacing)
                centre = np.full(3, a + 4.0)
                axes = [np.arange(n) * s + o for n, s, o in zip(shape, spacing, origin, strict=True)]
                grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
                rel = grid - centre
                zone = (rel[..., 0] / a) ** 2 + (rel[..., 1] / b) ** 2 + (rel[..., 2] / b) ** 2 <= 1.0
                tumour = ((rel - shift_v) ** 2).sum(axis=-1) <= 100.0
                errs.append(margin_from_masks(tumour, zone, spacing).minimal_margin_mm - truth)
            e = np.asarray(errs)
            cells.append(f"{e.mean():+.2f} ({e.std():.2f}) [{e.min():+.2f},{e.max():+.2f}]")
        print(f"{name:<62} {truth:6.2f}  " + "  ".join(f"{c:>24}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-scipy", action="store_true", help="skip the scipy comparison (about 30-40 s)")
    parser.add_argument("--bias", action="store_true", help="also print the bias table")
    args = parser.parse_args()
    bench_roi(args.repeat)
    bench_full(max(1, args.repeat // 2), not args.no_scipy)
    if args.bias:
        bias_table()


if __name__ == "__main__":
    main()
