"""Synthetic arrears ledgers for tests and benchmarks: realistic households, charges, and chosen bad rows."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from app.batch.ledger import COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌玉兰志红海波晓东"
FEES = [
    ("物业服务费", "quarter", Decimal("2.80")),
    ("公共能耗分摊费", "quarter", Decimal("0.20")),
    ("车位管理费", "month", Decimal("150.00")),
    ("生活垃圾处理费", "month", Decimal("8.00")),
]


@dataclass
class Row:
    values: dict[str, object]
    bad: str = ""  # why the row must be skipped ('' for a good row)


@dataclass
class SyntheticLedger:
    rows: list[Row] = field(default_factory=list)

    def save(self, path: Path, shuffle_columns: bool = False, seed: int = 0) -> Path:
        headers = list(COLUMNS)
        if shuffle_columns:
            random.Random(seed).shuffle(headers)
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["欠费台账（导出）"])  # a title row above the header, as fee systems export
        ws.append([f" {h} " if i % 3 == 0 else h for i, h in enumerate(headers)])
        for r in self.rows:
            ws.append([r.values.get(h) for h in headers])
        wb.save(path)
        return path

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if not r.bad]

    def sheet_row(self, row: Row) -> int:
        """The row's number in the saved sheet (title row and header come first)."""
        return self.rows.index(row) + 3


def make_ledger(households: int, seed: int = 1, bad_every: int = 0, paid_every: int = 0) -> SyntheticLedger:
    """`households` households of 1–4 charges; every `bad_every`-th row is broken in one of six ways,
    every `paid_every`-th household has paid everything (it must get no notice)."""
    rnd = random.Random(seed)
    ledger = SyntheticLedger()
    n = 0
    for h in range(households):
        building, unit, room = str(1 + h // 60), str(1 + (h // 20) % 3), f"{1 + (h % 20) // 2}{1 + h % 2:02d}"
        owner = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        area = Decimal(rnd.randint(60, 180))
        fully_paid = paid_every and h % paid_every == paid_every - 1
        for fee, every, rate in rnd.sample(FEES, rnd.randint(1, 4)):
            month = rnd.choice((6, 7, 8, 9))
            if every == "quarter":
                start = dt.date(2026, 7, 1)
                period, due, amount = "2026-07-01至2026-09-30", dt.date(2026, 7, 31), (area * rate * 3)
            else:
                start = dt.date(2026, month, 1)
                period, due, amount = f"2026-{month:02d}", start + dt.timedelta(days=27), rate
            amount = amount.quantize(Decimal("0.01"))
            paid = (
                amount if fully_paid else (Decimal(0) if rnd.random() < 0.8 else (amount / 2).quantize(Decimal("0.01")))
            )
            values: dict[str, object] = {
                "项目": "锦华花园",
                "楼栋": building,
                "单元": unit,
                "房号": room,
                "业主姓名": owner,
                "联系电话": f"138{rnd.randint(0, 99999999):08d}",
                "费用项目": fee,
                "所属期间": period,
                "应缴日期": due,
                "应缴金额": float(amount),
                "已缴金额": float(paid),
            }
            n += 1
            row = Row(values)
            if bad_every and n % bad_every == 0:
                _break(row, n // bad_every)
            ledger.rows.append(row)
    return ledger


def _break(row: Row, k: int) -> None:
    v = row.values
    kind = k % 6
    if kind == 0:
        v["房号"], row.bad = None, "缺少房号"
    elif kind == 1:
        v["应缴金额"], row.bad = "一百元", "不是金额"
    elif kind == 2:
        v["应缴金额"], row.bad = -12.5, "不能为负数"
    elif kind == 3:
        v["应缴日期"], row.bad = "2026-02-30", "不存在"
    elif kind == 4:
        v["所属期间"], row.bad = "七月", "无法识别"
    else:
        v["业主姓名"], row.bad = "", "缺少业主姓名"
