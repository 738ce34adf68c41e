"""The 归档文件目录 (DA/T 22-2015): the archived documents of each class in 档号 order, as a workbook to print and bind.

DA/T 22-2015 has the catalogue compiled in 档号 order with the items 序号、档号、文号、责任者、题名、日期、密级、页数、
备注, dates written as eight digits (20260301), and any part of a 题名 the archivist adds in square brackets. One
sheet per class (全宗-门类·年度-保管期限-机构, where 件号 restart at 0001), each headed with its class, its
header row repeated on every printed page, A4 landscape.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.archive import TERM_LABELS, parse_archive_code
from app.index.models import IssuedDocument

COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注")
WIDTHS = (6, 27, 22, 20, 42, 10, 6, 6, 24)


@dataclass(frozen=True)
class Entry:
    """One archived document as the catalogue lists it."""

    code: str
    item: int
    number: str
    responsible: str
    title: str
    date: str
    pages: int
    note: str


@dataclass
class CatalogueClass:
    """The documents of one lowest class, e.g. Z001-WS·2026-D10-HL, in 件号 order."""

    key: str
    parts: dict[str, str]
    entries: list[Entry] = field(default_factory=list)

    @property
    def heading(self) -> str:
        p = self.parts
        term = TERM_LABELS[p["term"]]
        return f"全宗号 {p['fonds']}　门类 {p['category']}　年度 {p['year']}　保管期限 {term}　机构（问题） {p['org']}"


def archived_documents(
    session: Session, *, year: int | None = None, projects: Collection[str] | None = None
) -> list[IssuedDocument]:
    """Every document with a 档号, of one 年度 (the 档号's, i.e. of the document date) and projects if given."""
    query = select(IssuedDocument).where(IssuedDocument.archive_code.is_not(None))
    if year is not None:
        query = query.where(IssuedDocument.archive_code.like(f"%·{year:04d}-%"))
    if projects is not None:
        query = query.where(IssuedDocument.project.in_(list(projects)))
    return list(session.scalars(query))


def catalogue_classes(docs: Iterable[IssuedDocument], responsible: Mapping[str, str]) -> list[CatalogueClass]:
    """The documents grouped by class and put in 档号 order; `responsible` maps a project to its company."""
    classes: dict[str, CatalogueClass] = {}
    for doc in docs:
        code = doc.archive_code or ""
        parts = parse_archive_code(code)
        key = code.rsplit("-", 1)[0]
        klass = classes.setdefault(key, CatalogueClass(key, {k: v for k, v in parts.items() if k != "item"}))
        klass.entries.append(
            Entry(
                code=code,
                item=int(parts["item"]),
                number=doc.number,
                responsible=responsible.get(doc.project, doc.project),
                # the form's title is the document's; what identifies it (room, subject) is the archivist's addition
                title=f"{doc.form_title}[{doc.subject}]" if doc.subject else doc.form_title,
                date=f"{doc.document_date:%Y%m%d}",
                pages=doc.pages,
                note=_note(doc),
            )
        )
    for klass in classes.values():
        klass.entries.sort(key=lambda e: e.item)
    return [classes[k] for k in sorted(classes)]


def _note(doc: IssuedDocument) -> str:
    if doc.status == "disposed" or doc.disposed_at is not None:
        return f"已销毁（销毁清册 {doc.disposal_register or '—'}）"
    if doc.status == "voided":
        return f"已作废：{doc.void_reason or ''}".rstrip("：")
    return ""


def catalogue_xlsx(classes: list[CatalogueClass]) -> bytes:
    """The workbook: a sheet per class, titled 归档文件目录 and its class, ready to print on A4 landscape."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for klass in classes:
        _sheet(wb.create_sheet(klass.key), klass)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet(ws: Worksheet, klass: CatalogueClass) -> None:
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    last = len(COLUMNS)
    ws.append(["归档文件目录"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([klass.heading])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    ws.append(list(COLUMNS))
    for n, e in enumerate(klass.entries, start=1):
        ws.append([n, e.code, e.number, e.responsible, e.title, e.date, "", e.pages, e.note])
    for row in ws.iter_rows(min_row=3, max_row=ws.max_row):
        for cell in row:
            cell.border = box
            cell.alignment = Alignment(
                vertical="center", wrap_text=True, horizontal="center" if row[0].row == 3 else None
            )
            if cell.row == 3:
                cell.font = Font(bold=True)
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
