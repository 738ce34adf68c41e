"""Load on the running service: concurrent issuers and searchers against uvicorn on loopback.

    .venv/bin/python -m bench.load [--clients 16] [--searchers 4] [--seconds 60] [--max-issues 400]
                                   [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Starts `docdesk serve` on 127.0.0.1 (a free port) with a fresh database and output folder (SQLite by
default; a PostgreSQL URL gets a schema of its own), waits until it answers, then runs --clients threads
that issue 催款通知书 REMINDER(1) through `POST /api/forms/{id}/documents` and --searchers threads that page
through `GET /api/documents?q=`, until --seconds have passed or --max-issues documents were issued. Prints
issues/s and searches/s, p50/p95 latency of each, the number of errors (any non-2xx answer or exception),
and checks the numbers: no duplicates, and the sequence 1..N with no gaps. Target (issue 6): 0 errors and
0 duplicate or missing numbers at 16 concurrent clients.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from app.registry import load_catalogue
from app.web.schema import jsonable

ROOT = Path(__file__).resolve().parents[1]
FORM = "arrears-reminder-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_schema_url(url: str) -> tuple[str, str]:
    """A fresh schema on the server, and the URL that uses it (search_path)."""
    from sqlalchemy import create_engine, text

    schema = f"load_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text(f"create schema {schema}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


def p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def staff_token(env: dict[str, str], role: str) -> dict[str, str]:
    """A user of `role` in project HL and the Authorization header of a new API token, through the CLI."""
    name = f"bench-{role}"
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run(
        [*cli, "users", "add", name, "--role", role, "--project", "HL", "--password-stdin"],
        input="bench-password-0123\n",
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    out = subprocess.run(
        [*cli, "tokens", "create", name], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return {"Authorization": f"Bearer {out.stdout.strip()}"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--searchers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-issues", type=int, default=400)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    db_url, schema = pg_schema_url(args.database_url) if args.database_url else (f"sqlite:///{tmp}/index.db", "")
    port = free_port()
    env = {
        **os.environ,
        "DOCDESK_DATABASE_URL": db_url,
        "DOCDESK_OUTPUT_DIR": str(tmp / "output"),
        "DOCDESK_HOST": "127.0.0.1",
        "DOCDESK_PORT": str(port),
    }
    tokens = {role: staff_token(env, role) for role in ("clerk", "archivist")}  # the service checks every request
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if (
                    httpx.get(f"{base}/api/forms", params={"q": "催款"}, headers=tokens["clerk"], timeout=2).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise SystemExit(f"the service did not start; see {tmp / 'server.log'}")
        example = jsonable(load_catalogue(ROOT / "forms").examples[FORM])
        issue_ms: list[float] = []
        search_ms: list[float] = []
        errors: list[str] = []
        numbers: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        end = time.monotonic() + args.seconds

        def issuer() -> None:
            with httpx.Client(base_url=base, timeout=60, headers=tokens["clerk"]) as c:
                while not stop.is_set() and time.monotonic() < end:
                    t = time.perf_counter()
                    try:
                        r = c.post(f"/api/forms/{FORM}/documents", json={"data": example})
                        ok = r.status_code == 201
                    except httpx.HTTPError as exc:
                        ok, r = False, None
                        err = repr(exc)
                    ms = 1000 * (time.perf_counter() - t)
                    with lock:
                        if ok and r is not None:
                            issue_ms.append(ms)
                            numbers.append(r.json()["number"])
                            if len(numbers) >= args.max_issues:
                                stop.set()
                        else:
                            errors.append(f"issue: {r.status_code if r is not None else err}")

        def searcher() -> None:
            with httpx.Client(base_url=base, timeout=60, headers=tokens["archivist"]) as c:
                k = 0
                while not stop.is_set() and time.monotonic() < end:
                    t = time.perf_counter()
                    q = ["王", "HL-CK1", "3栋", "锦华", ""][k % 5]
                    try:
                        r = c.get("/api/documents", params={"q": q, "limit": 20, "offset": (k % 3) * 20})
                        ok = r.status_code == 200
                    except httpx.HTTPError as exc:
                        ok, r = False, None
                        err = repr(exc)
                    with lock:
                        if ok:
                            search_ms.append(1000 * (time.perf_counter() - t))
                        else:
                            errors.append(f"search: {r.status_code if r is not None else err}")
                    k += 1

        threads = [threading.Thread(target=issuer) for _ in range(args.clients)]
        threads += [threading.Thread(target=searcher) for _ in range(args.searchers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
        duplicates = len(seqs) - len(set(seqs))
        missing = len(set(range(1, (seqs[-1] if seqs else 0) + 1)) - set(seqs))
        print(
            f"DocDesk load: {args.clients} issuers + {args.searchers} searchers, {wall:.1f} s, "
            f"{'PostgreSQL' if schema else 'SQLite'}, {os.cpu_count()} cores"
        )
        print(
            f"issues    {len(issue_ms)} = {len(issue_ms) / wall:.1f}/s, p50 {p(issue_ms, 50):.0f} ms, "
            f"p95 {p(issue_ms, 95):.0f} ms"
        )
        print(
            f"searches  {len(search_ms)} = {len(search_ms) / wall:.1f}/s, p50 {p(search_ms, 50):.0f} ms, "
            f"p95 {p(search_ms, 95):.0f} ms"
        )
        print(
            f"errors {len(errors)}{' ' + str(errors[:5]) if errors else ''}; numbers: {duplicates} duplicate, "
            f"{missing} missing (target 0 / 0 / 0)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        if schema:
            from sqlalchemy import create_engine, text

            engine = create_engine(args.database_url)
            with engine.begin() as c:
                c.execute(text(f"drop schema {schema} cascade"))
            engine.dispose()


if __name__ == "__main__":
    main()
