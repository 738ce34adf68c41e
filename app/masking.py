"""Personal data shown in lists, search results and the public verification page is masked (个人信息保护法)."""

from __future__ import annotations

import re

_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff·]+")
_ID_CARD = re.compile(r"(?<![0-9])\d{17}[\dXx](?![0-9])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_id_card(value: str) -> str:
    """330106199001011234 → 3301**********1234."""
    v = value.strip()
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if len(v) > 8 else "*" * len(v)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678; a landline keeps its area code and last two digits."""
    digits = value.strip()
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return digits[:3] + "****" + digits[-4:]
    head, _, tail = digits.rpartition("-")
    if head:
        return f"{head}-{'*' * max(len(tail) - 2, 0)}{tail[-2:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(value: str) -> str:
    """A person's Chinese name keeps its surname (王建国 → 王**); an organisation's name is not personal data."""
    v = value.strip()
    if _CJK_NAME.match(v):
        return v[0] + "*" * (len(v) - 1)
    return v


def mask_text(value: str) -> str:
    """ID numbers and mobile numbers anywhere in a free text, masked."""
    value = _ID_CARD.sub(lambda m: mask_id_card(m.group(0)), value)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", value)


def mask_parties(parties: str) -> str:
    """The index's space-separated party names, each masked.

    A party may be written with others or a note around the name (王师傅（王永强）, 张三/李四): every run of
    Chinese characters in it is masked as a name would be, so a name inside brackets does not slip through;
    a longer run (a company) is kept.
    """
    return " ".join(_CJK_RUN.sub(lambda m: mask_name(m.group(0)), mask_text(p)) for p in parties.split())
