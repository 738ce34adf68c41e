"""Turn a numbering pattern into counter keys and formatted document numbers (pure functions).

A pattern such as "{code}-{project}-{YYYY}{MM}-{####}" has one counter token (`{####}`: as many
digits as `#`) and other tokens filled from the document: `{code}` (the form's short code),
`{project}` (the project code), `{YYYY}` `{YY}` `{MM}` `{DD}` (the document date in Asia/Shanghai).
The counter key is the pattern with every token except the counter filled in, so each resolved
prefix has its own counter and numbering restarts by itself when the year (or month) changes.

Gap policy: the counter is advanced in the same database transaction that records the document.
If rendering fails the transaction rolls back and the number is not consumed, so numbers have no
gaps. A voided document keeps its number; numbers are never reused.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN = re.compile(r"\{([A-Za-z_#]+)\}")
COUNTER = re.compile(r"^#{2,8}$")
DATE_TOKENS = {"YYYY", "YY", "MM", "DD"}
VALUE_TOKENS = {"code", "project"}
SAFE_NUMBER = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff.\-_]+$")


class PatternError(ValueError):
    """A numbering pattern that cannot produce safe, unique numbers."""


def check_pattern(pattern: str) -> None:
    """Raise PatternError unless the pattern has exactly one counter and only known tokens."""
    tokens = TOKEN.findall(pattern)
    counters = [t for t in tokens if COUNTER.match(t)]
    if len(counters) != 1:
        raise PatternError(f"编号规则“{pattern}”必须恰好有一个序号位，如 {{####}}")
    unknown = [t for t in tokens if not COUNTER.match(t) and t not in DATE_TOKENS | VALUE_TOKENS]
    if unknown:
        raise PatternError(f"编号规则“{pattern}”中有不认识的占位符：{', '.join(unknown)}")
    literal = TOKEN.sub("", pattern)
    if literal and not SAFE_NUMBER.match(literal):
        raise PatternError(f"编号规则“{pattern}”只能含字母、数字、汉字、点、连字符和下划线（不能有 / 或空格）")


def document_day(when: dt.datetime | dt.date) -> dt.date:
    """The calendar day of a document in Asia/Shanghai (a naive datetime is taken as UTC)."""
    if isinstance(when, dt.datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return aware.astimezone(SHANGHAI).date()
    return when


def counter_key(pattern: str, day: dt.date, code: str, project: str) -> str:
    """The key of the counter this document draws from: the pattern with all but the counter filled."""
    return _fill(pattern, day, code, project, seq=None)


def format_number(pattern: str, day: dt.date, code: str, project: str, seq: int) -> str:
    """The printed document number for counter value `seq`."""
    if seq < 1:
        raise ValueError("seq starts at 1")
    return _fill(pattern, day, code, project, seq=seq)


def _fill(pattern: str, day: dt.date, code: str, project: str, seq: int | None) -> str:
    check_pattern(pattern)
    values = {
        "YYYY": f"{day.year:04d}",
        "YY": f"{day.year % 100:02d}",
        "MM": f"{day.month:02d}",
        "DD": f"{day.day:02d}",
        "code": code,
        "project": project,
    }

    def repl(m: re.Match[str]) -> str:
        token = m.group(1)
        if COUNTER.match(token):
            if seq is None:
                return m.group(0)
            digits = str(seq)
            return digits.zfill(len(token))
        return values[token]

    result = TOKEN.sub(repl, pattern)
    plain = TOKEN.sub("", result)
    if not SAFE_NUMBER.match(plain):
        raise PatternError(f"编号“{result}”含有不允许的字符")
    return result
