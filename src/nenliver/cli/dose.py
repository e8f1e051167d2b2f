# SPDX-License-Identifier: Apache-2.0
"""``nenliver dose voxel``: voxel dose map and DVH metrics per structure.

Parses arguments, reads images and masks (:mod:`nenliver.imaging`), calls
:func:`nenliver.dosimetry.voxel.voxel_dose` and formats the result: JSON with ``--json``
(``structures: {name: {mean_gy, d70_gy, v100_percent, …}}``), otherwise a terminal table. Every
output file is computed first and then written atomically; on bad input nothing is written.
A progress bar is drawn on stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.cli._output import check_output_paths, print_json, printable, write_atomic
from nenliver.errors import ImagingInputError, InputError, Problem

__all__ = ["register", "run_voxel"]


def register(subparsers: Any) -> None:
    """Add ``dose voxel`` to the ``nenliver`` parser."""
    parser = subparsers.add_parser(
        "dose",
        help="voxel dosimetry (dose maps and DVHs)",
        description="Absorbed-dose calculations on images (for clinician review).",
    )
    sub = parser.add_subparsers(dest="dose_command", metavar="SUBCOMMAND")
    v = sub.add_parser(
        "voxel",
        help="90Y voxel dose map and DVH metrics from MAA SPECT or 90Y PET",
        description="90Y voxel dosimetry: local deposition or dose-voxel-kernel convolution on MAA SPECT "
        "(patient-relative) or 90Y PET (absolute, Bq/mL). IMAGE and MASK: NIfTI file or DICOM series "
        "folder; masks also DICOM SEG or RTSTRUCT (FILE#Label picks a segment/ROI).",
    )
    v.add_argument("--activity", required=True, metavar="IMAGE", help="MAA SPECT (counts) or 90Y PET (Bq/mL)")
    v.add_argument("--liver", required=True, metavar="MASK", help="whole-liver mask")
    v.add_argument(
        "--tumour",
        "--tumor",
        action="append",
        default=[],
        metavar="MASK",
        help="tumour mask (repeat for several: tumour, tumour_2, …)",
    )
    v.add_argument("--lung", metavar="MASK", help="lung mask (lung dosed by local deposition at lung density)")
    v.add_argument("--perfused", metavar="MASK", help="perfused volume (default: the liver)")
    v.add_argument("--injected-gbq", required=True, type=float, metavar="A", help="injected 90Y activity, GBq")
    v.add_argument("--lsf-percent", type=float, default=0.0, metavar="F", help="lung shunt fraction, %% (default 0)")
    v.add_argument(
        "--method",
        choices=("ldm", "kernel"),
        default="ldm",
        help="local deposition (default, EANM SOP) or 90Y dose-voxel kernel",
    )
    v.add_argument(
        "--activity-mode",
        choices=("auto", "relative", "absolute"),
        default="auto",
        help="patient-relative counts or absolute Bq/mL (auto: absolute for DICOM PET in BQML)",
    )
    v.add_argument(
        "--convention",
        choices=("eanm_2022", "therasphere_ifu", "aapm_mppg14a"),
        default="eanm_2022",
        help="dose-conversion constant (default eanm_2022, 49.67 J/GBq)",
    )
    v.add_argument("--liver-density", type=float, metavar="G_PER_ML", help="soft-tissue density (default 1.03 g/mL)")
    v.add_argument("--administration-time", metavar="ISO", help="90Y administration time (absolute mode)")
    v.add_argument(
        "--hours-after-administration",
        type=float,
        metavar="H",
        help="image reference time minus administration, h (absolute mode, NIfTI)",
    )
    v.add_argument(
        "--post-activity",
        metavar="IMAGE",
        help="post-treatment 90Y PET/bremsstrahlung SPECT: compare predicted vs post-treatment doses",
    )
    v.add_argument("--post-activity-mode", choices=("auto", "relative", "absolute"), default="auto")
    v.add_argument("--out", metavar="DOSE", help="dose map: .nii/.nii.gz, or .dcm (RT Dose, DICOM input only)")
    v.add_argument("--dvh-png", metavar="FILE", help="cumulative DVH plot (PNG)")
    v.add_argument("--overlay-png", metavar="FILE", help="mid-slice dose overlay (PNG)")
    v.add_argument("--json", action="store_true", help="write the nenliver/voxel-dose@1 JSON to stdout")
    v.set_defaults(func=run_voxel)
    b = sub.add_parser(
        "batch",
        help="voxel dosimetry of many studies on Dask (a manifest CSV; resumable)",
        description="One row per study in MANIFEST (docs/cohort.md: columns study, activity, liver, injected_gbq, "
        "tumour, lung, perfused, lsf_percent, method, activity_mode, …; paths relative to the manifest). Runs on a "
        "Dask LocalCluster of --workers processes, or on the cluster at --scheduler. Finished studies are "
        "skipped on a re-run; a failing study is recorded and the batch goes on; metrics.csv gathers the DVH "
        "metrics per study and structure.",
    )
    b.add_argument("manifest", metavar="MANIFEST", help="CSV, one row per study")
    b.add_argument("--out", metavar="DIR", default="nenliver-batch", help="output folder (default ./nenliver-batch)")
    b.add_argument("--workers", type=int, default=2, metavar="N", help="local worker processes (default 2)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler (tcp://host:8786)")
    b.set_defaults(func=run_batch_command)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.start = time.perf_counter()

    def __call__(self, stage: str, done: float) -> None:
        if not self.enabled:
            return
        width = 30
        filled = round(width * max(0.0, min(1.0, done)))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {100 * done:3.0f}% {stage:<22} {time.perf_counter() - self.start:5.1f}s")
        if done >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _structures(args: argparse.Namespace) -> list[tuple[str, str]]:
    items = [("liver", args.liver)]
    for i, path in enumerate(args.tumour):
        items.append(("tumour" if i == 0 else f"tumour_{i + 1}", path))
    if args.perfused:
        items.append(("perfused", args.perfused))
    if args.lung:
        items.append(("lung", args.lung))
    return items


def _compute(
    image_path: str, mode: str, args: argparse.Namespace, progress: _Progress, offset: float, span: float
) -> tuple[Any, Any, dict[str, Any], list[str]]:
    """Read the image and masks named in ``args`` and run the voxel-dose service on them."""
    from nenliver.dosimetry.enums import ConventionKind
    from nenliver.dosimetry.voxel import ActivityMode, DoseMethod
    from nenliver.imaging import read_image, read_mask
    from nenliver.service import VoxelDoseOptions, voxel_dose_study

    def step(stage: str, done: float) -> None:
        progress(stage, offset + span * done)

    step("reading image", 0.0)
    image = read_image(image_path)
    masks, notes = {}, []
    items = _structures(args)
    for i, (name, path) in enumerate(items):
        step(f"reading {name}", 0.05 + 0.25 * i / len(items))
        mask, mask_notes = read_mask(path, image, name)
        masks[name] = mask
        notes += list(mask_notes)
    admin = None
    if args.administration_time:
        try:
            admin = datetime.fromisoformat(args.administration_time)
        except ValueError:
            raise ImagingInputError(
                "--administration-time", [Problem("", args.administration_time, "an ISO date-time")]
            ) from None
    options = VoxelDoseOptions(
        injected_gbq=args.injected_gbq,
        lung_shunt_fraction=args.lsf_percent / 100.0,
        method=DoseMethod(args.method),
        mode=ActivityMode(mode),
        convention=ConventionKind(args.convention),
        tissue_density_g_per_ml=args.liver_density,
        administration_time=admin,
        hours_after_administration=args.hours_after_administration,
    )
    result = voxel_dose_study(image, masks, options, progress=lambda stage, done: step(stage, 0.3 + 0.7 * done))
    return image, result, masks, notes


def _check_args(args: argparse.Namespace) -> None:
    from nenliver._validation import range_problem
    from nenliver.dosimetry.model import plan_ranges

    ranges = plan_ranges()
    checks = [
        ("--injected-gbq", "injected_gbq", args.injected_gbq),
        ("--lsf-percent", "lung_shunt_fraction_percent", args.lsf_percent),
        ("--liver-density", "density_g_ml", args.liver_density),
        ("--hours-after-administration", "hours_after_administration", args.hours_after_administration),
    ]
    problems = [
        problem
        for option, field, value in checks
        if value is not None and (problem := range_problem(ranges[field], value, option)) is not None
    ]
    if args.out and not str(args.out).lower().endswith((".nii", ".nii.gz", ".dcm")):
        problems.append(Problem("--out", args.out, "a .nii, .nii.gz or .dcm file name"))
    if problems:
        raise ImagingInputError("command line", problems)
    check_output_paths(out=args.out, dvh_png=args.dvh_png, overlay_png=args.overlay_png)


def run_voxel(args: argparse.Namespace) -> int:
    """Run ``nenliver dose voxel``; returns the exit code."""
    from nenliver.dosimetry.voxel.report import dvh_png, overlay_png
    from nenliver.imaging import is_nifti, write_nifti, write_rtdose
    from nenliver.service import voxel_dose_report

    _check_args(args)
    progress = _Progress()
    span = 0.7 if args.post_activity else 0.9
    image, result, masks, notes = _compute(args.activity, args.activity_mode, args, progress, 0.0, span)
    post = None
    if args.post_activity:
        _, post, _, _ = _compute(args.post_activity, args.post_activity_mode, args, progress, span, 0.9 - span)
    inputs = {
        "activity": args.activity,
        "liver": args.liver,
        "tumour": args.tumour,
        "lung": args.lung,
        "perfused": args.perfused,
        "post_activity": args.post_activity,
    }
    payload = voxel_dose_report(result, inputs, notes, post).model_dump(mode="json")
    # Render everything before writing anything: a failure leaves no partial output.
    progress("writing outputs", 0.92)
    pngs: list[tuple[Path, bytes]] = []
    if args.dvh_png:
        pngs.append((Path(args.dvh_png), dvh_png(result, post)))
    if args.overlay_png:
        pngs.append((Path(args.overlay_png), overlay_png(result, image.array, masks)))
    outputs: dict[str, str] = {}
    if args.out:
        out = Path(args.out)
        if out.name.lower().endswith(".dcm"):
            if is_nifti(args.activity):
                raise ImagingInputError(
                    str(out),
                    [Problem("--out", "RT Dose needs a DICOM activity image", "a .nii/.nii.gz name for NIfTI input")],
                )
            description = f"nenliver {__version__} {result.method.value} dose (research; for clinician review)"
            write_rtdose(result.dose, out, image, description + " " + CLINICIAN_REVIEW_NOTICE)
        else:
            write_nifti(result.dose, out)
        outputs["dose"] = str(out)
    for path, data in pngs:
        write_atomic(path, data)
        outputs[path.name] = str(path)
    payload["outputs"] = outputs
    progress("done", 1.0)
    if args.json:
        print_json(payload)
    else:
        sys.stdout.write(format_text(printable(payload)))
    return 0


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``nenliver dose batch``; exit 0 when every study has a result, 1 when some failed."""
    from nenliver.service.batch import run_batch

    if not 1 <= args.workers <= 256:
        raise InputError("--workers", [Problem("workers", str(args.workers), "1 to 256")])
    started = time.perf_counter()
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int, what: str) -> None:
        width = 30
        filled = round(width * done / total)
        elapsed = time.perf_counter() - started
        line = f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {what[:40]:<40} {elapsed:6.1f}s"
        sys.stderr.write(("\r" if interactive else "") + line + ("\n" if not interactive or done == total else ""))
        sys.stderr.flush()

    summary = run_batch(args.manifest, args.out, args.workers, args.scheduler, progress)
    print(
        f"{len(summary.done)} studies done, {len(summary.skipped)} skipped (already done), "
        f"{len(summary.failed)} failed in {summary.seconds:.1f} s on {summary.workers} worker(s) → {args.out}"
    )
    for study, error in summary.failed.items():
        print(f"  failed {study}: {printable(error)[:300]}")
    if summary.metrics:
        print(f"DVH metrics per study and structure: {summary.metrics}")
    print(CLINICIAN_REVIEW_NOTICE)
    return 1 if summary.failed else 0


