"""Turning pydantic validation errors into problems a user can act on (shared by every input format).

Each problem names the field path (``liver.lesions[1].diameter_mm``), what was found and what was
expected; an unknown field gets the closest valid name and a misspelt choice the closest allowed value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from nenliver._parsing import excerpt
from nenliver.errors import Problem

#: Largest id of a stored record (case, revision, meeting): PostgreSQL INTEGER, 2**31 - 1.
MAX_RECORD_ID = 2_147_483_647

__all__ = [
    "FIELD_PROBLEMS",
    "Bounded",
    "InputWarning",
    "IsoDate",
    "IsoTime",
    "field_problems_error",
    "format_path",
    "plausibility_warning",
    "problems_from_validation_error",
    "range_problem",
]

#: Error type of a model-level check that names its own field paths (see :func:`field_problems_error`).
FIELD_PROBLEMS = "field_problems"
_OUT_OF_RANGE = "out_of_range"
_NOT_TEXT = "not_iso_text"


def field_problems_error(problems: Sequence[Problem]) -> PydanticCustomError:
    """A validation error for model-level checks that keeps each problem's own field path.

    Raise it from a ``model_validator``: pydantic reports it at the model's location and
    :func:`problems_from_validation_error` expands it into one problem per field, the paths taken
    relative to the model. A web framework sees an ordinary validation error (never a 500).
    """
    return PydanticCustomError(
        FIELD_PROBLEMS,
        "{summary}",
        {
            "summary": "; ".join(str(p) for p in problems),
            "problems": [[p.path, p.message, p.expected] for p in problems],
        },
    )


def _range_text(spec: Mapping[str, Any]) -> str:
    left = "(" if spec.get("exclusive_min") else "["
    right = ")" if spec.get("exclusive_max") else "]"
    return f"a number in {left}{spec['min']:g}, {spec['max']:g}{right} {spec['unit']}"


def _within(value: float, spec: Mapping[str, Any]) -> bool:
    low, high = spec["min"], spec["max"]
    above_low = value > low if spec.get("exclusive_min") else value >= low
    below_high = value < high if spec.get("exclusive_max") else value <= high
    return above_low and below_high


def range_problem(spec: Mapping[str, Any], value: float, path: str) -> Problem | None:
    """The problem with ``value`` against a physical range, or ``None`` when it is in range.

    A NaN or infinite value is never in range. A value that is in range once multiplied by the
    factor of one of ``spec["slips"]`` gets a "did you mean" naming the unit it looks like.

    Examples
    --------
    >>> spec = {"min": 30, "max": 272, "unit": "cm", "slips": [{"factor": 100, "entered_as": "m"}]}
    >>> print(range_problem(spec, 1.75, "patient.height_cm").message)
    value 1.75 is out of range; did you mean 175 cm (the value looks like m)?
    """
    if math.isfinite(value) and _within(value, spec):
        return None
    message = f"value {value:g} is out of range" if math.isfinite(value) else f"value {value} is not a finite number"
    for slip in spec.get("slips", ()) if math.isfinite(value) else ():
        fixed = value * float(slip["factor"])
        if _within(fixed, spec):
            message += f"; did you mean {fixed:.4g} {spec['unit']} (the value looks like {slip['entered_as']})?"
            break
    return Problem(path, message, _range_text(spec))


@dataclass(frozen=True)
class InputWarning:
    """A value that is possible but implausible (a likely unit slip), shown beside the value.

    Never a refusal and never a change of the value: the outputs flag it for the reader.
    """

    path: str
    value: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON form: ``{path, value, message}``."""
        return {"path": self.path, "value": self.value, "message": self.message}


def plausibility_warning(
    spec: Mapping[str, Any], value: float, path: str, unit: str | None = None
) -> InputWarning | None:
    """A warning when ``value`` lies outside ``spec["plausible"]`` (``{min?, max?, hint, zero_allowed?}``).

    ``zero_allowed`` exempts an exact 0 (a shunt recorded as none) from a lower bound.

    Examples
    --------
    >>> spec = {"unit": "%", "plausible": {"min": 1, "hint": "a fraction for a percentage?"}}
    >>> plausibility_warning(spec, 0.25, "sirt_workup.lung_shunt_fraction_percent").message
    '0.25 % is below the plausible 1 %: a fraction for a percentage?'
    """
    plausible = spec.get("plausible")
    if not plausible:
        return None
    unit = unit or str(spec.get("unit", ""))
    if value == 0 and plausible.get("zero_allowed"):
        return None
    low, high = plausible.get("min"), plausible.get("max")
    if low is not None and value < low:
        where = f"below the plausible {low:g} {unit}"
    elif high is not None and value > high:
        where = f"above the plausible {high:g} {unit}"
    else:
        return None
    return InputWarning(path, f"{value:g} {unit}", f"{value:g} {unit} is {where}: {plausible['hint']}")


