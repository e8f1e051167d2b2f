# SPDX-License-Identifier: Apache-2.0
"""PRRT dosimetry benchmark (issue 15), every ratio measured in the same run.

Four time points of 128³ quantitative SPECT (4.42 mm) with 10 structures (two kidneys, liver, spleen,
six tumours, each with its own uptake-washout curve) in a noisy body background:

1. **nenliver**: :func:`nenliver.dosimetry.prrt.images.dose_from_series` on the images in memory —
   time-activity extraction for the 10 structures, the organ fits (``auto``: mono- and
   bi-exponential, multi-start) and the per-voxel integration, the 177Lu kernel convolution and the
   DVHs. Target: ≤ 2 s on 2 cores.
2. **Baseline, straightforward per-voxel fit**: ``scipy.optimize.curve_fit`` of a mono-exponential
   to every body voxel's four values (the usual script), then ``scipy.signal.fftconvolve`` of the
   dose with the same kernel. Fitting every voxel takes minutes, so a random sample of voxels is
   fitted and the time per voxel is multiplied by the number of body voxels (said in the output).
3. ``nenliver prrt`` end to end on the same study written as NIfTI (4 images, 10 masks), as a fresh
   process (import, reading, everything above, JSON).

Run: ``python benchmarks/bench_prrt.py [--quick] [--cores N]`` (default: pinned to 2 cores).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit
from scipy.signal import fftconvolve

from nenliver.dosimetry.prrt import evaluate_tacs, prrt_plan_from_mapping
from nenliver.dosimetry.prrt.images import TimedImage, dose_from_series
from nenliver.dosimetry.prrt.synthetic import PhantomOrgan, series_phantom
from nenliver.dosimetry.voxel.kernels import dose_voxel_kernel
from nenliver.imaging import Volume, write_nifti

SPACING = (4.42, 4.42, 4.42)
TIMES = [4.0, 24.0, 96.0, 168.0]
MBQ_PER_COUNT = 0.108


def study(n: int, seed: int = 0) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Count images and masks: 10 organs in a noisy body."""
    c = n * SPACING[0] / 2
    s = n / 128
    organs = [
        PhantomOrgan("kidney_left", (c - 60 * s, c + 30 * s, c), 28 * s, 110.0, 0.0141, 0.85),
        PhantomOrgan("kidney_right", (c + 60 * s, c + 30 * s, c), 28 * s, 100.0, 0.0145, 1.06),
        PhantomOrgan("liver", (c - 50 * s, c - 40 * s, c + 60 * s), 70 * s, 430.0, 0.0075, 0.66),
        PhantomOrgan("spleen", (c + 70 * s, c - 40 * s, c + 60 * s), 35 * s, 104.0, 0.0107, 0.56),
    ]
    for i in range(6):
        angle = 2 * math.pi * i / 6
        centre = (c + 110 * s * math.cos(angle), c + 110 * s * math.sin(angle), c - 60 * s)
        organs.append(PhantomOrgan(f"tumour_{i + 1}", centre, (12 + 3 * i) * s, 20.0 + 8 * i, 0.004 + 0.001 * i, 0.3))
    images, masks = series_phantom((n, n, n), SPACING, organs, TIMES, MBQ_PER_COUNT)
    rng = np.random.default_rng(seed)
    z, y, x = (np.arange(n) * SPACING[0] - c for _ in range(3))
    body = (x[:, None, None] / (0.45 * n * SPACING[0])) ** 2 + (y[None, :, None] / (0.33 * n * SPACING[0])) ** 2 + (
        z[None, None, :] / (0.47 * n * SPACING[0])
    ) ** 2 <= 1
    out = []
    for t, image in zip(TIMES, images, strict=True):
        background = body * np.float32(0.02 * math.exp(-0.02 * t))
        noise = rng.normal(1.0, 0.05, image.shape).astype(np.float32)
        out.append(((image + background) * noise).astype(np.float32))
    masks["_body"] = body
    return out, masks


def plan_for(masks: dict[str, np.ndarray]) -> dict[str, object]:
    organs = {}
    for name in masks:
        if name.startswith("_"):
            continue
        role = "tumour" if name.startswith("tumour") else name.split("_")[0]
        organs[name] = {"role": role}
    return {
        "format": "nenliver/prrt@1",
        "injected_activity_mbq": 7400,
        "cycle": 1,
        "images": [{"spect": f"spect{i}.nii.gz", "time_h": t} for i, t in enumerate(TIMES)],
        "calibration_mbq_per_count": MBQ_PER_COUNT,
        "masks": {name: f"{name}.nii.gz" for name in organs},
        "organs": organs,
        "fit": "auto",
        "kidney_risk_factors": False,
    }


