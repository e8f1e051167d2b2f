"""``nenliver fhir import|export``: cases to and from HL7 FHIR R4 bundles (needs the 'fhir' extra)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import yaml

from nenliver.cli._output import print_json, printable
from nenliver.errors import DependencyError, InputError, Problem

#: Largest bundle read: an EHR export of one patient is far larger than a case file.
MAX_BUNDLE_BYTES = 50_000_000


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("fhir", help="import a case from a FHIR R4 bundle, or export a case (and plan) as one")
    commands = parser.add_subparsers(dest="fhir_command", metavar="ACTION", required=True)
    importing = commands.add_parser(
        "import", help="a FHIR R4 Bundle (JSON) → a case@1 YAML on standard output; what is not mapped → stderr"
    )
    importing.add_argument(
        "bundle", metavar="BUNDLE", type=Path, help="Bundle JSON (transaction, searchset, collection)"
    )
    importing.add_argument(
        "--decision-date", metavar="YYYY-MM-DD", help="the date of the board decision (default: today, UTC)"
    )
    importing.set_defaults(func=run_import)
    exporting = commands.add_parser("export", help="a case@1 file → a FHIR R4 Bundle (JSON) on standard output")
    exporting.add_argument("case", metavar="CASE", type=Path)
    exporting.add_argument(
        "--plan", action="store_true", help="add the plan: GuidanceResponse, CarePlan (proposal) and Provenance"
    )
    exporting.set_defaults(func=run_export)


def _require() -> None:
    try:
        import fhir.resources  # noqa: F401
    except ImportError as exc:
        raise DependencyError(f"FHIR needs the 'fhir' extra ({exc}); pip install 'nenliver[fhir]'") from None


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            "--decision-date", [Problem("decision_date", f"{text[:40]!r} is not a date", "YYYY-MM-DD")]
        ) from None


def run_import(args: argparse.Namespace) -> int:
    _require()
    from nenliver._parsing import load_document
    from nenliver.fhir.importer import FhirInputError, case_from_bundle

    on = _date(args.decision_date)
    data = load_document(args.bundle, FhirInputError, "a FHIR R4 Bundle (JSON)", max_bytes=MAX_BUNDLE_BYTES)
    result = case_from_bundle(data, on, str(args.bundle))
    for kind, lines in (("not mapped", result.unmapped), ("ignored", result.ignored), ("note", result.notes)):
        for line in lines:
            print(f"nenliver: {kind}: {printable(line)}", file=sys.stderr)
    sys.stdout.write(yaml.safe_dump(result.document, sort_keys=False, allow_unicode=True))
    return 0


def run_export(args: argparse.Namespace) -> int:
    _require()
    from nenliver.case import load_case
    from nenliver.fhir.exporter import bundle_from_case
    from nenliver.service import plan_case

    case = load_case(args.case)
    print_json(bundle_from_case(case, plan_case(case) if args.plan else None))
    return 0
