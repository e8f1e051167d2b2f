"""CDS Hooks service latency on loopback: ``POST /cds-services/nenliver-ldt`` with a full prefetch.

Starts ``nenliver serve`` on SQLite, then calls the service ``--calls`` times from ``--clients``
threads with the prefetch an EHR would send for the shared base case (Patient, Conditions,
Observations, Procedures, MedicationStatements, AllergyIntolerances: the case's FHIR export).
Prints p50/p95/p99 and, as the baseline measured in the same run, ``GET /health``.

Goal (issue 13): p95 <= 50 ms.

    .venv/bin/python benchmarks/bench_cds.py [--calls 300] [--clients 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import BASE_CASE
from nenliver.store import Store, users
from support.cds import prefetch_for
from support.server import Server
from support.web import PASSWORD


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--clients", type=int, default=1, help="concurrent EHR callers (the goal is for one)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nenliver-bench-cds-"))
    url = f"sqlite:///{folder / 'board.sqlite3'}"
    store = Store.open(url)
    with store.transaction() as db:
        users.create_user(db, "ehr", PASSWORD, "viewer")
    store.close()
    server = Server(url, folder / "server.log")
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"patientId": "r0"},
        "prefetch": prefetch_for(BASE_CASE),
    }
    try:
        token = httpx.post(f"{server.base}/api/token", data={"username": "ehr", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        timings: dict[str, list[float]] = {"cds": [], "health": []}
        lock = threading.Lock()
        per_client = args.calls // args.clients

        def client() -> None:
            with httpx.Client(base_url=server.base, headers=headers, timeout=30) as http:
                for i in range(per_client):
                    for kind in ("cds", "health") if i % 5 == 0 else ("cds",):
                        start = time.perf_counter()
                        if kind == "cds":
                            response = http.post("/cds-services/nenliver-ldt", json=body)
                            assert len(response.json()["cards"]) == 9, response.text[:300]
                        else:
                            response = http.get("/health")
                        response.raise_for_status()
                        with lock:
                            timings[kind].append((time.perf_counter() - start) * 1000)

        with httpx.Client(base_url=server.base, headers=headers) as warm:
            warm.post("/cds-services/nenliver-ldt", json=body).raise_for_status()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
    finally:
        server.stop()
    cds, health = timings["cds"], timings["health"]
    p95 = _percentile(cds, 95)
    print(f"CDS Hooks patient-view, {args.clients} clients, {len(cds)} calls in {wall:.1f} s ({len(cds) / wall:.0f}/s)")
    print(
        f"  cds     p50 {_percentile(cds, 50):6.1f} ms  p95 {p95:6.1f} ms  p99 {_percentile(cds, 99):6.1f} ms"
        f"  [goal p95 <= 50 ms: {'PASS' if p95 <= 50 else 'FAIL'}]"
    )
    print(
        f"  health  p50 {_percentile(health, 50):6.1f} ms  p95 {_percentile(health, 95):6.1f} ms  (baseline, same run)"
    )
    print(f"  ratio cds / health (median): {_percentile(cds, 50) / _percentile(health, 50):.1f}x")
    return 0 if p95 <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
