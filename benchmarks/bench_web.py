"""Board app under load: concurrent clients reading plans and writing revisions (loopback only).

Starts ``nenliver serve`` on SQLite (and on a throwaway PostgreSQL when Debian's postgresql is
installed), creates cases, then runs ``--clients`` client threads for ``--seconds`` each: every
client reads a plan (``GET /api/cases/{id}/plan``, 80 %) or writes a revision
(``PUT /api/cases/{id}``, 20 %), then waits ``--think-ms``. Prints errors, p50/p95/p99 per kind,
throughput, and the same client's ``GET /health`` latency under the same load as the baseline
(the ratio says what the app's own work costs beyond the web stack).

Goal (issue 12): 0 errors, p95 <= 100 ms for plan reads and <= 200 ms for writes at 50 clients.

    .venv/bin/python benchmarks/bench_web.py [--seconds 30] [--clients 50] [--think-ms 500]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import BASE_CASE
from nenliver.store import Store, users
from support.postgres import PostgresCluster, postgres_bindir
from support.server import Server
from support.web import PASSWORD


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(label: str, url: str, folder: Path, seconds: float, clients: int, think_ms: float, cases: int) -> bool:
    store = Store.open(url)
    with store.transaction() as db:
        users.create_user(db, "bench", PASSWORD, "clinician")
    store.close()
    server = Server(url, folder / f"{label}.log")
    try:
        token = httpx.post(f"{server.base}/api/token", data={"username": "bench", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        ids = []
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as setup:
            for i in range(cases):
                response = setup.post("/api/cases", json={**BASE_CASE, "id": f"bench-{i}"})
                response.raise_for_status()
                ids.append(response.json()["id"])
                setup.get(f"/api/cases/{ids[-1]}/plan").raise_for_status()  # warm the plan cache
        timings: dict[str, list[float]] = {"plan": [], "write": [], "health": []}
        server_ms: dict[str, list[float]] = {"plan": [], "write": [], "health": []}
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def client(n: int) -> None:
            rng = random.Random(n)
            with httpx.Client(base_url=server.base, headers=headers, timeout=30) as http:
                i = 0
                while time.monotonic() < deadline:
                    i += 1
                    case_id = rng.choice(ids)
                    roll = rng.random()
                    start = time.perf_counter()
                    try:
                        if roll < 0.05:
                            kind, response = "health", http.get("/health")
                        elif roll < 0.80:
                            kind, response = "plan", http.get(f"/api/cases/{case_id}/plan")
                        else:
                            body = {**BASE_CASE, "id": f"bench-{ids.index(case_id)}"}
                            body["patient"] = {**BASE_CASE["patient"], "age_years": 40 + (n + i) % 40}
                            kind, response = "write", http.put(f"/api/cases/{case_id}", json=body)
                        elapsed = time.perf_counter() - start
                        ok = response.status_code == 200
                    except httpx.HTTPError as exc:
                        kind, elapsed, ok = "error", time.perf_counter() - start, False
                        response = None
                        message = repr(exc)
                    with lock:
                        if ok:
                            timings[kind].append(elapsed)
                            server_ms[kind].append(float(response.headers["server-timing"].split("dur=")[1]))
                        else:
                            errors.append(message if response is None else f"{kind} {response.status_code}")
                    if think_ms:
                        time.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
    finally:
        server.stop()
    total = sum(len(v) for v in timings.values())
    print(f"\n{label}: {clients} clients, {seconds:g} s, think {think_ms:g} ms, {cases} cases")
    print(f"  requests {total} ({total / wall:.0f}/s), errors {len(errors)}" + (f": {errors[:3]}" if errors else ""))
    for kind, goal in (("plan", 100.0), ("write", 200.0), ("health", None)):
        ms = [t * 1000 for t in timings[kind]]
        p95 = _percentile(ms, 95)
        verdict = "" if goal is None else f"  [goal p95 <= {goal:g} ms: {'PASS' if p95 <= goal else 'FAIL'}]"
        print(
            f"  {kind:6s} n={len(ms):6d}  p50 {_percentile(ms, 50):7.1f} ms  p95 {p95:7.1f} ms  "
            f"p99 {_percentile(ms, 99):7.1f} ms  mean {statistics.fmean(ms) if ms else float('nan'):7.1f} ms{verdict}"
        )
        inside = server_ms[kind]
        print(f"         inside the app: p50 {_percentile(inside, 50):7.1f} ms  p95 {_percentile(inside, 95):7.1f} ms")
    health = _percentile([t * 1000 for t in timings["health"]], 50)
    plan = _percentile([t * 1000 for t in timings["plan"]], 50)
    print(f"  ratio plan read / health check (median, same load): {plan / health:.1f}x")
    plan_ok = _percentile([t * 1000 for t in timings["plan"]], 95) <= 100
    write_ok = _percentile([t * 1000 for t in timings["write"]], 95) <= 200
    return not errors and plan_ok and write_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--think-ms", type=float, default=500, help="mean pause between a client's requests")
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nenliver-bench-web-"))
    load = (args.seconds, args.clients, args.think_ms, args.cases)
    ok = run("sqlite", f"sqlite:///{folder / 'board.sqlite3'}", folder, *load)
    bindir = postgres_bindir()
    if args.sqlite_only:
        pass
    elif bindir is None:
        print("\npostgresql: not installed (apt-get install postgresql); skipped")
    else:
        cluster = PostgresCluster(bindir).start()
        try:
            url = cluster.create_database("bench")
            ok = run("postgresql", url, folder, *load) and ok
        finally:
            cluster.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
