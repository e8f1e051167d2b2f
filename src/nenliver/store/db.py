"""The database behind the board app: where it lives, how it is opened, how a transaction starts.

SQLite (the default, a file in the user's data folder) and PostgreSQL (``postgresql://…``) are
supported. SQLite is opened for a hospital's data, not for speed:

* ``journal_mode=WAL``: readers never wait for the writer, and a killed process loses nothing
  that was committed;
* ``synchronous=FULL``: a commit is on disk (fsync) before it is acknowledged, power cuts included;
* ``foreign_keys=ON``: a revision or decision can never point at a case that is not there;
* ``BEGIN IMMEDIATE`` for every writing transaction, so it takes the write lock up front instead
  of failing to upgrade a read lock; read-only transactions (``BEGIN``, ``query_only``) take none;
* ``busy_timeout``: a writer waits for the lock instead of failing.

PostgreSQL needs nothing special beyond the psycopg driver (``pip install 'nenliver[postgres]'``);
the audit trail serialises its appends with a transaction-scoped advisory lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import QueuePool

from nenliver.errors import DependencyError, InputError, Problem

__all__ = ["DB_ENV", "READ_ONLY", "default_database_url", "describe_url", "make_engine", "normalise_url"]

#: Environment variable naming the database when ``--db`` is not given.
DB_ENV = "NENLIVER_DB"
#: Milliseconds a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_database_url() -> str:
    """``$NENLIVER_DB``, else an SQLite file in the user's data folder (created on first use)."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return configured
    from platformdirs import user_data_path

    folder = user_data_path("nenliver", appauthor=False)
    return f"sqlite:///{folder / 'nenliver.sqlite3'}"


def normalise_url(url: str) -> URL:
    """A database URL with its driver made explicit (``postgresql://`` → psycopg 3).

    Raises
    ------
    InputError
        For a URL that cannot be parsed or a database other than SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError("--db", [Problem("db", "not a database URL", "sqlite:///FILE or postgresql://…")]) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InputError(
                "--db",
                [Problem("db", "an in-memory database keeps nothing", "a file, sqlite:///path/to/nenliver.sqlite3")],
            )
        return parsed.set(drivername="sqlite+pysqlite")
    raise InputError("--db", [Problem("db", f"unsupported database {backend!r}", "sqlite:///FILE or postgresql://…")])


def describe_url(url: URL) -> str:
    """The URL without its password, for messages and ``/health``."""
    return url.render_as_string(hide_password=True)


def make_engine(url: str | URL, *, pool_size: int = 20) -> Engine:
    """An engine set up as the module docstring says; the SQLite folder is created if missing.

    Raises
    ------
    DependencyError
        When the PostgreSQL driver is not installed.
    """
    parsed = normalise_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
        # A pooled connection is used by one thread at a time (the pool hands it out), so it may
        # move between threads; each transaction sets its own mode (see _sqlite_begin).
        engine = create_engine(
            parsed,
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    except NoSuchModuleError as exc:  # pragma: no cover - depends on the installed extras
        raise DependencyError(f"PostgreSQL needs psycopg ({exc}); pip install 'nenliver[postgres]'") from None
    except ModuleNotFoundError as exc:
        raise DependencyError(f"PostgreSQL needs psycopg ({exc}); pip install 'nenliver[postgres]'") from None


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" event below issues BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    ):
        cursor.execute(pragma)
    cursor.close()


#: Execution option of the connections of read-only transactions (:meth:`nenliver.store.Store.read`).
READ_ONLY = "nenliver_read_only"


def _sqlite_begin(connection: Any) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        # A reader takes no lock in WAL mode; query_only makes an accidental write fail loudly.
        connection.exec_driver_sql("PRAGMA query_only=1")
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("PRAGMA query_only=0")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
