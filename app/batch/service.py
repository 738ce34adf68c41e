"""Batches for the web and the API: check an upload (dry run), start it in the background, report progress.

One batch runs at a time per service (a batch already uses every core); the upload is kept under
output/batches/uploads so a batch can be started, or resumed after a crash, from its id alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.batch.ledger import LedgerError
from app.batch.run import ArrearsOptions, Dispatch, batch_counts, batch_row, plan_arrears, run_arrears
from app.index.models import Batch
from app.issue import Desk

log = logging.getLogger(__name__)
MAX_UPLOAD = 20 * 1024 * 1024  # a ledger of 200,000 rows is about 12 MB


class BatchNotFound(LookupError):
    def __init__(self, batch_id: str) -> None:
        super().__init__(f"没有编号为“{batch_id}”的批次")


class BatchRefused(ValueError):
    """The upload or the request cannot be used; the message (Chinese) says why."""


@dataclass
class BatchService:
    desk: Desk
    out_root: Path
    options_for: Callable[[str | None, dt.date], ArrearsOptions]  # project code, batch date → options
    make_desk: Callable[[], Desk] | None = None
    dispatch: Dispatch | None = None  # Celery (app.batch.tasks.dispatch) when configured

    def __post_init__(self) -> None:
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch")
        self._lock = threading.Lock()

    def check(self, data: bytes, batch_date: dt.date, project: str | None, by: str = "web") -> Batch:
        """Save the upload and plan it (nothing issued): counts and every bad row, under the batch id."""
        if len(data) > MAX_UPLOAD:
            raise BatchRefused(f"文件太大：最多 {MAX_UPLOAD // (1024 * 1024)} MB")
        opts = dataclasses.replace(self.options_for(project, batch_date), issued_by=by)
        try:
            plan = plan_arrears(self.desk, data, opts)
        except LedgerError as exc:
            raise BatchRefused(str(exc)) from exc
        uploads = self.out_root / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        (uploads / f"{hashlib.sha256(data).hexdigest()}.xlsx").write_bytes(data)
        with self.desk.db.write() as session:
            row = batch_row(session, plan, opts, dt.datetime.now(dt.UTC), "planned")
            if row.status in ("planned", "failed"):
                row.status = "planned"
                row.total = plan.counts()["to_issue"]
                row.done = 0
            row.counts = batch_counts(plan)
            row.outputs = {**(row.outputs or {}), "ledger": hashlib.sha256(data).hexdigest()}
            session.flush()
            session.expunge(row)
        return row

    def start(self, batch_id: str) -> Batch:
        """Issue a checked batch in the background; starting a running or finished batch changes nothing."""
        batch = self.get(batch_id)
        with self._lock:
            if batch.status in ("running", "done"):
                return batch
            ledger = self.out_root / "uploads" / f"{batch.outputs.get('ledger', '')}.xlsx"
            if not ledger.is_file():
                raise BatchRefused("找不到该批次上传的台账，请重新上传")
            with self.desk.db.write() as session:
                row = session.get(Batch, batch_id)
                assert row is not None
                row.status = "running"
            opts = self.options_for(batch.project, batch.batch_date)
            self._runner.submit(self._run, ledger.read_bytes(), opts)
        return self.get(batch_id)

    def _run(self, data: bytes, opts: ArrearsOptions) -> None:
        try:
            run_arrears(self.desk, data, opts, self.out_root, make_desk=self.make_desk, dispatch=self.dispatch)
        except Exception:  # recorded on the batch row by run_arrears; the thread must not die silently
            log.exception("batch failed")

    def get(self, batch_id: str) -> Batch:
        with self.desk.db.read() as session:
            row = session.get(Batch, batch_id)
            if row is None:
                raise BatchNotFound(batch_id)
            session.expunge(row)
            return row

    def output(self, batch_id: str, name: str) -> Path:
        """A finished batch's output file by name (print_pdf, docx_zip, results); nothing else is served."""
        batch = self.get(batch_id)
        path = batch.outputs.get(name) if name in ("print_pdf", "docx_zip", "results") else None
        if not path or not Path(path).is_file():
            raise BatchNotFound(f"{batch_id}/{name}")
        return Path(path)

    def wait(self, timeout: float = 600) -> None:
        """Block until queued batches have run (tests, CLI)."""
        self._runner.submit(lambda: None).result(timeout=timeout)

    def shutdown(self) -> None:
        self._runner.shutdown(wait=True)


def batch_summary(batch: Batch) -> dict[str, Any]:
    counts = dict(batch.counts or {})
    problems = counts.pop("problems", [])
    return {
        "id": batch.id,
        "kind": batch.kind,
        "project": batch.project,
        "date": batch.batch_date.isoformat(),
        "status": batch.status,
        "status_label": STATUS_LABELS.get(batch.status, batch.status),
        "total": batch.total,
        "done": batch.done,
        "progress": round(100 * batch.done / batch.total) if batch.total else (100 if batch.status == "done" else 0),
        "counts": counts,
        "problems": [{"row": r, "reason": m} for r, m in problems],
        "error": batch.error,
    }


STATUS_LABELS = {"planned": "已检查，待开具", "running": "开具中", "done": "已完成", "failed": "失败"}