def ours(images: list[np.ndarray], masks: dict[str, np.ndarray], repeats: int) -> tuple[float, float, dict[str, float]]:
    plan = prrt_plan_from_mapping(plan_for(masks))
    affine = np.diag([*SPACING, 1.0])
    volume = Volume(images[0], affine)
    organ_masks = {k: v for k, v in masks.items() if not k.startswith("_")}
    series = [
        TimedImage(volume.with_array(img), t, img * np.float32(MBQ_PER_COUNT), organ_masks)
        for t, img in zip(TIMES, images, strict=True)
    ]

    def run() -> dict[str, float]:
        result = dose_from_series(plan, series)
        t0 = time.perf_counter()
        evaluate_tacs(plan, result.tacs, knowledge_base_version="bench", voxel=result.summary())
        return {**result.timings_s, "fits_and_checks": time.perf_counter() - t0}

    run()  # warm-up: kernel and FFT plans
    times, parts = [], {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        parts = run()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times)), parts


def baseline(images: list[np.ndarray], body: np.ndarray, sample: int, seed: int = 1) -> tuple[float, float, int]:
    """Seconds for a per-voxel curve_fit over all body voxels (extrapolated) + fftconvolve."""
    t = np.asarray(TIMES)
    stack = np.stack([img[body] * MBQ_PER_COUNT for img in images], axis=1)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(stack), size=min(sample, len(stack)), replace=False)

    def mono(t: np.ndarray, a: float, lam: float) -> np.ndarray:
        return a * np.exp(-lam * t)

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in chosen:
            values = stack[i]
            with contextlib.suppress(RuntimeError):  # a voxel the fit gives up on still cost its time
                curve_fit(mono, t, values, p0=(values[0] + 1e-9, 0.01), maxfev=2000)
    per_voxel = (time.perf_counter() - t0) / len(chosen)
    fit_all = per_voxel * len(stack)
    kernel = dose_voxel_kernel(SPACING, 1.04, "Lu-177").fractions.astype(np.float32)
    t0 = time.perf_counter()
    fftconvolve(images[-1], kernel, mode="same")
    conv = time.perf_counter() - t0
    return fit_all + conv, per_voxel, len(stack)


def end_to_end(images: list[np.ndarray], masks: dict[str, np.ndarray]) -> float:
    affine = np.diag([*SPACING, 1.0])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, image in enumerate(images):
            write_nifti(Volume(image, affine), folder / f"spect{i}.nii.gz")
        for name, mask in masks.items():
            if not name.startswith("_"):
                write_nifti(Volume(mask.astype(np.uint8), affine), folder / f"{name}.nii.gz")
        (folder / "plan.json").write_text(json.dumps(plan_for(masks)), encoding="utf-8")
        exe = Path(sys.executable).with_name("nenliver")
        t0 = time.perf_counter()
        done = subprocess.run([str(exe), "prrt", str(folder / "plan.json"), "--json"], capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64³, fewer repeats")
    parser.add_argument("--cores", type=int, default=2, help="pin to this many cores (0: do not pin)")
    args = parser.parse_args()
    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n = 64 if args.quick else 128
    images, masks = study(n)
    print(f"PRRT benchmark: 4 × {n}³ SPECT ({SPACING[0]} mm), 10 structures, {cores} core(s)")
    best, median, parts = ours(images, masks, 3 if args.quick else 5)
    detail = ", ".join(f"{k} {1e3 * v:.0f} ms" for k, v in parts.items())
    print(f"  nenliver (extraction + fits + voxel TIA + 177Lu kernel + DVHs): min {best:.3f} s, median {median:.3f} s")
    print(f"    parts of the last run: {detail}")
    print(f"    target ≤ 2 s on 2 cores: {'met' if median <= 2.0 else 'NOT met'}")
    base, per_voxel, voxels = baseline(images, masks["_body"], 300 if args.quick else 2000)
    print(
        f"  baseline (scipy curve_fit per voxel + fftconvolve): {base:.1f} s "
        f"({1e3 * per_voxel:.3f} ms/voxel measured on a sample, × {voxels:,} body voxels)"
    )
    print(f"  ratio baseline / nenliver (median): {base / median:.0f}×")
    print(f"  nenliver prrt end to end (fresh process, NIfTI I/O): {end_to_end(images, masks):.2f} s")


if __name__ == "__main__":
    main()
