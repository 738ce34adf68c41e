"""The one use case: validate -> number -> render PDF and DOCX -> record, atomically. Used by web, API, CLI, batch.

Atomicity: the counter is advanced, the files are written and the index row is inserted inside one
database transaction. The files are rendered to a temporary name and moved into place just before
commit; if anything fails the transaction rolls back (the number is not consumed) and the moved
files are removed. A crash between the move and the commit can leave a file without a row; its
number was rolled back, so the next document to take that number overwrites it; `docdesk sanity-check`
lists such files meanwhile.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import secrets
import tempfile
from concurrent.futures import Executor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.index.audit import record_event
from app.index.db import Database
from app.index.models import IssuedDocument, NumberReservation
from app.index.repository import get_by_key, get_by_number, mark_voided, next_counter_value
from app.index.searchtext import search_fields
from app.integrity import sha256_of
from app.numbering import counter_key, document_day, format_number
from app.registry import Catalogue
from app.render.docx import render_docx
from app.render.docx_stamp import DocxStamper
from app.render.model import Letterhead, build_document, format_value, resolve_text
from app.render.pdf import render_document_pdf
from app.render.pdf_stamp import PdfStamper
from app.retention import retain_until
from app.specs import FormSpec
from app.validation import FieldError, SubmissionInvalid, validate_submission

log = logging.getLogger(__name__)


class UnknownForm(LookupError):
    def __init__(self, form_id: str) -> None:
        super().__init__(f"没有编号为“{form_id}”的表单")


class DocumentNotFound(LookupError):
    def __init__(self, number: str) -> None:
        super().__init__(f"没有编号为“{number}”的文书")


class RenderFailed(RuntimeError):
    """Rendering failed; nothing was stored and no number was used."""


class InvalidAction(ValueError):
    """An action that is not allowed in the document's state (e.g. voiding twice); message is Chinese."""


