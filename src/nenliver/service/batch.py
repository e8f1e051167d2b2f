"""Voxel dosimetry of many studies on Dask (``nenliver dose batch``).

A manifest (CSV, one row per study) names the images and the settings; every study runs
:func:`nenliver.service.voxel_dose_study` on a Dask worker: a ``LocalCluster`` of ``workers``
processes by default, or an existing cluster when a scheduler address is given. The batch:

* **resumes**: a study whose ``result.json`` is in the output folder is skipped on a re-run (a
  failed one is tried again);
* **goes on**: a study that fails (a missing file, a mask off the grid, a bad manifest row) is
  recorded with its error in ``<out>/<study>/error.json`` and in the summary, and the others run;
* **gathers** one table, ``metrics.csv`` / ``metrics.parquet``: a row per study and structure with
  the volume and the DVH metrics (mean, D2…D95, V30%…V150%).

Manifest columns (paths relative to the manifest's folder): ``study``, ``activity``, ``liver``,
``injected_gbq`` (required); ``tumour`` (``;`` between several), ``lung``, ``perfused``,
``lsf_percent``, ``method`` (``kernel``/``ldm``), ``activity_mode`` (``auto``/``relative``/
``absolute``), ``convention``, ``liver_density``, ``hours_after_administration``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver._validation import problems_from_validation_error
from nenliver.errors import InputError, NenliverError, Problem

__all__ = ["BatchSummary", "Study", "read_manifest", "run_batch", "run_study"]

_STUDY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: The DVH metrics gathered per structure (keys of the voxel-dose@1 structure entries).
METRICS = (
    "volume_ml",
    "mean_gy",
    "d2_gy",
    "d50_gy",
    "d70_gy",
    "d90_gy",
    "d95_gy",
    "v30_percent",
    "v40_percent",
    "v70_percent",
    "v100_percent",
    "v120_percent",
    "v150_percent",
)


class Study(BaseModel):
    """One row of the manifest."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    study: str
    activity: str
    liver: str
    injected_gbq: float = Field(gt=0, le=100)
    tumour: str | None = None
    lung: str | None = None
    perfused: str | None = None
    lsf_percent: float = Field(0.0, ge=0, lt=100)
    method: Literal["kernel", "ldm"] = "kernel"
    activity_mode: Literal["auto", "relative", "absolute"] = "auto"
    convention: Literal["eanm_2022", "therasphere_ifu", "aapm_mppg14a"] = "eanm_2022"
    liver_density: float | None = Field(None, ge=0.1, le=2.0)
    hours_after_administration: float | None = Field(None, ge=-24, le=2000)

    @field_validator("study")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not _STUDY_ID.match(value):
            raise ValueError("a study id is letters, digits and . _ - (it names the output folder)")
        return value

    def structures(self, base: Path) -> list[tuple[str, Path]]:
        """(structure name, mask path) in the order ``nenliver dose voxel`` reads them."""
        items = [("liver", base / self.liver)]
        tumours = [t.strip() for t in (self.tumour or "").split(";") if t.strip()]
        items += [("tumour" if i == 0 else f"tumour_{i + 1}", base / t) for i, t in enumerate(tumours)]
        items += [(name, base / path) for name, path in (("perfused", self.perfused), ("lung", self.lung)) if path]
        return items


@dataclass(frozen=True)
class ManifestRow:
    """A manifest row: the study, or the problems that keep it from running."""

    row: int
    study_id: str
    study: Study | None
    problems: tuple[Problem, ...] = ()


