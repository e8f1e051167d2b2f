"""Reading case files: YAML/JSON in, a valid :class:`~nenliver.case.model.Case` or a clear error out.

Every problem is reported with the file, the field path (``liver.lesions[1].diameter_mm``) and
what was expected; a misspelled field gets the closest valid name. Nothing is guessed silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from nenliver._data import load_yaml
from nenliver._validation import problems_from_validation_error
from nenliver.case.model import CASE_FORMAT, Case
from nenliver.errors import CaseValidationError, Problem


def _walk_values(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """Yield ``(path with indices, path without indices, value)`` for every scalar in ``node``."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk_values(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk_values(item, f"{path}[{i}]")
    else:
        yield path, _strip_indices(path), node


def _strip_indices(path: str) -> str:
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def validate_ranges(case: Case) -> list[Problem]:
    """Check every numeric field against its physical range in ``case/data/ranges.yaml``."""
    ranges: dict[str, dict[str, Any]] = load_yaml("nenliver.case", "data/ranges.yaml")
    problems = []
    for path, generic, value in _walk_values(case, ""):
        generic = generic.replace("history.prior_treatments", "prior_treatments")
        spec = ranges.get(generic)
        if spec is None or value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        low, high = spec["min"], spec["max"]
        too_low = value <= low if spec.get("exclusive_min") else value < low
        too_high = value >= high if spec.get("exclusive_max") else value > high
        if too_low or too_high:
            left = "(" if spec.get("exclusive_min") else "["
            right = ")" if spec.get("exclusive_max") else "]"
            problems.append(
                Problem(
                    path,
                    f"value {value:g} is out of range",
                    f"a number in {left}{low:g}, {high:g}{right} {spec['unit']}",
                )
            )
    return problems


def parse_text(text: str, source: str) -> Any:
    """Parse YAML or JSON text; syntax errors become :class:`CaseValidationError` with the line."""
    try:
        if source.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else str(exc)
        raise CaseValidationError(
            source, [Problem("", f"not valid YAML/JSON at {where}", "a YAML or JSON mapping")]
        ) from None


def case_from_data(data: Any, source: str = "<case>") -> Case:
    """Validate already-parsed data as a case; raise :class:`CaseValidationError` on any problem."""
    if not isinstance(data, dict):
        raise CaseValidationError(
            source, [Problem("", f"top level is {type(data).__name__}", "a mapping with format and id")]
        )
    if data.get("format") != CASE_FORMAT:
        got = data.get("format")
        raise CaseValidationError(source, [Problem("format", f"format is {got!r}", repr(CASE_FORMAT))])
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise CaseValidationError(source, problems_from_validation_error(exc, Case)) from None
    problems = validate_ranges(case)
    if problems:
        raise CaseValidationError(source, problems)
    return case


def load_case(path: str | Path) -> Case:
    """Read and validate a case file (``.yaml``, ``.yml`` or ``.json``)."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseValidationError(
            source, [Problem("", f"cannot read file ({exc.strerror})", "a readable case file")]
        ) from None
    return case_from_data(parse_text(text, source), source)


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema of the case format (``nenliver schema case``)."""
    schema = Case.model_json_schema()
    schema["$id"] = "https://nenliver.org/schema/case@1.json"
    schema["title"] = "nenliver case format v1 (nenliver/case@1)"
    return schema
