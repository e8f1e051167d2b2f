"""``nenliver users`` and ``nenliver serve`` on the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nenliver.cli.main import main
from nenliver.store import Store
from nenliver.store.users import authenticate


def _add(monkeypatch, db: str, name: str, role: str, password: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["users", "add", name, "--role", role, "--password-stdin", "--db", db])


def test_users_add_and_list(tmp_path: Path, monkeypatch, capsys):
    db = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    assert _add(monkeypatch, db, "alice", "clinician", "a long enough pass") == 0
    assert main(["users", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "User alice added with role clinician" in out and "alice\tclinician" in out
    store = Store.open(db)
    with store.transaction() as session:
        assert authenticate(session, "alice", "a long enough pass") is not None
    store.close()


@pytest.mark.parametrize(
    ("name", "password", "word"),
    [("alice", "short", "at least 12"), ("bad name!", "a long enough pass", "user name"), ("dup", "", "too short")],
)
def test_users_add_refuses_bad_input_with_exit_2(tmp_path: Path, monkeypatch, capsys, name, password, word):
    db = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    assert _add(monkeypatch, db, name, "viewer", password) == 2
    assert word in capsys.readouterr().err


def test_a_user_name_is_added_once(tmp_path: Path, monkeypatch, capsys):
    db = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    assert _add(monkeypatch, db, "alice", "viewer", "a long enough pass") == 0
    assert _add(monkeypatch, db, "alice", "admin", "a long enough pass") == 2
    assert "exists already" in capsys.readouterr().err


def test_serve_refuses_a_database_it_cannot_use(capsys):
    assert main(["serve", "--db", "mysql://x@y/z"]) == 2
    assert "unsupported database" in capsys.readouterr().err
