"""Read the fee system's arrears ledger (.xlsx): columns by Chinese header, bad rows reported, never guessed."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

CENT = Decimal("0.01")
# header → attribute; the order is the order of the blank template
COLUMNS = {
    "项目": "project",
    "楼栋": "building",
    "单元": "unit",
    "房号": "room",
    "业主姓名": "owner",
    "联系电话": "phone",
    "费用项目": "item",
    "所属期间": "period",
    "应缴日期": "due",
    "应缴金额": "amount",
    "已缴金额": "paid",
}
OPTIONAL = {"联系电话", "已缴金额", "单元"}
HEADER_SEARCH_ROWS = 10  # the header may sit under a title row or two
MAX_ROWS = 200_000

# fee systems export 2026-07, 2026/07, 2026.07 or 2026年7月; a range's ends are dates written the same ways
_PERIOD_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_PERIOD_COMPACT = re.compile(r"^(\d{4})(\d{2})$")  # 202607, as some fee systems export it
_DAY = r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?"
_PERIOD_RANGE = re.compile(rf"^({_DAY})(?:至|~|到)({_DAY})$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


class LedgerError(ValueError):
    """The file as a whole cannot be used (not an .xlsx, no header, missing columns); message in Chinese."""


@dataclass(frozen=True)
class Charge:
    """One outstanding charge of one household, as the ledger row states it."""

    row: int
    project: str
    building: str
    unit: str
    room: str
    owner: str
    phone: str
    item: str
    period: str
    due: dt.date
    amount: Decimal
    paid: Decimal

    @property
    def household(self) -> tuple[str, str, str, str]:
        return (self.project, self.building, self.unit, self.room)

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


@dataclass(frozen=True)
class RowProblem:
    row: int
    reason: str


@dataclass
class Ledger:
    charges: list[Charge] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0  # data rows read (blank rows not counted)


def fold(text: str) -> str:
    """Full-width and surrounding/inner spaces folded away: ' 应缴金额 ' and '应缴金额' match."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def read_ledger(source: Path | bytes | IO[bytes]) -> Ledger:
    """Every good charge and every bad row (with its row number and a Chinese reason)."""
    stream: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    _refuse_zip_bomb(stream)
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise LedgerError("文件不是有效的 Excel 工作簿（.xlsx），请从收费系统导出 .xlsx 后再上传") from exc
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_at, columns = _find_header(rows)
        ledger = Ledger()
        seen: dict[tuple[str, ...], int] = {}
        for offset, values in enumerate(rows, start=header_at + 1):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            ledger.rows += 1
            if ledger.rows > MAX_ROWS:
                raise LedgerError(f"台账超过 {MAX_ROWS} 行，请分批导入")
            cells = {attr: (values[i] if i < len(values) else None) for attr, i in columns.items()}
            try:
                charge = _charge(offset, cells)
            except ValueError as exc:
                ledger.problems.append(RowProblem(offset, str(exc)))
                continue
            dup = (*charge.household, fold(charge.item), charge.period)
            if dup in seen:
                ledger.problems.append(RowProblem(offset, f"与第 {seen[dup]} 行重复（同一房号、费用项目和所属期间）"))
                continue
            seen[dup] = offset
            ledger.charges.append(charge)
        return ledger
    finally:
        wb.close()


MAX_UNPACKED = 400 * 1024 * 1024  # an .xlsx of 200,000 rows unpacks to about 100 MB
MAX_RATIO = 200  # real worksheets compress 5-30x; a zip bomb compresses thousands of times


def _refuse_zip_bomb(stream: Any) -> None:
    """Refuse an upload that would unpack to far more than any ledger before openpyxl unpacks it."""
    try:
        with zipfile.ZipFile(stream) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LedgerError("文件不是有效的 Excel 工作簿（.xlsx），请从收费系统导出 .xlsx 后再上传") from exc
    finally:
        stream.seek(0)
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if unpacked > MAX_UNPACKED or (unpacked > 10 * 1024 * 1024 and unpacked / packed > MAX_RATIO):
        raise LedgerError("文件解压后异常巨大（疑似压缩炸弹），已拒绝；请上传收费系统导出的原始 .xlsx")
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise LedgerError("文件不是有效的 Excel 工作簿（.xlsx）：压缩包中没有工作簿")


def _find_header(rows: Any) -> tuple[int, dict[str, int]]:
    for n, values in enumerate(rows, start=1):
        names = [fold(str(v)) if v is not None else "" for v in values]
        found = {COLUMNS[name]: i for i, name in enumerate(names) if name in COLUMNS}
        if found:
            missing = [h for h, attr in COLUMNS.items() if attr not in found and h not in OPTIONAL]
            if missing:
                raise LedgerError(f"台账缺少必需的列：{'、'.join(missing)}（第 {n} 行是表头）")
            return n, found
        if n >= HEADER_SEARCH_ROWS:
            break
    raise LedgerError(f"前 {HEADER_SEARCH_ROWS} 行中找不到表头（应有列：{'、'.join(COLUMNS)}）")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a room number typed as a number: 1502.0 → 1502
    return unicodedata.normalize("NFKC", str(value)).strip()


