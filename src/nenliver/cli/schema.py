"""``nenliver schema NAME``: the JSON Schema of an input or output format."""

from __future__ import annotations

import argparse

from nenliver.cli._output import print_json
from nenliver.service.schemas import SCHEMAS, json_schema


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("schema", help="print the JSON Schema of a format (case, plan, sirt, sirt-result, …)")
    parser.add_argument("which", choices=sorted(SCHEMAS), help="which format")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print_json(json_schema(args.which))
    return 0
