# SPDX-License-Identifier: Apache-2.0
"""Turn a mapping into a :class:`~nenliver.dosimetry.model.SirtPlan`, or problems with field paths.

pydantic's messages are rewritten so that each problem names the field path (``target.dose_gy``),
what was found and what was expected; an unknown field gets the closest valid name (difflib).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from nenliver.dosimetry.model import SirtPlan
from nenliver.errors import DosimetryInputError, Problem

__all__ = ["plan_from_mapping", "problems_from_validation_error"]


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last element of ``loc`` (for name suggestions)."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        candidates = [annotation, *get_args(annotation)]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


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
        found = error.get("input")
        close = difflib.get_close_matches(str(found), re.findall(r"'([^']*)'", listed), n=1)
        hint = f"did you mean '{close[0]}'? one of " if close else ""
        return f"{hint}{listed}" or None
    return None


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    found = error.get("input")
    if kind in ("enum", "literal_error"):
        return f"unknown value {found!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type") or isinstance(found, dict | list):
        return f"{error['msg']} (found {type(found).__name__})"
    return f"{error['msg']} (found {found!r})"


def problems_from_validation_error(exc: ValidationError, root: type[BaseModel] = SirtPlan) -> list[Problem]:
    """Convert a pydantic ``ValidationError`` into problems naming field paths.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised by ``root.model_validate``.
    root : type of BaseModel, optional
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
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(Problem(_path(loc), f"unknown field '{name}'", f"{hint}one of: {', '.join(valid)}".strip()))
            continue
        problems.append(Problem(_path(loc), _message(error), _expected(error)))
    return problems


def plan_from_mapping(data: Any, source: str = "plan") -> SirtPlan:
    """Validate a mapping (parsed YAML or JSON) as a ``nenliver/sirt@1`` plan.

    Parameters
    ----------
    data : Any
        Parsed plan; must be a mapping.
    source : str, optional
        Name of the input shown in error messages (a file path). Defaults to ``"plan"``.

    Returns
    -------
    SirtPlan
        The valid plan.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        With every problem found, each naming its field path and what was expected.

    Examples
    --------
    >>> plan = plan_from_mapping({"device": "glass", "method": "mird_single",
    ...     "target": {"compartment": "perfused", "dose_gy": 120}, "perfused_volume_ml": 1000,
    ...     "lung_shunt_fraction_percent": 5})
    >>> plan.device.value
    'glass'
    """
    if not isinstance(data, Mapping):
        raise DosimetryInputError(
            source, [Problem("", f"expected a mapping, found {type(data).__name__}", "a sirt@1 plan")]
        )
    try:
        return SirtPlan.model_validate(dict(data))
    except ValidationError as exc:
        raise DosimetryInputError(source, problems_from_validation_error(exc)) from None
    except DosimetryInputError as exc:
        raise DosimetryInputError(source, exc.problems) from None
