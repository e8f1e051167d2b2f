"""Benchmark: vectorised rule evaluation over 1,000,000 synthetic cases vs the per-case evaluator.

Prints case-rule evaluations per second for the polars evaluator (statuses + fired rule ids for
every therapy) and for the per-case Python evaluator on a sample, both measured in this run, and
their ratio; then the end-to-end time of ``nenliver plan`` on one case (a subprocess, as a user
runs it). Goals (issue 2): >= 10 M case-rule evaluations/s on 2 cores; plan <= 400 ms.

    python benchmarks/bench_engine.py [--cases 1000000] [--sample 2000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from nenliver.guideline.cohort import evaluate_frame, fact_schema
from nenliver.guideline.engine import decide_from_facts
from nenliver.guideline.facts import FACTS
from nenliver.guideline.loader import load_knowledge_base


def synthetic_facts(n: int, seed: int = 20211219) -> pl.DataFrame:
    """n synthetic cases: every case-level fact drawn at random, 10 % unknown (null) per fact."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, dtype in fact_schema().items():
        fact = FACTS[name]
        unknown = rng.random(n) < 0.10
        if fact.kind == "bool":
            series = pl.Series(name, rng.random(n) < 0.3, dtype=pl.Boolean)
        elif fact.kind == "category":
            values = np.array(fact.values or ("x",), dtype=object)
            series = pl.Series(name, values[rng.integers(0, len(values), n)], dtype=pl.String)
        else:
            series = pl.Series(name, rng.gamma(2.0, 10.0, n), dtype=pl.Float64)
        columns[name] = (
            series.set(pl.Series(unknown), None)
            if hasattr(series, "set")
            else series.scatter(np.flatnonzero(unknown), None)
        )
        assert columns[name].dtype == dtype
    return pl.DataFrame(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    kb = load_knowledge_base()
    n_rules = sum(r.scope == "case" for r in kb.rules)
    frame = synthetic_facts(args.cases)
    evaluate_frame(frame.head(1000), kb)  # warm-up (expression compilation, thread pool)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        out = evaluate_frame(frame, kb)
        times.append(time.perf_counter() - start)
    vec_s = min(times)
    vec_rate = args.cases * n_rules / vec_s

    rows = frame.head(args.sample).to_dicts()
    start = time.perf_counter()
    for row in rows:
        decide_from_facts(row, kb)
    per_s = time.perf_counter() - start
    per_rate = args.sample * n_rules / per_s

    print(f"rules (case scope): {n_rules}; cases: {args.cases:,}; output columns: {len(out.columns)}")
    print(
        f"vectorised (polars {pl.__version__}): {vec_s * 1e3:.0f} ms min of {args.repeat} "
        f"(median {statistics.median(times) * 1e3:.0f} ms) -> {vec_rate / 1e6:.1f} M case-rule evaluations/s"
    )
    print(
        f"per-case Python engine on {args.sample:,} cases: {per_s * 1e3:.0f} ms -> "
        f"{per_rate / 1e6:.3f} M case-rule evaluations/s"
    )
    print(f"ratio vectorised / per-case: {vec_rate / per_rate:.0f}x   (goal: >= 10 M/s vectorised)")

    case = Path(__file__).resolve().parents[1] / "examples" / "cases" / "fig5-sirt-workup.yaml"
    exe = Path(sys.executable).with_name("nenliver")
    if case.exists() and exe.exists():
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([str(exe), "plan", str(case), "--json"], check=True, capture_output=True)
            runs.append(time.perf_counter() - start)
        print(
            f"nenliver plan (subprocess, end to end) on {case.name}: median {statistics.median(runs) * 1e3:.0f} ms, "
            f"min {min(runs) * 1e3:.0f} ms   (goal: <= 400 ms)"
        )


if __name__ == "__main__":
    main()
