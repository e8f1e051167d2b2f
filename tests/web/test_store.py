"""The case store itself: schema, append-only tables, concurrent audit appends, database URLs."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from nenliver.errors import InputError
from nenliver.store import Store, audit, cases
from nenliver.store.migrate import current_revision, head_revision
from nenliver.store.tables import APPEND_ONLY_TABLES, Base

BOTH = pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@BOTH
def test_the_migrations_build_exactly_the_tables_of_the_models(store):
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


@BOTH
@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_append_only_tables_refuse_update_and_delete(store, table, case_doc):
    with store.transaction() as db:
        revision = cases.create_case(db, case_doc, case_ref="c1", summary="", username="clinician")
        cases.add_decision(
            db,
            revision.case_id,
            1,
            decided_on="2026-01-05",
            chosen_option="ssa",
            document={},
            deviation=False,
            username="clinician",
        )
        audit.append(db, "clinician", "case.create", case_id=revision.case_id)
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))


@BOTH
def test_concurrent_appends_keep_one_unbroken_chain(store):
    def write(i: int) -> None:
        with store.transaction() as db:
            audit.append(db, f"user{i % 5}", "case.read", case_id=i % 3, detail={"i": i})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(120)))
    with store.transaction() as db:
        report = audit.verify(db)
    assert report.ok and report.entries == 120


def test_an_appended_entry_is_kept_only_if_its_transaction_commits(store):
    def failing_work() -> None:
        with store.transaction() as db:
            audit.append(db, "clinician", "case.read")
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        failing_work()
    with store.transaction() as db:
        assert audit.verify(db).entries == 0


def test_sqlite_is_opened_for_durability(store):
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_a_decision_must_name_a_stored_case(store):
    path = store.engine.url.database
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO decisions (case_id, revision, decided_on, chosen_option, document, deviation, "
                "created_at, created_by) VALUES (99, 1, '2026-01-01', 'ssa', '{}', 0, 'now', 'x')"
            )


@pytest.mark.parametrize(
    ("url", "word"),
    [("mysql://x@y/z", "unsupported"), ("sqlite://", "in-memory"), ("not a url", "database URL")],
)
def test_a_database_url_we_cannot_use_is_refused(url, word):
    with pytest.raises(InputError, match=word):
        Store.open(url)
