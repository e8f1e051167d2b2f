# SPDX-License-Identifier: Apache-2.0
"""Read SIRT plans from YAML or JSON files and write results as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from nenliver.dosimetry.model import SirtPlan, SirtResult
from nenliver.dosimetry.validation import plan_from_mapping
from nenliver.errors import DosimetryInputError, Problem

__all__ = ["load_plan", "result_to_json"]


def load_plan(path: str | Path) -> SirtPlan:
    """Read and validate a ``nenliver/sirt@1`` plan from a YAML or JSON file.

    Parameters
    ----------
    path : str or pathlib.Path
        Plan file (YAML; JSON is valid YAML).

    Returns
    -------
    SirtPlan
        The valid plan.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        If the file cannot be read or parsed, or the plan is invalid; every problem names the
        field path and what was expected.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DosimetryInputError(
            source, [Problem("", f"cannot read the plan file ({exc})", "a readable YAML or JSON file")]
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise DosimetryInputError(source, [Problem("", f"not valid YAML or JSON{where}", "a sirt@1 plan")]) from None
    return plan_from_mapping(data, source=source)


def result_to_json(result: SirtResult) -> str:
    """Serialise a result as JSON with full float precision.

    Parameters
    ----------
    result : SirtResult
        The evaluated plan.

    Returns
    -------
    str
        Indented JSON text ending with a newline.
    """
    return json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False) + "\n"
