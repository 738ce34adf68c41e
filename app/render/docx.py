"""Render the document model to Word with docxtpl: letterhead and number from the template, body as a subdoc.

The shared template (templates/document.docx, made by scripts/make_document_docx.py and editable in
Word) carries the page header with the company and the number, so the number is on every page.
The body is built with python-docx from the same model as the PDF, so both carry the same values.
docxtpl renders with autoescape, and the body is built through python-docx, which escapes text:
user data never becomes template code or XML.
"""

from __future__ import annotations

import io
from copy import deepcopy as copy_element
from pathlib import Path
from typing import Any

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docxtpl import DocxTemplate

from app.render.model import Document
from app.render.qr import qr_png

EAST_ASIAN_FONT = "宋体"
PORTRAIT_TEXT_MM = 176.0  # A4 less the template's margins
LANDSCAPE_TEXT_MM = 263.0
# the names the Word template may use; check-forms verifies templates/document.docx against them
DOCX_CONTEXT = frozenset({"company", "number", "title", "verify_url", "sample_note", "body"})
RED = RGBColor(0xD4, 0x00, 0x00)
ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
}


def warm_up() -> None:
    """Import and first-use costs paid once in a worker process before the first real document."""
    DocxTemplate  # noqa: B018 - the import above is the work


def render_docx(doc: Document, template: Path, out: Path) -> None:
    """Fill the Word template with the document and write it to `out`."""
    tpl = DocxTemplate(str(template))
    sub = tpl.new_subdoc()
    body = sub.element.body
    existing = set(body)
    label_run, serial_run = _copy(sub, doc, doc.copies[0], qr_png(doc.verify_url))
    first = [el for el in body if el not in existing and el.tag != qn("w:sectPr")]
    # the other copies are clones of the first (building the XML again costs ~70 ms a copy); only the
    # copy label and the 份号 differ, found in each clone at the same place as in the first copy
    marks = [_locate(first, r) for r in (label_run, serial_run) if r is not None]
    for copy in doc.copies[1:]:
        sub.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        clones = [copy_element(el) for el in first]
        for el in clones:
            _append_body(body, el)
        for (k, j), text in zip(marks, _mark_texts(copy), strict=True):
            list(clones[k].iter(qn("w:t")))[j].text = text
    context = {
        "company": doc.company,
        "number": doc.number,
        "title": doc.title,
        "verify_url": doc.verify_url,
        "sample_note": "样张：仅供核对，未编号、未登记，不作正式文书使用" if doc.sample else "",
        "body": sub,
    }
    assert set(context) == DOCX_CONTEXT
    tpl.render(context, autoescape=True)
    if doc.orientation == "landscape":
        for section in tpl.docx.sections:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        _widen_tables(tpl.docx.element.body, LANDSCAPE_TEXT_MM / PORTRAIT_TEXT_MM)
    tpl.save(str(out))


def _widen_tables(body: Any, factor: float) -> None:
    """Tables are sized for the portrait text width; on a landscape page they take the wider line."""
    for el in body.iter(qn("w:gridCol"), qn("w:tcW"), qn("w:tblW")):
        width = el.get(qn("w:w"))
        if width is not None and width.isdigit() and el.get(qn("w:type"), "dxa") == "dxa":
            el.set(qn("w:w"), str(round(int(width) * factor)))


def _mark_texts(copy: Any) -> list[str]:
    return [f"【{copy.label}】", f"    份号 {copy.serial}"] if copy.label else []


def _locate(elements: list[Any], run: Any) -> tuple[int, int]:
    """(index of the top element holding the run's text, index of that w:t among the element's w:t)."""
    target = run._element.find(qn("w:t"))
    for k, el in enumerate(elements):
        texts = list(el.iter(qn("w:t")))
        if target in texts:
            return k, texts.index(target)
    raise ValueError("copy mark not found")


def _append_body(body: Any, element: Any) -> None:
    sect = body.find(qn("w:sectPr"))
    if sect is not None:
        sect.addprevious(element)
    else:
        body.append(element)