def _range_check(spec: Mapping[str, Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        problem = range_problem(spec, float(value), "")
        if problem is None:
            return value
        raise PydanticCustomError(
            _OUT_OF_RANGE, "{message}", {"message": problem.message, "expected": problem.expected}
        )

    return check


@dataclass(frozen=True)
class Bounded:
    """Annotation marker: a strict number checked against a physical range from cited data.

    Use as ``Annotated[float | None, Bounded("patient.age_years", physical_ranges)]``: the type
    checker sees ``float | None``; pydantic validates a strict number (no booleans, no numeric
    text, never NaN or infinity; whole numbers for ``integer`` ranges) inside the range, and the
    JSON Schema carries the bounds.

    Parameters
    ----------
    name : str
        Key of the range in ``table()``.
    table : callable
        Returns the range table: ``name`` → ``min``, ``max``, ``unit`` and optionally
        ``exclusive_min``, ``exclusive_max``, ``integer``, ``slips`` (``[{factor, entered_as}]``:
        a value out of range that is in range once multiplied by ``factor`` gets a "did you mean"
        naming the unit it looks like) and ``source``.
    """

    name: str
    table: Callable[[], Mapping[str, Mapping[str, Any]]]

    @property
    def spec(self) -> Mapping[str, Any]:
        """The range of this field."""
        return self.table()[self.name]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        spec = self.spec
        number: core_schema.CoreSchema = (
            core_schema.int_schema(strict=True)
            if spec.get("integer")
            else core_schema.float_schema(strict=True, allow_inf_nan=False)
        )
        checked = core_schema.no_info_after_validator_function(_range_check(spec), number)
        return core_schema.nullable_schema(checked) if type(None) in get_args(source) else checked

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        spec = self.spec
        for option in json_schema.get("anyOf", [json_schema]):
            if option.get("type") in ("number", "integer"):
                option["exclusiveMinimum" if spec.get("exclusive_min") else "minimum"] = spec["min"]
                option["exclusiveMaximum" if spec.get("exclusive_max") else "maximum"] = spec["max"]
        unit = f"{spec['unit']}; physical range"
        json_schema["description"] = unit + (f" ({spec['source']})" if spec.get("source") else "")
        return json_schema


def _text_or(kind: type, expected: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, str | kind):
            return value
        raise PydanticCustomError(
            _NOT_TEXT, "{found} is not {expected}", {"found": excerpt(value), "expected": expected}
        )

    return check


#: A calendar date given as ISO 8601 text (``2021-06-01``); numbers are refused (never epoch days).
IsoDate = Annotated[dt.date, BeforeValidator(_text_or(dt.date, "an ISO date YYYY-MM-DD"))]
#: A time with its UTC offset as ISO 8601 text; numbers are refused (never a 1970 timestamp).
IsoTime = Annotated[
    AwareDatetime,
    BeforeValidator(_text_or(dt.datetime, "an ISO 8601 time with offset, e.g. 2026-03-12T10:00:00+01:00")),
]


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
        "date_parsing": "an ISO date YYYY-MM-DD",
        "date_from_datetime_parsing": "an ISO date YYYY-MM-DD",
        "date_from_datetime_inexact": "an ISO date YYYY-MM-DD",
        "date_type": "an ISO date YYYY-MM-DD",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "bool_type": "true or false",
        "string_type": "text",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "dict_type": "a mapping",
    }
    if kind in simple:
        return simple[kind]
    if kind == _OUT_OF_RANGE:
        return str(ctx.get("expected"))
    if kind == _NOT_TEXT:
        return str(ctx.get("expected"))
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
    if kind == _OUT_OF_RANGE:
        return str((error.get("ctx") or {}).get("message"))
    if kind == _NOT_TEXT:
        return f"{(error.get('ctx') or {}).get('found')} is not in ISO 8601 form"
    found = error.get("input")
    if kind in ("enum", "literal_error"):
        allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(str(found), allowed, n=1)
        return f"unknown value {excerpt(found)}" + (f"; did you mean '{close[0]}'?" if close else "")
    if kind in ("model_type", "model_attributes_type", "dict_type") or isinstance(found, dict | list):
        return f"{error['msg']} (found {type(found).__name__})"
    return f"{error['msg']} (found {excerpt(found)})"


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
        if error["type"] == FIELD_PROBLEMS:
            base = format_path(loc)
            for path, message, expected in (error.get("ctx") or {}).get("problems", ()):
                full = f"{base}.{path}" if base and path else (base or path)
                problems.append(Problem(full, message, expected))
            continue
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
