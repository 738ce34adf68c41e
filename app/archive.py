"""Archiving hand-off (归档) per DA/T 22-2015: the 档号, its 保管期限 code, and archiving a document.

档号 = 全宗号-门类代码·年度-保管期限-机构（问题）代码-件号, e.g. "Z001-WS·2026-D10-HL-0001": "-" separates the
levels, "·" the items of one level. 件号 is four digits from 0001, counted per lowest class (全宗-门类·年度-
期限-机构), through the number counters, so a 件号 is never handed out twice.

保管期限 mapping. Chinese archival law allows only three archival retention codes since 国家档案局令第8号
(2006) and 第10号 (2012): 永久 Y, 定期30年 D30, 定期10年 D10 (长期/短期 were abolished). The forms carry the
*business* retention of the manuals, mapped so that an archived document is never kept shorter than its
business period: 永久 → Y; 长期 (30 years by default) → D30; 同…档案 (kept as long as another record, whose
length is not known here) → D30; every fixed period (三个月 … 五年) → D10, the shortest archival term.

Archiving extends a document's retain_until to the end of its archival term (counted from 1 January after the
年度: D10 of 2026 runs to 2036-12-31; Y never ends), so that disposal, which follows retain_until, cannot
destroy an archived document when its shorter business period ends.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.index.audit import record_event
from app.index.models import IssuedDocument
from app.index.repository import next_counter_value
from app.integrity import sha256_of
from app.issue import Desk, DocumentNotFound, InvalidAction, RenderFailed
from app.retention import parse_period

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")

TERMS = {"permanent": "Y", "long": "D30", "tied": "D30", "fixed": "D10"}
TERM_LABELS = {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}
TERM_YEARS: dict[str, int | None] = {"Y": None, "D30": 30, "D10": 10}
FONDS_RE = re.compile(r"[A-Z0-9]{4}")
CATEGORY_RE = re.compile(r"[A-Z]{2}")
ORG_RE = re.compile(r"[A-Z0-9]{1,10}")
ARCHIVE_CODE_RE = re.compile(
    r"(?P<fonds>[A-Z0-9]{4})-(?P<category>[A-Z]{2})·(?P<year>\d{4})-(?P<term>Y|D30|D10)-(?P<org>[A-Z0-9]{1,10})-(?P<item>\d{4,})"
)


class ArchiveRefused(InvalidAction):
    """Archiving is not possible for this document or with these settings; the message is Chinese."""


def archival_term(retention: str, long_term_years: int = 30) -> str:
    """The archival 保管期限 code (Y, D30, D10) for a form's business retention label (see the module doc)."""
    return TERMS[parse_period(retention, long_term_years).kind]


@dataclass(frozen=True)
class ArchiveClass:
    """The lowest class of the DA/T 22 arrangement: 件号 count from 0001 inside each."""

    fonds: str  # 全宗号
    category: str  # 门类代码
    year: int  # 年度
    term: str  # 保管期限 Y / D30 / D10
    org: str  # 机构（问题）代码: the project code

    def __post_init__(self) -> None:
        checks = (
            (FONDS_RE, self.fonds, "全宗号", "4 位大写字母或数字，如 Z001"),
            (CATEGORY_RE, self.category, "门类代码", "2 位大写字母，如 WS（文书）"),
            (ORG_RE, self.org, "机构（问题）代码", "1–10 位大写字母或数字，如 HL"),
        )
        for pattern, value, label, rule in checks:
            if not pattern.fullmatch(value):
                raise ArchiveRefused(f"{label}“{value}”不符合 DA/T 22-2015：应为{rule}")
        if not 1000 <= self.year <= 9999:
            raise ArchiveRefused(f"年度“{self.year}”应为 4 位年份")
        if self.term not in TERM_LABELS:
            raise ArchiveRefused(f"保管期限“{self.term}”应为 Y、D30 或 D10")

    @property
    def key(self) -> str:
        """The class as printed in the 档号, e.g. "Z001-WS·2026-D10-HL"."""
        return f"{self.fonds}-{self.category}·{self.year}-{self.term}-{self.org}"

    @property
    def counter_key(self) -> str:
        return f"ARCHIVE:{self.key}"

    def kept_until(self) -> dt.date | None:
        """The last day the archive keeps this class: 保管期限 counts from 1 January after the 年度; Y is None."""
        years = TERM_YEARS[self.term]
        return None if years is None else dt.date(self.year + years, 12, 31)

    def code(self, item: int) -> str:
        """The 档号 of 件号 `item` in this class."""
        if item < 1:
            raise ValueError("件号从 1 开始")
        return f"{self.key}-{item:04d}"


def parse_archive_code(code: str) -> dict[str, str]:
    """The parts of a 档号 by name (fonds, category, year, term, org, item); ValueError if it is not one."""
    m = ARCHIVE_CODE_RE.fullmatch(code)
    if m is None:
        raise ValueError(f"“{code}”不是 DA/T 22-2015 格式的档号")
    return m.groupdict()


def archive_class(doc: IssuedDocument, fonds: str, category: str, long_term_years: int = 30) -> ArchiveClass:
    """The class a document is filed in: 年度 from its document date, 机构 from its project."""
    return ArchiveClass(
        fonds=fonds,
        category=category,
        year=doc.document_date.year,
        term=archival_term(doc.retention, long_term_years),
        org=doc.project.upper(),
    )


