"""Board meetings and their agendas."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nenliver.store.audit import canonical_json, utc_now
from nenliver.store.cases import get_case
from nenliver.store.errors import ConflictError, NotFoundError
from nenliver.store.tables import AgendaItem, CaseRecord, Meeting

__all__ = ["add_to_agenda", "agenda", "create_meeting", "get_meeting", "list_meetings", "participants_of"]


def create_meeting(db: Session, *, date: str, title: str, participants: list[str], username: str) -> Meeting:
    meeting = Meeting(
        date=date, title=title, participants=canonical_json(participants), created_at=utc_now(), created_by=username
    )
    db.add(meeting)
    db.flush()
    return meeting


def get_meeting(db: Session, meeting_id: int) -> Meeting:
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFoundError(f"no meeting {meeting_id}")
    return meeting


def participants_of(meeting: Meeting) -> list[str]:
    names: list[str] = json.loads(meeting.participants)
    return names


def list_meetings(db: Session, *, limit: int = 100) -> list[Meeting]:
    """Meetings, the latest date first."""
    return list(db.scalars(select(Meeting).order_by(Meeting.date.desc(), Meeting.id.desc()).limit(limit)))


def add_to_agenda(db: Session, meeting_id: int, case_id: int, *, username: str) -> AgendaItem:
    """Put a case on a meeting's agenda, after the cases already there."""
    get_meeting(db, meeting_id)
    get_case(db, case_id)
    exists = db.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, AgendaItem.case_id == case_id))
    if exists is not None:
        raise ConflictError(f"case {case_id} is on the agenda of meeting {meeting_id} already")
    position = (
        int(
            db.scalar(
                select(func.coalesce(func.max(AgendaItem.position), 0)).where(AgendaItem.meeting_id == meeting_id)
            )
            or 0
        )
        + 1
    )
    item = AgendaItem(meeting_id=meeting_id, case_id=case_id, position=position, added_at=utc_now(), added_by=username)
    db.add(item)
    db.flush()
    return item


def agenda(db: Session, meeting_id: int) -> list[tuple[AgendaItem, CaseRecord]]:
    """The agenda in order, each item with its case."""
    get_meeting(db, meeting_id)
    rows = db.execute(
        select(AgendaItem, CaseRecord)
        .join(CaseRecord, CaseRecord.id == AgendaItem.case_id)
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(AgendaItem.position)
    ).all()
    return [(item, case) for item, case in rows]


def as_dict(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "date": meeting.date,
        "title": meeting.title,
        "participants": participants_of(meeting),
        "created_at": meeting.created_at,
        "created_by": meeting.created_by,
    }
