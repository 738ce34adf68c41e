"""Retention due and disposal (销毁): what has expired, the 档案销毁清册, confirmation, tombstones.

Policy:
- A document is due when its retain_until (fixed at issue, see app.retention) is on or before the
  as-of date and it is not disposed. 永久 and tied periods (同…档案: kept with another record, e.g. an
  employee's file) have no retain_until and are never due: DocDesk lists the tied ones as 随档 and
  refuses to dispose of them on their own. Voided documents are records too and are due like the others.
- Disposal takes two steps. Proposing issues an 档案销毁清册 (form archive-destruction-register, a
  numbered, indexed, permanently kept document) through the normal issue_document() and records a
  pending Disposal. Nothing is deleted until the disposal is confirmed. Proposal refuses any number that
  is unknown, not yet expired, 永久 or tied, held (app.holds), already disposed or already listed in
  another pending disposal; confirmation checks every document again (a hold placed in between blocks
  the whole confirmation).
- Confirming turns each row into a tombstone in one transaction: status "disposed", who and when, the
  register's number; the submitted data, subject, parties, room and search text are cleared (personal
  data goes with the files). The file paths and sha256 stay as proof of what was destroyed. The files
  (PDF, Word, archive copy) are deleted only after that transaction has committed: a failed commit
  leaves every file in place, and a crash after the commit leaves files that `docdesk sanity-check`
  reports as left over and that confirming the same disposal again deletes.
- Cancelling a pending disposal voids its register (reason 销毁取消) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.holds import describe, held_clause, held_numbers, holds_covering
from app.index.audit import record_event
from app.index.models import Disposal, IssuedDocument
from app.index.repository import get_by_number, mark_voided
from app.issue import Desk, InvalidAction, issue_document
from app.numbering import document_day
from app.validation import FieldError, SubmissionInvalid

log = logging.getLogger(__name__)

DISPOSAL_FORM = "archive-destruction-register"
METHODS = ("粉碎", "焚毁", "删除电子文件")
DEFAULT_METHODS = ["粉碎", "删除电子文件"]
DEFAULT_REASON = "保存期限已满"
CANCEL_REASON = "销毁取消"
MAX_ITEMS = 500  # rows of one register (the form's table limit)
DISPOSAL_STATUS = {"pending": "待确认", "confirmed": "已销毁", "cancelled": "已取消"}


class DisposalNotFound(LookupError):
    def __init__(self, disposal_id: int) -> None:
        super().__init__(f"没有编号为 {disposal_id} 的销毁记录")


def is_tied(retention: str) -> bool:
    """同…档案: kept as long as another record (never due on its own)."""
    return retention.strip().startswith("同")


# ---- retention due ----


@dataclass(frozen=True)
class DueItem:
    number: str
    form_id: str
    form_title: str
    project: str
    document_date: dt.date
    issued_at: dt.datetime
    status: str
    retention: str
    retain_until: dt.date
    pages: int
    held: bool
    pending: str | None  # the register number of the pending disposal that lists it
    pending_id: int | None = None  # and that disposal's id

    def json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "form_id": self.form_id,
            "form_title": self.form_title,
            "project": self.project,
            "document_date": self.document_date.isoformat(),
            "issued_at": self.issued_at.isoformat(),
            "status": self.status,
            "retention": self.retention,
            "retain_until": self.retain_until.isoformat(),
            "pages": self.pages,
            "held": self.held,
            "pending": self.pending,
            "pending_disposal": self.pending_id,
            "links": {"self": f"/api/documents/{self.number}", "page": f"/documents/{self.number}"},
        }


@dataclass
class DueReport:
    """What has expired as of a date: disposable, held (保全中), already proposed; and the 随档 count."""

    as_of: dt.date
    project: str | None
    disposable: list[DueItem] = field(default_factory=list)
    held: list[DueItem] = field(default_factory=list)
    pending: list[DueItem] = field(default_factory=list)
    tied: int = 0  # documents kept with another record (同…档案), never due on their own
    total: int = 0  # every expired document, listed or not
    truncated: bool = False  # a list was cut at `limit`

    def json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "project": self.project,
            "total": self.total,
            "disposable": [i.json() for i in self.disposable],
            "held": [i.json() for i in self.held],
            "pending": [i.json() for i in self.pending],
            "tied": self.tied,
            "truncated": self.truncated,
        }


def retention_due(
    session: Session,
    as_of: dt.date,
    project: str | None = None,
    *,
    limit: int | None = None,
    projects: Collection[str] | None = None,
) -> DueReport:
    """Documents whose retention ran out on or before `as_of`, oldest first, in three lists.

    `projects`, when given, limits the lists to the projects the asking user works in.
    """
    report = DueReport(as_of=as_of, project=project or None)
    pending = pending_numbers(session)
    cond = [
        IssuedDocument.retain_until.is_not(None),
        IssuedDocument.retain_until <= as_of,
        IssuedDocument.status != "disposed",
    ]
    if project:
        cond.append(IssuedDocument.project == project)
    if projects is not None:
        cond.append(IssuedDocument.project.in_(sorted(projects)))
    query = (
        select(
            IssuedDocument.number,
            IssuedDocument.form_id,
            IssuedDocument.form_title,
            IssuedDocument.project,
            IssuedDocument.document_date,
            IssuedDocument.issued_at,
            IssuedDocument.status,
            IssuedDocument.retention,
            IssuedDocument.retain_until,
            IssuedDocument.pages,
            held_clause().label("held"),
        )
        .where(*cond)
        .order_by(IssuedDocument.retain_until, IssuedDocument.number)
    )
    for row in session.execute(query).yield_per(2000):
        number, form_id, title, project_, day, issued_at, status, retention, until, pages, held = row
        register, disposal_id = pending.get(number, (None, None))
        item = DueItem(
            number, form_id, title, project_, day, issued_at, status, retention, until or as_of, pages, bool(held),
            pending=register, pending_id=disposal_id,
        )  # fmt: skip
        report.total += 1
        target = report.pending if item.pending else report.held if item.held else report.disposable
        if limit is None or len(target) < limit:
            target.append(item)
        else:
            report.truncated = True
    tied = [IssuedDocument.status != "disposed", IssuedDocument.retention.like("同%")]
    if project:
        tied.append(IssuedDocument.project == project)
    report.tied = int(session.scalar(select(func.count()).select_from(IssuedDocument).where(*tied)) or 0)
    return report


def pending_numbers(session: Session, *, exclude: int | None = None) -> dict[str, tuple[str, int]]:
    """Document number → (register number, disposal id), for every document listed in a pending disposal."""
    out: dict[str, tuple[str, int]] = {}
    query = select(Disposal).where(Disposal.status == "pending")
    if exclude is not None:
        query = query.where(Disposal.id != exclude)
    for d in session.scalars(query):
        for n in d.numbers:
            out[n] = (d.register_number, d.id)
    return out


# ---- proposal, confirmation, cancellation ----


def _refusals(
    session: Session, numbers: Sequence[str], day: dt.date, *, disposal_id: int | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """Why each number cannot be disposed of as of `day`: [(number, reason)], and the held numbers."""
    docs = {d.number: d for d in session.scalars(select(IssuedDocument).where(IssuedDocument.number.in_(numbers)))}
    pending = pending_numbers(session, exclude=disposal_id)
    held = held_numbers(session, numbers)
    problems: list[tuple[str, str]] = []
    for n in numbers:
        doc = docs.get(n)
        if doc is None:
            problems.append((n, f"{n}：没有这个编号的文书"))
        elif doc.status == "disposed":
            when = f"{doc.disposed_at:%Y-%m-%d}" if doc.disposed_at else ""
            problems.append((n, f"{n}：已于 {when} 按销毁清册 {doc.disposal_register} 销毁"))
        elif doc.form_id == DISPOSAL_FORM:
            problems.append((n, f"{n}：是档案销毁清册，永久保存，不能销毁"))
        elif doc.retain_until is None:
            if is_tied(doc.retention):
                problems.append((n, f"{n}：保存期限为“{doc.retention}”，随所附档案保管，不单独销毁"))
            else:
                problems.append((n, f"{n}：保存期限为{doc.retention}，不能销毁"))
        elif doc.retain_until > day:
            problems.append((n, f"{n}：保存至 {doc.retain_until}，到 {day} 尚未到期，不能销毁"))
        elif n in held:
            why = "；".join(f"{describe(h)}：{h.reason}" for h in holds_covering(session, doc))
            problems.append((n, f"{n}：处于保全中（{why}），解除保全前不能销毁"))
        elif n in pending:
            problems.append((n, f"{n}：已列入待确认的销毁清册 {pending[n][0]}"))
    return problems, sorted(held & set(docs))


def _clean_numbers(numbers: Iterable[str]) -> list[str]:
    out: list[str] = []
    for n in numbers:
        n = str(n).strip()
        if n and n not in out:
            out.append(n)
    if not out:
        raise SubmissionInvalid([FieldError("numbers", "文书编号", "请至少选择一份到期的文书")])
    if len(out) > MAX_ITEMS:
        raise SubmissionInvalid([FieldError("numbers", "文书编号", f"一次最多销毁 {MAX_ITEMS} 份，请分批生成销毁清册")])
    return out


def _raise_refused(problems: list[tuple[str, str]], numbers: Sequence[str]) -> None:
    if problems:
        index = {n: i for i, n in enumerate(numbers)}
        raise SubmissionInvalid([FieldError(f"numbers[{index[n]}]", "文书编号", msg) for n, msg in problems])


def propose_disposal(
    desk: Desk,
    numbers: Iterable[str],
    *,
    as_of: dt.date | None = None,
    by: str = "system",
    now: dt.datetime | None = None,
    reason: str = DEFAULT_REASON,
    methods: Sequence[str] | None = None,
    planned_date: dt.date | None = None,
    note: str = "",
    project: str | None = None,
) -> Disposal:
    """Issue the 档案销毁清册 for these documents and record a pending disposal; nothing is deleted.

    Raises SubmissionInvalid (one Chinese entry per refused number, naming it) and RenderFailed.
    """
    now = now or dt.datetime.now(dt.UTC)
    today = document_day(now)
    as_of = as_of or today
    if as_of > today:
        raise SubmissionInvalid([FieldError("as_of", "到期核对日", f"不能晚于今天（{today}）：未到期的文书不能销毁")])
    wanted = _clean_numbers(numbers)
    with desk.db.read() as session:
        problems, _ = _refusals(session, wanted, as_of)
        _raise_refused(problems, wanted)
        docs = list(session.scalars(select(IssuedDocument).where(IssuedDocument.number.in_(wanted))))
    docs.sort(key=lambda d: (d.document_date, d.number))
    projects = {d.project for d in docs}
    if project is None and len(projects) == 1:
        project = projects.pop()
    data = {
        "reason": (reason or "").strip() or DEFAULT_REASON,
        "method": list(methods) if methods else DEFAULT_METHODS,
        "as_of": as_of.isoformat(),
        "planned_date": (planned_date or today).isoformat(),
        "count": len(docs),
        "note": note,
        "items": [
            {
                "number": d.number,
                "title": d.form_title,
                "project": d.project,
                "document_date": d.document_date.isoformat(),
                "retention": d.retention,
                "retain_until": d.retain_until.isoformat() if d.retain_until else None,
                "pages": d.pages,
            }
            for d in docs
        ],
    }
    register = issue_document(desk, DISPOSAL_FORM, data, project=project, issued_by=by, now=now)
    ordered = [d.number for d in docs]
    with desk.db.write() as session:
        # the documents' rows are locked (PostgreSQL; SQLite holds the whole database), so a proposal racing
        # this one for the same documents sees this one's pending disposal when it gets its turn
        session.execute(select(IssuedDocument.id).where(IssuedDocument.number.in_(ordered)).with_for_update())
        problems, _ = _refusals(session, ordered, as_of)
        if problems:
            # something changed while the register was rendered: the register is voided, not used
            reg = get_by_number(session, register.number)
            if reg is not None:
                mark_voided(reg, CANCEL_REASON, by, now)
                record_event(session, "void", reg.number, actor=by, detail={"reason": CANCEL_REASON}, at=now)
            disposal = None
        else:
            disposal = Disposal(
                status="pending",
                register_number=register.number,
                numbers=ordered,
                as_of=as_of,
                created_by=by,
                created_at=now,
            )
            session.add(disposal)
            session.flush()
            record_event(
                session,
                "dispose",
                register.number,
                actor=by,
                detail={"step": "propose", "disposal": disposal.id, "numbers": ordered},
                at=now,
            )
            session.flush()
    if disposal is None:
        _raise_refused(problems, ordered)
        raise AssertionError("unreachable")  # pragma: no cover
    log.info("disposal %s proposed: %d documents, register %s", disposal.id, len(ordered), register.number)
    return disposal


@dataclass
class Confirmed:
    disposal: Disposal
    deleted: list[str] = field(default_factory=list)  # files deleted (relative to the output folder)
    left: list[str] = field(default_factory=list)  # files that could not be deleted (see the log)


def _doc_files(doc: IssuedDocument) -> list[str]:
    return [p for p in (doc.pdf_path, doc.docx_path, doc.archive_pdf_path) if p]


def _delete_files(output_dir: Path, rels: Iterable[str], result: Confirmed) -> None:
    root = output_dir.resolve()
    for rel in rels:
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            log.error("refusing to delete %s: outside the output folder", rel)
            result.left.append(rel)
            continue
        try:
            if path.exists():
                path.unlink()
                result.deleted.append(rel)
        except OSError:
            log.exception("could not delete %s", rel)
            result.left.append(rel)


def confirm_disposal(desk: Desk, disposal_id: int, *, by: str = "system", now: dt.datetime | None = None) -> Confirmed:
    """Check every document again, turn them into tombstones (one transaction), then delete their files.

    Raises DisposalNotFound, or InvalidAction naming the held (or otherwise refused) numbers: then nothing
    is changed. Confirming an already confirmed disposal deletes files a crash left behind, if any.
    """
    now = now or dt.datetime.now(dt.UTC)
    today = document_day(now)
    files: list[str] = []
    with desk.db.write() as session:
        disposal = session.execute(
            select(Disposal).where(Disposal.id == disposal_id).with_for_update()
        ).scalar_one_or_none()
        if disposal is None:
            raise DisposalNotFound(disposal_id)
        if disposal.status == "confirmed":
            left = [
                rel
                for d in session.scalars(
                    select(IssuedDocument).where(IssuedDocument.disposal_register == disposal.register_number)
                )
                for rel in _doc_files(d)
                if (desk.output_dir / rel).exists()
            ]
            if not left:
                when = f"{disposal.confirmed_at:%Y-%m-%d %H:%M}" if disposal.confirmed_at else ""
                raise InvalidAction(f"销毁清册 {disposal.register_number} 已于 {when} 确认销毁，不能重复确认")
            files = left
        elif disposal.status != "pending":
            raise InvalidAction(f"销毁清册 {disposal.register_number} 已取消，不能确认；请重新生成销毁清册")
        else:
            files = _tombstone(session, disposal, by, now, today)
    result = Confirmed(disposal)
    _delete_files(desk.output_dir, files, result)
    log.info("disposal %s confirmed: %d files deleted", disposal_id, len(result.deleted))
    return result


def _tombstone(session: Session, disposal: Disposal, by: str, now: dt.datetime, today: dt.date) -> list[str]:
    register = get_by_number(session, disposal.register_number)
    if register is None or register.status != "issued":
        raise InvalidAction(
            f"销毁清册 {disposal.register_number} 已作废，不能据此销毁；请取消本次销毁后重新生成销毁清册"
        )
    numbers = list(disposal.numbers)
    docs = list(session.scalars(select(IssuedDocument).where(IssuedDocument.number.in_(numbers)).with_for_update()))
    problems, held = _refusals(session, numbers, today, disposal_id=disposal.id)
    if held:
        raise InvalidAction(
            f"以下文书处于保全中，不能销毁：{'、'.join(held)}。本次销毁未执行；"
            "请解除保全后再确认，或取消本清册后重新生成"
        )
    if problems:
        raise InvalidAction("本次销毁未执行：" + "；".join(msg for _, msg in problems))
    files: list[str] = []
    for doc in docs:
        files += _doc_files(doc)
        detail = {
            "step": "confirm",
            "register": disposal.register_number,
            "disposal": disposal.id,
            "pdf_sha256": doc.pdf_sha256,
            "docx_sha256": doc.docx_sha256,
        }
        if doc.archive_pdf_sha256:
            detail["archive_pdf_sha256"] = doc.archive_pdf_sha256
        # what the tombstone keeps: number, form, dates, retention, files and their sha256, who disposed
        # of it under which register; personal data (the submission, names, room, search text) goes
        doc.status = "disposed"
        doc.disposed_at, doc.disposed_by, doc.disposal_register = now, by, disposal.register_number
        doc.data = {}
        doc.subject = doc.parties = doc.room = doc.search_text = doc.grams = ""
        record_event(session, "dispose", doc.number, actor=by, detail=detail, at=now)
    disposal.status, disposal.confirmed_by, disposal.confirmed_at = "confirmed", by, now
    record_event(
        session,
        "dispose",
        disposal.register_number,
        actor=by,
        detail={"step": "confirm", "disposal": disposal.id, "count": len(docs)},
        at=now,
    )
    session.flush()
    return files


def cancel_disposal(desk: Desk, disposal_id: int, *, by: str = "system", now: dt.datetime | None = None) -> Disposal:
    """Cancel a pending disposal: its register is voided (销毁取消) in the same transaction; nothing is deleted."""
    now = now or dt.datetime.now(dt.UTC)
    with desk.db.write() as session:
        disposal = session.execute(
            select(Disposal).where(Disposal.id == disposal_id).with_for_update()
        ).scalar_one_or_none()
        if disposal is None:
            raise DisposalNotFound(disposal_id)
        if disposal.status != "pending":
            label = DISPOSAL_STATUS.get(disposal.status, disposal.status)
            raise InvalidAction(f"销毁清册 {disposal.register_number} {label}，只有待确认的销毁可以取消")
        register = get_by_number(session, disposal.register_number)
        if register is not None and register.status == "issued":
            mark_voided(register, CANCEL_REASON, by, now)
            record_event(session, "void", register.number, actor=by, detail={"reason": CANCEL_REASON}, at=now)
        disposal.status = "cancelled"
        record_event(
            session,
            "dispose",
            disposal.register_number,
            actor=by,
            detail={"step": "cancel", "disposal": disposal.id},
            at=now,
        )
        session.flush()
        return disposal


# ---- reading ----


def get_disposal(session: Session, disposal_id: int) -> Disposal:
    disposal = session.get(Disposal, disposal_id)
    if disposal is None:
        raise DisposalNotFound(disposal_id)
    return disposal


def list_disposals(session: Session, *, limit: int = 200) -> list[Disposal]:
    return list(session.scalars(select(Disposal).order_by(Disposal.id.desc()).limit(limit)))


def disposal_documents(session: Session, disposal: Disposal) -> list[tuple[IssuedDocument, bool]]:
    """The disposal's documents in register order, each with whether an active hold covers it now."""
    numbers = list(disposal.numbers)
    docs = {d.number: d for d in session.scalars(select(IssuedDocument).where(IssuedDocument.number.in_(numbers)))}
    held = held_numbers(session, numbers)
    return [(docs[n], n in held) for n in numbers if n in docs]


