"""Arrears arithmetic and escalation, pure: households, outstanding, 滞纳金, and which REMINDER level is due.

Money is Decimal throughout and rounded to 分 half-up once per charge. The late fee of a charge is
outstanding × daily rate × days overdue, where days are counted from the start day to the batch
date, both included; the start day is the first day of the month after 应缴日期 ("逾期将从当月首日起
计收", the default) or the day after 应缴日期; an optional cap limits the fee to a multiple of the
outstanding amount (1 = never more than the principal).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from app.batch.ledger import CENT, Charge, RowProblem
from app.validation import FieldError

LEVEL_FORMS = {1: "arrears-reminder-1", 2: "arrears-reminder-2", 3: "arrears-reminder-3"}
FORM_LEVELS = {v: k for k, v in LEVEL_FORMS.items()}


@dataclass(frozen=True)
class LateFeeRule:
    daily_rate: Decimal = Decimal("0.0003")  # 0.03 % a day, as printed on the 海亮 notices
    start: Literal["next-month", "next-day"] = "next-month"
    cap: Decimal | None = None  # at most cap × outstanding; None: no cap

    def start_day(self, due: dt.date) -> dt.date:
        if self.start == "next-day":
            return due + dt.timedelta(days=1)
        return dt.date(due.year + due.month // 12, due.month % 12 + 1, 1)

    def days(self, due: dt.date, as_of: dt.date) -> int:
        start = self.start_day(due)
        return (as_of - start).days + 1 if as_of >= start else 0

    def fee(self, outstanding: Decimal, due: dt.date, as_of: dt.date) -> Decimal:
        if outstanding <= 0:
            return Decimal(0).quantize(CENT)
        fee = outstanding * self.daily_rate * self.days(due, as_of)
        if self.cap is not None:
            fee = min(fee, outstanding * self.cap)
        return fee.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Item:
    item: str
    period: str
    outstanding: Decimal
    late_fee: Decimal
    row: int


@dataclass
class Household:
    project: str
    building: str
    unit: str
    room: str
    owner: str
    phone: str
    items: list[Item] = field(default_factory=list)
    credit: Decimal = Decimal(0)  # overpaid or prepaid amounts already set against the oldest arrears

    @property
    def key(self) -> str:
        """Stable identity in request keys: project|building|unit|room."""
        return "|".join((self.project, self.building, self.unit, self.room))

    @property
    def address(self) -> str:
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building}栋{unit}{self.room}室"

    @property
    def outstanding(self) -> Decimal:
        return sum((i.outstanding for i in self.items), Decimal(0))

    @property
    def late_fees(self) -> Decimal:
        return sum((i.late_fee for i in self.items), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.outstanding + self.late_fees

    def sort_key(self) -> tuple[object, ...]:
        """Delivery order: building, unit, room, with numbers compared as numbers (2 before 10)."""
        return (self.project, *(_natural(x) for x in (self.building, self.unit, self.room)))


def _natural(text: str) -> tuple[int, int | str]:
    return (0, int(text)) if text.isdigit() else (1, text)


def households(charges: Iterable[Charge], rule: LateFeeRule, as_of: dt.date) -> list[Household]:
    """Households in delivery order with what they owe as of the batch date; those owing nothing left out.

    An overpaid or prepaid charge is a credit that pays the household's oldest arrears first (by 应缴日期),
    as a fee office applies a prepayment; late fees are charged on what is still owed after that.
    """
    by_key: dict[tuple[str, str, str, str], list[Charge]] = {}
    for c in charges:
        by_key.setdefault(c.household, []).append(c)
    out = []
    for group in by_key.values():
        first = group[0]
        h = Household(
            first.project,
            first.building,
            first.unit,
            first.room,
            first.owner,
            next((c.phone for c in group if c.phone), ""),
        )
        credit = sum((-c.outstanding for c in group if c.outstanding < 0), Decimal(0))
        for c in sorted((c for c in group if c.outstanding > 0), key=lambda c: (c.due, c.row)):
            owed = c.outstanding
            used = min(owed, credit)
            owed, credit = owed - used, credit - used
            h.credit += used
            if owed > 0:
                h.items.append(Item(c.item, c.period, owed, rule.fee(owed, c.due, as_of), c.row))
        if h.items:
            out.append(h)
    return sorted(out, key=Household.sort_key)


@dataclass(frozen=True)
class Notice:
    """One earlier reminder found in the index."""

    level: int
    date: dt.date
    number: str


@dataclass(frozen=True)
class Decision:
    action: Literal["issue", "wait", "legal", "done"]
    level: int = 0  # the REMINDER level to issue
    reason: str = ""
    last: Notice | None = None


def decide(history: list[Notice], batch_date: dt.date, interval_days: int = 30) -> Decision:
    """The next step for a household still in arrears, from its earlier reminders (any order).

    First REMINDER(1); the next level once the last reminder is at least `interval_days` old;
    after REMINDER(3), hand over to 法务 instead of a fourth notice. A reminder on the batch date
    itself means this batch already ran for the household (nothing new is issued).
    """
    earlier = sorted((n for n in history if n.date <= batch_date), key=lambda n: (n.date, n.level))
    if not earlier:
        return Decision("issue", 1)
    last = earlier[-1]
    if last.date == batch_date:
        return Decision("done", last.level, f"本批日期已开具 {last.number}", last)
    age = (batch_date - last.date).days
    if age < interval_days:
        return Decision(
            "wait", 0, f"距上次催款（{last.number}，{last.date}）仅 {age} 天，未满 {interval_days} 天", last
        )
    if last.level >= 3:
        return Decision("legal", 0, f"已发出第三次催款通知（{last.number}，{last.date}）仍未缴清，移交法务", last)
    return Decision("issue", last.level + 1, "", last)


def notice_data(h: Household, batch_date: dt.date, project_name: str, contact: Mapping[str, str]) -> dict[str, object]:
    """The submission of one 催款通知书 (all three levels share the fields)."""
    items: list[dict[str, object]] = [
        {"fee_item": i.item, "period": i.period, "amount": str(i.outstanding), "late_fee": str(i.late_fee)}
        for i in h.items
    ]
    room = f"{h.unit}单元{h.room}" if h.unit else h.room
    return {
        "project_name": project_name,
        "room": {"building": h.building, "room": room},
        "customer_name": h.owner,
        "notice_date": batch_date.isoformat(),
        "items": items,
        **{k: v for k, v in contact.items() if v},
    }


# the notice's fields as the finance clerk knows them: the ledger's column headers
LEDGER_COLUMNS = {
    "customer_name": "业主姓名",
    "room": "房号",
    "fee_item": "费用项目",
    "period": "所属期间",
    "amount": "欠费金额（应缴金额 − 已缴金额）",
    "late_fee": "滞纳金",
}
_ITEM_FIELD = re.compile(r"items\[(\d+)\]\.(\w+)")


def refused_rows(h: Household, errors: list[FieldError]) -> list[RowProblem]:
    """The ledger rows of a household whose notice its form refuses, each with the reason in ledger terms.

    A problem in one charge (its 费用项目, say) is reported on that charge's row, a problem of the household
    (its 业主姓名) on every row; the household's other rows point at the first row at fault.
    """
    reasons: dict[int, list[str]] = {}
    for e in errors:
        item = _ITEM_FIELD.fullmatch(e.field)
        key = item[2] if item else e.field.split(".")[0]
        rows = [h.items[int(item[1]) - 1].row] if item else [i.row for i in h.items]
        for row in rows:
            reasons.setdefault(row, []).append(f"{LEDGER_COLUMNS.get(key, e.label)}：{e.message}")
    first = min(reasons)
    return [
        RowProblem(i.row, "；".join(reasons[i.row]) + "（本户未开具）")
        if i.row in reasons
        else RowProblem(i.row, f"同户第 {first} 行有误（本户未开具）")
        for i in h.items
    ]
