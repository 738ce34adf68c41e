"""Retention periods and retain_until under both counting rules."""

from __future__ import annotations

import datetime as dt

import pytest

from app.retention import parse_period, retain_until

ISSUED = dt.date(2026, 8, 31)


@pytest.mark.parametrize(
    ("label", "from_issue", "from_next_year"),
    [
        ("三个月", dt.date(2026, 11, 30), dt.date(2027, 4, 1)),
        ("半年", dt.date(2027, 2, 28), dt.date(2027, 7, 1)),
        ("一年", dt.date(2027, 8, 31), dt.date(2028, 1, 1)),
        ("二年", dt.date(2028, 8, 31), dt.date(2029, 1, 1)),
        ("两年", dt.date(2028, 8, 31), dt.date(2029, 1, 1)),
        ("三年", dt.date(2029, 8, 31), dt.date(2030, 1, 1)),
        ("五年", dt.date(2031, 8, 31), dt.date(2032, 1, 1)),
        ("长期", dt.date(2056, 8, 31), dt.date(2057, 1, 1)),
    ],
)
def test_retain_until_for_each_period(label: str, from_issue: dt.date, from_next_year: dt.date) -> None:
    assert retain_until(label, ISSUED, "issue") == from_issue
    assert retain_until(label, ISSUED, "next-year") == from_next_year


def test_long_term_years_is_configurable() -> None:
    assert retain_until("长期", ISSUED, "issue", long_term_years=10) == dt.date(2036, 8, 31)


@pytest.mark.parametrize("label", ["永久", "同员工档案", "同设备档案一起"])
def test_permanent_and_tied_periods_never_expire(label: str) -> None:
    assert retain_until(label, ISSUED) is None


def test_unknown_period_is_an_error() -> None:
    with pytest.raises(ValueError, match="不认识"):
        parse_period("看情况")
