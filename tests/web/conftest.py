"""Fixtures of the board app tests: a store (SQLite, and PostgreSQL where marked), users, clients."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nenliver.store import Store, users
from nenliver.store.users import SecurityPolicy
from nenliver.web import WebSettings, create_app
from support.postgres import PostgresCluster, postgres_bindir
from support.system import missing
from support.web import PASSWORD

#: Cheap Argon2 parameters: the tests check the logic of signing in, not the cost of guessing.
POLICY = SecurityPolicy(argon2_time_cost=1, argon2_memory_kib=1024)

ROLES = ("admin", "clinician", "physicist", "viewer")
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    bindir = postgres_bindir()
    if bindir is None:
        missing("PostgreSQL (initdb, pg_ctl)")
    assert bindir is not None
    cluster = PostgresCluster(bindir).start()
    yield cluster
    cluster.stop()


def _backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if getattr(request, "param", "sqlite") == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        return cluster.create_database(f"t{next(_names)}")
    return f"sqlite:///{tmp_path / 'board.sqlite3'}"


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store with one user per role (user name = role)."""
    opened = Store.open(_backend(request, tmp_path))
    with opened.transaction() as db:
        for role in ROLES:
            users.create_user(db, role, PASSWORD, role, POLICY)
    yield opened
    opened.close()


@pytest.fixture
def app(store: Store) -> Any:
    return create_app(store, WebSettings(policy=POLICY))


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def auth(client: TestClient) -> Callable[[str], dict[str, str]]:
    """``auth("clinician")`` → the bearer header of that role's user."""
    cache: dict[str, dict[str, str]] = {}

    def header(role: str) -> dict[str, str]:
        if role not in cache:
            response = client.post("/api/token", data={"username": role, "password": PASSWORD})
            assert response.status_code == 200, response.text
            cache[role] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return cache[role]

    return header


@pytest.fixture
def case_doc(make_case: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A complete case (the shared base case of ``tests/conftest.py``) as a JSON-ready dict."""
    return make_case()
