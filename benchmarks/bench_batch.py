"""Batch voxel dosimetry on Dask: throughput of 2 workers against 1, on synthetic 128³ studies.

Writes ``--studies`` synthetic MAA-SPECT studies (128³ float32 activity, liver and tumour masks,
NIfTI), then runs :func:`nenliver.service.batch.run_batch` (kernel method) on a LocalCluster of 1
worker and of 2 workers, each into a fresh output folder. Prints studies/s of each and their
ratio (cluster start-up included in both).

Goal (issue 14): 40 studies, 2 workers >= 1.6x the single-worker throughput.

    .venv/bin/python benchmarks/bench_batch.py [--studies 40] [--size 128]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nenliver.imaging import Volume, write_nifti
from nenliver.imaging.synthetic import ball
from nenliver.service.batch import run_batch


def write_studies(folder: Path, studies: int, size: int) -> Path:
    rng = np.random.default_rng(20261130)
    spacing = (4.0, 4.0, 4.0)
    shape = (size, size, size)
    affine = np.diag([*spacing, 1.0])
    centre = tuple(s * n / 2 for s, n in zip(spacing, shape, strict=True))
    liver = ball(shape, spacing, centre, size * 1.4)
    rows = []
    for i in range(studies):
        tumour = ball(shape, spacing, tuple(c + rng.uniform(-30, 30) for c in centre), rng.uniform(10, 30))
        activity = (liver + rng.uniform(2, 8) * tumour).astype(np.float32) * rng.uniform(0.5, 2.0)
        activity += rng.normal(0, 0.05, shape).astype(np.float32).clip(0)
        names = {}
        for key, data in (
            ("activity", activity),
            ("liver", liver.astype(np.uint8)),
            ("tumour", tumour.astype(np.uint8)),
        ):
            path = folder / f"study{i:03d}-{key}.nii.gz"
            write_nifti(Volume(data, affine), path)
            names[key] = path.name
        rows.append({"study": f"study{i:03d}", **names, "injected_gbq": f"{rng.uniform(1, 4):.2f}", "method": "kernel"})
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=40)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nenliver-bench-batch-"))
    start = time.perf_counter()
    manifest = write_studies(folder, args.studies, args.size)
    print(f"{args.studies} synthetic {args.size}³ studies written in {time.perf_counter() - start:.1f} s")
    rates = {}
    for workers in (1, 2):
        start = time.perf_counter()
        summary = run_batch(manifest, folder / f"out-{workers}", workers=workers)
        wall = time.perf_counter() - start
        assert not summary.failed, summary.failed
        rates[workers] = len(summary.done) / wall
        print(f"  {workers} worker(s): {wall:6.1f} s, {rates[workers]:.2f} studies/s")
    ratio = rates[2] / rates[1]
    print(f"  throughput 2 workers / 1 worker: {ratio:.2f}x  [goal >= 1.6x: {'PASS' if ratio >= 1.6 else 'FAIL'}]")
    return 0 if ratio >= 1.6 else 1


if __name__ == "__main__":
    sys.exit(main())