def _copy(sub: Any, doc: Document, copy: Any, qr: bytes) -> tuple[Any, Any]:
    """Build one copy; return the runs holding its copy label and its 份号 (None without copies)."""
    label_run = serial_run = None
    if copy.label:
        p = sub.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        label_run = _run(p, _mark_texts(copy)[0], size=9)
    head = sub.add_table(rows=1, cols=3)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    head.autofit = False
    left, mid, _right = head.rows[0].cells
    _widths(head, [Mm(24), Mm(128), Mm(24)])
    left.paragraphs[0].add_run().add_picture(io.BytesIO(qr), width=Mm(18))
    _para(left, "扫码验真", size=6.5, align="left", first=False)
    _para(mid, doc.company, size=12, align="center")
    _para(mid, doc.title, size=18, bold=True, align="center", first=False)
    number = _para(mid, f"编号：{doc.number}", size=10, align="center", first=False)
    if copy.label:
        serial_run = _run(number, _mark_texts(copy)[1], size=10)
    if doc.sample:
        p = sub.add_paragraph()
        _run(p, "样张：仅供核对，未编号、未登记，不作正式文书使用", size=9, color=RED)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for block in doc.blocks:
        BLOCKS[block["type"]](sub, block)
    return label_run, serial_run


def _fields(sub: Any, b: dict[str, Any]) -> None:
    if b["title"]:
        _heading(sub, b["title"])
    cols = b["columns"]
    table = sub.add_table(rows=0, cols=cols * 2)
    table.style = "Table Grid"
    for row in b["rows"]:
        cells = table.add_row().cells
        for j, (label, value, _type) in enumerate(row):
            _set(cells[2 * j], label, align="center", shade=True)
            _set(cells[2 * j + 1], value)
        if len(row) < cols:
            last = cells[2 * len(row) - 1]
            last.merge(cells[-1])


def _text(sub: Any, b: dict[str, Any]) -> None:
    p = sub.add_paragraph()
    style = b["style"]
    if style in ("body",):
        p.paragraph_format.first_line_indent = Pt(21)
    if style in ("center", "right"):
        p.alignment = ALIGN[style]
    size = 9 if style in ("note", "small") else 10.5
    for s in b["segments"]:
        _run(p, s.text, size=size, bold=style in ("lead", "heading"), underline=s.value)


def _table(sub: Any, b: dict[str, Any]) -> None:
    if b["title"]:
        _heading(sub, b["title"])
    headers = b["headers"]
    table = sub.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    _repeat_header(table.rows[0])
    for cell, h in zip(table.rows[0].cells, headers, strict=True):
        _set(cell, h, align="center", shade=True)
    table.autofit = False
    rows = b["rows"] or [["（无）"] + [""] * (len(headers) - 1)]
    for row in rows:
        for cell, value, align in zip(table.add_row().cells, row, b["aligns"], strict=True):
            _set(cell, value, align=align)
    if b["total"]:
        for cell, value, align in zip(table.add_row().cells, b["total"], b["aligns"], strict=True):
            _set(cell, value, align=align, bold=True)
    _widths(table, _column_widths(b["widths"], b["headers"]))


def _list(sub: Any, b: dict[str, Any]) -> None:
    if b["title"]:
        _heading(sub, b["title"])
    for item in [*b["entries"], *(["……"] if b["ellipsis"] else [])]:
        p = sub.add_paragraph()
        p.paragraph_format.left_indent = Pt(21)
        _run(p, item)


def _checks(sub: Any, b: dict[str, Any]) -> None:
    p = sub.add_paragraph()
    if b["label"]:
        _run(p, f"{b['label']}：")
    for opt, on in b["options"]:
        _run(p, ("☑" if on else "☐") + opt + "　")


def _long(sub: Any, b: dict[str, Any]) -> None:
    table = sub.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    table.rows[0].height = Mm(_mm(b["min_height"]))
    cell = table.rows[0].cells[0]
    if b["title"]:
        _para(cell, f"{b['title']}：", bold=True)
    lines = b["text"].split("\n") if b["text"] else [""]
    for i, line in enumerate(lines):
        _para(cell, line, first=not b["title"] and i == 0)


