"""A cohort table → one decision row per case (``nenliver cohort``), in one vectorised pass.

:func:`evaluate_cohort` chains the stages as lazy polars expressions: typed columns and row checks
(:mod:`.table`), case facts (:mod:`.facts`), SIRT and ablation facts (:mod:`.external`), rules,
statuses and pathway (:mod:`.evaluate`). No Python loop runs per case. A row that fails a check keeps
its row number and its errors and gets no decision (null statuses); the other rows are unaffected.

:func:`run_cohort` streams a file through it in batches of rows, so a table larger than memory
is written piece by piece.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from nenliver.guideline.loader import KnowledgeBase, load_knowledge_base
from nenliver.guideline.schema import THERAPIES
from nenliver.service.cohort.evaluate import decide_frame
from nenliver.service.cohort.external import ablation_fact_frame, sirt_fact_columns
from nenliver.service.cohort.facts import case_fact_columns
from nenliver.service.cohort.table import LIST_COLUMNS, case_columns, normalise

__all__ = ["OUTPUT_COLUMNS", "evaluate_cohort", "row_from_case", "run_cohort", "scan_table"]

#: The leading decision columns; ``rule_<ID>`` (each case rule: true fired, null unknown) and
#: ``missing_<fact>`` (true when a decision waits on the fact) follow, then ``errors``.
OUTPUT_COLUMNS = (
    "row",
    "id",
    *(f"status_{t}" for t in THERAPIES),
    *(f"provisional_{t}" for t in THERAPIES),
    "pathway",
    "pathway_preferred",
    "in_scope",
)
#: Rows per batch when a file is streamed.
BATCH_ROWS = 1_000_000


def evaluate_cohort(
    frame: pl.LazyFrame | pl.DataFrame, kb: KnowledgeBase | None = None, lists: bool = False
) -> pl.LazyFrame:
    """The decision columns (:data:`OUTPUT_COLUMNS`, ``rule_<ID>``, ``missing_<fact>``; with
    ``lists`` also ``fired`` and ``missing`` as lists) for every row of a cohort table."""
    kb = kb or load_knowledge_base()
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    facts = normalise(lazy).with_columns(case_fact_columns()).with_columns(sirt_fact_columns())
    ablation = ablation_fact_frame(facts, kb)
    facts = facts.join(ablation, on="row", how="left", maintain_order="left")
    decided = decide_frame(facts, kb, lists)
    names = decided.collect_schema().names()
    decision = [
        *OUTPUT_COLUMNS[2:],
        *(n for n in names if n.startswith(("rule_", "missing_"))),
        *(("fired", "missing") if lists else ()),
    ]
    bad = pl.col("errors").list.len() > 0
    masked = [pl.when(bad).then(None).otherwise(pl.col(name)).alias(name) for name in decision]
    return decided.select("row", "id", *masked, "errors")


def scan_table(path: str | Path) -> pl.LazyFrame:
    """A CSV or Parquet table, lazily (every CSV column read as text; the checks type them)."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return pl.scan_parquet(path)
    return pl.scan_csv(path, infer_schema=False)


def _batches(path: Path, rows: int) -> Iterator[tuple[int, pl.DataFrame]]:
    """(offset, rows) pieces of the table, read as a stream (never the whole file at once)."""
    offset = 0
    for chunk in scan_table(path).collect_batches(chunk_size=rows):
        yield offset, chunk
        offset += chunk.height


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns as ``;``-joined text (for CSV)."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(name).list.join(";") for name in lists)


def run_cohort(
    table: str | Path,
    out: str | Path,
    kb: KnowledgeBase | None = None,
    batch_rows: int = BATCH_ROWS,
    lists: bool = False,
) -> dict[str, Any]:
    """Decide every row of ``table`` and write ``out`` (Parquet, or CSV by its suffix), batch by batch.

    Returns counts: rows, bad rows, and per therapy the rows in each status.
    """
    kb = kb or load_knowledge_base()
    table, out = Path(table), Path(out)
    tmp = out.with_name(f".{out.name}.partial")
    written: list[Path] = []
    counts: dict[str, Any] = {"rows": 0, "bad_rows": 0, "status": {t: {} for t in THERAPIES}}
    try:
        for i, (offset, batch) in enumerate(_batches(table, batch_rows)):
            frame = evaluate_cohort(batch, kb, lists).with_columns(pl.col("row") + offset).collect()
            _count(frame, counts)
            part = tmp.with_name(f"{tmp.name}.{i:06d}")
            if out.suffix.lower() == ".csv":
                _flat(frame).write_csv(part)
            else:
                frame.write_parquet(part)
            written.append(part)
        _concatenate(written, out)
    finally:
        for part in written:
            part.unlink(missing_ok=True)
    return counts


def _count(frame: pl.DataFrame, counts: dict[str, Any]) -> None:
    counts["rows"] += frame.height
    counts["bad_rows"] += frame.filter(pl.col("errors").list.len() > 0).height
    for therapy in THERAPIES:
        for status, n in frame.group_by(f"status_{therapy}").len().iter_rows():
            key = status or "refused_row"
            counts["status"][therapy][key] = counts["status"][therapy].get(key, 0) + n


def _concatenate(parts: list[Path], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix.lower() == ".csv":
        with tmp.open("wb") as target:
            for i, part in enumerate(parts):
                data = part.read_bytes()
                if i:
                    data = data.split(b"\n", 1)[1] if b"\n" in data else b""
                target.write(data)
    else:
        pl.concat([pl.scan_parquet(p) for p in parts]).sink_parquet(tmp)
    tmp.replace(out)


def row_from_case(document: Mapping[str, Any]) -> dict[str, Any]:
    """The cohort row of a case document (dotted columns; lesions and treatments as JSON text)."""
    row: dict[str, Any] = {}
    lab_units_columns = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path in LIST_COLUMNS:
                row[path] = None if value is None else json.dumps(value)
            elif isinstance(value, Mapping) and path.startswith("labs.") and "value" in value:
                row[path] = value.get("value")
                lab_units_columns[f"{path}.unit"] = value.get("unit")
            elif isinstance(value, Mapping):
                walk(value, f"{path}.")
            else:
                row[path] = value

    walk(document, "")
    row.pop("format", None)
    known = {c.path for c in case_columns()} | {"id", *LIST_COLUMNS}
    return {k: v for k, v in {**row, **lab_units_columns}.items() if k in known or k.endswith(".unit")}
