# SPDX-License-Identifier: Apache-2.0
"""``nenliver prrt PLAN [--json] [--full] [--out DIR]``: post-therapy dosimetry of a PRRT cycle.

Parses arguments, calls :func:`nenliver.service.run_prrt` and formats the result: JSON with
``--json`` (``nenliver/prrt-result@1``), otherwise a terminal view that leads with the answer (another
cycle: yes, no, or cannot tell) and the deciding figures, then organ by organ; ``--full`` adds fit
parameters, residuals and candidates. ``--out DIR`` also writes the time-activity pictures (and, for
image plans, the dose and TIA maps and the DVH). Nothing is written unless the whole cycle was computed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nenliver.cli._output import printable, write_atomic
from nenliver.dosimetry.prrt import CheckState, PrrtResult, load_prrt_plan, prrt_result_to_json
from nenliver.report.prrt import answer_line
from nenliver.service.prrt import run_prrt

__all__ = ["format_text", "register", "run"]

_MARK = {CheckState.PASS: "PASS", CheckState.WARN: "WARN", CheckState.FAIL: "FAIL", CheckState.UNKNOWN: "????"}


def register(subparsers: Any) -> None:
    """Add the ``prrt`` sub-command to the ``nenliver`` parser."""
    parser = subparsers.add_parser(
        "prrt",
        help="PRRT (177Lu) dosimetry of a cycle: time-activity fits, organ doses, kidney BED, cumulative limits",
        description="Post-therapy dosimetry of a 177Lu-DOTATATE PRRT cycle for a nenliver/prrt@1 plan "
        "(for clinician review).",
    )
    parser.add_argument("plan", metavar="PLAN", help="plan file (YAML or JSON, format nenliver/prrt@1)")
    parser.add_argument("--json", action="store_true", help="write the nenliver/prrt-result@1 JSON to stdout")
    parser.add_argument(
        "--full", action="store_true", help="terminal view with fit parameters, residuals and candidates"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="also write prrt-result.json, time-activity pictures (PNG) and, for image plans, "
        "dose/TIA maps and the DVH",
    )
    parser.add_argument("--html", metavar="FILE", type=Path, help="also write the printable report (HTML)")
    parser.add_argument("--pdf", metavar="FILE", type=Path, help="also write the printable report (PDF, WeasyPrint)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate the plan named in ``args`` and print the result; returns the exit code."""
    plan = load_prrt_plan(args.plan)
    outcome = run_prrt(plan, base_dir=Path(args.plan).resolve().parent, source=str(args.plan))
    result = outcome.result
    text = prrt_result_to_json(result) if args.json else printable(format_text(result, full=args.full))
    written: list[Path] = []
    documents: dict[Path, str | bytes] = {}
    if args.html is not None or args.pdf is not None:
        from nenliver.report.prrt import render_prrt_html

        html = render_prrt_html(outcome)
        if args.html is not None:
            documents[args.html] = html
        if args.pdf is not None:
            from nenliver.report.pdf import html_to_pdf

            documents[args.pdf] = html_to_pdf(html)
    if args.out is not None:
        from nenliver.report.prrt import write_prrt_outputs

        written += write_prrt_outputs(outcome, args.out, write=write_atomic)
    for path, content in documents.items():
        write_atomic(path, content)
        written.append(path)
    if written and not args.json:
        text += "\nWritten:\n" + "".join(f"  {p}\n" for p in written)
    sys.stdout.write(text)
    return 0


def format_text(result: PrrtResult, *, full: bool = False) -> str:
    """Terminal view of a result (rounded for reading; the JSON keeps full precision)."""
    out = [
        f"PRRT dosimetry — {result.radionuclide} (T½ {result.half_life_h:g} h), cycle {result.cycle}, "
        f"{result.injected_activity_mbq / 1000:.3f} GBq, method {result.method}",
        f"nenliver {result.software_version} · knowledge base {result.knowledge_base_version}",
        "",
        answer_line(result),
        *(f"  - {line}" for line in result.deciding),
        f"  kidney BED limit: {result.kidney_limit_basis}",
        *(f"  ! check {w['path']} = {w['value']}: {w['message']}" for w in result.input_warnings),
        "",
        f"{'VOI':<16} {'role':<7} {'model':<13} {'T_eff h':>8} {'TIA MBq·h':>11} {'mass g':>8} "
        f"{'dose Gy':>8} {'Gy/GBq':>7} {'BED Gy':>7} {'cum. dose':>9} {'cum. BED':>9}",
    ]

    def fmt(value: float | None, digits: int = 2) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    for name, o in result.organs.items():
        out.append(
            f"{name:<16} {o.role.value:<7} {o.model:<13} {o.effective_half_life_h:>8.1f} {o.tia_mbq_h:>11.1f} "
            f"{o.mass_g:>8.1f} {o.dose_gy:>8.2f} {o.gy_per_gbq:>7.3f} {fmt(o.bed_gy):>7} "
            f"{fmt(o.cumulative.get('dose_gy')):>9} {fmt(o.cumulative.get('bed_gy')):>9}"
        )
    out += ["", "Checks"]
    for name, o in result.organs.items():
        for c in o.checks:
            tag = f"{c.severity}{', draft' if c.draft else ''}"
            out.append(f"  [{_MARK[c.status]}] {name}: {c.id} ({tag}) {c.text}")
            if full:
                out.append(f"         source: {c.source} [{c.locator}] ({c.tag})")
    if full:
        out += ["", "Fits"]
        for name, o in result.organs.items():
            params = ", ".join(f"{k} {v:.6g}" for k, v in o.parameters.items())
            out.append(f"  {name}: {o.model}: {params}")
            points = ", ".join(f"{t:g} h {a:.4g}" for t, a in zip(o.times_h, o.activity_mbq, strict=True))
            out.append(f"    data (MBq): {points}")
            if o.residuals_mbq:
                out.append("    residuals (MBq): " + ", ".join(f"{r:+.4g}" for r in o.residuals_mbq))
            for cand in o.candidates:
                out.append(
                    f"    candidate {cand.model:<13} {o.criterion} {cand.criterion_value:8.2f}  "
                    f"TIA {cand.tia_mbq_h:.1f} MBq·h"
                )
            out.extend(f"    note: {n}" for n in o.notes)
        rb = result.radiobiology
        out += [
            "",
            f"Radiobiology: {rb['model']}; α/β {rb['kidney_alpha_beta_gy']:g} Gy, "
            f"T_rep {rb['kidney_repair_half_time_h']:g} h",
            f"  source: {rb['source']}",
            f"Local deposition: {result.ldm_gy_kg_per_mbq_h:.5e} Gy·kg/(MBq·h)",
        ]
    if result.voxel:
        v = result.voxel
        out += ["", f"Voxel dosimetry ({v['method']}, {v['kernel']})"]
        for name, m in v["structures"].items():
            points = "  ".join(f"D{k[1:-3]} {v:7.2f}" for k, v in m.items() if k.startswith("d") and k.endswith("_gy"))
            out.append(f"  {name:<16} mean {m['mean_gy']:7.2f} Gy  max {m['max_gy']:7.2f}  {points}")
    notes = list(result.notes)
    if not full:
        notes += [f"{name}: {n}" for name, o in result.organs.items() for n in o.notes if "chosen over" in n]
    if notes:
        out += ["", "Notes", *(f"  - {n}" for n in notes)]
    if not full:
        out += ["", "(--full shows fit parameters, residuals, candidates and sources)"]
    out += ["", result.notice]
    return "\n".join(out) + "\n"
