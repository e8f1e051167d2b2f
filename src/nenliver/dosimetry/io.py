# SPDX-License-Identifier: Apache-2.0
"""Read SIRT plans from YAML or JSON files and write results as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from nenliver._parsing import load_document
from nenliver.dosimetry.model import SirtPlan, SirtResult
from nenliver.dosimetry.validation import plan_from_mapping
from nenliver.errors import DosimetryInputError

__all__ = ["load_plan", "result_to_json"]


def load_plan(path: str | Path) -> SirtPlan:
    """Read and validate a ``nenliver/sirt@1`` plan from a YAML or JSON file.

    Parameters
    ----------
    path : str or pathlib.Path
        Plan file (YAML; ``.json`` files are read as JSON).

    Returns
    -------
    SirtPlan
        The valid plan.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        If the file cannot be read or parsed (size, encoding, aliases and duplicate keys are
        refused, see :mod:`nenliver._parsing`), or the plan is invalid; every problem names the
        field path and what was expected.
    """
    data = load_document(path, DosimetryInputError, "a nenliver/sirt@1 plan (YAML or JSON mapping)")
    return plan_from_mapping(data, source=str(path))


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
    return json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
