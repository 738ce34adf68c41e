"""The schema of a form definition (forms/<id>/form.toml): forms, fields, copies and layout blocks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FieldType = Literal[
    "text",
    "longtext",
    "date",
    "datetime",
    "time",
    "integer",
    "number",
    "money",
    "phone",
    "id_card",
    "uscc",
    "address",
    "choice",
    "multichoice",
    "boolean",
    "table",
    "signature",
]

Kind = Literal[
    "register",
    "inspection",
    "report",
    "plan",
    "notice",
    "application",
    "agreement",
    "checklist",
    "permit",
    "work-order",
    "entrustment",
    "other",
]

KIND_LABELS: dict[str, str] = {
    "permit": "许可证 / 放行条",
    "entrustment": "委托书",
    "notice": "通知书",
    "application": "申请表",
    "agreement": "协议 / 责任书",
    "inspection": "检查记录",
    "checklist": "检查清单",
    "register": "登记表 / 台账",
    "plan": "计划 / 方案",
    "report": "报告 / 报表",
    "work-order": "工单 / 派工单",
    "other": "其他",
}

ADDRESS_PARTS: dict[str, str] = {"phase": "期", "building": "幢", "unit": "单元", "room": "室"}

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _identifier(value: str) -> str:
    if not KEY_RE.match(value):
        raise ValueError(f"key “{value}” 只能用小写英文字母、数字和下划线，且以字母开头")
    return value


class Strict(BaseModel):
    """Every spec object rejects unknown keys, so a typo such as `requried` is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(Strict):
    """One column of a table field; a column is a small field without nesting."""

    key: str
    label: str
    type: Literal[
        "text",
        "longtext",
        "date",
        "time",
        "datetime",
        "integer",
        "number",
        "money",
        "phone",
        "choice",
        "boolean",
    ] = "text"
    required: bool = False
    choices: list[str] = []
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    width: str | None = None  # CSS width of the column on paper, e.g. "20%"
    help: str = ""
    # summed in the layout's 合计 row; default: money columns except prices and rates (单价, 标准 …)
    total: bool | None = None

    @property
    def totalled(self) -> bool:
        if self.total is not None:
            return self.total
        return self.type == "money" and not any(w in self.label for w in ("单价", "价格", "标准", "费率", "租金"))

    _key_is_identifier = field_validator("key")(classmethod(lambda cls, v: _identifier(v)))


class FieldSpec(Strict):
    """One field of a form: an English key, a Chinese label, a type and its rules."""

    key: str
    label: str
    type: FieldType = "text"
    required: bool = False
    help: str = ""
    placeholder: str = ""
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    message: str | None = None  # the Chinese message shown when `pattern`, `min` or `max` fails
    choices: list[str] = []
    other_choice: bool = False  # multichoice: the last choice is 其他 and takes a free-text note
    columns: list[ColumnSpec] = []
    min_rows: int = 0
    max_rows: int | None = None
    blank_rows: int = 0  # empty ruled rows printed after the data, for entries made by hand
    parts: list[Literal["phase", "building", "unit", "room"]] = ["phase", "building", "unit", "room"]
    sum_of: list[str] = []  # money/number computed as the sum of table columns, e.g. ["items.amount"]
    section: str = ""
    # a field left to be filled in by hand on paper (e.g. a return receipt): never required, printed blank
    by_hand: bool = False

    _key_is_identifier = field_validator("key")(classmethod(lambda cls, v: _identifier(v)))

    @model_validator(mode="after")
    def _type_rules(self) -> FieldSpec:
        if self.type in ("choice", "multichoice") and not self.choices:
            raise ValueError(f"字段 {self.key}（{self.label}）是选择题，必须写 choices")
        if self.type == "table" and not self.columns:
            raise ValueError(f"字段 {self.key}（{self.label}）是表格，必须写 columns")
        if self.type != "table" and self.columns:
            raise ValueError(f"字段 {self.key}（{self.label}）不是表格，不能写 columns")
        if self.sum_of and self.type not in ("money", "number", "integer"):
            raise ValueError(f"字段 {self.key}（{self.label}）的 sum_of 只能用于金额或数字")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"字段 {self.key} 的 pattern 不是合法的正则表达式：{exc}") from exc
        return self

    @property
    def computed(self) -> bool:
        return bool(self.sum_of)


