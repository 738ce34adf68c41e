"""Retention periods (保存期限) and the date until which an issued document must be kept.

Policy: retain_until is computed once, when the document is issued, and stored on the row, so a
later change to the form's retention does not change documents already issued. Two counting rules
exist in practice: from the issue date ("issue"), or from 1 January of the year after issue
("next-year", as archival practice counts 保管期限). 长期 is a configurable number of years;
永久 and periods tied to another record (同…档案) have no end date (None).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
DEFAULT_LONG_TERM_YEARS = 30


@dataclass(frozen=True)
class Period:
    label: str
    months: int | None  # None: no end date
    kind: str  # "fixed", "long", "permanent", "tied"


def parse_period(label: str, long_term_years: int = DEFAULT_LONG_TERM_YEARS) -> Period:
    """Read a Chinese retention label such as 三个月, 半年, 二年, 长期, 永久, 同员工档案."""
    text = label.strip()
    if text == "永久":
        return Period(text, None, "permanent")
    if text == "长期":
        return Period(text, long_term_years * 12, "long")
    if text.startswith("同"):
        return Period(text, None, "tied")
    if text == "半年":
        return Period(text, 6, "fixed")
    m = re.fullmatch(r"([一二两三四五六七八九十]|\d+)个?(年|月)", text)
    if not m:
        raise ValueError(f"不认识的保存期限“{label}”")
    n = CN_NUM.get(m.group(1)) or int(m.group(1))
    return Period(text, n * 12 if m.group(2) == "年" else n, "fixed")


def retain_until(
    label: str, issued: dt.date, rule: str = "issue", long_term_years: int = DEFAULT_LONG_TERM_YEARS
) -> dt.date | None:
    """The last day a document must be kept; None for 永久 and tied periods."""
    period = parse_period(label, long_term_years)
    if period.months is None:
        return None
    if rule == "next-year":
        start = dt.date(issued.year + 1, 1, 1)
    elif rule == "issue":
        start = issued
    else:
        raise ValueError(f"unknown retention counting rule {rule!r}")
    return _add_months(start, period.months)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))
