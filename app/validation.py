"""Check submitted data against a form: return clean JSON-ready data, or every problem at once in Chinese.

Clean data is what gets stored as the document's snapshot and printed, so it is normalised to plain
JSON values: dates as ISO strings, money as a string with two decimals ("1234.50"), addresses as
dicts of parts. Every error names the field key, its Chinese label and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from app.glyphs import named, unprintable
from app.specs import ADDRESS_PARTS, ColumnSpec, FieldSpec, FormSpec

DEFAULT_MAX_LENGTH = {"text": 200, "longtext": 4000, "signature": 60}
MAX_TABLE_ROWS = 500
MONEY_LIMIT = Decimal("100000000")  # 1 亿: no single property-office amount is larger; catches typos

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_SERVICE = re.compile(r"^(400|800)-?\d{3}-?\d{4}$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")


@dataclass(frozen=True)
class FieldError:
    field: str
    label: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "label": self.label, "message": self.message}


class SubmissionInvalid(Exception):
    """Raised with every problem of a submission; nothing has been stored."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("；".join(f"{e.label}：{e.message}" for e in errors))


class _Bad(Exception):
    """One value is wrong; the message is Chinese and does not repeat the label."""


def validate_submission(form: FormSpec, data: Any) -> dict[str, Any]:
    """Return the clean data of a submission, or raise SubmissionInvalid with every problem."""
    if not isinstance(data, dict):
        raise SubmissionInvalid([FieldError("", "提交的数据", "应为一组“字段: 值”（JSON 对象）")])
    errors: list[FieldError] = []
    known = form.field_names
    for key in data:
        if key not in known:
            errors.append(FieldError(str(key), str(key), "本表没有这个字段（是否拼写错误？）"))
    clean: dict[str, Any] = {}
    for spec in form.fields:
        if spec.computed:
            continue
        raw = data.get(spec.key, spec.default)
        if spec.type == "table":
            clean[spec.key] = _clean_table(spec, raw, errors)
            continue
        if spec.type == "address":
            clean[spec.key] = _clean_address(spec, raw, errors)
            continue
        if _is_empty(raw):
            if spec.required and not spec.by_hand:
                errors.append(FieldError(spec.key, spec.label, _required_message(spec)))
            clean[spec.key] = [] if spec.type == "multichoice" else None
            continue
        try:
            clean[spec.key] = clean_value(spec, raw)
        except _Bad as bad:
            errors.append(FieldError(spec.key, spec.label, str(bad)))
            clean[spec.key] = None
    for spec in form.fields:
        if spec.computed:
            clean[spec.key] = _sum_columns(spec, clean)
    if errors:
        raise SubmissionInvalid(errors)
    return clean


def _required_message(spec: FieldSpec | ColumnSpec) -> str:
    if spec.type in ("choice", "multichoice", "boolean"):
        return "请选择"
    return "必填，请填写"


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list) and not raw)


def clean_value(spec: FieldSpec | ColumnSpec, raw: Any) -> Any:
    """Clean one non-empty scalar value of the given type, or raise _Bad with a Chinese reason."""
    t = spec.type
    if t in ("text", "longtext", "signature"):
        return _clean_text(spec, raw)
    if t == "date":
        return _parse_date(raw).isoformat()
    if t == "datetime":
        return _parse_datetime(raw).isoformat(timespec="minutes")
    if t == "time":
        return _parse_time(raw)
    if t == "integer":
        return _clean_integer(spec, raw)
    if t == "number":
        return str(_clean_decimal(spec, raw, places=None))
    if t == "money":
        return str(_clean_decimal(spec, raw, places=2))
    if t == "phone":
        return _clean_phone(raw)
    if t == "id_card":
        return _clean_id_card(raw)
    if t == "uscc":
        return _clean_uscc(raw)
    if t == "choice":
        value = str(raw).strip()
        if value not in spec.choices:
            raise _Bad(f"“{value}”不是可选项，应为：{'、'.join(spec.choices)}")
        return value
    if t == "multichoice":
        values = raw if isinstance(raw, list) else [raw]
        wrong = [str(v) for v in values if str(v) not in spec.choices]
        if wrong:
            raise _Bad(f"“{'、'.join(wrong)}”不是可选项，应从以下选择：{'、'.join(spec.choices)}")
        return [c for c in spec.choices if c in {str(v) for v in values}]
    if t == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "on", "yes", "是", "y"):
            return True
        if text in ("0", "false", "off", "no", "否", "n"):
            return False
        raise _Bad("应为“是”或“否”")
    raise _Bad(f"不支持的字段类型 {t}")  # pragma: no cover - specs.FieldType forbids it


