"""``nenliver schema case``: the JSON Schema of the case format."""

from __future__ import annotations

import argparse

from nenliver.case import case_json_schema
from nenliver.cli._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("schema", help="print a JSON Schema (case)")
    parser.add_argument("which", choices=["case"], help="which format")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print_json(case_json_schema())
    return 0