def disposal_json(disposal: Disposal, documents: list[tuple[IssuedDocument, bool]] | None = None) -> dict[str, Any]:
    reg = disposal.register_number
    out: dict[str, Any] = {
        "id": disposal.id,
        "status": disposal.status,
        "status_label": DISPOSAL_STATUS.get(disposal.status, disposal.status),
        "register_number": reg,
        "as_of": disposal.as_of.isoformat(),
        "count": len(disposal.numbers),
        "numbers": list(disposal.numbers),
        "created_by": disposal.created_by,
        "created_at": disposal.created_at.isoformat(),
        "confirmed_by": disposal.confirmed_by,
        "confirmed_at": disposal.confirmed_at.isoformat() if disposal.confirmed_at else None,
        "links": {
            "self": f"/api/disposals/{disposal.id}",
            "page": f"/disposals/{disposal.id}",
            "register": f"/api/documents/{reg}",
            "register_pdf": f"/api/documents/{reg}/pdf",
        },
    }
    if documents is not None:
        out["documents"] = [
            {
                "number": d.number,
                "form_title": d.form_title,
                "project": d.project,
                "document_date": d.document_date.isoformat(),
                "retention": d.retention,
                "retain_until": d.retain_until.isoformat() if d.retain_until else None,
                "status": d.status,
                "held": held,
                "disposed_at": d.disposed_at.isoformat() if d.disposed_at else None,
            }
            for d, held in documents
        ]
    return out
