"""Celery tasks: batch chunks issued by workers on any number of machines (Redis broker), when configured.

    DOCDESK_REDIS_URL=redis://host:6379/0 celery -A app.batch.tasks worker --concurrency 2

Every machine needs the same database, forms and output folder (a shared or network file system).
A chunk is one transaction (app.issue.issue_reserved): a worker that dies mid-chunk commits nothing,
and its message goes back to the queue (acks_late + reject_on_worker_lost); a retried chunk whose
documents were committed gets them back by request key. Numbers were reserved before dispatch, so no
number is lost or issued twice.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from celery import Celery

from app.issue import Desk, Reserved, issue_reserved

REDIS_URL = os.environ.get("DOCDESK_REDIS_URL", "redis://127.0.0.1:6379/0")

celery_app = Celery("docdesk", broker=REDIS_URL, backend=REDIS_URL)
celery_app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # a chunk is long: do not hoard messages another worker could take
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=24 * 3600,
    broker_connection_retry_on_startup=True,
    # one queue per deployment (or test run) sharing a Redis server
    task_default_queue=os.environ.get("DOCDESK_CELERY_QUEUE", "docdesk"),
)

_DESK: Desk | None = None


def _desk() -> Desk:
    global _DESK
    if _DESK is None:
        from app.config import Settings
        from app.web.main import build_desk

        _DESK = build_desk(Settings().model_copy(update={"docx_workers": 0}))
    return _DESK


def _fault_injection(chunk_pdf: str) -> None:
    """Tests only: DOCDESK_FAULT_KILL_CHUNK=<file name> kills the worker once, mid-chunk, before commit."""
    target = os.environ.get("DOCDESK_FAULT_KILL_CHUNK")
    marker = Path(chunk_pdf).with_suffix(".killed")
    if target and Path(chunk_pdf).name == target and not marker.exists():
        marker.write_text("killed once")
        os._exit(9)


@celery_app.task(name="docdesk.issue_chunk", bind=True, max_retries=3, default_retry_delay=2)  # type: ignore[untyped-decorator]
def issue_chunk(self: Any, items: list[list[Any]], project: str, by: str, now: str, chunk_pdf: str) -> list[list[Any]]:
    _fault_injection(chunk_pdf)
    chunk = [Reserved(form_id, data, key) for form_id, data, key in items]
    docs = issue_reserved(
        _desk(), chunk, project=project, issued_by=by, now=dt.datetime.fromisoformat(now), chunk_pdf=Path(chunk_pdf)
    )
    return [[d.number, d.pdf_path, d.docx_path, d.pages] for d in docs]


def dispatch(
    args: list[tuple[list[Reserved], str, str, dt.datetime, Path]],
) -> Iterable[list[tuple[str, str, str, int]]]:
    """Send every chunk to the workers at once and yield their results in chunk order."""
    results = [
        issue_chunk.apply_async(([[x.form_id, x.data, x.key] for x in chunk], project, by, now.isoformat(), str(pdf)))
        for chunk, project, by, now, pdf in args
    ]
    for r in results:
        yield [(n, p, d, int(pages)) for n, p, d, pages in r.get(timeout=3600)]
