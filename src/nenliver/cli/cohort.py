"""``nenliver cohort TABLE [--out FILE] [--what-if OVERRIDES.yaml]``: a registry table, decided row by row,
vectorised (needs the 'cohort' extra)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nenliver.cli._output import check_output_paths, write_atomic
from nenliver.errors import DependencyError, InputError, Problem


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "cohort",
        help="decide every case of a CSV/Parquet table (statuses, pathway, fired rules, missing inputs)",
        description="One row per case, columns named by the case format's dotted paths (docs/cohort.md). "
        "Bad rows are listed with their row number and field and get no decision; the run goes on.",
    )
    parser.add_argument("table", metavar="TABLE", type=Path, help="CSV or Parquet, one row per case")
    parser.add_argument(
        "--out", metavar="FILE", type=Path, help="decisions (.parquet or .csv; default TABLE.decisions.parquet)"
    )
    parser.add_argument(
        "--lists",
        action="store_true",
        help="also write 'fired' (rule ids) and 'missing' (fields) as lists beside the rule_<ID> and "
        "missing_<fact> columns (readable; slower on millions of rows)",
    )
    parser.add_argument(
        "--what-if", metavar="OVERRIDES", type=Path, help="YAML of thresholds/rules to change: report what changes"
    )
    parser.set_defaults(func=run)


def _require() -> None:
    try:
        import polars  # noqa: F401
    except ImportError as exc:
        raise DependencyError(f"cohort runs need the 'cohort' extra ({exc}); pip install 'nenliver[cohort]'") from None


def run(args: argparse.Namespace) -> int:
    _require()
    import polars as pl

    from nenliver.guideline.loader import load_knowledge_base
    from nenliver.service.cohort.run import run_cohort
    from nenliver.service.cohort.whatif import apply_overrides, compare, load_overrides, plot_changes, summary_table

    if not args.table.is_file():
        raise InputError(str(args.table), [Problem("", "no such file", "a CSV or Parquet table")])
    out = args.out or args.table.with_name(args.table.stem + ".decisions.parquet")
    if out.suffix.lower() not in (".parquet", ".pq", ".csv"):
        raise InputError("--out", [Problem("out", f"unknown output type {out.suffix!r}", ".parquet or .csv")])
    check_output_paths(out=out)
    kb = load_knowledge_base()
    scenario_kb = apply_overrides(kb, load_overrides(args.what_if), str(args.what_if)) if args.what_if else None
    counts = run_cohort(args.table, out, kb, lists=args.lists)
    print(f"{counts['rows']:,} cases decided → {out} ({counts['bad_rows']:,} refused rows: see the errors column)")
    for therapy, statuses in counts["status"].items():
        print(f"  {therapy:17s} " + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
    if counts["bad_rows"]:
        decided = pl.read_csv(out) if out.suffix.lower() == ".csv" else pl.read_parquet(out)
        refused = decided.filter(
            pl.col("errors").cast(pl.String).fill_null("").str.len_chars() > 0
            if out.suffix.lower() == ".csv"
            else pl.col("errors").list.len() > 0
        )
        for row, errors in refused.select("row", "errors").head(20).iter_rows():
            print(f"  row {row}: {errors if isinstance(errors, str) else '; '.join(errors)}")
    if scenario_kb is not None:
        what_if = out.with_name(out.stem + ".what-if" + out.suffix)
        run_cohort(args.table, what_if, scenario_kb)
        reader = pl.read_csv if out.suffix.lower() == ".csv" else pl.read_parquet
        report = compare(reader(out), reader(what_if))
        names = {kind: out.with_name(f"{out.stem}.what-if.{kind}") for kind in ("json", "summary.csv", "png")}
        write_atomic(names["json"], json.dumps(report, indent=2))
        summary_table(report).write_csv(names["summary.csv"])
        plot_changes(report, names["png"])
        print(f"What-if ({args.what_if}): cases whose status changes, of {report['cases']:,}")
        for therapy, entry in report["therapies"].items():
            moves = "; ".join(f"{t['from']} → {t['to']} {t['cases']:,}" for t in entry["transitions"]) or "none"
            print(f"  {therapy:17s} {entry['changed']:>8,}  {moves}")
        print(f"Report: {', '.join(str(p) for p in names.values())}")
    return 0
