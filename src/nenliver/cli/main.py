"""Entry point of the ``nenliver`` command.

Each sub-command lives in its own module exposing ``register(subparsers)``; the module parses
arguments, calls library code and formats the result. Exit codes follow the CLI contract:
0 success, 2 invalid input (the message names the file, field path and what was expected),
1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from nenliver import __version__
from nenliver.cli._output import printable
from nenliver.errors import InputError, NenliverError

#: Sub-command name → module that registers it, in the order they appear in ``--help``. Only the
#: module of the command being run is imported, so a command never pays for another's imports.
COMMANDS = {
    "plan": "nenliver.cli.plan",
    "demo": "nenliver.cli.demo",
    "rules": "nenliver.cli.rules",
    "schema": "nenliver.cli.schema",
    "sirt": "nenliver.cli.sirt",
    "prrt": "nenliver.cli.prrt",
    "dose": "nenliver.cli.dose",
    "ablation": "nenliver.cli.ablation",
    "cohort": "nenliver.cli.cohort",
    "fhir": "nenliver.cli.fhir",
    "serve": "nenliver.cli.serve",
    "users": "nenliver.cli.users",
}
COMMAND_MODULES = tuple(COMMANDS.values())

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class _StderrHandler(logging.Handler):
    """Library warnings to the standard error current at the time (not the one at set-up)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"nenliver: {self.format(record)}", file=sys.stderr)


def _configure_logging() -> None:
    """Warnings of the library (logger ``nenliver``) go to standard error, once."""
    logger = logging.getLogger("nenliver")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler(logging.WARNING))
        logger.setLevel(logging.WARNING)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``command``, only that sub-command's module is imported."""
    parser = argparse.ArgumentParser(
        prog="nenliver",
        description="Liver-directed therapy planning for neuroendocrine liver metastases "
        "(decision support for clinician review).",
    )
    parser.add_argument("--version", action="version", version=f"nenliver {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registered = _register(sub, [COMMANDS[command]] if command in COMMANDS else [])
    if not registered:  # help, an unknown command, or a command whose module is not installed
        _register(sub, list(COMMAND_MODULES))
    return parser


def _register(sub: argparse._SubParsersAction, modules: list[str]) -> int:
    """Import each module and let it add its sub-command; returns how many were registered."""
    count = 0
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # an optional sub-command whose module is absent
            if exc.name == name:
                continue
            raise
        module.register(sub)
        count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _configure_logging()
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(args.func(args) or EXIT_OK)
    except InputError as exc:
        print(f"nenliver: {printable(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    except NenliverError as exc:
        print(f"nenliver: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so plainly, keep the traceback for NENLIVER_DEBUG=1
        if os.environ.get("NENLIVER_DEBUG"):
            raise
        print(
            f"nenliver: internal error ({type(exc).__name__}: {exc}). Nothing was decided; please report this "
            "with the input file (run with NENLIVER_DEBUG=1 for the traceback).",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
