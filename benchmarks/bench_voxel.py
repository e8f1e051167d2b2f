# SPDX-License-Identifier: Apache-2.0
"""Voxel-dosimetry benchmarks (issue 4), every ratio measured in the same run.

1. Kernel convolution 128³ and 256³ (90Y kernel, 4.42 mm, 7³) against ``scipy.signal.fftconvolve``
   on the same float32 arrays: a realistic activity map (non-zero inside an ellipsoidal body, air
   around it) and a dense random volume (worst case: every axis needs padding).
2. Full SPECT pipeline on 128³: patient-relative activity + LDM + kernel + three DVHs.
3. Peak memory of the convolution and of the pipeline (tracemalloc, numpy allocations) as a
   multiple of the volume's float32 size.
4. ``nenliver dose voxel`` end to end on a 256³ NIfTI against a script that does the same I/O with
   nibabel and convolves with ``fftconvolve`` (both as fresh processes).

Run: ``python benchmarks/bench_voxel.py [--quick]`` (``taskset -c 0,1`` to pin to two cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.signal import fftconvolve

from nenliver.dosimetry.voxel import DoseMethod, KernelConvolver, VoxelDoseOptions, voxel_dose, y90_dose_voxel_kernel
from nenliver.imaging import Volume, ball, write_nifti

SP = (4.42, 4.42, 4.42)


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Min and median wall time in ms after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * min(times), 1e3 * float(np.median(times))


def body_phantom(n: int, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Counts inside an ellipsoidal body (noise), a liver with two hot tumours; air outside."""
    rng = np.random.default_rng(seed)
    sp = (SP[0] * 128 / n,) * 3
    c = n * sp[0] / 2
    idx = [np.arange(n) * sp[0] - c] * 3
    body = (idx[0][:, None, None] / (0.45 * n * sp[0])) ** 2 + (idx[1][None, :, None] / (0.33 * n * sp[0])) ** 2 + (
        idx[2][None, None, :] / (0.47 * n * sp[0])
    ) ** 2 <= 1
    liver = ball((n, n, n), sp, (c - 0.08 * n * sp[0], c, c), 0.2 * n * sp[0])
    t1 = ball((n, n, n), sp, (c - 0.12 * n * sp[0], c, c), 0.05 * n * sp[0])
    t2 = ball((n, n, n), sp, (c, c + 0.06 * n * sp[0], c), 0.04 * n * sp[0])
    counts = rng.random((n, n, n), dtype=np.float32) * body
    counts += 20 * liver + 80 * (t1 | t2)
    return counts.astype(np.float32), {"liver": liver, "tumour": t1, "tumour_2": t2}


def bench_convolution(n: int, repeats: int) -> None:
    kernel = y90_dose_voxel_kernel(SP, 1.03).fractions
    k32 = kernel.astype(np.float32)
    conv = KernelConvolver(kernel)
    dense = np.random.default_rng(1).random((n, n, n), dtype=np.float32)
    realistic = body_phantom(n)[0]
    for label, x in (("realistic (body in air)", realistic), ("dense random (worst case)", dense)):
        ours = timed(lambda x=x: conv(x), repeats)
        ref = timed(lambda x=x: fftconvolve(x, k32, mode="same"), repeats)
        err = float(np.abs(conv(x) - fftconvolve(x, k32, mode="same")).max() / np.abs(x).max())
        print(
            f"  conv {n}³ {label:<26} ours {ours[0]:7.1f} ms (median {ours[1]:7.1f})  fftconvolve "
            f"{ref[0]:7.1f} ms (median {ref[1]:7.1f})  ratio {ref[0] / ours[0]:4.1f}x  max rel diff {err:.1e}"
        )


def peak_ratio(fn: Callable[[], object], volume_bytes: int) -> float:
    """Peak numpy allocation during ``fn`` (inputs already allocated), in volume sizes."""
    fn()  # warm caches (kernel spectrum) first: they are part of what is measured below only if new
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / volume_bytes


