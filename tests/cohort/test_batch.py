"""Batch voxel dosimetry on Dask: results, failures recorded, resume, an existing scheduler."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from nenliver.cli.main import main
from nenliver.imaging import Volume, write_nifti
from nenliver.imaging.synthetic import ball
from nenliver.service.batch import read_manifest, run_batch

pytestmark = pytest.mark.slow
SHAPE, SPACING = (24, 24, 24), (4.0, 4.0, 4.0)


def _study(folder: Path, name: str, tumour_uptake: float) -> dict[str, str]:
    centre = tuple(s * n / 2 for s, n in zip(SPACING, SHAPE, strict=True))
    liver = ball(SHAPE, SPACING, centre, 36.0)
    tumour = ball(SHAPE, SPACING, centre, 12.0)
    activity = liver.astype(np.float32) + tumour_uptake * tumour.astype(np.float32)
    affine = np.diag([*SPACING, 1.0])
    files = {}
    for key, data in (("activity", activity), ("liver", liver.astype(np.uint8)), ("tumour", tumour.astype(np.uint8))):
        path = folder / f"{name}-{key}.nii.gz"
        write_nifti(Volume(data, affine), path)
        files[key] = path.name
    return files


def _manifest(folder: Path, rows: list[dict[str, str]]) -> Path:
    path = folder / "manifest.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["study", "activity", "liver", "tumour", "injected_gbq", "method"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    rows = []
    for name, uptake in (("s1", 3.0), ("s2", 6.0)):
        files = _study(tmp_path, name, uptake)
        rows.append({"study": name, **files, "injected_gbq": "2.5", "method": "kernel"})
    rows.append(
        {
            "study": "missing",
            "activity": "nowhere.nii.gz",
            "liver": "nowhere.nii.gz",
            "tumour": "",
            "injected_gbq": "2",
            "method": "ldm",
        }
    )
    rows.append({**rows[0], "study": "bad-row", "injected_gbq": "-1"})
    return _manifest(tmp_path, rows)


def test_a_bad_manifest_row_keeps_its_row_number(manifest: Path):
    rows = read_manifest(manifest)
    bad = next(r for r in rows if r.study_id == "bad-row")
    assert bad.study is None and bad.row == 5 and bad.problems[0].path == "injected_gbq"


def test_batch_runs_records_failures_gathers_metrics_and_resumes(manifest: Path, tmp_path: Path):
    from dask.distributed import LocalCluster

    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        summary = run_batch(manifest, out, scheduler=cluster.scheduler_address)
        assert summary.done == ["s1", "s2"] and set(summary.failed) == {"missing", "bad-row"}
        assert "nowhere.nii.gz" in summary.failed["missing"]
        assert json.loads((out / "missing" / "error.json").read_text())["type"]
        metrics = list(csv.DictReader((out / "metrics.csv").read_text(encoding="utf-8").splitlines()))
        tumours = {r["study"]: float(r["mean_gy"]) for r in metrics if r["structure"] == "tumour"}
        assert set(tumours) == {"s1", "s2"} and tumours["s2"] > tumours["s1"]  # more uptake, more dose
        report = json.loads((out / "s1" / "result.json").read_text())
        assert report["format"] == "nenliver/voxel-dose@1" and "clinician review" in report["notice"]
        again = run_batch(manifest, out, scheduler=cluster.scheduler_address)
    assert again.skipped == ["s1", "s2"] and again.done == [] and set(again.failed) == {"missing", "bad-row"}


def test_cli_dose_batch_on_a_local_cluster(manifest: Path, tmp_path: Path, capsys):
    out = tmp_path / "cli-out"
    code = main(["dose", "batch", str(manifest), "--out", str(out), "--workers", "1"])
    printed = capsys.readouterr()
    assert code == 1  # two studies failed; the others ran
    assert "2 studies done" in printed.out and "failed missing" in printed.out
    assert "3/3" in printed.err  # progress over the three studies tried (the bad row never runs)
    assert (out / "metrics.parquet").is_file()