def snapshot(doc: IssuedDocument) -> dict[str, Any]:
    """What the archive copy carries as its JSON attachment: the index entry and the submitted data."""
    return {
        "number": doc.number,
        "archive_code": doc.archive_code,
        "archival_term": parse_archive_code(doc.archive_code)["term"] if doc.archive_code else None,
        "form_id": doc.form_id,
        "form_version": doc.form_version,
        "form_title": doc.form_title,
        "kind": doc.kind,
        "project": doc.project,
        "subject": doc.subject,
        "parties": doc.parties,
        "document_date": _iso(doc.document_date),
        "issued_at": _iso(doc.issued_at),
        "issued_by": doc.issued_by,
        "status": doc.status,
        "void_reason": doc.void_reason,
        "voided_at": _iso(doc.voided_at),
        "replaces": doc.replaces,
        "replaced_by": doc.replaced_by,
        "retention": doc.retention,
        "retain_until": _iso(doc.retain_until),
        "copies": doc.copies,
        "pages": doc.pages,
        "pdf_sha256": doc.pdf_sha256,
        "data": doc.data,
    }


def snapshot_json(doc: IssuedDocument) -> bytes:
    return json.dumps(snapshot(doc), ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


# --- the use case -------------------------------------------------------------------------------------


def archive_document(
    desk: Desk,
    number: str,
    *,
    stamp: bool = True,
    by: str = "system",
    client: str = "",
    now: dt.datetime | None = None,
) -> IssuedDocument:
    """Assign the 档号 and write the PDF/A-3b archive copy; all in one transaction.

    The 件号 counter is advanced, the copy written (from the issued PDF, with the 归档章 when `stamp`)
    and checked, and the row updated inside one write transaction: if anything fails the 件号 is given
    back and the file removed. Raises DocumentNotFound, or ArchiveRefused (archived already, disposed,
    the issued file missing or changed, settings not DA/T 22 conformant).
    """
    from app.render.archive_copy import StampText

    now = now or dt.datetime.now(dt.UTC)
    final: Path | None = None
    try:
        with desk.db.write() as session:
            doc = session.scalars(
                select(IssuedDocument).where(IssuedDocument.number == number).with_for_update()
            ).one_or_none()
            if doc is None:
                raise DocumentNotFound(number)
            _refuse_if_not_archivable(desk, doc)
            klass = archive_class(doc, desk.archive_fonds, desk.archive_category, desk.long_term_years)
            item = next_counter_value(session, klass.counter_key)
            code = klass.code(item)
            doc.archive_code, doc.archived_at, doc.archived_by = code, now, by
            # the archive keeps the document for its archival term, which is never shorter than the business
            # one: retention (due lists, disposal) now runs to the later of the two
            before = doc.retain_until
            if before is not None:
                until = klass.kept_until()
                doc.retain_until = None if until is None else max(before, until)
            folder = desk.output_dir / "archive" / str(klass.year)
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"{code}.pdf"
            text = StampText(klass.fonds, str(klass.year), f"{item:04d}", klass.org, klass.term) if stamp else None
            _write_checked_copy(desk, doc, text, final)
            doc.archive_pdf_path = str(final.relative_to(desk.output_dir))
            doc.archive_pdf_sha256 = sha256_of(final)
            detail = {
                "archive_code": code,
                "stamp": stamp,
                "sha256": doc.archive_pdf_sha256,
                "retain_until": {"before": _iso(before), "after": _iso(doc.retain_until)},
            }
            record_event(session, "archive", number, actor=by, client=client, detail=detail, at=now)
            session.flush()
    except BaseException:
        if final is not None:
            final.unlink(missing_ok=True)
        raise
    log.info("archived %s as %s", number, code)
    return doc


def _write_checked_copy(desk: Desk, doc: IssuedDocument, stamp: Any, final: Path) -> None:
    """Write the archive copy beside `final`, check it (PDF/A-3b, the JSON), then move it into place."""
    from app.pdfa import validate_pdfa
    from app.render.archive_copy import write_archive_copy

    attachment = snapshot_json(doc)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=".stage-") as tmp:
        staged = Path(tmp) / "copy.pdf"
        try:
            write_archive_copy(
                desk.output_dir / doc.pdf_path,
                staged,
                stamp=stamp,
                attachment=(f"{doc.number}.json", attachment),
                title=f"{doc.form_title} {doc.number}",
                identifier=doc.archive_code or "",
                templates_dir=desk.templates_dir,
            )
        except Exception as exc:
            log.exception("writing the archive copy of %s failed", doc.number)
            raise RenderFailed(f"生成归档件失败（{type(exc).__name__}），未归档，件号未占用，请稍后重试") from exc
        report = validate_pdfa(staged, json.loads(attachment), preflight=False)
        if not report.ok:
            log.error("the archive copy of %s failed validation:\n%s", doc.number, report.summary())
            raise RenderFailed(f"归档件未通过 PDF/A-3b 校验，未归档：{report.findings[0]}")
        staged.replace(final)


def _iso(value: dt.date | None) -> str | None:
    """ISO 8601 of a date or a datetime (a date subclass), or None."""
    return value.isoformat() if value is not None else None


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _refuse_if_not_archivable(desk: Desk, doc: IssuedDocument) -> None:
    if doc.archive_code:
        raise ArchiveRefused(
            f"文书 {doc.number} 已于 {_local(doc.archived_at)} 归档，档号 {doc.archive_code}，不能重复归档"
        )
    if doc.status == "disposed" or doc.disposed_at is not None:
        raise ArchiveRefused(f"文书 {doc.number} 已销毁（销毁清册 {doc.disposal_register or '—'}），不能归档")
    source = desk.output_dir / doc.pdf_path
    if not source.is_file():
        raise ArchiveRefused(f"文书 {doc.number} 的 PDF 文件不存在，不能归档（请运行 docdesk sanity-check 核对）")
    if sha256_of(source) != doc.pdf_sha256:
        raise ArchiveRefused(
            f"文书 {doc.number} 的 PDF 文件与开具时登记的 sha256 不符（已被改动），不能归档；"
            "请运行 docdesk sanity-check 核对"
        )
