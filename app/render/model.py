"""Build the printable document model (copies × blocks of resolved text) from a form and clean data.

Both the PDF (HTML) and the Word renderer draw this same model, so the two files always carry the
same values. User values are only ever inserted as data: the form's own text is scanned once for
`{key}` placeholders and the values are never parsed again, so `{{ }}` or `<` in a name is printed
literally.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import cn2an

from app.render.layouts import layout_blocks
from app.render.placeholders import PLACEHOLDER
from app.specs import (
    ADDRESS_PARTS,
    ApprovalsBlock,
    Block,
    ChecksBlock,
    ColumnSpec,
    CutBlock,
    FieldsBlock,
    FieldSpec,
    FormSpec,
    IssuerBlock,
    LongBlock,
    SectionBlock,
    SignaturesBlock,
    TableBlock,
    TextBlock,
)

BLANK = "\u3000\u3000\u3000\u3000"  # an empty blank on paper: four ideographic spaces, underlined
BUILTINS = {
    "number": "编号",
    "company": "公司名称",
    "project_name": "项目名称",
    "project_code": "项目代码",
    "issue_date": "开具日期",
    "title": "表单名称",
}


@dataclass(frozen=True)
class Segment:
    text: str
    value: bool = False  # a filled-in value: underlined on paper


@dataclass
class Copy:
    n: int
    label: str
    colour: str
    holder: str
    serial: str  # 份号, e.g. "1/4"


@dataclass
class Document:
    """Everything a renderer needs; renderers know nothing about forms, settings or the database."""

    title: str
    title_en: str
    number: str
    company: str
    project_name: str
    issue_date: str
    verify_url: str
    copies: list[Copy]
    blocks: list[dict[str, Any]]
    sample: bool = False  # a 样张 preview: no number is consumed
    seal_image: str | None = None  # path of the project's seal image, if configured
    paper: str = "A4"
    orientation: str = "portrait"
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Letterhead:
    company: str
    project_name: str
    project_code: str
    seal_image: str | None = None


def money_upper(value: Any) -> str:
    """人民币大写 of an amount, e.g. 6031.20 -> 陆仟零叁拾壹元贰角整."""
    amount = Decimal(str(value))
    if amount == 0:
        return "零元整"
    text = str(cn2an.an2cn(f"{amount:.2f}", "rmb"))
    if not text.endswith(("整", "分")):
        text += "整"
    return text


def format_value(spec: FieldSpec | ColumnSpec | None, value: Any, how: str | None = None) -> str:
    """The printed form of one clean value ('' when empty)."""
    if value is None or value == "" or value == []:
        if spec is not None and spec.type == "date":
            return "\u3000\u3000年\u3000\u3000月\u3000\u3000日"
        if spec is not None and spec.type == "time":
            return "\u3000\u3000时\u3000\u3000分"
        if spec is not None and spec.type == "datetime":
            return "\u3000\u3000年\u3000\u3000月\u3000\u3000日\u3000\u3000时\u3000\u3000分"
        return ""
    t = spec.type if spec is not None else "text"
    if t == "money":
        if how == "upper":
            return money_upper(value)
        return f"{Decimal(str(value)):,.2f}"
    if t == "date":
        d = dt.date.fromisoformat(str(value))
        return f"{d.year}年{d.month}月{d.day}日"
    if t == "datetime":
        x = dt.datetime.fromisoformat(str(value))
        return f"{x.year}年{x.month}月{x.day}日 {x:%H:%M}"
    if t == "address" and isinstance(value, Mapping):
        return "".join(f"{value.get(p) or BLANK}{ADDRESS_PARTS[p]}" for p in ADDRESS_PARTS if p in value)
    if t == "multichoice" and isinstance(value, list):
        return "、".join(str(v) for v in value)
    if t == "boolean":
        return "是" if value else "否"
    return str(value)


def build_document(
    form: FormSpec,
    data: Mapping[str, Any],
    *,
    number: str,
    issue_date: dt.date,
    letterhead: Letterhead,
    verify_url: str,
    sample: bool = False,
) -> Document:
    """Resolve the form's blocks against clean data into a printable Document."""
    builtins = {
        "number": number,
        "company": letterhead.company,
        "project_name": letterhead.project_name,
        "project_code": letterhead.project_code,
        "issue_date": format_value(None, f"{issue_date.year}年{issue_date.month}月{issue_date.day}日"),
        "title": form.title,
    }
    ctx = _Context(form, data, builtins)
    blocks = [ctx.resolve(b) for b in layout_blocks(form)]
    total = len(form.copies) or 1
    copies = [
        Copy(n=c.n, label=c.label, colour=c.colour, holder=c.holder, serial=f"{c.n}/{total}") for c in form.copies
    ] or [Copy(n=1, label="", colour="", holder="", serial="1/1")]
    return Document(
        title=form.title,
        title_en=form.title_en,
        number=number,
        company=letterhead.company,
        project_name=letterhead.project_name,
        issue_date=builtins["issue_date"],
        verify_url=verify_url,
        copies=copies,
        blocks=blocks,
        sample=sample,
        seal_image=letterhead.seal_image,
        paper=form.paper,
        orientation=form.orientation,
        meta={"form_id": form.id, "form_code": form.form_code or "", "retention": form.retention},
    )


