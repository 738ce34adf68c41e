"""Batch chunks run by a real Celery worker on the local Redis, including a worker killed mid-chunk."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.batch.run import ArrearsOptions, run_arrears
from app.index.models import IssuedDocument, NumberReservation
from app.issue import Desk
from bench.ledger import make_ledger
from tests.conftest import ROOT, pdf_pages

REDIS = "redis://127.0.0.1:6379/5"
pytestmark = pytest.mark.slow


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture
def worker(desk: Desk, tmp_path: Path) -> Iterator[dict[str, str]]:
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS} (CI must run the Celery tests)")
        pytest.skip("Redis is not running")
    env = {
        **os.environ,
        "DOCDESK_DATABASE_URL": desk.db.url,
        "DOCDESK_OUTPUT_DIR": str(desk.output_dir),
        "DOCDESK_REDIS_URL": REDIS,
        "DOCDESK_CELERY_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
        "DOCDESK_FAULT_KILL_CHUNK": "00001.pdf",  # the worker dies once, in the middle of chunk 1
    }
    os.environ["DOCDESK_CELERY_QUEUE"] = env["DOCDESK_CELERY_QUEUE"]
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "app.batch.tasks",
            "worker",
            "--concurrency",
            "2",
            "--pool",
            "prefork",
            "--loglevel",
            "INFO",
            "-Q",
            env["DOCDESK_CELERY_QUEUE"],
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield env
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_celery_workers_issue_every_chunk_once_even_when_one_dies(
    desk: Desk, tmp_path: Path, worker: dict[str, str]
) -> None:
    import importlib

    import app.batch.tasks as tasks

    tasks = importlib.reload(tasks)  # pick up this test's queue and broker
    tasks.celery_app.conf.broker_url = REDIS
    tasks.celery_app.conf.result_backend = REDIS
    data = make_ledger(30, seed=61).save(tmp_path / "l.xlsx").read_bytes()
    opts = ArrearsOptions(
        project="HL",
        project_name="海亮·锦华花园",
        batch_date=dt.date(2026, 11, 1),
        chunk_size=6,
        contact={"phone": "0571-87651234", "bank": "工行", "account_no": "3301 0400 0123"},
    )
    result = run_arrears(desk, data, opts, tmp_path / "b", dispatch=tasks.dispatch)
    log = (tmp_path / "worker.log").read_text()
    assert (tmp_path / "b" / result.plan.batch_id / "chunks" / "00001.killed").exists(), log[-3000:]
    assert "WorkerLostError" in log, log[-3000:]  # the kill really happened, mid-chunk
    with desk.db.read() as s:
        numbers = list(s.scalars(select(IssuedDocument.number)))
        assert s.scalar(select(func.count()).select_from(NumberReservation)) == 0
    assert len(numbers) == len(set(numbers)) == len(result.issued) == 30
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 31))
    assert pdf_pages(result.outputs["print_pdf"]) == 30