def _signatures(sub: Any, b: dict[str, Any]) -> None:
    places = b["places"]
    table = sub.add_table(rows=1, cols=len(places))
    for cell, p in zip(table.rows[0].cells, places, strict=True):
        first = True
        if p["seal"]:
            _para(cell, f"（{p['seal_label']}）", size=9, color=RED, align="center")
            first = False
        para = _para(cell, f"{p['label']}：", first=first)
        _run(para, p["name"] or "\u3000" * 6, underline=True)
        if p["date"]:
            _para(cell, p["date"], first=False)


def _issuer(sub: Any, b: dict[str, Any]) -> None:
    if b["seal"]:
        p = sub.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(p, "（公司印章）", size=9, color=RED)
    for text in (b["name"], b["date"]) if b["date"] else (b["name"],):
        p = sub.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(p, text)


def _approvals(sub: Any, b: dict[str, Any]) -> None:
    headers = ["审批环节", "意见", "签字", "日期"]
    table = sub.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for cell, h in zip(table.rows[0].cells, headers, strict=True):
        _set(cell, h, align="center", shade=True)
    for step in b["steps"]:
        row = table.add_row()
        row.height = Mm(14)
        _set(row.cells[0], step, align="center")
        _set(row.cells[3], "\u3000\u3000年\u3000\u3000月\u3000\u3000日", align="center")
    _widths(table, _column_widths(["22%", "44%", "14%", "20%"], headers))


def _cut(sub: Any, b: dict[str, Any]) -> None:
    p = sub.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    middle = f" ✂ {b['label']} " if b["label"] else " - - - - "
    _run(p, "- - - - - - - - - -" + middle + "- - - - - - - - - -", size=9)


def _section(sub: Any, b: dict[str, Any]) -> None:
    _heading(sub, b["text"])


BLOCKS = {
    "fields": _fields,
    "text": _text,
    "table": _table,
    "checks": _checks,
    "list": _list,
    "long": _long,
    "signatures": _signatures,
    "issuer": _issuer,
    "approvals": _approvals,
    "cut": _cut,
    "section": _section,
}


# ---- python-docx helpers ----


def _column_widths(css: list[str | None], headers: list[str]) -> list[Any]:
    """Word column widths from the form's CSS widths ("26%"); 序号 is narrow, the rest share what is left."""
    total = PORTRAIT_TEXT_MM
    fixed = {i: total * float(w[:-1]) / 100 for i, w in enumerate(css) if w and w.endswith("%")}
    if headers and headers[0] == "序号":
        fixed.setdefault(0, 10.0)
    free = [i for i in range(len(headers)) if i not in fixed]
    rest = max(total - sum(fixed.values()), 10.0 * len(free)) / max(len(free), 1)
    return [Mm(fixed.get(i, rest)) for i in range(len(headers))]


def _mm(css: str) -> float:
    """A CSS length (em or mm) as millimetres; 1em ≈ 10.5pt ≈ 3.7 mm."""
    css = css.strip()
    if css.endswith("mm"):
        return float(css[:-2])
    if css.endswith("em"):
        return float(css[:-2]) * 3.7
    return 10.0


def _heading(sub: Any, text: str) -> None:
    p = sub.add_paragraph()
    _run(p, text, size=11, bold=True)


def _run(
    p: Any,
    text: str,
    *,
    size: float = 10.5,
    bold: bool = False,
    underline: bool = False,
    color: RGBColor | None = None,
) -> Any:
    run = p.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold or None
    if underline:
        run.underline = True
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    return run


def _para(
    cell: Any,
    text: str,
    *,
    size: float = 10.5,
    bold: bool = False,
    align: str = "left",
    first: bool = True,
    color: RGBColor | None = None,
) -> Any:
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    p.alignment = ALIGN[align]
    _run(p, text, size=size, bold=bold, color=color)
    return p


def _set(cell: Any, text: str, *, align: str = "left", shade: bool = False, bold: bool = False) -> None:
    _para(cell, text, align=align, bold=bold)
    if shade:
        tc_pr = cell._tc.get_or_add_tcPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), "F2F2F2")
        tc_pr.append(shd)


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _widths(table: Any, widths: list[Any]) -> None:
    for col, w in zip(table.columns, widths, strict=True):
        col.width = w
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w
