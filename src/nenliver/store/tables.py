"""The tables of the case store (SQLAlchemy 2 declarative models).

Nothing a clinician entered is ever changed in place: a case is a chain of revisions, a board
decision is a new row (a later decision supersedes, it does not overwrite), and the audit trail is
append-only. ``case_revisions``, ``decisions`` and ``audit_log`` carry database triggers that refuse
UPDATE and DELETE (created by the migration), so not even a bug can rewrite them.

Times are stored as UTC text (``2026-11-29T21:04:05.123456Z``): the same string in SQLite and
PostgreSQL, so the audit hashes computed over them do not depend on the database.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "APPEND_ONLY_TABLES",
    "AgendaItem",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CaseRecord",
    "CaseRevision",
    "DecisionRecord",
    "Meeting",
    "User",
    "WebSession",
]

#: Tables whose rows are never updated or deleted (enforced by triggers).
APPEND_ONLY_TABLES = ("case_revisions", "decisions", "audit_log")

_TIME = String(32)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[str] = mapped_column(_TIME)
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[str | None] = mapped_column(_TIME, default=None)


class ApiToken(Base):
    """A bearer token of the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(_TIME)
    expires_at: Mapped[str] = mapped_column(_TIME)


class WebSession(Base):
    """A browser session; the cookie holds the secret, the table its SHA-256 and the CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(_TIME)
    expires_at: Mapped[str] = mapped_column(_TIME)


class CaseRecord(Base):
    """A case: its reference (the case file's ``id``) and the number of its latest revision."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(128), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    latest_revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[str] = mapped_column(_TIME)


class CaseRevision(Base):
    """One revision of a case: the case@1 document as validated (JSON text). Never changed."""

    __tablename__ = "case_revisions"
    __table_args__ = (UniqueConstraint("case_id", "revision", name="uq_case_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(64))


class Meeting(Base):
    """A board meeting: a date, a title and who took part."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    participants: Mapped[str] = mapped_column(Text)  # JSON list of names
    created_at: Mapped[str] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(64))


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id", name="uq_agenda_case"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[str] = mapped_column(_TIME)
    added_by: Mapped[str] = mapped_column(String(64))


class DecisionRecord(Base):
    """What the board decided for one revision of a case, beside what the engine recommended."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    revision: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), default=None)
    decided_on: Mapped[str] = mapped_column(String(10))
    chosen_option: Mapped[str] = mapped_column(String(32))
    document: Mapped[str] = mapped_column(Text)  # the whole decision as JSON (participants, reasons …)
    deviation: Mapped[bool] = mapped_column()
    created_at: Mapped[str] = mapped_column(_TIME)
    created_by: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """One line of the audit trail, chained to the previous one by ``prev_hash``."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_case", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(_TIME)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    revision: Mapped[int | None] = mapped_column(Integer, default=None)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