def bench_pipeline(repeats: int) -> None:
    counts, masks = body_phantom(128)
    image = Volume(counts, np.diag([*SP, 1.0]))
    run = lambda: voxel_dose(image, masks, VoxelDoseOptions(2.0, 0.05, method=DoseMethod.KERNEL))  # noqa: E731
    t = timed(run, repeats)
    r = run()
    print(
        f"  SPECT pipeline 128³ (activity + LDM + kernel + {len(r.structures)} DVHs) {t[0]:6.1f} ms "
        f"(median {t[1]:6.1f})"
    )
    size = counts.nbytes
    print(f"  peak memory, pipeline 128³: {peak_ratio(run, size):.2f} x the float32 volume (output included)")


def bench_memory(n: int) -> None:
    kernel = y90_dose_voxel_kernel(SP, 1.03).fractions
    conv = KernelConvolver(kernel)
    for label, x in (
        ("realistic", body_phantom(n)[0]),
        ("dense", np.random.default_rng(1).random((n, n, n), dtype=np.float32)),
    ):
        tracemalloc.start()
        conv(x)  # first call: the kernel spectrum is allocated inside the measurement
        _, first = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        ref = peak_ratio(lambda x=x: fftconvolve(x, kernel.astype(np.float32), mode="same"), x.nbytes)
        print(
            f"  peak memory, convolution {n}³ {label}: {first / x.nbytes:.2f} x the float32 volume "
            f"(output and kernel spectrum included, input excluded); fftconvolve {ref:.2f} x"
        )


BASELINE = """
import sys, nibabel as nib, numpy as np
from scipy.signal import fftconvolve
act, liver, kern, out = sys.argv[1:5]
a = nib.load(act); m = nib.load(liver)
x = np.asarray(a.dataobj, dtype=np.float32); mask = np.asarray(m.dataobj) > 0
x = np.where(mask, x, 0) * np.float32(2.0 / x[mask].sum())
d = fftconvolve(x, np.load(kern).astype(np.float32), mode="same")
nib.save(nib.Nifti1Image(d, a.affine), out)
"""


def bench_cli(repeats: int) -> None:
    n = 256
    counts, masks = body_phantom(n)
    sp = (SP[0] * 128 / n,) * 3
    affine = np.diag([*sp, 1.0])
    nenliver = str(Path(sys.executable).with_name("nenliver"))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        write_nifti(Volume(counts, affine), t / "act.nii.gz")
        write_nifti(Volume(masks["liver"].astype(np.uint8), affine), t / "liver.nii.gz")
        np.save(t / "k.npy", y90_dose_voxel_kernel(sp, 1.03).fractions)
        (t / "baseline.py").write_text(BASELINE)
        ours_cmd = [
            nenliver,
            "dose",
            "voxel",
            "--activity",
            str(t / "act.nii.gz"),
            "--liver",
            str(t / "liver.nii.gz"),
            "--injected-gbq",
            "2.0",
            "--method",
            "kernel",
            "--out",
            str(t / "dose.nii.gz"),
            "--json",
        ]
        base_cmd = [
            sys.executable,
            str(t / "baseline.py"),
            str(t / "act.nii.gz"),
            str(t / "liver.nii.gz"),
            str(t / "k.npy"),
            str(t / "base.nii.gz"),
        ]

        def run(cmd: list[str]) -> None:
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=os.environ.copy())

        ours = timed(lambda: run(ours_cmd), repeats)
        base = timed(lambda: run(base_cmd), repeats)
        print(
            f"  CLI 256³ NIfTI kernel: nenliver {ours[0]:7.0f} ms (median {ours[1]:7.0f}); nibabel + fftconvolve "
            f"{base[0]:7.0f} ms (median {base[1]:7.0f}); ratio {base[0] / ours[0]:.2f}x"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    r = 3 if args.quick else 7
    print(f"bench_voxel: {os.cpu_count()} CPUs visible, affinity {len(os.sched_getaffinity(0))}")
    bench_convolution(128, r)
    bench_convolution(256, max(3, r // 2))
    bench_pipeline(r * 2)
    bench_memory(256)
    bench_cli(3 if args.quick else 5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
