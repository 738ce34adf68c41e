"""Numbering under concurrent issuing: no duplicates and no gaps, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from app.index.models import IssuedDocument
from app.issue import Desk, RenderFailed, issue_document
from tests.conftest import example

THREADS = 8
PER_THREAD = 2
NOW = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


def issue_concurrently(desk: Desk, fail_every: int = 0) -> list[str]:
    data = example(desk.catalogue, "arrears-reminder-1")
    start = threading.Barrier(THREADS)
    failures = 0
    lock = threading.Lock()

    def worker(i: int) -> list[str]:
        nonlocal failures
        start.wait()
        numbers = []
        for _ in range(PER_THREAD):
            try:
                numbers.append(issue_document(desk, "arrears-reminder-1", data, now=NOW, issued_by=f"t{i}").number)
            except RenderFailed:
                with lock:
                    failures += 1
        return numbers

    with ThreadPoolExecutor(THREADS) as pool:
        results = [n for chunk in pool.map(worker, range(THREADS)) for n in chunk]
    return results


def assert_gapless(desk: Desk, numbers: list[str], expected: int) -> None:
    assert len(numbers) == expected
    assert len(set(numbers)) == expected, "duplicate numbers"
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, expected + 1)), f"gaps: {seqs}"
    with desk.db.read() as s:
        stored = s.scalars(select(IssuedDocument.number)).all()
    assert sorted(stored) == sorted(numbers)
    for n in numbers:
        assert (desk.output_dir / "2026" / "arrears-reminder-1" / f"{n}.pdf").is_file()


def test_concurrent_issuing_on_sqlite_has_no_duplicates_or_gaps(desk: Desk) -> None:
    numbers = issue_concurrently(desk)
    assert_gapless(desk, numbers, THREADS * PER_THREAD)


@pytest.mark.postgres
def test_concurrent_issuing_on_postgresql_has_no_duplicates_or_gaps(pg_desk: Desk) -> None:
    numbers = issue_concurrently(pg_desk)
    assert_gapless(pg_desk, numbers, THREADS * PER_THREAD)


@pytest.mark.postgres
def test_postgresql_render_failures_give_their_numbers_back(pg_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.issue

    real = app.issue.render_docx
    calls = {"n": 0}
    lock = threading.Lock()

    def flaky(*args: object, **kwargs: object) -> None:
        with lock:
            calls["n"] += 1
            fail = calls["n"] % 3 == 0
        if fail:
            raise OSError("simulated")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app.issue, "render_docx", flaky)
    numbers = issue_concurrently(pg_desk)
    assert 0 < len(numbers) < THREADS * PER_THREAD
    assert_gapless(pg_desk, numbers, len(numbers))


@pytest.mark.postgres
def test_issue_and_void_on_postgresql(pg_desk: Desk) -> None:
    from app.issue import void_document

    doc = issue_document(pg_desk, "all-types", example(pg_desk.catalogue, "all-types"), now=NOW)
    assert doc.number == "HL-TEST-2026-0001"
    assert void_document(pg_desk, doc.number, "测试作废").status == "voided"
    again = issue_document(pg_desk, "all-types", example(pg_desk.catalogue, "all-types"), now=NOW)
    assert again.number == "HL-TEST-2026-0002"


def test_sqlite_writers_of_one_process_are_served_in_arrival_order() -> None:
    import threading
    import time

    from app.index.db import FairLock

    lock = FairLock()
    order: list[int] = []
    lock.__enter__()  # held while the waiters line up
    threads = []
    for i in range(8):

        def waiter(n: int = i) -> None:
            with lock:
                order.append(n)

        t = threading.Thread(target=waiter)
        t.start()
        threads.append(t)
        time.sleep(0.02)  # arrival order 0, 1, 2 …
    lock.__exit__(None, None, None)
    for t in threads:
        t.join(timeout=10)
    assert order == list(range(8))