class _Context:
    def __init__(self, form: FormSpec, data: Mapping[str, Any], builtins: dict[str, str]) -> None:
        self.form = form
        self.fields = form.field_map
        self.data = data
        self.builtins = builtins

    def text(self, key: str) -> str:
        if key not in self.fields and key in self.builtins:
            return self.builtins[key]
        return format_value(self.fields[key], self.data.get(key))

    def segments(self, template: str) -> list[Segment]:
        out: list[Segment] = []
        pos = 0
        for m in PLACEHOLDER.finditer(template):
            if m.start() > pos:
                out.append(Segment(template[pos : m.start()]))
            out.append(self._placeholder(m.group(1), m.group(2), m.group(3)))
            pos = m.end()
        if pos < len(template):
            out.append(Segment(template[pos:]))
        return out

    def _placeholder(self, key: str, part: str | None, how: str | None) -> Segment:
        if key not in self.fields and key in self.builtins:
            return Segment(self.builtins[key], value=key not in ("company", "project_name", "title"))
        spec = self.fields[key]
        value = self.data.get(key)
        if part is not None:
            value = (value or {}).get(part) if isinstance(value, Mapping) else None
            text = str(value) if value else ""
        else:
            text = format_value(spec, value, how)
        if spec.type in ("date", "time", "datetime") and not value:
            return Segment(text, value=False)
        return Segment(text or BLANK, value=True)

    def resolve(self, block: Block) -> dict[str, Any]:
        if isinstance(block, FieldsBlock):
            cells = [(self.fields[k].label, self.text(k), self.fields[k].type) for k in block.fields]
            rows = [cells[i : i + block.columns] for i in range(0, len(cells), block.columns)]
            return {"type": "fields", "title": block.title, "rows": rows, "columns": block.columns}
        if isinstance(block, TextBlock):
            return {"type": "text", "style": block.style, "segments": self.segments(block.text)}
        if isinstance(block, TableBlock):
            return self._table(block)
        if isinstance(block, ChecksBlock):
            spec = self.fields[block.field]
            chosen = self.data.get(block.field)
            picked = set(chosen) if isinstance(chosen, list) else {chosen}
            options = [(c, c in picked) for c in spec.choices]
            return {
                "type": "checks",
                "label": spec.label if block.label is None else block.label,
                "options": options,
            }
        if isinstance(block, LongBlock):
            spec = self.fields[block.field]
            title = spec.label if block.title is None else block.title
            return {
                "type": "long",
                "title": title,
                "text": self.text(block.field),
                "min_height": block.min_height,
            }
        if isinstance(block, SignaturesBlock):
            places = [
                {
                    "label": p.label,
                    "name": self.text(p.field) if p.field else "",
                    "date": format_value(self.fields[p.date], self.data.get(p.date)) if p.date else "",
                    "seal": p.seal,
                    "seal_label": p.seal_label,
                }
                for p in block.places
            ]
            return {"type": "signatures", "places": places}
        if isinstance(block, IssuerBlock):
            name = "".join(s.text for s in self.segments(block.name))
            date = self.text(block.date) if block.date else self.builtins["issue_date"]
            if not block.show_date:
                date = ""
            return {
                "type": "issuer",
                "name": name,
                "date": date,
                "seal": block.seal,
                "seal_label": "公司印章",
            }
        if isinstance(block, ApprovalsBlock):
            return {"type": "approvals", "title": block.title, "steps": list(block.steps)}
        if isinstance(block, CutBlock):
            return {"type": "cut", "label": block.label}
        if isinstance(block, SectionBlock):
            return {"type": "section", "text": "".join(s.text for s in self.segments(block.text))}
        raise TypeError(block)  # pragma: no cover

    def _table(self, block: TableBlock) -> dict[str, Any]:
        spec = self.fields[block.field]
        rows_data = self.data.get(block.field) or []
        headers = (["序号"] if block.numbered else []) + [c.label for c in spec.columns]
        aligns = (["center"] if block.numbered else []) + [
            "right" if c.type in ("money", "number", "integer") else "left" for c in spec.columns
        ]
        widths = ([None] if block.numbered else []) + [c.width for c in spec.columns]
        rows: list[list[str]] = []
        for i, row in enumerate(rows_data, start=1):
            # an empty cell of a filled-in row stays empty (no 年 月 日 blank in a narrow column)
            cells = [format_value(c, row.get(c.key)) if row.get(c.key) not in (None, "") else "" for c in spec.columns]
            rows.append(([str(i)] if block.numbered else []) + cells)
        for _ in range(spec.blank_rows):
            rows.append([""] * len(headers))
        total_row = None
        if block.totals and rows_data:
            total_row = ["合计"] + [""] * (len(headers) - 1)
            for j, c in enumerate(spec.columns):
                if c.key in block.totals:
                    s = sum((Decimal(str(r[c.key])) for r in rows_data if r.get(c.key) is not None), Decimal(0))
                    total_row[j + (1 if block.numbered else 0)] = format_value(c, str(s))
        title = spec.label if not block.title else block.title
        if block.style == "list":
            items = []
            for i, row in enumerate(rows_data, start=1):
                cells = [
                    f"{c.label}：{format_value(c, row.get(c.key))}"
                    for c in spec.columns[1:]
                    if row.get(c.key) not in (None, "")
                ]
                first = format_value(spec.columns[0], row.get(spec.columns[0].key))
                items.append(f"{i}、{first}" + ("　" + "，".join(cells) if cells else ""))
            blank = not items
            if blank:
                items = [f"{i}、" for i in range(1, block.blank_items + 1)]
            return {"type": "list", "title": title, "entries": items, "ellipsis": blank}
        return {
            "type": "table",
            "title": title,
            "headers": headers,
            "rows": rows,
            "aligns": aligns,
            "widths": widths,
            "total": total_row,
        }


def resolve_text(form: FormSpec, data: Mapping[str, Any], template: str) -> str:
    """A form text such as "{room.building}栋{room.room}室" with values filled in, as plain text (no blanks)."""
    builtins = {k: "" for k in BUILTINS} | {"title": form.title}
    ctx = _Context(form, data, builtins)
    return "".join(s.text for s in ctx.segments(template)).replace("\u3000", "").strip()
