"""Rooms (房号) in one canonical spelling, so that 3栋2单元1502, 3#2-1502 and 三幢二单元1502室 find the same documents.

The canonical form is 楼栋-单元-房号 with ASCII digits and upper-case letters: "3-2-1502". A room in a
building without units keeps the empty unit between two hyphens: "5--801" (so that "5-8" stays the prefix of
unit 8 of building 5, never of room 801). Prefixes name a building ("3") or a unit ("3-2"); a search for
a prefix matches the rooms under it. The phase (一期/二期) is not part of the room: it is printed and searched
as text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from app.specs import FieldSpec, FormSpec

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−－﹣~～_/、，,·."), "-")
_CN_DIGIT = dict(zip("零〇○一二两三四五六七八九", (0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN = "零〇○一二两三四五六七八九十百"
_PART = rf"[0-9A-Z]{{1,6}}|[{_CN}]{{1,6}}"
_PHASE = rf"(?:[0-9{_CN}]{{1,3}}期)?"
# 3栋2单元1502室, 3号楼2-1502, 3#2-1502, 3幢1502, 3栋2单元 (a prefix), 3栋 (a prefix)
_MARKED = re.compile(
    rf"{_PHASE}(?P<b>{_PART})(?:号楼|#楼|栋|幢|座|#|号|楼)-?"
    rf"(?:(?P<u>{_PART})(?:单元|-)-?)?"
    rf"(?:(?P<r>{_PART})(?:室|号|房)?)?"
)
# 3-2-1502, 3-2, 5--801, 5-801 (a room number of three characters or more after the building)
_PLAIN = re.compile(rf"{_PHASE}(?P<parts>(?:{_PART})(?:-(?:{_PART})?){{0,2}})(?P<mark>室|号|房)?")
# what a room part of an address field may hold besides the room itself (batch notices: "2单元1502")
_UNIT_IN_ROOM = re.compile(rf"(?P<u>{_PART})(?:单元|-)-?(?P<r>{_PART})(?:室|号|房)?")
# text fields that hold a room even though they are not of the address type
ROOM_KEYS = frozenset({"room", "room_no", "room_number", "unit_no", "house_no", "house_number", "reply_room"})
ROOM_LABEL_WORDS = ("房号", "房屋", "单元")


def _fold(text: str) -> str:
    """Full-width to half-width, every dash to "-", no spaces, upper-case letters."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return re.sub(r"\s+", "", text).upper()


def _cn_number(text: str) -> str:
    """三 → 3, 十二 → 12, 二十一 → 21, 一五零二 → 1502; digits and letters are kept as they are."""
    if not text or text[0] not in _CN:
        return text
    if "十" not in text and "百" not in text:
        return "".join(str(_CN_DIGIT[c]) for c in text)
    total, current = 0, 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGIT[c]
    return str(total + current)


def _number(text: str | None) -> str:
    """A building or unit number: Chinese numerals converted, leading zeros of digits dropped (03 → 3)."""
    value = _cn_number(text or "")
    return (value.lstrip("0") or value) if value.isdigit() else value


def _join(building: str, unit: str, room: str) -> str:
    if not building:
        return ""
    if not room:
        return f"{building}-{unit}" if unit else building
    return f"{building}-{unit}-{room}"


def normalize_room(text: str) -> str:
    """The canonical 楼栋-单元-房号 of a room as people write it, a building or unit prefix, or "" if it is not one.

    >>> [normalize_room(s) for s in ("3栋2单元1502室", "3#2-1502", "三幢二单元1502", "5栋801", "3栋2单元", "张三")]
    ['3-2-1502', '3-2-1502', '3-2-1502', '5--801', '3-2', '']
    """
    s = _fold(text or "")
    if not s or len(s) > 40:
        return ""
    m = _MARKED.fullmatch(s)
    if m:
        return _join(_number(m["b"]), _number(m["u"]), _cn_number(m["r"] or ""))
    m = _PLAIN.fullmatch(s)
    if not m:
        return ""
    parts = m["parts"].split("-")
    building = _number(parts[0])
    if len(parts[0]) > 3:  # a bare number this long is a room or a year, not a building
        return ""
    if len(parts) == 1:
        return "" if m["mark"] else building  # 801室 is a room of no known building
    if len(parts) == 2:
        # 3-2 is unit 2 of building 3; 5-801 is room 801 of building 5 (units have one or two digits)
        if len(parts[1]) >= 3:
            return _join(building, "", _cn_number(parts[1]))
        return _join(building, _number(parts[1]), "")
    return _join(building, _number(parts[1]), _cn_number(parts[2]))


_ROOM_WORDS = re.compile(r"[栋幢座#]|单元|号楼|室$")
_THREE_PARTS = re.compile(r"[0-9A-Z]{1,3}-[0-9A-Z]{0,3}-[0-9A-Z]{1,6}")


def written_as_room(text: str) -> str:
    """The room of a free-text word that is clearly written as one (3栋2单元1502, 3#2-1502, 3—2—1502), else "".

    Stricter than normalize_room: a bare "12" or "3-2" in free text is more likely something else.
    """
    s = _fold(text or "")
    if not (_ROOM_WORDS.search(s) or _THREE_PARTS.fullmatch(s)):
        return ""
    return normalize_room(s)


def room_prefix(room: str) -> bool:
    """True for a building ("3") or unit ("3-2") prefix, False for a whole room ("3-2-1502", "5--801")."""
    return room.count("-") < 2


def room_label(room: str) -> str:
    """The canonical room printed the usual way: 3-2-1502 → 3栋2单元1502室, 5--801 → 5栋801室, 3-2 → 3栋2单元."""
    if not room:
        return ""
    parts = room.split("-")
    out = f"{parts[0]}栋"
    if len(parts) > 1 and parts[1]:
        out += f"{parts[1]}单元"
    if len(parts) > 2 and parts[2]:
        out += f"{parts[2]}室"
    return out


def room_from_parts(value: Mapping[str, Any]) -> str:
    """The room of an address field's parts (building, unit, room); the room part may hold the unit too."""
    building = _fold(str(value.get("building") or ""))
    building = re.sub(r"(号楼|#楼|栋|幢|座|#|号)$", "", building)
    unit = _fold(str(value.get("unit") or "")).removesuffix("单元")
    room = _fold(str(value.get("room") or ""))
    if not unit:
        m = _UNIT_IN_ROOM.fullmatch(room)
        if m:
            unit, room = m["u"], m["r"]
    room = re.sub(r"(室|号|房)$", "", room)
    if not re.fullmatch(_PART, building) or (unit and not re.fullmatch(_PART, unit)):
        return ""
    if room and not re.fullmatch(_PART, room):
        return ""
    return _join(_number(building), _number(unit), _cn_number(room))


def room_field(form: FormSpec, clean: Mapping[str, Any]) -> tuple[FieldSpec, str] | None:
    """The field that names the document's room and its canonical room: the first that yields one."""
    for f in form.fields:
        value = clean.get(f.key)
        if f.type == "address" and isinstance(value, Mapping):
            room = room_from_parts(value)
        elif (
            f.type in ("text", "longtext")
            and isinstance(value, str)
            and (f.key in ROOM_KEYS or any(w in f.label for w in ROOM_LABEL_WORDS))
        ):
            room = normalize_room(value)
        else:
            continue
        if room:
            return f, room
    return None


def room_of(form: FormSpec, clean: Mapping[str, Any]) -> str:
    """The document's room (楼栋-单元-房号) from its submitted data, or "" if it names none."""
    found = room_field(form, clean)
    return found[1] if found else ""
