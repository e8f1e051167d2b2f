# SPDX-License-Identifier: Apache-2.0
"""``nenliver ablation plan | margin | simulate``: the plan before and the verdict after.

* ``plan CASE``: modality, applicators, expected zone and margin per lesion, from the same code as
  the decision engine (:func:`nenliver.service.planning.plan_ablation`).
* ``margin --tumour MASK --ablation MASK [--liver MASK]``: minimal ablative margin, coverage and
  surface histogram (:func:`nenliver.ablation.assess_margin`); ``--png`` writes a margin map.
* ``simulate --tumour MASK --setting ID (--applicator ... | --optimise N)``: predicted zone and
  margin for applicator poses, or poses found by the optimiser.

Parses arguments, calls library code and formats the result. Files are written only after every
result is computed, each one whole or not at all.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.cli._output import check_output_paths, print_json, printable, write_atomic
from nenliver.errors import InputError, Problem

__all__ = ["register"]

_MARGIN_FORMAT = "nenliver/ablation-margin@1"
_SIMULATE_FORMAT = "nenliver/ablation-simulation@1"
_PLAN_FORMAT = "nenliver/ablation-plan@1"
#: LPS ↔ RAS: x and y change sign (the same matrix both ways).
_RAS_FLIP = np.array([-1.0, -1.0, 1.0])


#: A negative number as the command line may carry it: -5, -.5, -5.0, -1.2246e-15.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def register(subparsers: Any) -> None:
    """Add the ``ablation`` command and its ``plan``, ``margin`` and ``simulate`` sub-commands."""
    parser = subparsers.add_parser(
        "ablation",
        help="ablation plan per lesion, margin confirmation and zone simulation",
        description="Percutaneous ablation: the plan before (modality, applicators, zone) and the verdict after "
        "(minimal ablative margin). For clinician review.",
    )
    sub = parser.add_subparsers(dest="ablation_command", metavar="SUBCOMMAND")

    plan = sub.add_parser("plan", help="modality, applicators and expected zone per lesion of a case")
    plan.add_argument("case", metavar="CASE", help="case file (YAML or JSON, nenliver/case@1)")
    plan.add_argument("--json", action="store_true", help="print JSON instead of the terminal view")
    plan.set_defaults(func=run_plan)

    margin = sub.add_parser(
        "margin",
        help="minimal ablative margin, coverage and margin histogram from co-registered masks",
        description="Signed voxel-centre distance of the ablation zone at the tumour voxels, on the ablation "
        "mask's grid. Masks must already be registered; nothing is registered here.",
    )
    margin.add_argument(
        "--tumour", required=True, metavar="MASK", help="tumour mask (NIfTI, DICOM series, or SEG/RTSTRUCT FILE#Label)"
    )
    margin.add_argument(
        "--ablation", required=True, metavar="MASK", help="ablation-zone mask (NIfTI or DICOM series): the common grid"
    )
    margin.add_argument("--liver", metavar="MASK", help="liver mask: capsule exclusion and tissue at risk")
    margin.add_argument("--json", action="store_true", help="print the nenliver/ablation-margin@1 JSON")
    margin.add_argument("--png", metavar="FILE", type=Path, help="also write a margin map picture (PNG)")
    margin.set_defaults(func=run_margin)

    sim = sub.add_parser(
        "simulate",
        help="predicted zone and margin for applicator poses, or an optimised placement",
        description="Ellipsoidal zones of a device setting at applicator poses (tip and direction, patient "
        "coordinates in mm, LPS unless --ras) judged by the margin engine; --optimise N places N applicators.",
    )
    sim.add_argument("--tumour", metavar="MASK", help="tumour (lesion) mask (NIfTI or DICOM series): the grid")
    sim.add_argument("--setting", metavar="ID", help="zone shape (device setting); see --list-settings")
    sim.add_argument(
        "--applicator",
        nargs=6,
        type=float,
        action="append",
        metavar=("TIP_X", "TIP_Y", "TIP_Z", "DIR_X", "DIR_Y", "DIR_Z"),
        help="an applicator: tip position (mm) and direction from skin entry towards the tip (repeatable)",
    )
    sim.add_argument("--optimise", type=int, metavar="N", help="place N parallel applicators (1-3)")
    sim.add_argument(
        "--direction", nargs=3, type=float, metavar=("DX", "DY", "DZ"), help="fixed direction for --optimise"
    )
    sim.add_argument("--liver", metavar="MASK", help="liver mask: capsule exclusion and tissue at risk")
    sim.add_argument("--ras", action="store_true", help="coordinates in RAS (NIfTI world) instead of LPS (DICOM)")
    sim.add_argument("--out-zone", metavar="FILE", type=Path, help="write the predicted zone as a NIfTI mask")
    sim.add_argument("--png", metavar="FILE", type=Path, help="also write a margin map picture (PNG)")
    sim.add_argument("--list-settings", action="store_true", help="list the zone shapes and exit")
    # Coordinates and directions are numbers such as -1.2246e-15 (a rotated unit vector); argparse
    # before 3.13 takes a negative number in scientific notation for an option.
    sim._negative_number_matcher = _NEGATIVE_NUMBER
    sim.add_argument("--json", action="store_true", help="print the nenliver/ablation-simulation@1 JSON")
    sim.set_defaults(func=run_simulate)

    def no_subcommand(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(func=no_subcommand)


def _read_grid(path: str) -> Any:
    """A mask that carries the common grid: NIfTI file or DICOM series."""
    from nenliver.imaging import read_image

    return read_image(path)


def _read_on(path: str, reference: Any, structure: str) -> Any:
    """A mask as a volume: NIfTI/DICOM series as read (resampled later, with field-of-view checks);
    DICOM SEG or RTSTRUCT (``FILE#Label``) rasterised on the grid of ``reference``."""
    from nenliver.imaging import Volume, is_nifti, read_image, read_mask

    if is_nifti(path) or Path(path).is_dir():
        return read_image(path)
    mask, _notes = read_mask(path, reference, structure)
    return Volume(mask.astype(np.uint8), reference.affine, reference.frame_of_reference_uid, None, path)


def _dump(data: dict[str, Any]) -> None:
    print_json(data)


def _fmt(value: float | None, unit: str = "mm", digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f} {unit}"


# --- plan -------------------------------------------------------------------------------------


def run_plan(args: argparse.Namespace) -> int:
    """``ablation plan CASE``: per-lesion plans from the decision engine's code."""
    from nenliver.case import load_case
    from nenliver.service import ablation_plan

    data = ablation_plan(load_case(args.case)).model_dump(mode="json")
    if args.json:
        _dump(data)
    else:
        sys.stdout.write(_plan_text(printable(data)))
    return 0


def _plan_text(data: dict[str, Any]) -> str:
    policy = data["margin_policy"]
    out = [
        f"Ablation plan — case {data['case']} (nenliver {data['software_version']}, "
        f"knowledge base {data['knowledge_base']['version']})",
        f"Margin policy: at least {policy['minimum_mm']:g} mm, ideally {policy['ideal_mm']:g} mm",
        "",
    ]
    if not data["lesions"]:
        out.append("No lesions listed in the case (liver.lesions).")
    for les in data["lesions"]:
        size = _fmt(les["diameter_mm"], digits=0)
        if les["modality"]:
            head = (
                f"{les['id']} ({size}): {les['modality'].upper()} x{les['applicators']}, expected zone "
                f"{_fmt(les['zone_mm'], digits=0)}, margin about {_fmt(les['margin_mm'])}"
            )
        else:
            head = f"{les['id']} ({size}): no modality fits"
        out.append(head)
        out.append(f"    {les['note']}")
        if les["guidance"]:
            out.append(f"    guidance: {les['guidance']}")
        if les["alternatives"]:
            out.append(f"    alternatives: {', '.join(les['alternatives'])}")
        for f in les["findings"]:
            cite = "; ".join(f.get("citations") or [])
            out.append(f"    [{f['rule']}] {f['text']}" + (f" ({cite})" if cite else ""))
        out.append("")
    out.append(data["notice"])
    return "\n".join(out) + "\n"


# --- margin -----------------------------------------------------------------------------------


def run_margin(args: argparse.Namespace) -> int:
    """``ablation margin``: the verdict after, from co-registered masks."""
    from nenliver.service import assess_ablation_margin

    check_output_paths(png=args.png)
    ablation = _read_grid(args.ablation)
    tumour = _read_on(args.tumour, ablation, "tumour")
    liver = _read_on(args.liver, ablation, "liver") if args.liver else None
    inputs = {"tumour": args.tumour, "ablation": args.ablation, "liver": args.liver}
    report, result = assess_ablation_margin(tumour, ablation, liver, inputs=inputs, keep_maps=args.png is not None)
    data = report.model_dump(mode="json")
    if args.png:
        write_atomic(args.png, _picture(result))
        data["margin_map_png"] = str(args.png)
    if args.json:
        _dump(data)
    else:
        sys.stdout.write(_margin_text(printable(data)))
    return 0


def _picture(result: Any, title: str | None = None) -> bytes:
    from nenliver.ablation.margin_map import render_margin_map

    return render_margin_map(result, title)


def _margin_lines(r: dict[str, Any], frame: str = "LPS") -> list[str]:
    out = [
        f"  minimal ablative margin   {_fmt(r['minimal_margin_mm'], digits=2)}, lower bound "
        f"{_fmt(r['minimal_margin_lower_bound_mm'], digits=2)} "
        f"(discretisation uncertainty up to {_fmt(r['discretisation_uncertainty_mm'], digits=2)})",
        f"  verdict                   {r['verdict_code'].upper()}: {r['verdict']}",
        f"  coverage                  {_fmt(r['coverage_percent'], '%')}",
        f"  tumour surface >= {r['margin_policy']['minimum_mm']:g} mm    {_fmt(r['surface_ge_minimum_percent'], '%')}",
        f"  residual tumour           {_fmt(r['residual_tumour_volume_ml'], 'mL', 3)} "
        f"of {_fmt(r['tumour_volume_ml'], 'mL', 3)}",
        f"  tissue at risk            {_fmt(r['tissue_at_risk_volume_ml'], 'mL', 3)} "
        f"(tumour + {r['tissue_at_risk_shell_mm']:g} mm shell not ablated)",
        "  surface margin histogram",
    ]
    for b in r["surface_margin_histogram"]:
        bar = "#" * round(b["percent"] / 2.5)
        out.append(f"    {b['bin'] + ' mm':>10} {b['percent']:6.1f} %  {bar}")
    if r["minimal_margin_location_mm"] is not None:
        loc = ", ".join(f"{v:.1f}" for v in r["minimal_margin_location_mm"])
        out.append(f"  location of the minimum   ({loc}) mm {frame}, voxel {tuple(r['minimal_margin_location_index'])}")
    return out


def _margin_text(data: dict[str, Any]) -> str:
    out = [
        f"Ablative margin — nenliver {data['software_version']}",
        f"  tumour {data['inputs']['tumour']}; ablation zone {data['inputs']['ablation']}"
        + (f"; liver {data['inputs']['liver']}" if data["inputs"]["liver"] else ""),
        f"  method: {data['method']['estimator']}",
        "",
        *_margin_lines(data),
        "",
        "Notes",
        *(f"  - {n}" for n in data["notes"]),
    ]
    if data.get("margin_map_png"):
        out.append(f"\nMargin map written to {data['margin_map_png']}")
    out += ["", data["notice"]]
    return "\n".join(out) + "\n"


# --- simulate ---------------------------------------------------------------------------------


def _settings_text() -> str:
    from nenliver.ablation import load_zone_shapes

    out = ["Zone shapes (nominal; [unverified] = placeholder to replace from the device's IFU)"]
    for shape in load_zone_shapes().values():
        flag = " [unverified: " + ", ".join(shape.unverified) + "]" if shape.unverified else ""
        out.append(
            f"  {shape.id:<20} {shape.modality:<4} L {shape.long_axis_mm:g} x D {shape.short_axis_mm:g} mm, "
            f"{shape.beyond_tip_mm:g} mm beyond tip — {shape.label}{flag}"
        )
    out += ["", CLINICIAN_REVIEW_NOTICE]
    return "\n".join(out) + "\n"


def _to_lps(values: list[float], ras: bool) -> tuple[float, float, float]:
    v = np.asarray(values, dtype=float) * (_RAS_FLIP if ras else 1.0)
    return float(v[0]), float(v[1]), float(v[2])


def run_simulate(args: argparse.Namespace) -> int:
    """``ablation simulate``: predicted zone and margin at poses, or optimised poses."""
    from nenliver.ablation import ApplicatorPose, load_zone_shapes, zone_mask
    from nenliver.service import simulate_ablation

    if args.list_settings:
        if args.json:
            _dump(
                {
                    "zone_shapes": [s.as_dict() for s in load_zone_shapes().values()],
                    "software_version": __version__,
                    "notice": CLINICIAN_REVIEW_NOTICE,
                }
            )
        else:
            sys.stdout.write(_settings_text())
        return 0
    _check_simulate_args(args)
    tumour = _read_grid(args.tumour)
    liver = _read_on(args.liver, tumour, "liver") if args.liver else None
    inputs = {"tumour": args.tumour, "liver": args.liver}
    keep = args.png is not None
    poses = None
    if args.optimise is None:
        try:
            poses = [ApplicatorPose(_to_lps(a[:3], args.ras), _to_lps(a[3:], args.ras)) for a in args.applicator]
        except ValueError as exc:
            raise InputError(
                "--applicator", [Problem("applicator", str(exc), "TIP_X TIP_Y TIP_Z DIR_X DIR_Y DIR_Z")]
            ) from None
    direction = _to_lps(args.direction, args.ras) if args.direction else None
    report, result = simulate_ablation(
        tumour,
        args.setting,
        poses=poses,
        optimise=args.optimise,
        direction=direction,
        liver=liver,
        inputs=inputs,
        keep_maps=keep,
    )
    picture = _picture(result.margin, _simulation_title(result)) if keep else None
    zone_volume = None
    if args.out_zone is not None:
        zone_volume = tumour.with_array(zone_mask(tumour, result.shape, result.poses).astype(np.uint8))
    data = report.model_dump(mode="json")
    if args.ras:
        _as_ras(data)
    if zone_volume is not None:
        from nenliver.imaging import write_nifti

        write_nifti(zone_volume, args.out_zone)
        data["zone_mask"] = str(args.out_zone)
    if picture is not None:
        write_atomic(args.png, picture)
        data["margin_map_png"] = str(args.png)
    if args.json:
        _dump(data)
    else:
        sys.stdout.write(_simulation_text(printable(data)))
    return 0


def _check_simulate_args(args: argparse.Namespace) -> None:
    problems = []
    if not args.tumour:
        problems.append(Problem("--tumour", "missing", "a tumour mask"))
    if not args.setting:
        problems.append(Problem("--setting", "missing", "a zone shape id (see --list-settings)"))
    if bool(args.applicator) == (args.optimise is not None):
        problems.append(Problem("--applicator/--optimise", "give exactly one of them", "poses or a count"))
    if args.out_zone is not None and not str(args.out_zone).endswith((".nii", ".nii.gz")):
        problems.append(Problem("--out-zone", f"{args.out_zone}", "a .nii or .nii.gz file name"))
    if problems:
        raise InputError("nenliver ablation simulate", problems)
    check_output_paths(out_zone=args.out_zone, png=args.png)


def _as_ras(data: dict[str, Any]) -> None:
    """Coordinates of a simulation result in RAS instead of LPS (in place)."""
    data["frame"] = "RAS (NIfTI world), mm"
    data["applicators"] = [
        {k: [round(float(x), 5) for x in np.asarray(v) * _RAS_FLIP] for k, v in a.items()} for a in data["applicators"]
    ]
    for key in ("minimal_margin_location_mm", "minimal_margin_direction"):
        value = data["predicted"].get(key)
        if value is not None:
            data["predicted"][key] = [round(float(x), 4) for x in np.asarray(value) * _RAS_FLIP]


def _simulation_title(result: Any) -> str:
    what = "optimised" if result.optimised else "given"
    flag = " [unverified zone numbers]" if result.shape.unverified else ""
    return (
        f"Predicted: {result.shape.id}{flag} x{len(result.poses)} ({what} poses), minimal margin "
        f"{result.margin.minimal_margin_mm:.1f} mm (lower bound {result.margin.minimal_margin_lower_bound_mm:.1f} mm): "
        f"{result.margin.verdict_code}"
    )


def _simulation_text(data: dict[str, Any]) -> str:
    s = data["setting"]
    out = [
        f"Ablation zone simulation — nenliver {data['software_version']}",
        f"  setting {s['id']}: {s['label']}, L {s['long_axis_mm']:g} x D {s['short_axis_mm']:g} mm, "
        f"{s['beyond_tip_mm']:g} mm beyond the tip"
        + (f" [unverified: {', '.join(s['unverified'])}]" if s["unverified"] else ""),
        f"  applicators ({'optimised' if data['optimised'] else 'given'}; {data['frame']})",
    ]
    for i, a in enumerate(data["applicators"], start=1):
        tip = ", ".join(f"{v:.1f}" for v in a["tip_mm"])
        direction = ", ".join(f"{v:.3f}" for v in a["direction"])
        out.append(f"    {i}. tip ({tip})  direction ({direction})")
    frame = data["frame"].split()[0]
    out += [
        "",
        "Predicted",
        *_margin_lines(data["predicted"], frame),
        "",
        "Notes",
        *(f"  - {n}" for n in data["notes"]),
    ]
    for key, label in (("zone_mask", "Zone mask"), ("margin_map_png", "Margin map")):
        if data.get(key):
            out.append(f"\n{label} written to {data[key]}")
    out += ["", data["notice"]]
    return "\n".join(out) + "\n"