class CopySpec(Strict):
    """One printed copy (联) of a form: 第N联, its name, paper colour and who keeps it."""

    n: int
    name: str = ""
    colour: str = ""
    holder: str = ""

    @property
    def label(self) -> str:
        """E.g. 第一联 存根（白）, 第二联（品质管理部门）; a name already reading 第N联… is printed as is."""
        prefix = f"第{_CN_DIGITS.get(self.n, str(self.n))}联"
        name = self.name if self.name not in ("", "一联") else ""
        text = name if name.startswith("第") else f"{prefix} {name}".strip()
        if self.colour:
            text += f"（{self.colour}）"
        if self.holder and self.holder not in text:
            text += f"（{self.holder}）"
        return text


_CN_DIGITS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六"}


# ---- layout blocks: what is printed, in order. Both the PDF and the DOCX are built from them. ----


class FieldsBlock(Strict):
    """A bordered grid of label/value cells."""

    type: Literal["fields"]
    fields: list[str]
    columns: int = 2
    title: str = ""


class TextBlock(Strict):
    """Printed text; `{key}` inserts a value (underlined), `{key:upper}` the 人民币大写 of a money field."""

    type: Literal["text"]
    text: str
    style: Literal["body", "lead", "note", "center", "right", "small", "heading"] = "body"


class TableBlock(Strict):
    """A table field printed as a ruled table, optionally with a 合计 row."""

    type: Literal["table"]
    field: str
    title: str = ""
    totals: list[str] = []  # column keys summed in the 合计 row
    numbered: bool = True  # a 序号 column
    # "list": rows printed as a numbered list (1、… 2、…) as some paper forms do; a blank form prints
    # `blank_items` numbered blanks followed by ……
    style: Literal["table", "list"] = "table"
    blank_items: int = 3


class ChecksBlock(Strict):
    """A choice or multichoice field printed as ☑/☐ boxes."""

    type: Literal["checks"]
    field: str
    label: str | None = None


class LongBlock(Strict):
    """A long text field printed as a titled box that keeps its line breaks."""

    type: Literal["long"]
    field: str
    title: str | None = None
    min_height: str = "3em"


class SignPlace(Strict):
    label: str
    field: str | None = None  # a signature/text field printed after the label (the signer's name)
    date: str | None = None  # a date field printed under it; blank 年 月 日 when empty
    seal: bool = False  # a seal zone is drawn at this place
    seal_label: str = "公司印章"  # the words in an empty seal zone, e.g. "签章" for a private person


class SignaturesBlock(Strict):
    """Signature places side by side, each with an optional date and seal zone."""

    type: Literal["signatures"]
    places: list[SignPlace]


class IssuerBlock(Strict):
    """The issuing office, right-aligned, with the seal zone over it and the document date."""

    type: Literal["issuer"]
    name: str = "{company}"
    date: str | None = None  # a date field; default: the issue date
    show_date: bool = True
    seal: bool = True


class ApprovalsBlock(Strict):
    """The 审批 chain of an application: one row per step with 意见, 签字 and 日期, filled in by hand."""

    type: Literal["approvals"]
    steps: list[str]
    title: str = "审批意见"


class CutBlock(Strict):
    """A dashed cut line between the form and its tear-off part (回执)."""

    type: Literal["cut"]
    label: str = ""


class SectionBlock(Strict):
    """A section heading inside the form."""

    type: Literal["section"]
    text: str


Block = Annotated[
    FieldsBlock
    | TextBlock
    | TableBlock
    | ChecksBlock
    | LongBlock
    | SignaturesBlock
    | IssuerBlock
    | ApprovalsBlock
    | CutBlock
    | SectionBlock,
    Field(discriminator="type"),
]