def read_manifest(path: str | Path) -> list[ManifestRow]:
    """Every row of the manifest; a bad row keeps its row number and problems (it will be reported)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), [Problem("", f"cannot read the manifest ({exc})", "a UTF-8 CSV file")]) from None
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"study", "activity", "liver", "injected_gbq"} <= set(reader.fieldnames):
        raise InputError(
            str(path), [Problem("", "missing columns", "study, activity, liver, injected_gbq (and optional ones)")]
        )
    rows, seen = [], set()
    for number, raw in enumerate(reader, start=2):
        data = {k: v for k, v in raw.items() if k and v not in (None, "")}
        study_id = str(data.get("study", f"row-{number}"))
        try:
            study = Study.model_validate(data)
        except ValidationError as exc:
            rows.append(ManifestRow(number, study_id, None, tuple(problems_from_validation_error(exc, Study))))
            continue
        if study.study in seen:
            rows.append(
                ManifestRow(number, study_id, None, (Problem("study", "a second row with this id", "unique ids"),))
            )
            continue
        seen.add(study.study)
        rows.append(ManifestRow(number, study.study, study))
    return rows


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


def run_study(study: Study, base: str, out: str) -> dict[str, Any]:
    """Run one study (on a worker); writes ``result.json`` or ``error.json``; returns a summary."""
    os.environ.setdefault("NENLIVER_FFT_WORKERS", "1")  # one core per worker: the cluster parallelises
    from nenliver.dosimetry.enums import ConventionKind
    from nenliver.dosimetry.voxel import ActivityMode, DoseMethod
    from nenliver.imaging import read_image, read_mask
    from nenliver.service.dose import VoxelDoseOptions, voxel_dose_report, voxel_dose_study

    folder = Path(out) / study.study
    started = time.perf_counter()
    try:
        image = read_image(Path(base) / study.activity)
        masks, notes = {}, []
        for name, path in study.structures(Path(base)):
            mask, mask_notes = read_mask(path, image, name)
            masks[name] = mask
            notes += list(mask_notes)
        options = VoxelDoseOptions(
            injected_gbq=study.injected_gbq,
            lung_shunt_fraction=study.lsf_percent / 100.0,
            method=DoseMethod(study.method),
            mode=ActivityMode(study.activity_mode),
            convention=ConventionKind(study.convention),
            tissue_density_g_per_ml=study.liver_density,
            hours_after_administration=study.hours_after_administration,
        )
        result = voxel_dose_study(image, masks, options)
        inputs = {"activity": study.activity, "liver": study.liver, "tumour": study.tumour, "lung": study.lung}
        report = voxel_dose_report(result, inputs, notes).model_dump(mode="json")
    except (NenliverError, OSError, ValueError) as exc:
        error = {"study": study.study, "error": str(exc), "type": type(exc).__name__}
        _write_json(folder / "error.json", error)
        return {"study": study.study, "status": "failed", "error": str(exc), "seconds": time.perf_counter() - started}
    (folder / "error.json").unlink(missing_ok=True)
    _write_json(folder / "result.json", report)
    return {"study": study.study, "status": "done", "seconds": time.perf_counter() - started}


@dataclass
class BatchSummary:
    done: list[str]
    skipped: list[str]
    failed: dict[str, str]
    seconds: float
    workers: int
    metrics: Path | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
            "metrics": str(self.metrics) if self.metrics else None,
            "software_version": __version__,
            "notice": CLINICIAN_REVIEW_NOTICE,
        }


def _client(workers: int, scheduler: str | None) -> tuple[Any, Any, int]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        from nenliver.errors import DependencyError

        raise DependencyError(
            f"batch dosimetry needs the 'batch' extra ({exc}); pip install 'nenliver[batch]'"
        ) from None
    if scheduler:
        client = Client(scheduler, timeout="30s")
        return client, None, len(client.scheduler_info().get("workers", {}))
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    return Client(cluster), cluster, workers


def _gather(out: Path, studies: list[str]) -> Path | None:
    rows = []
    for study in studies:
        path = out / study / "result.json"
        if not path.is_file():
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        for structure, metrics in report.get("structures", {}).items():
            rows.append({"study": study, "structure": structure, **{m: metrics.get(m) for m in METRICS}})
    if not rows:
        return None
    target = out / "metrics.csv"
    tmp = target.with_name(".metrics.csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["study", "structure", *METRICS])
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, target)
    try:
        import polars as pl

        pl.read_csv(target).write_parquet(out / "metrics.parquet")
    except ImportError:
        pass
    return target


def run_batch(
    manifest: str | Path,
    out: str | Path,
    workers: int = 2,
    scheduler: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> BatchSummary:
    """Run every study of the manifest that has no result yet (see the module docstring)."""
    manifest, out = Path(manifest), Path(out)
    rows = read_manifest(manifest)
    out.mkdir(parents=True, exist_ok=True)
    failed = {r.study_id: "; ".join(str(p) for p in r.problems) for r in rows if r.study is None}
    for row in rows:
        if row.study is None:
            _write_json(
                out / _safe(row.study_id) / "error.json",
                {"study": row.study_id, "row": row.row, "error": failed[row.study_id]},
            )
    studies = [r.study for r in rows if r.study is not None]
    skipped = [s.study for s in studies if (out / s.study / "result.json").is_file()]
    todo = [s for s in studies if s.study not in skipped]
    started = time.perf_counter()
    done: list[str] = []
    used = workers
    if todo:
        from dask.distributed import as_completed

        client, cluster, used = _client(workers, scheduler)
        try:
            futures = client.map(
                run_study, todo, base=str(manifest.parent.resolve()), out=str(out.resolve()), pure=False
            )
            for i, future in enumerate(as_completed(futures), start=1):
                try:
                    outcome = future.result()
                except Exception as exc:  # a worker died or the task could not run: record, go on
                    outcome = {"study": "?", "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
                if outcome["status"] == "done":
                    done.append(outcome["study"])
                else:
                    failed[outcome["study"]] = outcome["error"]
                if progress:
                    progress(i, len(todo), f"{outcome['study']} {outcome['status']}")
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    metrics = _gather(out, [s.study for s in studies])
    summary = BatchSummary(sorted(done), sorted(skipped), failed, time.perf_counter() - started, used, metrics)
    _write_json(out / "batch.json", summary.as_dict())
    return summary


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)[:100] or "row"