@dataclass
class Desk:
    """What issuing needs, handed over by an entry point: forms, database, folders, projects."""

    catalogue: Catalogue
    db: Database
    output_dir: Path
    templates_dir: Path
    base_url: str
    projects: dict[str, Letterhead]
    default_project: str
    retention_rule: str = "issue"
    long_term_years: int = 30
    archive_fonds: str = "Z001"
    archive_category: str = "WS"
    # a process pool that renders Word files while this process renders the PDF (None: in-process)
    docx_pool: Executor | None = None
    docx_template: Path = field(init=False)

    def __post_init__(self) -> None:
        self.docx_template = self.templates_dir / "document.docx"

    @functools.cached_property
    def stamper(self) -> DocxStamper:
        """Word files in bulk (batches): one skeleton per layout shape, values stamped in."""
        return DocxStamper(self.docx_template)

    @functools.cached_property
    def pdf_stamper(self) -> PdfStamper:
        """PDFs in bulk (batches): one laid-out page per shape, values stamped in where that is exact."""
        return PdfStamper(self.templates_dir)

    def form(self, form_id: str) -> FormSpec:
        spec = self.catalogue.get(form_id)
        if spec is None:
            raise UnknownForm(form_id)
        return spec

    def letterhead(self, project: str | None) -> tuple[str, Letterhead]:
        code = project or self.default_project
        if code not in self.projects:
            choices = "、".join(self.projects)
            raise SubmissionInvalid([FieldError("project", "项目", f"没有代码为“{code}”的项目，可选：{choices}")])
        return code, self.projects[code]

    def verify_url(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/v/{token}"


def issue_document(
    desk: Desk,
    form_id: str,
    data: Any,
    *,
    project: str | None = None,
    issued_by: str = "system",
    now: dt.datetime | None = None,
    replaces: str | None = None,
    key: str | None = None,
) -> IssuedDocument:
    """Issue one document. Raises SubmissionInvalid (nothing stored), UnknownForm or RenderFailed.

    `key` makes issuing idempotent: a second call with the same key returns the first document.
    A key with a reserved number (reserve_numbers) is issued under that number.
    """
    form = desk.form(form_id)
    clean = validate_submission(form, data)
    code, letterhead = desk.letterhead(project)
    now = now or dt.datetime.now(dt.UTC)
    issue_day = document_day(now)
    doc_day = _document_date(form, clean) or issue_day
    if key is not None:
        with desk.db.read() as session:
            existing = get_by_key(session, key)
            reservation = session.get(NumberReservation, key)
        if existing is not None:
            return existing
        if reservation is not None:
            item = Reserved(form_id, data, key)
            return issue_reserved(desk, [item], project=project, issued_by=issued_by, now=now)[0]
    token = secrets.token_urlsafe(15)
    moved: list[Path] = []
    try:
        with desk.db.write() as session:
            replaced = _replaced(session, form, replaces) if replaces is not None else None
            counter = counter_key(form.numbering, doc_day, form.code, code)
            seq = next_counter_value(session, counter)
            number = format_number(form.numbering, doc_day, form.code, code, seq)
            folder = desk.output_dir / f"{doc_day.year}" / form.id
            folder.mkdir(parents=True, exist_ok=True)
            pdf_path, docx_path = folder / f"{number}.pdf", folder / f"{number}.docx"
            row = _new_row(desk, form, clean, number, code, doc_day, now, issued_by, replaces, key, token)
            row.pages = _render_files(desk, form, clean, number, doc_day, letterhead, token, pdf_path, docx_path, moved)
            _record_files(desk, row, pdf_path, docx_path)
            session.add(row)
            if replaced is not None:
                replaced.replaced_by = number
            detail = {"form": form.id} | ({"replaces": replaces} if replaces else {})
            record_event(session, "issue", number, actor=issued_by, detail=detail, at=now)
            session.flush()
    except IntegrityError:
        # two callers raced with one key: the other one's document stands, this one is undone
        for path in moved:
            path.unlink(missing_ok=True)
        if key is None:
            raise
        with desk.db.read() as session:
            existing = get_by_key(session, key)
        if existing is None:
            raise
        return existing
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        raise
    log.info("issued %s (%s)", row.number, form.id)
    return row


def _replaced(session: Session, form: FormSpec, number: str) -> IssuedDocument:
    """The voided document a replacement stands for; the link is kept both ways and both stay searchable."""
    old = get_by_number(session, number)
    if old is None:
        raise SubmissionInvalid([FieldError("replaces", "替代的文书", f"没有编号为“{number}”的文书")])
    if old.form_id != form.id:
        raise SubmissionInvalid(
            [FieldError("replaces", "替代的文书", f"“{number}”是{old.form_title}，替代文书须为同一种表单")]
        )
    if old.status != "voided":
        raise SubmissionInvalid([FieldError("replaces", "替代的文书", f"“{number}”尚未作废，请先作废再重开")])
    if old.replaced_by:
        raise SubmissionInvalid(
            [FieldError("replaces", "替代的文书", f"“{number}”已由 {old.replaced_by} 替代，不能再次替代")]
        )
    return old


def reserve_numbers(
    desk: Desk,
    requests: list[tuple[str, str, dt.date, str | None]],
    *,
    batch_id: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """Take numbers for (key, form id, document date, project) requests, in order, in one transaction.

    Keys already issued or already reserved keep their number; the others get the next numbers. The
    result maps every key to its number. See NumberReservation for why batches reserve.
    """
    now = now or dt.datetime.now(dt.UTC)
    out: dict[str, str] = {}
    with desk.db.write() as session:
        for key, form_id, day, project in requests:
            form = desk.form(form_id)
            code, _ = desk.letterhead(project)
            existing = get_by_key(session, key)
            if existing is not None:
                out[key] = existing.number
                continue
            held = session.get(NumberReservation, key)
            if held is not None:
                out[key] = held.number
                continue
            seq = next_counter_value(session, counter_key(form.numbering, day, form.code, code))
            number = format_number(form.numbering, day, form.code, code, seq)
            session.add(
                NumberReservation(
                    key=key,
                    number=number,
                    form_id=form.id,
                    project=code,
                    document_date=day,
                    batch_id=batch_id,
                    reserved_at=now,
                )
            )
            out[key] = number
    return out


def _new_row(
    desk: Desk,
    form: FormSpec,
    clean: dict[str, Any],
    number: str,
    project: str,
    doc_day: dt.date,
    now: dt.datetime,
    issued_by: str,
    replaces: str | None,
    key: str | None,
    token: str | None = None,
) -> IssuedDocument:
    """The index row of a document about to be issued; pages and files are filled in once rendered."""
    subject, parties = _subject(form, clean), _party_names(form, clean)
    room, search_text, grams = search_fields(form, clean, number, form.title, parties, project, subject=subject)
    return IssuedDocument(
        number=number,
        form_id=form.id,
        form_version=form.version,
        form_title=form.title,
        kind=form.kind,
        project=project,
        subject=subject,
        parties=" ".join(parties),
        room=room,
        search_text=search_text,
        grams=grams,
        data=clean,
        document_date=doc_day,
        issued_at=now,
        issued_by=issued_by,
        status="issued",
        retention=form.retention,
        retain_until=retain_until(form.retention, document_day(now), desk.retention_rule, desk.long_term_years),
        valid_from=_date_of(clean, form.valid_from),
        valid_to=_date_of(clean, form.valid_to),
        copies=len(form.copies) or 1,
        pages=1,
        verify_token=token or secrets.token_urlsafe(15),
        replaces=replaces,
        request_key=key,
    )


def _record_files(desk: Desk, row: IssuedDocument, pdf_path: Path, docx_path: Path) -> None:
    row.pdf_path = str(pdf_path.relative_to(desk.output_dir))
    row.pdf_sha256 = sha256_of(pdf_path)
    row.docx_path = str(docx_path.relative_to(desk.output_dir))
    row.docx_sha256 = sha256_of(docx_path)


@dataclass(frozen=True)
class Reserved:
    """One document of a batch: its form, submitted data and request key (with a reserved number)."""

    form_id: str
    data: Any
    key: str


def issue_reserved(
    desk: Desk,
    items: list[Reserved],
    *,
    project: str | None = None,
    issued_by: str = "batch",
    now: dt.datetime | None = None,
    chunk_pdf: Path | None = None,
) -> list[IssuedDocument]:
    """Issue documents whose numbers were reserved (reserve_numbers), all in one transaction.

    The same steps as issue_document — validation, the index row, both files — but rendered in bulk
    outside any lock: single-copy PDFs stamped into a page laid out once per shape (or, where that
    would not be exact, in one WeasyPrint layout), Word files stamped from a skeleton per shape. Then
    the files are moved into place, the rows inserted and the reservations removed in one transaction:
    all of the chunk appears or none of it. Keys already issued return their document. `chunk_pdf`
    keeps the chunk's combined PDF (fonts once) for a print file.
    """
    now = now or dt.datetime.now(dt.UTC)
    code, letterhead = desk.letterhead(project)
    with desk.db.read() as session:
        done = {
            d.request_key: d
            for d in session.scalars(
                select(IssuedDocument).where(IssuedDocument.request_key.in_([x.key for x in items]))
            )
        }
        held = {
            r.key: r
            for r in session.scalars(select(NumberReservation).where(NumberReservation.key.in_([x.key for x in items])))
        }
    todo: list[tuple[FormSpec, dict[str, Any], IssuedDocument]] = []
    for x in items:
        if x.key in done:
            continue
        if x.key not in held:
            raise InvalidAction(f"请求 {x.key} 没有预留编号")
        form = desk.form(x.form_id)
        clean = validate_submission(form, x.data)
        number = held[x.key].number
        todo.append(
            (
                form,
                clean,
                _new_row(desk, form, clean, number, code, held[x.key].document_date, now, issued_by, None, x.key),
            )
        )
    if todo:
        _render_and_record(desk, todo, letterhead, chunk_pdf)
    fresh = {row.request_key: row for _, _, row in todo}
    return [fresh.get(x.key) or done[x.key] for x in items]


def _render_and_record(
    desk: Desk,
    todo: list[tuple[FormSpec, dict[str, Any], IssuedDocument]],
    letterhead: Letterhead,
    chunk_pdf: Path | None,
) -> None:
    docs = [
        build_document(
            form,
            clean,
            number=row.number,
            issue_date=row.document_date,
            letterhead=letterhead,
            verify_url=desk.verify_url(row.verify_token),
        )
        for form, clean, row in todo
    ]
    desk.output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=desk.output_dir, prefix=".stage-") as tmp:
        stage = Path(tmp)
        chunkable = [
            i for i, (form, _, _) in enumerate(todo) if len(form.copies) <= 1 and ".html" not in form.templates
        ]
        try:
            if chunkable:  # forms with their own .html template are not chunked, so the shared one is used
                counts = desk.pdf_stamper.render_chunk([docs[i] for i in chunkable], stage)
                for k, (i, pages) in enumerate(zip(chunkable, counts, strict=True)):
                    (stage / f"{k}.pdf").replace(stage / f"doc-{i}.pdf")
                    todo[i][2].pages = pages
            for i, (form, _, row) in enumerate(todo):
                if i not in chunkable:
                    row.pages = render_document_pdf(
                        docs[i], desk.templates_dir, form.templates.get(".html"), stage / f"doc-{i}.pdf"
                    )
                desk.stamper.render(docs[i], stage / f"doc-{i}.docx")
        except Exception as exc:
            log.exception("rendering a chunk of %d documents failed", len(todo))
            raise RenderFailed(f"生成文书文件失败（{type(exc).__name__}），编号仍保留，重试即可") from exc
        moved: list[Path] = []
        try:
            with desk.db.write() as session:
                for i, (form, _, row) in enumerate(todo):
                    folder = desk.output_dir / f"{row.document_date.year}" / form.id
                    folder.mkdir(parents=True, exist_ok=True)
                    pdf_path, docx_path = folder / f"{row.number}.pdf", folder / f"{row.number}.docx"
                    for src, final in ((stage / f"doc-{i}.pdf", pdf_path), (stage / f"doc-{i}.docx", docx_path)):
                        src.replace(final)
                        moved.append(final)
                    _record_files(desk, row, pdf_path, docx_path)
                    session.add(row)
                    record_event(
                        session, "issue", row.number, actor=row.issued_by, detail={"form": form.id, "batch": True}
                    )
                    reservation = session.get(NumberReservation, row.request_key)
                    if reservation is not None:
                        session.delete(reservation)
                session.flush()
        except BaseException:
            for path in moved:
                path.unlink(missing_ok=True)
            raise
        if chunk_pdf is not None and (stage / "chunk.pdf").exists():
            (stage / "chunk.pdf").replace(chunk_pdf)
    for _, _, row in todo:
        log.info("issued %s (%s, reserved)", row.number, row.form_id)


def preview_document(desk: Desk, form_id: str, data: Any, *, project: str | None = None) -> bytes:
    """A PDF marked 样张 from the submission; consumes no number and stores nothing."""
    form = desk.form(form_id)
    clean = validate_submission(form, data)
    _, letterhead = desk.letterhead(project)
    day = _document_date(form, clean) or document_day(dt.datetime.now(dt.UTC))
    doc = build_document(
        form,
        clean,
        number="样张（未编号）",
        issue_date=day,
        letterhead=letterhead,
        verify_url=desk.verify_url("preview"),
        sample=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "preview.pdf"
        render_document_pdf(doc, desk.templates_dir, form.templates.get(".html"), out)
        return out.read_bytes()


def void_document(
    desk: Desk, number: str, reason: str, *, by: str = "system", now: dt.datetime | None = None
) -> IssuedDocument:
    """Mark a document 作废 with a reason. Its number stays used; its files and row are kept."""
    reason = (reason or "").strip()
    if not reason:
        raise SubmissionInvalid([FieldError("reason", "作废原因", "必填，请写明作废原因")])
    if len(reason) > 500:
        raise SubmissionInvalid([FieldError("reason", "作废原因", "太长了：最多 500 个字")])
    with desk.db.write() as session:
        doc = get_by_number(session, number)
        if doc is None:
            raise DocumentNotFound(number)
        if doc.status == "voided":
            raise InvalidAction(f"文书 {number} 已于 {doc.voided_at:%Y-%m-%d %H:%M} 作废，不能重复作废")
        if doc.status == "disposed":
            raise InvalidAction(f"文书 {number} 已按销毁清册 {doc.disposal_register} 销毁，不能作废")
        mark_voided(doc, reason, by, now or dt.datetime.now(dt.UTC))
        record_event(session, "void", number, actor=by, detail={"reason": reason}, at=now)
        session.flush()
        return doc


def _render_files(
    desk: Desk,
    form: FormSpec,
    clean: dict[str, Any],
    number: str,
    day: dt.date,
    letterhead: Letterhead,
    token: str,
    pdf_path: Path,
    docx_path: Path,
    moved: list[Path],
) -> int:
    doc = build_document(
        form, clean, number=number, issue_date=day, letterhead=letterhead, verify_url=desk.verify_url(token)
    )
    tmp_dir = pdf_path.parent
    fd_pdf, tmp_pdf = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=tmp_dir)
    fd_docx, tmp_docx = tempfile.mkstemp(prefix=".tmp-", suffix=".docx", dir=tmp_dir)
    os.close(fd_pdf)
    os.close(fd_docx)
    try:
        # the Word file is drawn in a worker process, when there is one, while the PDF is laid out here
        word = desk.docx_pool.submit(render_docx, doc, desk.docx_template, Path(tmp_docx)) if desk.docx_pool else None
        try:
            pages = render_document_pdf(doc, desk.templates_dir, form.templates.get(".html"), Path(tmp_pdf))
            if word is None:
                render_docx(doc, desk.docx_template, Path(tmp_docx))
            else:
                word.result(timeout=120)
        except Exception as exc:
            if word is not None:
                # let the worker finish with its temporary file before it is removed below
                wait([word], timeout=120)
            log.exception("rendering %s failed", number)
            raise RenderFailed(f"生成文书文件失败（{type(exc).__name__}），未占用编号，请稍后重试或联系管理员") from exc
        for tmp, final in ((tmp_pdf, pdf_path), (tmp_docx, docx_path)):
            Path(tmp).replace(final)
            moved.append(final)
        return pages
    finally:
        for tmp in (tmp_pdf, tmp_docx):
            Path(tmp).unlink(missing_ok=True)


def _document_date(form: FormSpec, clean: dict[str, Any]) -> dt.date | None:
    return _date_of(clean, form.date_field)


def _date_of(clean: dict[str, Any], key: str | None) -> dt.date | None:
    if key is None or not clean.get(key):
        return None
    return dt.date.fromisoformat(str(clean[key])[:10])


def _subject(form: FormSpec, clean: dict[str, Any]) -> str:
    return resolve_text(form, clean, form.subject)[:300] if form.subject else ""


def _party_names(form: FormSpec, clean: dict[str, Any]) -> list[str]:
    fields = form.field_map
    names = [format_value(fields[k], clean.get(k)) for k in form.parties]
    return [n for n in names if n][:10]
