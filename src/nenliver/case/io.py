"""Reading case files: YAML/JSON in, a valid :class:`~nenliver.case.model.Case` or a clear error out.

Every problem is reported with the file, the field path (``liver.lesions[1].diameter_mm``) and
what was expected; a misspelled field gets the closest valid name. Nothing is guessed silently.
The file is read under the limits of :mod:`nenliver._parsing` (size, UTF-8, no aliases, no
duplicate keys); every check of the values lives in the model, so a case built in code or posted
to the web API is checked exactly as a file is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nenliver._parsing import load_document, parse_document
from nenliver._validation import problems_from_validation_error
from nenliver.case.model import CASE_FORMAT, Case
from nenliver.errors import CaseValidationError, Problem

__all__ = ["case_from_data", "case_json_schema", "load_case", "parse_text"]

_WHAT = f"a {CASE_FORMAT} case (YAML or JSON mapping)"


def parse_text(text: str, source: str) -> Any:
    """Parse YAML or JSON text; syntax errors become :class:`CaseValidationError` with the line."""
    return parse_document(text, source, CaseValidationError, _WHAT)


def case_from_data(data: Any, source: str = "<case>") -> Case:
    """Validate already-parsed data as a case; raise :class:`CaseValidationError` on any problem."""
    if not isinstance(data, dict):
        raise CaseValidationError(
            source, [Problem("", f"top level is {type(data).__name__}", "a mapping with format and id")]
        )
    if data.get("format") != CASE_FORMAT:
        got = data.get("format")
        raise CaseValidationError(source, [Problem("format", f"format is {got!r}"[:120], repr(CASE_FORMAT))])
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise CaseValidationError(source, problems_from_validation_error(exc, Case)) from None


def load_case(path: str | Path) -> Case:
    """Read and validate a case file (``.yaml``, ``.yml`` or ``.json``)."""
    return case_from_data(load_document(path, CaseValidationError, _WHAT), str(path))


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema of the case format (``nenliver schema case``)."""
    schema = Case.model_json_schema()
    schema["$id"] = "https://nenliver.org/schema/case@1.json"
    schema["title"] = "nenliver case format (input of nenliver plan) (nenliver/case@1)"
    return schema
