"""Numbering patterns: counter keys, formatting, yearly restart, Asia/Shanghai dates, safe characters."""

from __future__ import annotations

import datetime as dt

import pytest

from app.numbering import PatternError, check_pattern, counter_key, document_day, format_number

P = "{project}-{code}-{YYYY}-{#####}"


def test_number_is_formatted_with_zero_padding() -> None:
    assert format_number(P, dt.date(2026, 3, 1), "ZXXK", "HL", 7) == "HL-ZXXK-2026-00007"


def test_counter_key_keeps_the_counter_token_only() -> None:
    assert counter_key(P, dt.date(2026, 3, 1), "ZXXK", "HL") == "HL-ZXXK-2026-{#####}"


def test_number_restarts_when_year_changes() -> None:
    assert counter_key(P, dt.date(2026, 12, 31), "A", "HL") != counter_key(P, dt.date(2027, 1, 1), "A", "HL")


def test_monthly_pattern_has_a_counter_per_month() -> None:
    pat = "{code}{YY}{MM}{DD}-{###}"
    assert counter_key(pat, dt.date(2026, 3, 9), "WX", "HL") == "WX260309-{###}"
    assert format_number(pat, dt.date(2026, 3, 9), "WX", "HL", 12) == "WX260309-012"


def test_projects_have_separate_counters() -> None:
    assert counter_key(P, dt.date(2026, 1, 1), "A", "HL") != counter_key(P, dt.date(2026, 1, 1), "A", "JH")


def test_document_day_is_taken_in_shanghai() -> None:
    late_utc = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Shanghai
    assert document_day(late_utc) == dt.date(2027, 1, 1)


def test_counter_overflowing_its_width_still_grows() -> None:
    assert format_number("{code}-{##}", dt.date(2026, 1, 1), "A", "HL", 123) == "A-123"


@pytest.mark.parametrize(
    "pattern",
    ["{code}-{YYYY}", "{code}/{YYYY}-{###}", "{code}-{###}-{##}", "{code}-{foo}-{###}", "{code} {###}"],
)
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        check_pattern(pattern)


def test_a_slash_in_a_value_is_refused() -> None:
    with pytest.raises(PatternError):
        format_number(P, dt.date(2026, 1, 1), "A/B", "HL", 1)
