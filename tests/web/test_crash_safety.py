"""A server killed with SIGKILL in the middle of a burst of writes loses nothing it acknowledged."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from nenliver.store import Store, audit, users
from support.server import Server
from support.web import PASSWORD

pytestmark = pytest.mark.slow


def test_every_acknowledged_revision_survives_a_kill(tmp_path: Path, make_case):
    db_path = tmp_path / "board.sqlite3"
    url = f"sqlite:///{db_path}"
    store = Store.open(url)
    with store.transaction() as db:
        users.create_user(db, "clinician", PASSWORD, "clinician")
    store.close()
    server = Server(url, tmp_path / "server.log")
    try:
        token = httpx.post(f"{server.base}/api/token", data={"username": "clinician", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        doc = make_case()
        case_id = httpx.post(f"{server.base}/api/cases", json=doc, headers=headers).json()["id"]
        acknowledged: list[int] = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(n: int) -> None:
            with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
                i = 0
                while not stop.is_set():
                    i += 1
                    body = {**doc, "patient": {**doc["patient"], "age_years": 40 + (n * 7 + i) % 50}}
                    try:
                        response = client.put(f"/api/cases/{case_id}?comment=w{n}-{i}", json=body)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if response.status_code == 200:
                        with lock:
                            acknowledged.append(response.json()["revision"])

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.stop(kill=True)  # SIGKILL, mid-burst
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        server.stop(kill=True)
    assert len(acknowledged) >= 60

    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {row[0] for row in raw.execute("SELECT revision FROM case_revisions WHERE case_id = ?", (case_id,))}
        latest = raw.execute("SELECT latest_revision FROM cases WHERE id = ?", (case_id,)).fetchone()[0]
        revise_entries = raw.execute("SELECT count(*) FROM audit_log WHERE action = 'case.revise'").fetchone()[0]
    assert set(acknowledged) <= stored
    assert stored == set(range(1, latest + 1))  # no gap, no half-written revision
    assert revise_entries == latest - 1  # each revision and its audit entry were committed together
    reopened = Store.open(url)
    with reopened.transaction() as db:
        assert audit.verify(db).ok
    reopened.close()