def format_text(payload: dict[str, Any]) -> str:
    """Terminal view of the JSON payload."""
    p = payload["parameters"]
    lines = [
        f"Voxel dosimetry — {payload['method']}, {payload['activity_mode']} activity, "
        f"C = {p['dose_constant_gy_kg_per_gbq']:g} Gy·kg/GBq ({p['convention']}), "
        f"ρ = {p['tissue_density_g_per_ml']:g} g/mL",
        f"nenliver {payload['software_version']}",
        f"grid {p['shape']} voxels of {', '.join(f'{s:.3g}' for s in p['spacing_mm'])} mm",
        "",
        f"{'structure':<14}{'mL':>9}{'mean':>8}{'D2':>8}{'D50':>8}{'D70':>8}{'D90':>8}{'D95':>8}"
        f"{'V30%':>7}{'V40%':>7}{'V70%':>7}{'V100%':>7}{'V120%':>7}{'V150%':>7}",
    ]
    for name, m in payload["structures"].items():
        lines.append(
            f"{name:<14}{m['volume_ml']:>9.1f}{m['mean_gy']:>8.1f}{m['d2_gy']:>8.1f}{m['d50_gy']:>8.1f}"
            f"{m['d70_gy']:>8.1f}{m['d90_gy']:>8.1f}{m['d95_gy']:>8.1f}{m['v30_percent']:>7.1f}"
            f"{m['v40_percent']:>7.1f}{m['v70_percent']:>7.1f}{m['v100_percent']:>7.1f}"
            f"{m['v120_percent']:>7.1f}{m['v150_percent']:>7.1f}"
        )
    lung = payload["lung"]
    lung_text = "—" if lung["mean_gy"] is None else f"{lung['mean_gy']:.1f} Gy"
    lines += ["", f"lung mean dose {lung_text} ({lung['basis']})"]
    if "comparison" in payload:
        lines += ["", "Predicted vs post-treatment (mean, D70)"]
        for name, rows in payload["comparison"]["structures"].items():
            mean, d70 = rows.get("mean_gy"), rows.get("d70_gy")
            if mean and d70:
                lines.append(
                    f"  {name:<14} mean {mean['predicted']:.1f} → {mean['post']:.1f} Gy, "
                    f"D70 {d70['predicted']:.1f} → {d70['post']:.1f} Gy"
                )
    if payload.get("notes"):
        lines += ["", "Notes", *(f"  - {n}" for n in payload["notes"])]
    if payload.get("outputs"):
        lines += ["", "Written", *(f"  {k}: {v}" for k, v in payload["outputs"].items())]
    lines += ["", payload["notice"]]
    return "\n".join(lines) + "\n"
