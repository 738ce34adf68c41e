"""Page layouts by kind: the printed blocks of a form that declares only fields (most of the 469 forms).

A form picks a layout with `layout = "…"` (default: its kind) and may add `addressee`, `body`,
`approvals` and `instructions`; it writes `[[blocks]]` only where its paper differs from the layout.
Every layout follows the same reading order as the paper forms in the manuals:

    salutation → fixed paragraphs → sections of fields (grid, ☐ options, boxes, ruled tables)
    → 有效期 → 审批 chain → signatures → issuing office with seal → 回执 → 填写说明

and differs in which of these it prints and where the fixed paragraphs go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.render.placeholders import placeholders
from app.specs import (
    ApprovalsBlock,
    Block,
    ChecksBlock,
    CutBlock,
    FieldsBlock,
    FieldSpec,
    FormSpec,
    IssuerBlock,
    LongBlock,
    SectionBlock,
    SignaturesBlock,
    SignPlace,
    TableBlock,
    TextBlock,
)

BodyAt = Literal["top", "after-first-section", "end"]
RECEIPT = "回执"  # a section whose name starts with this is printed below a cut line
MAX_CHOICES_AS_BOXES = 8  # more options than this print as the chosen text in the grid


@dataclass(frozen=True)
class Layout:
    """What one kind of paper form prints besides its fields."""

    name: str
    body_at: BodyAt = "end"
    issuer: bool = False  # the issuing office, its seal zone and the date
    sign_seals: bool = False  # every signature place gets a seal zone (both parties of an agreement)
    default_approvals: tuple[str, ...] = ()
    grid_columns: int = 2
    longtext_as_paragraph: bool = False  # a notice's long texts read as paragraphs, not boxes


LAYOUTS: dict[str, Layout] = {
    "notice": Layout("notice", body_at="top", issuer=True, longtext_as_paragraph=True),
    "permit": Layout("permit", body_at="end", issuer=True),
    "agreement": Layout("agreement", body_at="after-first-section", sign_seals=True),
    "entrustment": Layout("entrustment", body_at="after-first-section", sign_seals=True),
    "application": Layout("application", default_approvals=("服务中心意见", "负责人审批")),
    "inspection": Layout("inspection"),
    "checklist": Layout("checklist"),
    "register": Layout("register"),
    "plan": Layout("plan"),
    "report": Layout("report"),
    "work-order": Layout("work-order"),
    "other": Layout("other"),
}


def layout_of(form: FormSpec) -> Layout:
    return LAYOUTS[form.layout or form.kind]


def layout_blocks(form: FormSpec) -> list[Block]:
    """The blocks a form prints: its own `blocks` if written, else those of its layout."""
    if form.blocks:
        return list(form.blocks)
    layout = layout_of(form)
    dates_of = _signature_dates(form)
    used = set(dates_of.values()) | {k for k in (form.addressee, form.valid_from, form.valid_to) if k}
    all_signatures = [f for f in form.fields if f.type == "signature"]
    used |= {f.key for f in all_signatures}
    # a signature in a 回执 section is signed on the tear-off part, below the cut line
    signatures = [f for f in all_signatures if not f.section.startswith(RECEIPT)]
    receipt_signatures = [f for f in all_signatures if f.section.startswith(RECEIPT)]
    # a value already printed inside a fixed paragraph is not printed again in the grid
    used |= {key for paragraph in form.body for key, _, _ in placeholders(paragraph)}
    # nor a sum that the table's own 合计 row prints
    used |= {f.key for f in form.fields if f.sum_of and all(_totalled(form, ref) for ref in f.sum_of)}
    # the issuing office is dated by the document's own date where it has one (the date that also sets the
    # number's year), printed there rather than in the grid; otherwise (or when a paragraph
    # already prints it, e.g. as a deadline) by the issue date
    date_field = form.field_map.get(form.date_field or "")
    issuer_date = None
    if layout.issuer and date_field is not None and date_field.type == "date" and date_field.key not in used:
        issuer_date = date_field.key
        used.add(date_field.key)

    blocks: list[Block] = []
    if form.addressee:
        blocks.append(TextBlock(type="text", text=f"{{{form.addressee}}}：", style="lead"))
    body: list[Block] = [TextBlock(type="text", text=p, style="body") for p in form.body]
    if layout.body_at == "top":
        blocks += body

    main: list[Block] = []
    receipt: list[Block] = []
    pending: list[Block] = list(body) if layout.body_at == "after-first-section" else []
    for section, members in _sections([f for f in form.fields if f.key not in used]):
        target = receipt if section.startswith(RECEIPT) else main
        if section:
            target.append(SectionBlock(type="section", text=section))
        target += _field_blocks(members, layout)
        if target is main and pending:
            main += pending
            pending = []
    blocks += main + pending
    if form.valid_from and form.valid_to:
        blocks.append(
            TextBlock(type="text", text=f"有效期：自{{{form.valid_from}}}起至{{{form.valid_to}}}止", style="lead")
        )
    if layout.body_at == "end":
        blocks += body
    blocks += _signature_rows(signatures, dates_of, layout)
    # the applicant signs first, then the 审批 chain decides
    approvals = form.approvals or list(layout.default_approvals)
    if approvals:
        blocks.append(ApprovalsBlock(type="approvals", steps=approvals))
    if layout.issuer:
        blocks.append(IssuerBlock(type="issuer", date=issuer_date))
    # a form with nothing to sign and no issuer still needs someone to answer for it
    if not signatures and not layout.issuer and not approvals:
        blocks.append(
            SignaturesBlock(
                type="signatures",
                places=[SignPlace(label="填表人"), SignPlace(label="审核人")],
            )
        )
    if receipt or receipt_signatures:
        blocks.append(CutBlock(type="cut", label=RECEIPT))
        if not receipt:
            blocks.append(SectionBlock(type="section", text=receipt_signatures[0].section))
        blocks += receipt
        blocks += _signature_rows(receipt_signatures, dates_of, layout)
    if form.instructions:
        blocks.append(TextBlock(type="text", text=f"填写说明：{form.instructions}", style="note"))
    return blocks


def _totalled(form: FormSpec, ref: str) -> bool:
    table, _, col = ref.partition(".")
    columns = {c.key: c for c in form.field_map[table].columns}
    return col in columns and columns[col].totalled


def _signature_dates(form: FormSpec) -> dict[str, str]:
    """A date field keyed `<signature key>_date` is printed under that signature, not in the grid."""
    fields = form.field_map
    out = {}
    for f in form.fields:
        date = fields.get(f"{f.key}_date")
        if f.type == "signature" and date is not None and date.type == "date":
            out[f.key] = date.key
    return out


def _sections(fields: list[FieldSpec]) -> list[tuple[str, list[FieldSpec]]]:
    """Fields grouped by their `section`, in the order the sections first appear."""
    order: list[str] = []
    groups: dict[str, list[FieldSpec]] = {}
    for f in fields:
        if f.section not in groups:
            order.append(f.section)
            groups[f.section] = []
        groups[f.section].append(f)
    return [(s, groups[s]) for s in order]


def _field_blocks(fields: list[FieldSpec], layout: Layout) -> list[Block]:
    """Runs of short fields become one grid; options print as ☐ boxes, long texts as boxes, tables ruled."""
    out: list[Block] = []
    grid: list[str] = []

    def flush() -> None:
        if grid:
            out.append(FieldsBlock(type="fields", fields=list(grid), columns=layout.grid_columns))
            grid.clear()

    for f in fields:
        if f.type == "table":
            flush()
            out.append(TableBlock(type="table", field=f.key, totals=[c.key for c in f.columns if c.totalled]))
        elif f.type == "longtext":
            flush()
            if layout.longtext_as_paragraph:
                out.append(TextBlock(type="text", text=f"{f.label}：{{{f.key}}}", style="body"))
            else:
                out.append(LongBlock(type="long", field=f.key))
        elif f.type in ("choice", "multichoice") and len(f.choices) <= MAX_CHOICES_AS_BOXES:
            flush()
            out.append(ChecksBlock(type="checks", field=f.key))
        else:
            grid.append(f.key)
    flush()
    return out


def _signature_rows(signatures: list[FieldSpec], dates_of: dict[str, str], layout: Layout) -> list[Block]:
    return [
        SignaturesBlock(
            type="signatures",
            places=[
                SignPlace(
                    label=f.label, field=f.key, date=dates_of.get(f.key), seal=layout.sign_seals, seal_label="签章"
                )
                for f in row
            ],
        )
        for row in _chunks(signatures, 3)
    ]


def _chunks(items: list[FieldSpec], n: int) -> list[list[FieldSpec]]:
    return [items[i : i + n] for i in range(0, len(items), n)]
