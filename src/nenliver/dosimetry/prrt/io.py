# SPDX-License-Identifier: Apache-2.0
"""Read ``nenliver/prrt@1`` plans from YAML or JSON and write ``nenliver/prrt-result@1`` JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nenliver._parsing import load_document
from nenliver._validation import problems_from_validation_error
from nenliver.dosimetry.prrt.model import PrrtPlan, PrrtResult
from nenliver.errors import DosimetryInputError, Problem

__all__ = ["load_prrt_plan", "prrt_plan_from_mapping", "prrt_result_to_json"]


def prrt_plan_from_mapping(data: Any, source: str = "plan") -> PrrtPlan:
    """Validate a mapping (parsed YAML or JSON) as a ``nenliver/prrt@1`` plan.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        With every problem found, each naming its field path and what was expected.

    Examples
    --------
    >>> plan = prrt_plan_from_mapping({"format": "nenliver/prrt@1", "injected_activity_mbq": 7400,
    ...     "times_h": [24, 96], "organs": {"k": {"role": "kidney", "mass_g": 150, "activity_mbq": [60, 30]}}})
    >>> plan.fit.value
    'auto'
    """
    if not isinstance(data, Mapping):
        raise DosimetryInputError(
            source, [Problem("", f"expected a mapping, found {type(data).__name__}", "a prrt@1 plan")]
        )
    if "format" not in data:
        raise DosimetryInputError(source, [Problem("format", "missing", "nenliver/prrt@1")])
    try:
        return PrrtPlan.model_validate(dict(data))
    except ValidationError as exc:
        raise DosimetryInputError(source, problems_from_validation_error(exc, PrrtPlan)) from None


def load_prrt_plan(path: str | Path) -> PrrtPlan:
    """Read and validate a plan file (size, encoding, aliases and duplicate keys refused)."""
    data = load_document(path, DosimetryInputError, "a nenliver/prrt@1 plan (YAML or JSON mapping)")
    return prrt_plan_from_mapping(data, source=str(path))


def prrt_result_to_json(result: PrrtResult) -> str:
    """Indented JSON with full float precision, ending with a newline."""
    return json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
