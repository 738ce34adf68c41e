"""Run an arrears batch: ledger → households → levels from the index → numbers → notices → print outputs.

Crash safety and idempotency come from request keys, not from batch bookkeeping: every notice has
the key arrears:<project>:<household>:<batch date>. Numbers are reserved for all keys up front in
delivery order (one short transaction), then the notices are issued through issue_document(key=…)
in worker processes. Killing the run and starting it again re-plans the same households, finds the
reservations and the issued documents under their keys, and issues only what is missing, under
the numbers already reserved: no duplicates, no gaps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.batch.arrears import (
    FORM_LEVELS,
    LEVEL_FORMS,
    Decision,
    Household,
    LateFeeRule,
    Notice,
    decide,
    households,
    notice_data,
    refused_rows,
)
from app.batch.ledger import Ledger, read_ledger
from app.batch.outputs import IssuedLine, merge_pdfs, results_workbook, zip_files
from app.index.models import Batch, IssuedDocument, NumberReservation
from app.issue import Desk, Reserved, issue_reserved, reserve_numbers
from app.validation import SubmissionInvalid, validate_submission

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
Row = tuple[str, str, str, int]  # number, PDF path, Word path, pages
ChunkArgs = tuple[list[Reserved], str, str, dt.datetime, Path]  # chunk, project, issued by, now, chunk PDF
# sends chunks elsewhere (Celery) and yields their rows in chunk order
Dispatch = Callable[[list[ChunkArgs]], Iterable[list[Row]]]


@dataclass(frozen=True)
class ArrearsOptions:
    """Everything a batch needs besides the ledger, resolved by the entry point from settings."""

    project: str
    project_name: str
    batch_date: dt.date
    rule: LateFeeRule = field(default_factory=LateFeeRule)
    interval_days: int = 30
    contact: dict[str, str] = field(default_factory=dict)  # phone, fax, bank, account_no of the notice
    issued_by: str = "batch"
    workers: int = 0  # processes rendering notices; 0 renders in this process
    chunk_size: int = 50  # notices rendered together (one font subset per face) and issued in one transaction


@dataclass
class Planned:
    household: Household
    decision: Decision
    key: str
    data: dict[str, Any]
    number: str = ""


@dataclass
class Plan:
    batch_id: str
    ledger: Ledger
    entries: list[Planned]
    # numbers reserved for this project and date by an earlier, interrupted run, for households that no
    # longer owe (the ledger changed in between): they stay reserved, never reused, and are reported
    stranded: list[tuple[str, str]] = field(default_factory=list)  # (number, request key)

    def of(self, *actions: str) -> list[Planned]:
        return [p for p in self.entries if p.decision.action in actions]

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.ledger.rows,
            "bad_rows": len(self.ledger.problems),
            "households": len(self.entries),
            "to_issue": len(self.of("issue")),
            "issued_before": len(self.of("done")),
            "legal": len(self.of("legal")),
            "waiting": len(self.of("wait")),
            "stranded_numbers": len(self.stranded),
        }


@dataclass
class BatchResult:
    plan: Plan
    outputs: dict[str, Path]
    pages: int
    issued: list[IssuedLine]


def batch_id_for(opts: ArrearsOptions, ledger_bytes: bytes) -> str:
    """Same ledger, project and date → same batch (a restarted run resumes into the same folder)."""
    digest = hashlib.sha256(ledger_bytes).hexdigest()[:10]
    return f"{opts.batch_date:%Y%m%d}-{opts.project}-{digest}"


def request_key(project: str, household: Household, day: dt.date) -> str:
    return f"arrears:{project}:{household.key}:{day.isoformat()}"


def plan_arrears(desk: Desk, ledger_bytes: bytes, opts: ArrearsOptions) -> Plan:
    """Read the ledger and decide, per household in arrears, what this batch does; issues nothing."""
    ledger = read_ledger(ledger_bytes)
    owing = households(ledger.charges, opts.rule, opts.batch_date)
    by_key, by_subject = _history(desk, opts.project)
    entries = []
    for h in owing:
        earlier = by_key.get(h.key, []) + by_subject.get(h.address, [])
        decision = decide(earlier, opts.batch_date, opts.interval_days)
        data = notice_data(h, opts.batch_date, opts.project_name, opts.contact)
        if decision.action == "issue":
            # a notice its form would refuse (a name too long for its line, a character no font prints) is
            # found here, before any number is reserved: its rows are reported and the other households go on
            try:
                validate_submission(desk.catalogue.forms[LEVEL_FORMS[decision.level]], data)
            except SubmissionInvalid as exc:
                ledger.problems += refused_rows(h, exc.errors)
                continue
        entries.append(Planned(h, decision, request_key(opts.project, h, opts.batch_date), data))
    ledger.problems.sort(key=lambda p: p.row)
    planned = {p.key for p in entries}
    suffix = f":{opts.batch_date.isoformat()}"
    with desk.db.read() as session:
        held = session.execute(
            select(NumberReservation.number, NumberReservation.key)
            .where(NumberReservation.key.like(f"arrears:{opts.project}:%"))
            .where(NumberReservation.document_date == opts.batch_date)
        ).all()
    stranded = [(n, k) for n, k in held if k.endswith(suffix) and k not in planned]
    return Plan(batch_id_for(opts, ledger_bytes), ledger, entries, stranded)


def _history(desk: Desk, project: str) -> tuple[dict[str, list[Notice]], dict[str, list[Notice]]]:
    """Earlier reminders of the project from the index (voided ones do not count).

    Batch reminders by household key; reminders issued one at a time (front desk, API) by the address
    they print (subject, e.g. 3栋2单元1502室), which is how a batch notice prints its household too.
    """
    prefix = f"arrears:{project}:"
    by_key: dict[str, list[Notice]] = {}
    by_subject: dict[str, list[Notice]] = {}
    with desk.db.read() as session:
        rows = session.execute(
            select(
                IssuedDocument.request_key,
                IssuedDocument.subject,
                IssuedDocument.form_id,
                IssuedDocument.document_date,
                IssuedDocument.number,
            )
            .where(IssuedDocument.form_id.in_(list(LEVEL_FORMS.values())))
            .where(IssuedDocument.project == project)
            .where(IssuedDocument.status == "issued")
        )
        for key, subject, form_id, day, number in rows:
            notice = Notice(FORM_LEVELS[form_id], day, number)
            if key and str(key).startswith(prefix):
                by_key.setdefault(str(key)[len(prefix) :].rsplit(":", 1)[0], []).append(notice)
            elif not key:
                by_subject.setdefault(str(subject), []).append(notice)
    return by_key, by_subject


def run_arrears(
    desk: Desk,
    ledger_bytes: bytes,
    opts: ArrearsOptions,
    out_root: Path,
    *,
    make_desk: Callable[[], Desk] | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    dispatch: Dispatch | None = None,
) -> BatchResult:
    """Issue every notice the plan calls for and write the print PDF, the Word ZIP and the results workbook."""
    now = now or dt.datetime.now(dt.UTC)
    plan = plan_arrears(desk, ledger_bytes, opts)
    todo = plan.of("issue")
    _record_batch(desk, plan, opts, "running", now)
    numbers = reserve_numbers(
        desk,
        [(p.key, LEVEL_FORMS[p.decision.level], opts.batch_date, opts.project) for p in todo],
        batch_id=plan.batch_id,
        now=now,
    )
    for p in todo:
        p.number = numbers[p.key]
    out_dir = out_root / plan.batch_id
    chunk_dir = out_dir / "chunks"
    chunk_dir.mkdir(parents=True, exist_ok=True)
    items = [Reserved(LEVEL_FORMS[p.decision.level], p.data, p.key) for p in todo]
    chunks = [items[i : i + opts.chunk_size] for i in range(0, len(items), opts.chunk_size)]
    rows: dict[str, tuple[str, str, str, int]] = {}
    chunk_of: dict[str, tuple[Path, int]] = {}  # key → (chunk PDF, first page of the notice in it)
    done = 0
    try:
        for n, (chunk, issued) in enumerate(_issue_chunks(desk, chunks, opts, make_desk, now, chunk_dir, dispatch)):
            page = 0
            for x, row in zip(chunk, issued, strict=True):
                rows[x.key] = row
                chunk_of[x.key] = (chunk_dir / f"{n:05d}.pdf", page)
                page += row[3]
            done += len(chunk)
            if progress is not None:
                progress(done, len(items))
            _update_batch(desk, plan.batch_id, done=done)
    except BaseException as exc:
        _update_batch(desk, plan.batch_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    for p in plan.of("done"):  # issued earlier on this date, by a batch or at the front desk
        assert p.decision.last is not None
        rows[p.key] = _existing(desk, p.decision.last.number)
    result = _write_outputs(desk, plan, rows, chunk_of, out_dir)
    with desk.db.write() as session:
        record = batch_row(session, plan, opts, now, "done")
        record.status, record.done, record.finished_at = "done", done, dt.datetime.now(dt.UTC)
        record.outputs = {**(record.outputs or {}), **{k: str(v) for k, v in result.outputs.items()}}
        record.counts = {**batch_counts(plan), "pages": result.pages}
    return result


def _issue_chunks(
    desk: Desk,
    chunks: list[list[Reserved]],
    opts: ArrearsOptions,
    make_desk: Callable[[], Desk] | None,
    now: dt.datetime,
    chunk_dir: Path,
    dispatch: Dispatch | None,
) -> Iterable[tuple[list[Reserved], list[Row]]]:
    """Issue chunk after chunk (here, in worker processes or by Celery workers), yielding them in order."""
    args = [(c, opts.project, opts.issued_by, now, chunk_dir / f"{n:05d}.pdf") for n, c in enumerate(chunks)]
    if dispatch is not None:
        yield from zip(chunks, dispatch(args), strict=True)
        return
    if opts.workers <= 0 or make_desk is None or len(chunks) < 2:
        for a in args:
            yield a[0], _issue_chunk(desk, *a)
        return
    with ProcessPoolExecutor(opts.workers, initializer=_worker_init, initargs=(make_desk,)) as pool:
        # map keeps the order; a bounded window keeps memory flat on big batches
        yield from zip(chunks, pool.map(_worker_chunk, args, chunksize=1), strict=True)


_WORKER_DESK: Desk | None = None


def _worker_init(make_desk: Callable[[], Desk]) -> None:
    global _WORKER_DESK
    _WORKER_DESK = make_desk()


def _worker_chunk(args: ChunkArgs) -> list[Row]:
    assert _WORKER_DESK is not None
    return _issue_chunk(_WORKER_DESK, *args)


def _issue_chunk(
    desk: Desk, chunk: list[Reserved], project: str, by: str, now: dt.datetime, chunk_pdf: Path
) -> list[Row]:
    docs = issue_reserved(desk, chunk, project=project, issued_by=by, now=now, chunk_pdf=chunk_pdf)
    return [(d.number, d.pdf_path, d.docx_path, d.pages) for d in docs]


def _existing(desk: Desk, number: str) -> tuple[str, str, str, int]:
    with desk.db.read() as session:
        doc = session.scalars(select(IssuedDocument).where(IssuedDocument.number == number)).one()
        return doc.number, doc.pdf_path, doc.docx_path, doc.pages


def _write_outputs(
    desk: Desk,
    plan: Plan,
    rows: dict[str, Row],
    chunk_of: dict[str, tuple[Path, int]],
    out_dir: Path,
) -> BatchResult:
    printed = [p for p in plan.entries if p.key in rows]  # delivery order (plan order)
    # a notice issued by this run is taken from its chunk's PDF (fonts once a chunk), an earlier one
    # from its own file
    parts = []
    for p in printed:
        pages = rows[p.key][3]
        if p.key in chunk_of and chunk_of[p.key][0].is_file():
            path, first = chunk_of[p.key]
            parts.append((path, first, first + pages))
        else:
            parts.append((desk.output_dir / rows[p.key][1], 0, pages))
    pages = merge_pdfs(parts, out_dir / "催款通知书-打印.pdf") if parts else 0
    docx = [(desk.output_dir / rows[p.key][2], f"{rows[p.key][0]}.docx") for p in printed]
    zip_files(docx, out_dir / "催款通知书-Word.zip")
    issued = [
        IssuedLine(
            number=rows[p.key][0],
            address=p.household.address,
            owner=p.household.owner,
            level=p.decision.level,
            outstanding=p.household.outstanding,
            late_fees=p.household.late_fees,
            total=p.household.total,
            new=p.decision.action == "issue",
        )
        for p in printed
    ]
    results_workbook(
        out_dir / "批量结果.xlsx",
        issued,
        [(x.row, x.reason) for x in plan.ledger.problems],
        [(p.household.address, p.household.owner, p.decision.reason) for p in plan.of("legal")],
        [(p.household.address, p.household.owner, p.decision.reason) for p in plan.of("wait")],
        plan.stranded,
    )
    outputs = {
        "print_pdf": out_dir / "催款通知书-打印.pdf",
        "docx_zip": out_dir / "催款通知书-Word.zip",
        "results": out_dir / "批量结果.xlsx",
    }
    if not parts:
        outputs.pop("print_pdf")
    return BatchResult(plan, outputs, pages, issued)


MAX_PROBLEMS_KEPT = 1000  # bad rows kept on the batch row for the web page (all are in the results workbook)


def batch_counts(plan: Plan) -> dict[str, Any]:
    """The plan's counts and its first bad rows, as the batch row keeps them."""
    problems = [[p.row, p.reason] for p in plan.ledger.problems[:MAX_PROBLEMS_KEPT]]
    return {**plan.counts(), "problems": problems}


def batch_row(session: Session, plan: Plan, opts: ArrearsOptions, now: dt.datetime, status: str) -> Batch:
    """The batch's row, created with `status` the first time the batch is seen."""
    row = session.get(Batch, plan.batch_id)
    if row is None:
        row = Batch(
            id=plan.batch_id,
            kind="arrears",
            project=opts.project,
            batch_date=opts.batch_date,
            status=status,
            created_by=opts.issued_by,
            created_at=now,
            counts={},
            outputs={},
        )
        session.add(row)
    return row


def _record_batch(desk: Desk, plan: Plan, opts: ArrearsOptions, status: str, now: dt.datetime) -> None:
    with desk.db.write() as session:
        row = batch_row(session, plan, opts, now, status)
        row.status = status
        row.total = len(plan.of("issue"))
        row.done = 0
        row.counts = batch_counts(plan)
        # the upload a web batch was started from stays known, so a failed batch can be started again
        row.outputs = {k: v for k, v in (row.outputs or {}).items() if k == "ledger"}
        row.error = None


def _update_batch(desk: Desk, batch_id: str, **values: Any) -> None:
    with desk.db.write() as session:
        row = session.get(Batch, batch_id)
        if row is not None:
            for k, v in values.items():
                setattr(row, k, v)
