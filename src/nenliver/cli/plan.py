"""``nenliver plan CASE [--json] [--html FILE] [--pdf FILE]``: the decision for one case."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nenliver.case import load_case
from nenliver.cli._output import check_output_paths, print_json, printable, write_atomic
from nenliver.report.terminal import render_plan
from nenliver.service import plan_case


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plan", help="the decision for one case (plan@1)")
    parser.add_argument("case", metavar="CASE", help="case file (YAML or JSON, nenliver/case@1)")
    parser.add_argument("--json", action="store_true", help="print the plan@1 JSON (the machine contract)")
    parser.add_argument("--html", metavar="FILE", type=Path, help="also write the board report as HTML")
    parser.add_argument("--pdf", metavar="FILE", type=Path, help="also write the board report as PDF (WeasyPrint)")
    parser.add_argument(
        "--full", action="store_true", help="the whole trace (every finding of every option) in terminal, HTML and PDF"
    )
    parser.add_argument("--no-colour", action="store_true", help="plain text even on a terminal")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output_paths(html=args.html, pdf=args.pdf)
    case = load_case(args.case)
    plan = plan_case(case).to_json_dict()
    # Render every requested report before writing any, so a failure leaves no file behind.
    reports: list[tuple[Path, str | bytes]] = []
    if args.html:
        from nenliver.report.html import render_html

        reports.append((args.html, render_html(plan, full=args.full, case=case)))
    if args.pdf:
        from nenliver.report.pdf import render_pdf

        reports.append((args.pdf, render_pdf(plan, full=args.full, case=case)))
    for target, content in reports:
        write_atomic(target, content)
    if args.json:
        print_json(plan)
    else:
        colour = sys.stdout.isatty() and not args.no_colour
        print(render_plan(printable(plan), colour=colour, full=args.full))
        for kind, target in (("HTML", args.html), ("PDF", args.pdf)):
            if target:
                print(f"\n{kind} report written to {target}")
    return 0