def _clean_text(spec: FieldSpec | ColumnSpec, raw: Any) -> str:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise _Bad("应为文字")
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(text):
        raise _Bad("含有无法打印的控制字符，请删除后重新填写")
    missing = unprintable(text)
    if missing:
        raise _Bad(f"{named(missing)}是打印字体里没有的字，会印成方框；请改用常用字，打印后再手写更正")
    if spec.type != "longtext" and "\n" in text:
        text = " ".join(part.strip() for part in text.split("\n") if part.strip())
    limit = spec.max_length or DEFAULT_MAX_LENGTH.get(spec.type, 200)
    if len(text) > limit:
        raise _Bad(f"太长了：最多 {limit} 个字，现有 {len(text)} 个字")
    if isinstance(spec, FieldSpec):
        if spec.min_length and len(text) < spec.min_length:
            raise _Bad(f"太短了：至少 {spec.min_length} 个字")
        if spec.pattern and not re.fullmatch(spec.pattern, text):
            raise _Bad(spec.message or "格式不正确")
    return text


def _parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        raise _Bad(f"“{text}”不是日期，请按 2026-03-01 的格式填写")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _Bad(f"“{text}”不是真实存在的日期") from None


def _parse_datetime(raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        return raw.replace(tzinfo=None, second=0, microsecond=0)
    text = str(raw).strip()
    m = re.fullmatch(r"(.+?)[ T]+(\d{1,2}:\d{2}(?::\d{2})?)", text)
    if not m:
        raise _Bad(f"“{text}”不是日期时间，请按 2026-03-01 09:30 的格式填写")
    day = _parse_date(m.group(1))
    hh, mm = _parse_time(m.group(2)).split(":")
    return dt.datetime(day.year, day.month, day.day, int(hh), int(mm))


def _parse_time(raw: Any) -> str:
    if isinstance(raw, dt.time):
        return raw.strftime("%H:%M")
    text = str(raw).strip().replace("：", ":")
    m = _TIME.fullmatch(text)
    if not m:
        raise _Bad(f"“{text}”不是时间，请按 09:30 的格式填写")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _clean_integer(spec: FieldSpec | ColumnSpec, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Bad("应为整数")
    try:
        value = int(str(raw).strip().replace(",", ""))
    except ValueError:
        raise _Bad(f"“{raw}”不是整数") from None
    _check_range(spec, Decimal(value))
    return value


def _clean_decimal(spec: FieldSpec | ColumnSpec, raw: Any, places: int | None) -> Decimal:
    if isinstance(raw, bool):
        raise _Bad("应为数字")
    text = str(raw).strip().replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Bad(f"“{raw}”不是数字") from None
    if not value.is_finite():
        raise _Bad(f"“{raw}”不是数字")
    if places is not None:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            raise _Bad(f"金额最多两位小数（到分），“{raw}”有 {-exponent} 位")
        if value < 0 and spec.min is None:
            raise _Bad("金额不能为负数")
        if abs(value) >= MONEY_LIMIT:
            raise _Bad("金额过大，请核对（上限 1 亿元）")
        value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    _check_range(spec, value)
    return value


def _check_range(spec: FieldSpec | ColumnSpec, value: Decimal) -> None:
    custom = spec.message if isinstance(spec, FieldSpec) else None
    if spec.min is not None and value < Decimal(str(spec.min)):
        raise _Bad(custom or f"不能小于 {_plain(spec.min)}")
    if spec.max is not None and value > Decimal(str(spec.max)):
        raise _Bad(custom or f"不能大于 {_plain(spec.max)}")


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _clean_phone(raw: Any) -> str:
    text = re.sub(r"[\s()（）]", "", str(raw)).replace("—", "-").replace("－", "-")
    text = text.removeprefix("+86").removeprefix("0086")
    compact = text.replace("-", "")
    if _MOBILE.fullmatch(compact):
        return compact
    if _LANDLINE.fullmatch(text) or _SERVICE.fullmatch(text):
        return text
    if compact.startswith("1"):
        raise _Bad(f"“{raw}”不是有效的手机号（应为 1 开头的 11 位数字）")
    raise _Bad(f"“{raw}”不是有效的电话号码（手机 11 位，固话如 0571-88886666）")


def _clean_id_card(raw: Any) -> str:
    text = str(raw).strip().upper().replace(" ", "")
    try:
        return str(ric.validate(text))
    except InvalidLength:
        raise _Bad(f"身份证号应为 18 位，现有 {len(text)} 位") from None
    except InvalidChecksum:
        raise _Bad("身份证号校验位不正确，请核对最后一位") from None
    except InvalidComponent:
        raise _Bad("身份证号中的出生日期或地区码不正确") from None
    except (InvalidFormat, ValidationError):
        raise _Bad("身份证号格式不正确（前 17 位为数字，最后一位为数字或 X）") from None


def _clean_uscc(raw: Any) -> str:
    text = str(raw).strip().upper().replace(" ", "")
    try:
        return str(uscc.validate(text))
    except InvalidLength:
        raise _Bad(f"统一社会信用代码应为 18 位，现有 {len(text)} 位") from None
    except InvalidChecksum:
        raise _Bad("统一社会信用代码校验位不正确，请核对最后一位") from None
    except (InvalidFormat, InvalidComponent, ValidationError):
        raise _Bad("统一社会信用代码格式不正确（18 位数字或大写字母，不含 I、O、Z、S、V）") from None


def _clean_address(spec: FieldSpec, raw: Any, errors: list[FieldError]) -> dict[str, str] | None:
    if _is_empty(raw) or (isinstance(raw, dict) and all(_is_empty(raw.get(p)) for p in spec.parts)):
        if spec.required and not spec.by_hand:
            names = "、".join(ADDRESS_PARTS[p] for p in spec.parts)
            errors.append(FieldError(spec.key, spec.label, f"必填，请填写{names}"))
        return None
    if not isinstance(raw, dict):
        errors.append(FieldError(spec.key, spec.label, "应分别填写" + "、".join(ADDRESS_PARTS[p] for p in spec.parts)))
        return None
    out: dict[str, str] = {}
    for part in spec.parts:
        value = raw.get(part)
        label = f"{spec.label}（{ADDRESS_PARTS[part]}）"
        if _is_empty(value):
            if spec.required and not spec.by_hand:
                errors.append(FieldError(f"{spec.key}.{part}", label, "必填，请填写"))
            out[part] = ""
            continue
        text = str(value).strip()
        suffix = ADDRESS_PARTS[part]
        text = text.removesuffix(suffix) if part != "unit" else text.removesuffix("单元")
        if part == "building":
            text = text.removesuffix("栋").removesuffix("号楼").removesuffix("幢")
        if not re.fullmatch(r"[0-9A-Za-z\-\u4e00-\u9fff]{1,12}", text):
            errors.append(FieldError(f"{spec.key}.{part}", label, f"“{value}”不像{suffix}号，只能是数字、字母或汉字"))
        out[part] = text
    for part in raw:
        if part not in spec.parts:
            errors.append(FieldError(f"{spec.key}.{part}", spec.label, f"地址没有“{part}”这一部分"))
    return out


def _clean_table(spec: FieldSpec, raw: Any, errors: list[FieldError]) -> list[dict[str, Any]]:
    if raw is None:
        raw = []
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        errors.append(FieldError(spec.key, spec.label, "应为若干行，每行一组“列: 值”"))
        return []
    # rows where every cell is blank are what an empty web row submits: drop them, not an error
    rows = [r for r in raw if not all(_is_empty(v) for v in r.values())]
    limit = min(spec.max_rows or MAX_TABLE_ROWS, MAX_TABLE_ROWS)
    if len(rows) < spec.min_rows:
        errors.append(FieldError(spec.key, spec.label, f"至少要填 {spec.min_rows} 行，现有 {len(rows)} 行"))
    if len(rows) > limit:
        errors.append(FieldError(spec.key, spec.label, f"最多 {limit} 行，现有 {len(rows)} 行"))
        rows = rows[:limit]
    columns = {c.key: c for c in spec.columns}
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=1):
        clean_row: dict[str, Any] = {}
        for key in row:
            if key not in columns:
                errors.append(FieldError(f"{spec.key}[{i}].{key}", f"{spec.label} 第{i}行", f"没有“{key}”这一列"))
        for col in spec.columns:
            value = row.get(col.key)
            field_id, label = f"{spec.key}[{i}].{col.key}", f"{spec.label} 第{i}行 {col.label}"
            if _is_empty(value):
                if col.required:
                    errors.append(FieldError(field_id, label, _required_message(col)))
                clean_row[col.key] = None
                continue
            try:
                clean_row[col.key] = clean_value(col, value)
            except _Bad as bad:
                errors.append(FieldError(field_id, label, str(bad)))
                clean_row[col.key] = None
        out.append(clean_row)
    return out


def _sum_columns(spec: FieldSpec, clean: dict[str, Any]) -> str:
    total = Decimal(0)
    for ref in spec.sum_of:
        table, _, col = ref.partition(".")
        for row in clean.get(table) or []:
            if row.get(col) is not None:
                total += Decimal(str(row[col]))
    if spec.type == "money":
        return str(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return str(total)
