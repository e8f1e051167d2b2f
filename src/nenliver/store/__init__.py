"""The case store: cases and revisions, board decisions, meetings, users and the audit trail.

Persistence for the board web app and the other faces (SQLAlchemy 2; SQLite by default,
PostgreSQL by URL; schema by Alembic migrations). It stores what the faces validated and never
decides anything: plans come from :mod:`nenliver.service`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from nenliver.store import audit, cases, meetings, users
from nenliver.store.db import READ_ONLY, default_database_url, describe_url, make_engine, normalise_url
from nenliver.store.errors import ConflictError, NotFoundError, StoreError
from nenliver.store.migrate import upgrade

__all__ = [
    "ConflictError",
    "NotFoundError",
    "Store",
    "StoreError",
    "audit",
    "cases",
    "default_database_url",
    "meetings",
    "users",
]


class Store:
    """An open database: an engine and a way to run one transaction on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        options = {READ_ONLY: True}
        if engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = True
        self._readers = sessionmaker(engine.execution_options(**options), expire_on_commit=False)
        # SQLite has one writer at a time: threads of this process queue here, in order, instead
        # of polling the file lock (whose back-off sleeps make latencies jump under load).
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Store:
        """Open the database at ``url`` (the default one when ``None``) and bring it up to date."""
        parsed: URL = normalise_url(url or default_database_url())
        store = cls(make_engine(parsed))
        if migrate:
            upgrade(store.engine)
        return store

    @property
    def url(self) -> str:
        """Where the data lives, without a password."""
        return describe_url(self.engine.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One writing transaction: committed when the block ends, rolled back if it raises.

        Keep it short: on SQLite it holds the database's only write lock.
        """
        with self._write_lock or nullcontext(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read-only transaction (a consistent snapshot; writing in it is an error)."""
        with self._readers.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
