"""Rooms in one canonical spelling (楼栋-单元-房号), from every usual way of writing them."""

from __future__ import annotations

import pytest

from app.registry import Catalogue
from app.rooms import normalize_room, room_from_parts, room_label, room_of, room_prefix
from app.validation import validate_submission
from tests.conftest import example

SAME_ROOM = [
    "3栋2单元1502",
    "3栋2单元1502室",
    "3幢2单元1502",
    "3号楼2单元1502",
    "3#2-1502",
    "3#楼2单元1502室",
    "3-2-1502",
    "3-2-1502室",
    "3—2—1502",
    "3–2–1502",
    "３栋２单元１５０２",
    "３－２－１５０２",
    "三栋二单元1502",
    "三幢二单元一五零二室",
    " 3 栋 2 单元 1502 ",
    "3栋-2单元-1502",
    "3栋2-1502",
    "03栋02单元1502",
    "二期3栋2单元1502室",
]


@pytest.mark.parametrize("spelling", SAME_ROOM)
def test_every_usual_spelling_is_the_same_room(spelling: str) -> None:
    assert normalize_room(spelling) == "3-2-1502"


@pytest.mark.parametrize(
    ("spelling", "room"),
    [
        ("3栋", "3"),
        ("3幢", "3"),
        ("三号楼", "3"),
        ("3栋2单元", "3-2"),
        ("3-2", "3-2"),
        ("3-2-", "3-2"),
        ("3", "3"),
        ("十二栋3单元", "12-3"),
        ("二十一栋1单元101", "21-1-101"),
        # a building without units keeps the empty unit, so 5-8 (unit 8) is never the prefix of room 801
        ("5栋801", "5--801"),
        ("5栋801室", "5--801"),
        ("5-801", "5--801"),
        ("5--801", "5--801"),
        ("A座1502", "A--1502"),
        ("b2栋1单元301", "B2-1-301"),
    ],
)
def test_prefixes_and_rooms_without_a_unit(spelling: str, room: str) -> None:
    assert normalize_room(spelling) == room


@pytest.mark.parametrize(
    "text",
    ["", "   ", "张三", "漏水", "1502", "801室", "HL-CK1-2026-00001", "2026-11-20", "3单元1502", "1-2-3-4", "x" * 50],
)
def test_what_is_not_a_room_gives_empty(text: str) -> None:
    assert normalize_room(text) == ""


def test_labels_and_prefixes() -> None:
    assert room_label("3-2-1502") == "3栋2单元1502室"
    assert room_label("5--801") == "5栋801室"
    assert room_label("3-2") == "3栋2单元"
    assert room_label("3") == "3栋"
    assert room_label("") == ""
    assert room_prefix("3") and room_prefix("3-2")
    assert not room_prefix("3-2-1502") and not room_prefix("5--801")


def test_address_parts() -> None:
    assert room_from_parts({"building": "3", "unit": "2", "room": "1502"}) == "3-2-1502"
    assert room_from_parts({"phase": "2", "building": "3栋", "unit": "2单元", "room": "1502室"}) == "3-2-1502"
    # batch arrears notices put the unit into the room part (app/batch/arrears.py notice_data)
    assert room_from_parts({"building": "3", "room": "2单元1502"}) == "3-2-1502"
    assert room_from_parts({"building": "3", "room": "2-1502"}) == "3-2-1502"
    assert room_from_parts({"building": "5", "room": "801"}) == "5--801"
    assert room_from_parts({"building": "三", "unit": "二", "room": "1502"}) == "3-2-1502"
    assert room_from_parts({"building": "", "unit": "2", "room": "1502"}) == ""
    assert room_from_parts({"building": "3", "unit": "", "room": ""}) == "3"


def test_room_of_a_document(catalogue: Catalogue) -> None:
    form = catalogue.get("repair-order")
    assert form is not None
    clean = validate_submission(form, example(catalogue, "repair-order"))
    assert room_of(form, clean) == "5-2-1103"
    form = catalogue.get("arrears-reminder-1")
    assert form is not None
    data = example(catalogue, "arrears-reminder-1", room={"building": "3", "room": "2单元1502"})
    assert room_of(form, validate_submission(form, data)) == "3-2-1502"
    # the phase is not part of the room
    form = catalogue.get("key-custody-entrustment")
    assert form is not None
    assert room_of(form, validate_submission(form, example(catalogue, "key-custody-entrustment"))) == "11-2-1503"
    # a text field whose label names a room (单位/房号), the first one that holds a room wins
    form = catalogue.get("cctv-tape-viewing-request")
    assert form is not None
    data = example(catalogue, "cctv-tape-viewing-request", applicant_org="7幢1单元702室")
    assert room_of(form, validate_submission(form, data)) == "7-1-702"
    data = example(catalogue, "cctv-tape-viewing-request", applicant_org="杭州某某公司")
    assert room_of(form, validate_submission(form, data)) == ""
    # a form without any room field
    form = catalogue.get("quality-inspection-record")
    assert form is not None
    assert room_of(form, validate_submission(form, example(catalogue, "quality-inspection-record"))) == ""
