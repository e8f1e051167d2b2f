"""Cases and their revisions, and board decisions.

A case is never overwritten: :func:`add_revision` appends revision *n + 1* and moves the case's
``latest_revision``; every earlier revision stays readable. Documents are stored as canonical JSON
(:func:`~nenliver.store.audit.canonical_json`) with their SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nenliver.store.audit import canonical_json, utc_now
from nenliver.store.errors import ConflictError, NotFoundError
from nenliver.store.tables import CaseRecord, CaseRevision, DecisionRecord

__all__ = [
    "add_decision",
    "add_revision",
    "create_case",
    "decisions",
    "document_of",
    "get_case",
    "get_revision",
    "revisions",
    "search_cases",
]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def create_case(
    db: Session, document: dict[str, Any], *, case_ref: str, summary: str, username: str, comment: str = ""
) -> CaseRevision:
    """A new case with its first revision; :class:`ConflictError` when the reference is in use."""
    if db.scalar(select(CaseRecord.id).where(CaseRecord.case_ref == case_ref)) is not None:
        raise ConflictError(f"case {case_ref!r} exists already: send a new revision to it instead")
    now = utc_now()
    case = CaseRecord(
        case_ref=case_ref, summary=summary, latest_revision=1, created_at=now, created_by=username, updated_at=now
    )
    db.add(case)
    try:
        db.flush()
    except IntegrityError:  # another request created it between the check and the insert
        raise ConflictError(f"case {case_ref!r} exists already: send a new revision to it instead") from None
    return _insert_revision(db, case, 1, document, username, comment, now)


def _insert_revision(
    db: Session, case: CaseRecord, number: int, document: dict[str, Any], username: str, comment: str, now: str
) -> CaseRevision:
    text = canonical_json(document)
    revision = CaseRevision(
        case_id=case.id,
        revision=number,
        document=text,
        document_sha256=_sha256(text),
        comment=comment,
        created_at=now,
        created_by=username,
    )
    db.add(revision)
    db.flush()
    return revision


def add_revision(
    db: Session,
    case_id: int,
    document: dict[str, Any],
    *,
    case_ref: str,
    summary: str,
    username: str,
    comment: str = "",
    expected_revision: int | None = None,
) -> CaseRevision:
    """Append a revision; :class:`ConflictError` when ``expected_revision`` is not the latest
    (someone else revised the case meanwhile) or the document names another case."""
    case = db.scalar(select(CaseRecord).where(CaseRecord.id == case_id).with_for_update())
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    if case_ref != case.case_ref:
        raise ConflictError(f"the document is case {case_ref!r}, this is case {case.case_ref!r}")
    if expected_revision is not None and expected_revision != case.latest_revision:
        raise ConflictError(
            f"revision {expected_revision} is not the latest (revision {case.latest_revision} is): "
            "reload the case and apply the change again"
        )
    now = utc_now()
    case.latest_revision += 1
    case.summary = summary
    case.updated_at = now
    return _insert_revision(db, case, case.latest_revision, document, username, comment, now)


def get_case(db: Session, case_id: int) -> CaseRecord:
    case = db.get(CaseRecord, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    return case


def get_revision(db: Session, case_id: int, revision: int | None = None) -> CaseRevision:
    """A revision of a case, the latest when ``revision`` is ``None``."""
    case = get_case(db, case_id)
    number = case.latest_revision if revision is None else revision
    row = db.scalar(select(CaseRevision).where(CaseRevision.case_id == case_id, CaseRevision.revision == number))
    if row is None:
        raise NotFoundError(f"case {case_id} has no revision {number} (revisions 1 to {case.latest_revision})")
    return row


def document_of(revision: CaseRevision) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(revision.document)
    return data


def revisions(db: Session, case_id: int) -> list[CaseRevision]:
    """Every revision of a case, newest first."""
    get_case(db, case_id)
    return list(
        db.scalars(select(CaseRevision).where(CaseRevision.case_id == case_id).order_by(CaseRevision.revision.desc()))
    )


def search_cases(db: Session, query: str = "", *, limit: int = 100, offset: int = 0) -> tuple[list[CaseRecord], int]:
    """Cases whose reference or summary contains ``query`` (case-insensitive), newest change first,
    and how many match in all."""
    condition = None
    if query.strip():
        pattern = f"%{_escape_like(query.strip().lower())}%"
        condition = or_(
            func.lower(CaseRecord.case_ref).like(pattern, escape="\\"),
            func.lower(CaseRecord.summary).like(pattern, escape="\\"),
        )
    listing = select(CaseRecord).order_by(CaseRecord.updated_at.desc(), CaseRecord.id.desc())
    counting = select(func.count(CaseRecord.id))
    if condition is not None:
        listing = listing.where(condition)
        counting = counting.where(condition)
    return list(db.scalars(listing.limit(limit).offset(offset))), int(db.scalar(counting) or 0)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def add_decision(
    db: Session,
    case_id: int,
    revision: int,
    *,
    decided_on: str,
    chosen_option: str,
    document: dict[str, Any],
    deviation: bool,
    username: str,
    meeting_id: int | None = None,
) -> DecisionRecord:
    """Record a board decision (a later one supersedes it; none is ever changed)."""
    get_revision(db, case_id, revision)
    record = DecisionRecord(
        case_id=case_id,
        revision=revision,
        meeting_id=meeting_id,
        decided_on=decided_on,
        chosen_option=chosen_option,
        document=canonical_json(document),
        deviation=deviation,
        created_at=utc_now(),
        created_by=username,
    )
    db.add(record)
    db.flush()
    return record


def decisions(db: Session, case_id: int | None = None, *, meeting_id: int | None = None) -> list[DecisionRecord]:
    """Decisions of a case or of a meeting, oldest first."""
    query = select(DecisionRecord).order_by(DecisionRecord.id)
    if case_id is not None:
        query = query.where(DecisionRecord.case_id == case_id)
    if meeting_id is not None:
        query = query.where(DecisionRecord.meeting_id == meeting_id)
    return list(db.scalars(query))