def _charge(row: int, cells: dict[str, Any]) -> Charge:
    text = {k: _text(v) for k, v in cells.items()}
    for attr, label in (("project", "项目"), ("building", "楼栋"), ("room", "房号"), ("owner", "业主姓名")):
        if not text.get(attr):
            raise ValueError(f"缺少{label}")
    if not text.get("item"):
        raise ValueError("缺少费用项目")
    amount = _money(cells.get("amount"), "应缴金额", required=True)
    paid = _money(cells.get("paid"), "已缴金额", required=False)
    return Charge(
        row=row,
        project=text["project"],
        building=text["building"],
        unit=text.get("unit", ""),
        room=text["room"],
        owner=text["owner"],
        phone=text.get("phone", ""),
        item=text["item"],
        period=_period(cells.get("period")),
        due=_date(cells.get("due")),
        amount=amount,
        paid=paid,
    )


def _money(value: Any, label: str, *, required: bool) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"缺少{label}")
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError(f"{label}“{value}”不是金额")
    raw = _text(value).replace(",", "").replace("¥", "").replace("元", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{label}“{_text(value)}”不是金额") from None
    if not amount.is_finite():
        raise ValueError(f"{label}“{_text(value)}”不是金额")
    if amount < 0:
        raise ValueError(f"{label}不能为负数（{raw}）")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _text(value)
    if not raw:
        raise ValueError("缺少应缴日期")
    m = _DATE.match(raw)
    if not m:
        raise ValueError(f"应缴日期“{raw}”无法识别，应为 2026-07-31 这样的日期")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"应缴日期“{raw}”不存在") from None


def _period(value: Any) -> str:
    """所属期间 as printed: 2026-07, or 2026-07-01至2026-09-30 (both ends must be real dates, in order).

    A month written 2026/7, 2026.07, 2026年7月 or 202607 prints as 2026-07; a range's ends are normalised the same way.
    """
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}-{value.month:02d}"
    if isinstance(value, float) and not value.is_integer():
        # a number cell has lost what was typed: 2026.10 is stored as 2026.1
        raise ValueError(f"所属期间“{value}”是数字格式，分不清 2026.1 与 2026.10，请把该列设为文本或写成 2026-10")
    raw = _text(value).replace(" ", "")
    if not raw:
        raise ValueError("缺少所属期间")
    m = _PERIOD_MONTH.match(raw) or _PERIOD_COMPACT.match(raw)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    m = _PERIOD_RANGE.match(raw)
    if m:
        try:
            start, end = (dt.date.fromisoformat(_iso(x)) for x in m.groups())
        except ValueError:
            raise ValueError(f"所属期间“{raw}”中的日期不存在") from None
        if end < start:
            raise ValueError(f"所属期间“{raw}”的结束日期早于开始日期")
        return f"{start.isoformat()}至{end.isoformat()}"
    raise ValueError(f"所属期间“{raw}”无法识别，应为 2026-07 或 2026-07-01至2026-09-30")


def _iso(text: str) -> str:
    m = _DATE.match(text)
    assert m is not None  # _PERIOD_RANGE matched it as a _DAY
    y, mo, d = m.groups()
    return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"


def write_template(out: Path | IO[bytes]) -> None:
    """The blank ledger finance staff fill in or match their export to: headers, one example row, notes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "欠费台账"
    ws.append(list(COLUMNS))
    ws.append(
        [
            "锦华花园",
            "3",
            "2",
            "1502",
            "王建国",
            "13812345678",
            "物业服务费",
            "2026-07-01至2026-09-30",
            dt.date(2026, 7, 31),
            1236.60,
            0,
        ]
    )
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for col, width in zip("ABCDEFGHIJK", (14, 8, 8, 10, 12, 14, 14, 26, 12, 12, 12), strict=True):
        ws.column_dimensions[col].width = width
    ws["I2"].number_format = "yyyy-mm-dd"
    notes = wb.create_sheet("填写说明")
    for line in (
        "每行一笔欠费。列按表头名称识别，顺序不限；联系电话、单元、已缴金额可不填。",
        "所属期间写 2026-07（整月，也可写 2026年7月、2026/7、202607）或 2026-07-01至2026-09-30（期间）。",
        "应缴日期写 2026-07-31；金额写数字，单位元，最多两位小数（超出按四舍五入到分）。",
        "同一房号、费用项目和所属期间只能有一行；有问题的行会被跳过并列出行号和原因，其余行照常处理。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    wb.save(out)
