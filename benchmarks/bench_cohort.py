"""Cohort runs at registry scale: a Parquet table of synthetic cases → decisions file, end to end.

Generates ``--rows`` synthetic cases (numpy, fixed seed: demographics, tumour, 1-6 lesions as a
list of structs, labs, history, an MAA work-up for 30 %), writes them to Parquet, then runs
``nenliver cohort``'s engine (:func:`nenliver.service.cohort.run.run_cohort`): reading, fact
derivation (SIRT dosimetry and ablation planning included), rules, statuses, pathway, writing.
Prints the wall time, rows/s, peak memory of the process, and the ratio to the per-case service
(``case_from_data`` + ``plan_case``) timed on a sample in the same run.

Goal (issue 14): 1,000,000 cases in <= 10 s on 2 cores.

    .venv/bin/python benchmarks/bench_cohort.py [--rows 1000000] [--sample 2000] [--batch-rows 1000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from nenliver.case import case_from_data
from nenliver.service import plan_case
from nenliver.service.cohort.run import run_cohort

SITES = ["small_intestine", "pancreas", "rectum", "lung", "unknown"]
COURSES = ["stable", "progressive"]
SSA = ["naive", "responding", "progressing", "symptomatic_despite_ssa"]


def synthetic(rows: int, seed: int = 20261130) -> pl.DataFrame:
    rng = np.random.default_rng(seed)

    def maybe(values: np.ndarray, missing: float = 0.1) -> pl.Series:
        series = pl.Series(values)
        return pl.select(pl.when(pl.lit(rng.random(rows) < missing)).then(None).otherwise(series)).to_series()

    n_lesions = rng.integers(1, 7, rows)
    total = int(n_lesions.sum())
    lesions = (
        pl.DataFrame(
            {
                "case": np.repeat(np.arange(rows), n_lesions),
                "diameter_mm": rng.uniform(5, 70, total),
                "central": rng.random(total) < 0.2,
                "nearest_vessel_mm": rng.uniform(0, 30, total),
                "progressing": rng.random(total) < 0.5,
            }
        )
        .with_columns(
            pl.format("L{}", pl.int_range(pl.len())).alias("id"),
            pl.lit(["us", "mri"], dtype=pl.List(pl.String)).alias("visible_on"),
        )
        .group_by("case", maintain_order=True)
        .agg(pl.struct("id", "diameter_mm", "central", "nearest_vessel_mm", "visible_on", "progressing").alias("l"))
        .get_column("l")
        .alias("liver.lesions")
    )
    workup = rng.random(rows) < 0.3
    liver = rng.uniform(1200, 2500, rows)
    frame = pl.DataFrame(
        {
            "case": np.arange(rows),
            "patient.age_years": maybe(rng.integers(25, 85, rows).astype(float)),
            "patient.ecog": maybe(rng.integers(0, 4, rows).astype(float)),
            "tumour.primary_site": maybe(rng.choice(SITES, rows)),
            "tumour.differentiation": maybe(rng.choice(["well", "poor"], rows, p=[0.9, 0.1])),
            "tumour.ki67_percent": maybe(rng.uniform(0, 40, rows)),
            "tumour.disease_course": maybe(rng.choice(COURSES, rows)),
            "tumour.ssa_status": maybe(rng.choice(SSA, rows)),
            "tumour.functioning_syndrome": maybe(rng.choice(["none", "carcinoid_syndrome"], rows)),
            "tumour.extrahepatic_disease": maybe(rng.random(rows) < 0.3),
            "imaging.sstr_pet.krenning_score": maybe(rng.integers(0, 5, rows).astype(float)),
            "liver.tumour_burden_percent": maybe(rng.uniform(1, 80, rows)),
            "liver.distribution": maybe(rng.choice(["unilobar_right", "bilobar"], rows)),
            "liver.surgical_indication": maybe(rng.random(rows) < 0.2),
            "labs.bilirubin": maybe(rng.uniform(0.2, 4, rows)),
            "labs.albumin": maybe(rng.uniform(2, 5, rows)),
            "labs.platelets": maybe(rng.uniform(50, 400, rows)),
            "labs.creatinine_clearance": maybe(rng.uniform(20, 120, rows)),
            "history.ascites": maybe(rng.random(rows) < 0.1),
            "history.portal_vein_thrombosis": maybe(rng.random(rows) < 0.05),
            "history.bilioenteric_anastomosis": maybe(rng.random(rows) < 0.1),
            "history.cardiac_arrhythmia": maybe(rng.random(rows) < 0.1),
            "sirt_workup.lung_shunt_fraction_percent": np.where(workup, rng.uniform(0, 25, rows), np.nan),
            "sirt_workup.tumour_to_normal_ratio": np.where(workup, rng.uniform(1, 8, rows), np.nan),
            "sirt_workup.liver_volume_ml": np.where(workup, liver, np.nan),
            "sirt_workup.tumour_volume_ml": np.where(workup, liver * rng.uniform(0.02, 0.5, rows), np.nan),
        }
    ).with_columns(pl.col("^sirt_workup.*$").fill_nan(None), pl.lit("2024-01-15").alias("decision_date"))
    return frame.drop("case").with_columns(lesions)


def write_table(rows: int, target: Path, chunk: int = 1_000_000) -> None:
    """``rows`` synthetic cases to one Parquet file, generated and written a million at a time."""
    parts = []
    for i, start in enumerate(range(0, rows, chunk)):
        part = target.with_name(f"{target.stem}.part{i:04d}.parquet")
        synthetic(min(chunk, rows - start), seed=20261130 + i).with_columns(
            pl.format("case-{}", pl.int_range(start, start + min(chunk, rows - start))).alias("id")
        ).write_parquet(part)
        parts.append(part)
    pl.concat([pl.scan_parquet(p) for p in parts]).sink_parquet(target)
    for part in parts:
        part.unlink()


def _run(table: Path, out: Path, batch_rows: int, queue: multiprocessing.Queue) -> None:
    """In a child process, so that its peak memory is the run's alone."""
    start = time.perf_counter()
    counts = run_cohort(table, out, batch_rows=batch_rows)
    wall = time.perf_counter() - start
    queue.put((wall, counts["rows"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run_measured(table: Path, out: Path, batch_rows: int) -> tuple[float, int, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_run, args=(table, out, batch_rows, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2000, help="cases timed through the per-case service")
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--stream-rows", type=int, default=0, help="also stream a table of this many rows (e.g. 10000000)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nenliver-bench-cohort-"))
    table, out = folder / "cohort.parquet", folder / "decisions.parquet"
    start = time.perf_counter()
    write_table(args.rows, table)
    size = table.stat().st_size / 1e6
    print(f"synthetic table: {args.rows:,} cases, {size:.0f} MB, {time.perf_counter() - start:.1f} s")
    wall, rows, peak = run_measured(table, out, args.batch_rows)
    rate = rows / wall
    ok = args.rows < 1_000_000 or wall <= 10
    print(
        f"cohort end to end (read, facts, rules, statuses, pathway, write): {wall:.2f} s, {rate / 1e3:,.0f} k cases/s"
        f"  [goal 1 M in <= 10 s: {'PASS' if ok else 'FAIL'}]"
    )
    print(f"  peak memory of the run: {peak:,.0f} MB")
    sample = pl.read_parquet(table).head(args.sample)
    documents = [_document(row) for row in sample.iter_rows(named=True)]
    start = time.perf_counter()
    for document in documents:
        plan_case(case_from_data(document))
    per_case = (time.perf_counter() - start) / len(documents)
    print(f"per-case service on {len(documents):,} of them: {per_case * 1e3:.2f} ms/case, {1 / per_case:,.0f} cases/s")
    print(f"  ratio cohort / per-case: {rate * per_case:,.0f}x")
    if args.stream_rows:
        big, big_out = folder / "stream.parquet", folder / "stream-decisions.parquet"
        start = time.perf_counter()
        write_table(args.stream_rows, big)
        elapsed = time.perf_counter() - start
        print(f"stream table: {args.stream_rows:,} cases, {big.stat().st_size / 1e6:.0f} MB, {elapsed:.0f} s")
        wall, rows, peak = run_measured(big, big_out, args.batch_rows)
        print(
            f"  streamed in batches of {args.batch_rows:,}: {wall:.1f} s, {rows / wall / 1e3:,.0f} k cases/s, "
            f"peak memory {peak:,.0f} MB (bounded by the batch, not the table)"
        )
    return 0 if ok else 1


def _document(row: dict) -> dict:
    doc: dict = {"format": "nenliver/case@1"}
    for key, value in row.items():
        if value is None:
            continue
        node = doc
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    for field in ("patient.ecog", "imaging.sstr_pet.krenning_score"):
        group, *rest = field.split(".")
        node = doc.get(group, {})
        for part in rest[:-1]:
            node = node.get(part, {})
        if rest[-1] in node:
            node[rest[-1]] = int(node[rest[-1]])
    return doc


if __name__ == "__main__":
    sys.exit(main())