class FormSpec(Strict):
    """A whole form definition: metadata, fields, copies, numbering, retention and layout."""

    id: str
    title: str
    version: int = 1
    kind: Kind
    tier: Literal["A", "B"]
    form_code: str | None = None
    archive_code: str | list[str] | None = None
    retention: str
    retention_note: str = ""  # e.g. how a conflict between the two retention lists was resolved
    retention_assigned: bool = False  # True: the manuals state no period; DocDesk assigned one by kind
    # DocDesk's own form (e.g. the 档案销毁清册 of a disposal): not in the forms inventory, issued only by
    # the system's own workflow, never offered at the front desk
    system: bool = False
    numbering: str = "{code}-{YYYY}{MM}-{####}"
    code: str  # short letters used in the number, e.g. "ZXXK" for 装修许可证
    copies: list[CopySpec] = []
    subject: str = ""  # what the document is about, e.g. "{address}" — indexed and searchable
    parties: list[str] = []  # keys of fields that name the parties (owner, contractor …)
    date_field: str | None = None  # the document date (numbering year/month); default: the issue date
    valid_from: str | None = None  # permits: fields holding the validity period
    valid_to: str | None = None
    source: list[str] = []
    aliases: list[str] = []
    notes: str = ""  # what was designed because the manuals do not print it
    fields: list[FieldSpec]
    # the page layout (app/render/layouts.py), by default the one of the form's kind; `blocks`, when
    # written, replace the layout entirely (tier-A forms whose paper differs)
    layout: Kind | None = None
    addressee: str | None = None  # notices and letters: the field printed as the salutation “X：”
    body: list[str] = []  # fixed paragraphs (notice text, clauses), `{key}` inserts a value
    approvals: list[str] = []  # the 审批 chain, e.g. ["服务中心意见", "经理审批"]
    instructions: str = ""  # 填写说明 printed at the foot of the form
    blocks: list[Block] = []
    title_en: str = ""
    paper: Literal["A4", "A5"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    # set by the registry, not written in form.toml
    folder: Path | None = None
    templates: dict[str, Path] = {}

    @field_validator("id")
    @classmethod
    def _id_is_kebab(cls, v: str) -> str:
        if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", v):
            raise ValueError(f"表单 id “{v}” 只能用小写英文、数字和连字符")
        return v

    @field_validator("code")
    @classmethod
    def _code_is_safe(cls, v: str) -> str:
        if not re.match(r"^[A-Z0-9]{1,12}$", v):
            raise ValueError(f"编号代码 code “{v}” 只能用大写英文字母和数字（最多 12 位）")
        return v

    @model_validator(mode="after")
    def _references_exist(self) -> FormSpec:
        keys = [f.key for f in self.fields]
        dupes = {k for k in keys if keys.count(k) > 1}
        if dupes:
            raise ValueError(f"字段 key 重复：{', '.join(sorted(dupes))}")
        by_key = {f.key: f for f in self.fields}
        for name in ("date_field", "valid_from", "valid_to", "addressee"):
            ref = getattr(self, name)
            if ref is not None and ref not in by_key:
                raise ValueError(f"{name} = “{ref}” 不是本表的字段")
        for p in self.parties:
            if p not in by_key:
                raise ValueError(f"parties 中的 “{p}” 不是本表的字段")
        for f in self.fields:
            for ref in f.sum_of:
                table, _, col = ref.partition(".")
                t = by_key.get(table)
                if t is None or t.type != "table" or col not in {c.key for c in t.columns}:
                    raise ValueError(f"字段 {f.key} 的 sum_of “{ref}” 不是本表某个表格的列")
        ns = [c.n for c in self.copies]
        if ns != list(range(1, len(ns) + 1)):
            raise ValueError("copies 的 n 必须从 1 开始连续编号")
        return self

    @property
    def field_map(self) -> dict[str, FieldSpec]:
        return {f.key: f for f in self.fields}

    @property
    def field_names(self) -> set[str]:
        return {f.key for f in self.fields}
