"""Small request bodies of the board app (meetings, agenda items) and how any body is validated."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from nenliver._validation import MAX_RECORD_ID, IsoDate, problems_from_validation_error
from nenliver.errors import InputError, Problem

__all__ = ["AgendaInput", "MeetingInput", "OptionalRecordId", "RecordId", "validated"]

#: A record id in a URL path (case, meeting, agenda step): 1 to the database's INTEGER maximum.
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
#: An optional record number in a query (``?revision=``, ``?before=``).
OptionalRecordId = Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)]

M = TypeVar("M", bound=BaseModel)


class MeetingInput(BaseModel):
    """A board meeting to create."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: IsoDate
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    participants: list[Annotated[str, StringConstraints(min_length=1, max_length=120)]] = Field(
        default_factory=list, max_length=60
    )


class AgendaInput(BaseModel):
    """A case to put on a meeting's agenda."""

    model_config = ConfigDict(extra="forbid")

    case_id: int = Field(ge=1, le=MAX_RECORD_ID)


def validated(data: Any, model: type[M], source: str) -> M:
    """``model`` from parsed data, or :class:`~nenliver.errors.InputError` with field paths."""
    if not isinstance(data, dict):
        raise InputError(source, [Problem("", f"top level is {type(data).__name__}", "a JSON object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(source, problems_from_validation_error(exc, model)) from None
