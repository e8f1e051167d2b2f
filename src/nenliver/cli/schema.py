"""``nenliver schema case``: the JSON Schema of the case format."""

from __future__ import annotations

import argparse
import json
import sys

from nenliver.case import case_json_schema


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("schema", help="print a JSON Schema (case)")
    parser.add_argument("which", choices=["case"], help="which format")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    json.dump(case_json_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
