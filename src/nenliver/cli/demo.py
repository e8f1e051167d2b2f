"""``nenliver demo``: plan a bundled example case and write its HTML report."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from nenliver.case.io import case_from_data, parse_text
from nenliver.cli._output import printable, write_atomic
from nenliver.report.terminal import render_plan
from nenliver.service import plan_case

DEMO_CASE = "fig5-sirt-workup.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="plan a bundled example case and write its HTML report")
    parser.add_argument(
        "--out", type=Path, default=Path("nenliver-demo"), help="output folder (default ./nenliver-demo)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nenliver.report.html import render_html  # jinja2 is only needed here

    source = resources.files("nenliver.report").joinpath("examples", DEMO_CASE)
    case = case_from_data(parse_text(source.read_text(encoding="utf-8"), DEMO_CASE), DEMO_CASE)
    plan = plan_case(case).to_json_dict()
    target = args.out / "plan.html"
    write_atomic(target, render_html(plan, case=case))
    print(render_plan(printable(plan)))
    print(f"\nDemo case: {DEMO_CASE} (bundled). HTML report written to {target.resolve()}")
    return 0
