"""The audit trail: who read or wrote what, when; append-only and hash-chained.

Each entry's ``hash`` is the SHA-256 of its own fields and the previous entry's hash
(:func:`entry_hash`), so changing, inserting or deleting an entry anywhere but at the very end
breaks the chain, and :func:`verify` finds the first entry where it breaks. Cutting entries off
the end leaves a valid shorter chain: keep the head hash (:attr:`Verification.head_hash`, printed
in every meeting's minutes) somewhere else to detect that.

Appends are serialised: SQLite transactions take the write lock when they begin
(:mod:`nenliver.store.db`), PostgreSQL ones take a transaction-scoped advisory lock here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from nenliver.store.tables import AuditEntry

__all__ = ["GENESIS_HASH", "Verification", "append", "canonical_json", "entries", "entry_hash", "utc_now", "verify"]

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64
#: Key of the PostgreSQL advisory lock that serialises appends.
_AUDIT_LOCK = 0x6E656E61


def utc_now() -> str:
    """Now, as the UTC text every table stores (microseconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text for one value, whatever the database."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def entry_hash(
    prev_hash: str,
    entry_id: int,
    at: str,
    username: str,
    action: str,
    case_id: int | None,
    revision: int | None,
    detail: str,
) -> str:
    """SHA-256 (hex) of an entry's fields and the previous hash."""
    body = canonical_json([prev_hash, entry_id, at, username, action, case_id, revision, detail])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _last(db: Session) -> tuple[int, str]:
    row = db.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return (0, GENESIS_HASH) if row is None else (row[0], row[1])


def append(
    db: Session,
    username: str,
    action: str,
    *,
    case_id: int | None = None,
    revision: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the trail in the caller's transaction (it is kept only if that commits).

    Call it last in a transaction: on PostgreSQL it holds the trail's lock until the commit.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
    last_id, prev = _last(db)
    entry_id = last_id + 1
    at = utc_now()
    detail_text = canonical_json(dict(detail or {}))
    entry = AuditEntry(
        id=entry_id,
        at=at,
        username=username,
        action=action,
        case_id=case_id,
        revision=revision,
        detail=detail_text,
        prev_hash=prev,
        hash=entry_hash(prev, entry_id, at, username, action, case_id, revision, detail_text),
    )
    db.add(entry)
    db.flush()
    return entry


def entries(
    db: Session, *, case_id: int | None = None, limit: int = 500, before_id: int | None = None
) -> list[AuditEntry]:
    """The newest entries first (of one case, or all), at most ``limit``, older than ``before_id``."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.scalars(query))


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_hash": self.head_hash,
            "first_bad_id": self.first_bad_id,
            "reason": self.reason,
        }


_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.username,
    AuditEntry.action,
    AuditEntry.case_id,
    AuditEntry.revision,
    AuditEntry.detail,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def _walk(db: Session, batch: int = 5000) -> Iterator[Any]:
    """Rows in id order, as plain tuples (nothing accumulates in the session)."""
    last = 0
    while True:
        rows = db.execute(select(*_COLUMNS).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def verify(db: Session) -> Verification:
    """Recompute every hash in order; the first entry that does not chain is reported."""
    prev = GENESIS_HASH
    expected_id = 1
    count = 0
    for row in _walk(db):
        if row.id != expected_id:
            return Verification(False, count, prev, row.id, f"entry {expected_id} is missing")
        if row.prev_hash != prev:
            return Verification(False, count, prev, row.id, "does not point at the previous entry's hash")
        recomputed = entry_hash(prev, row.id, row.at, row.username, row.action, row.case_id, row.revision, row.detail)
        if recomputed != row.hash:
            return Verification(False, count, prev, row.id, "its content does not match its hash")
        prev = row.hash
        expected_id += 1
        count += 1
    return Verification(True, count, prev)
