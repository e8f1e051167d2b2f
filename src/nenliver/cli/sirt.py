# SPDX-License-Identifier: Apache-2.0
"""``nenliver sirt PLAN [--json] [--maximise]``: SIRT activity and compartment doses.

Parses arguments, calls :mod:`nenliver.dosimetry` and formats the result: JSON with ``--json``
(the contract in ``docs/formats/sirt.md``), otherwise a terminal view with the inputs, every formula
and its result, every check with its limit and source, and the clinician-review notice.
Output is written only after the whole plan has been computed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nenliver.cli._output import printable
from nenliver.dosimetry import SirtResult, load_plan, result_to_json
from nenliver.dosimetry.enums import CheckStatus
from nenliver.service import plan_sirt

__all__ = ["format_text", "register", "run"]

_STATUS_MARK = {CheckStatus.PASS: "PASS", CheckStatus.WARN: "WARN", CheckStatus.FAIL: "FAIL"}


def register(subparsers: Any) -> None:
    """Add the ``sirt`` sub-command to the ``nenliver`` parser."""
    parser = subparsers.add_parser(
        "sirt",
        help="SIRT activity, compartment doses and limit checks for a nenliver/sirt@1 plan",
        description="SIRT (radioembolization) dosimetry for a nenliver/sirt@1 plan (for clinician review).",
    )
    parser.add_argument("plan", metavar="PLAN", help="plan file (YAML or JSON, format nenliver/sirt@1)")
    parser.add_argument("--json", action="store_true", help="write the nenliver/sirt-result@1 JSON to stdout")
    parser.add_argument(
        "--maximise",
        action="store_true",
        help="inverse planning: the largest activity within the lung limits and the device's liver limit "
        "(partition plans; replaces the plan's target)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate the plan named in ``args`` and print the result; returns the exit code."""
    plan = load_plan(args.plan)
    result = plan_sirt(plan, maximise=args.maximise, source=str(args.plan))
    text = result_to_json(result) if args.json else printable(format_text(result))
    sys.stdout.write(text)
    return 0


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _inputs(result: SirtResult) -> list[str]:
    lines = ["Inputs"]
    for key, value in result.inputs.items():
        if value is None or key == "format":
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
        lines.append(f"  {key:<30} {value}")
    return lines


def format_text(result: SirtResult) -> str:
    """Terminal view of a result (rounded for reading; the JSON keeps full precision).

    Parameters
    ----------
    result : SirtResult
        The evaluated plan.

    Returns
    -------
    str
        Text ending with a newline.
    """
    out = [
        f"SIRT dosimetry — {result.device.value}, {result.method.value}, "
        f"convention {result.convention.value} (C = {result.dose_constant_gy_kg_per_gbq:g} Gy·kg/GBq)",
        f"nenliver {result.software_version}",
        "",
        *_inputs(result),
        *(f"  ! check {w['path']} = {w['value']}: {w['message']}" for w in result.input_warnings),
        "",
        "Formulas",
    ]
    for step in result.steps:
        out.append(f"  {step.name:<42} {step.equation:<46} = {step.value:10.4f} {step.unit}")
    doses = result.doses_gy
    out += [
        "",
        "Result",
        f"  injected activity                {result.injected_activity_gbq:.3f} GBq",
        f"  vial activity at treatment       {result.vial_activity_at_treatment_gbq:.3f} GBq",
        f"  activity reduction               {_fmt(result.activity_reduction_percent, 0)} %",
        f"  doses (Gy)                       tumour {_fmt(doses.tumour, 1)}, normal liver "
        f"{_fmt(doses.normal_liver, 1)}, perfused mean {_fmt(doses.perfused_mean, 1)}, lung {doses.lung:.1f}",
        f"  spheres                          {result.spheres:,}",
    ]
    if result.inverse is not None:
        inv = result.inverse
        low, high = inv.tumour_threshold_range_gy
        out.append(
            f"  inverse planning                 limited by {inv.limiting_constraint}; tumour dose "
            f"{inv.tumour_dose_gy:.0f} Gy vs NEN threshold {low:g}-{high:g} Gy "
            f"({inv.tumour_threshold_status.value})"
        )
    sched = result.schedule
    out += ["", f"Schedule ({sched.nuclide}, T½ {sched.half_life_h:g} h)"]
    if sched.activity_at_calibration_gbq is not None:
        out.append(f"  activity at calibration          {sched.activity_at_calibration_gbq:.3f} GBq")
    vial = sched.vial
    if vial is not None and vial.nominal_activity_gbq is not None:
        line = f"  vial                             {vial.nominal_activity_gbq:g} GBq at calibration"
        if vial.fraction_to_draw is not None:
            line += f", draw {vial.fraction_to_draw:.1%}"
        if vial.excess_percent is not None:
            line += f", {vial.excess_percent:.0f} % above the requirement at treatment"
        if vial.time_of_prescribed_activity is not None:
            when = vial.time_of_prescribed_activity.isoformat(timespec="minutes")
            line += f"; holds the required activity at {when}"
        out.append(line)
    delivered = ", ".join(f"{p.hours:g} h {p.fraction:.0%}" for p in sched.dose_delivered)
    out.append(f"  dose delivered by                {delivered}")
    out += ["", "Checks"]
    for check in result.checks:
        out.append(f"  [{_STATUS_MARK[check.status]}] {check.id:<20} ({check.severity.value}) {check.text}")
        out.append(f"         source: {check.source} [{check.locator}] ({check.tag})")
    if result.notes:
        out += ["", "Notes", *(f"  - {n}" for n in result.notes)]
    out += [
        "",
        f"Treatable: {'yes' if result.treatable else 'NO (a hard limit fails)'}",
        "",
        result.notice,
    ]
    return "\n".join(out) + "\n"
