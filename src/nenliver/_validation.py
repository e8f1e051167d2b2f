"""Turning pydantic validation errors into problems a user can act on (shared by every input format).

Each problem names the field path (``liver.lesions[1].diameter_mm``), what was found and what was
expected; an unknown field gets the closest valid name and a misspelt choice the closest allowed value.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from nenliver.errors import Problem

__all__ = ["format_path", "problems_from_validation_error"]


def format_path(loc: Iterable[int | str]) -> str:
    """``("liver", "lesions", 1, "diameter_mm")`` → ``liver.lesions[1].diameter_mm``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _first_model(annotation: Any) -> type[BaseModel] | None:
    """The first pydantic model inside an annotation (``Lesion`` in ``list[Lesion] | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last element of ``loc`` (list indices are skipped)."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        model = _first_model(model.model_fields[part].annotation)
    return model


def _expected(error: Mapping[str, Any]) -> str | None:
    kind = str(error["type"])
    ctx = error.get("ctx") or {}
    simple = {
        "missing": "this field",
        "float_type": "a number",
        "finite_number": "a finite number",
        "timezone_aware": "an ISO 8601 time with a UTC offset, e.g. 2026-03-12T10:00:00+01:00",
        "datetime_type": "an ISO 8601 time with a UTC offset",
        "datetime_from_date_parsing": "an ISO 8601 time with a UTC offset",
        "datetime_parsing": "an ISO 8601 time with a UTC offset",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "dict_type": "a mapping",
    }
    if kind in simple:
        return simple[kind]
    if kind == "greater_than":
        return f"a number > {ctx.get('gt'):g}"
    if kind == "greater_than_equal":
        return f"a number >= {ctx.get('ge'):g}"
    if kind == "less_than":
        return f"a number < {ctx.get('lt'):g}"
    if kind == "less_than_equal":
        return f"a number <= {ctx.get('le'):g}"
    if kind in ("enum", "literal_error"):
        listed = str(ctx.get("expected", ""))
        return f"one of {listed}" if listed else None
    return None


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    found = error.get("input")
    if kind in ("enum", "literal_error"):
        allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(str(found), allowed, n=1)
        return f"unknown value {found!r}" + (f"; did you mean '{close[0]}'?" if close else "")
    if kind in ("model_type", "model_attributes_type", "dict_type") or isinstance(found, dict | list):
        return f"{error['msg']} (found {type(found).__name__})"
    return f"{error['msg']} (found {found!r})"


def problems_from_validation_error(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Convert a pydantic ``ValidationError`` into problems naming field paths.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised by ``root.model_validate``.
    root : type of BaseModel
        Model that was validated; used to suggest the closest valid field name.

    Returns
    -------
    list of Problem
        One problem per error, with path, message and expected value.
    """
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            model = _model_at(root, loc)
            valid = sorted(model.model_fields) if model else []
            name = str(loc[-1]) if loc else ""
            close = difflib.get_close_matches(name, valid, n=1)
            message = f"unknown field '{name}'" + (f"; did you mean '{close[0]}'?" if close else "")
            problems.append(Problem(format_path(loc), message, f"one of: {', '.join(valid)}" if valid else None))
            continue
        problems.append(Problem(format_path(loc), _message(error), _expected(error)))
    return problems
