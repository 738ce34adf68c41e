"""Validation: every field type's Chinese message, all problems at once, clean normalised values."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from app.registry import Catalogue
from app.validation import SubmissionInvalid, validate_submission
from tests.conftest import example


def errors_of(catalogue: Catalogue, **overrides: Any) -> dict[str, dict[str, str]]:
    form = catalogue.forms["all-types"]
    with pytest.raises(SubmissionInvalid) as info:
        validate_submission(form, example(catalogue, "all-types", **overrides))
    return {e.field: e.as_dict() for e in info.value.errors}


def test_example_is_valid_and_normalised(catalogue: Catalogue) -> None:
    clean = validate_submission(catalogue.forms["all-types"], example(catalogue, "all-types"))
    assert clean["doc_date"] == "2026-03-05"
    assert clean["visit_at"] == "2026-03-05T09:30"
    assert clean["deposit_amount"] == "2000.00"
    assert clean["items"][0]["amount"] == "1500.50"
    assert clean["total_amount"] == "1800.50"  # computed, not submitted
    assert clean["room"] == {"phase": "1", "building": "3", "unit": "2", "room": "1502"}
    assert clean["works"] == ["水电", "木作"]
    assert clean["id_no"] == "11010519491231002X"
    assert clean["returned_date"] is None  # by hand: blank


@pytest.mark.parametrize(
    ("field", "value", "label", "fragment"),
    [
        ("name", "", "姓名", "必填"),
        ("name", "张" * 21, "姓名", "最多 20 个字"),
        ("name", "张\x07三", "姓名", "控制字符"),
        ("doc_date", "2026-02-30", "日期", "不是真实存在的日期"),
        ("doc_date", "明天", "日期", "不是日期"),
        ("visit_at", "2026-03-05", "来访时间", "不是日期时间"),
        ("work_time", "25:00", "施工时间", "不是时间"),
        ("people_count", "三", "人数", "不是整数"),
        ("people_count", "0", "人数", "不能小于 1"),
        ("people_count", "51", "人数", "不能大于 50"),
        ("deposit_amount", "12.345", "保证金", "最多两位小数"),
        ("deposit_amount", "-5", "保证金", "不能为负数"),
        ("deposit_amount", "abc", "保证金", "不是数字"),
        ("deposit_amount", "NaN", "保证金", "不是数字"),
        ("deposit_amount", "100000000", "保证金", "金额过大"),
        ("phone", "1380013800", "联系电话", "手机号"),
        ("phone", "88886666", "联系电话", "电话号码"),
        ("id_no", "110105194912310021", "身份证号", "校验位"),
        ("id_no", "1101051949123", "身份证号", "18 位"),
        ("credit_code", "91110000600037341A", "统一社会信用代码", "校验位"),
        ("level", "特急", "等级", "不是可选项"),
        ("works", ["水电", "拆墙"], "施工项目", "拆墙"),
        ("is_paid", "也许", "已缴费", "是”或“否"),
    ],
)
def test_each_type_reports_its_chinese_label_and_reason(
    catalogue: Catalogue, field: str, value: Any, label: str, fragment: str
) -> None:
    errors = errors_of(catalogue, **{field: value})
    assert errors[field]["label"] == label
    assert fragment in errors[field]["message"]


@pytest.mark.parametrize(
    "phone",
    [
        "13800138000",
        "138 0013 8000",
        "+86 13800138000",
        "0571-88886666",
        "057188886666",
        "010-12345678-123",
        "400-123-4567",
    ],
)
def test_valid_phone_numbers_are_accepted(catalogue: Catalogue, phone: str) -> None:
    validate_submission(catalogue.forms["all-types"], example(catalogue, "all-types", phone=phone))


def test_every_problem_is_reported_at_once(catalogue: Catalogue) -> None:
    errors = errors_of(catalogue, name="", doc_date="x", phone="12", people_count="0", bogus="1")
    assert {"name", "doc_date", "phone", "people_count", "bogus"} <= set(errors)
    assert errors["bogus"]["message"].startswith("本表没有这个字段")


def test_address_parts_are_checked_one_by_one(catalogue: Catalogue) -> None:
    errors = errors_of(catalogue, room={"phase": "1", "building": "", "unit": "2", "room": "15/02"})
    assert errors["room.building"]["label"] == "房号（幢）"
    assert errors["room.building"]["message"].startswith("必填")
    assert "室号" in errors["room.room"]["message"]


def test_address_suffixes_are_tolerated(catalogue: Catalogue) -> None:
    clean = validate_submission(
        catalogue.forms["all-types"],
        example(
            catalogue,
            "all-types",
            room={"phase": "1期", "building": "3栋", "unit": "2单元", "room": "1502室"},
        ),
    )
    assert clean["room"] == {"phase": "1", "building": "3", "unit": "2", "room": "1502"}


def test_table_rows_name_row_and_column(catalogue: Catalogue) -> None:
    errors = errors_of(catalogue, items=[{"item": "押金", "amount": "1"}, {"item": "", "amount": "x"}])
    assert errors["items[2].item"]["label"] == "费用明细 第2行 项目"
    assert "不是数字" in errors["items[2].amount"]["message"]


def test_table_row_limits(catalogue: Catalogue) -> None:
    assert "至少要填 1 行" in errors_of(catalogue, items=[])["items"]["message"]
    many = [{"item": f"项{i}", "amount": "1"} for i in range(6)]
    assert "最多 5 行" in errors_of(catalogue, items=many)["items"]["message"]


def test_blank_table_rows_from_the_web_page_are_dropped(catalogue: Catalogue) -> None:
    clean = validate_submission(
        catalogue.forms["all-types"],
        example(catalogue, "all-types", items=[{"item": "押金", "amount": "5"}, {"item": "", "amount": ""}]),
    )
    assert len(clean["items"]) == 1


def test_not_an_object_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(SubmissionInvalid) as info:
        validate_submission(catalogue.forms["all-types"], ["a"])
    assert info.value.errors[0].label == "提交的数据"


def test_hostile_text_is_kept_as_data(catalogue: Catalogue) -> None:
    hostile = "A&B <b>x</b> \"q\" '{{ 7*7 }}' {% if %}"
    clean = validate_submission(catalogue.forms["all-types"], example(catalogue, "all-types", company=hostile))
    assert clean["company"] == hostile


def _fontconfig_covers(ch: str) -> bool:
    """The independent answer: does any installed font claim the character (fc-list's own charset query)?"""
    out = subprocess.run(["fc-list", f":charset={ord(ch):x}", "family"], capture_output=True, text=True, check=True)
    return bool(out.stdout.strip())


# 𰀀 U+30000 and 𰀁 U+30001 (CJK Extension G) and 𱍐 U+31350 (Extension H): in no font installed here;
# 𠀀 U+20000 and 𪛖 U+2A6D6 (Extension B): 花園明朝 (fonts-hanazono); 𬌗 U+2C317 (Extension E, in the
# 通用规范汉字表), 㐀 U+3400, 鿐 U+9FD0 and ☑: Noto CJK or DejaVu
@pytest.mark.parametrize("ch", ["𰀀", "𰀁", "𱍐", "𠀀", "𪛖", "𬌗", "㐀", "鿐", "☑", "王"])
def test_a_character_no_font_can_print_is_refused_by_name(catalogue: Catalogue, ch: str) -> None:
    form = catalogue.forms["all-types"]
    data = example(catalogue, "all-types", name=f"王{ch}峰")
    if _fontconfig_covers(ch):
        assert validate_submission(form, data)["name"] == f"王{ch}峰"
    else:
        with pytest.raises(SubmissionInvalid) as info:
            validate_submission(form, data)
        (error,) = info.value.errors
        assert error.label == "姓名"
        assert f"“{ch}”（U+{ord(ch):04X}）" in error.message and "方框" in error.message


def test_the_premise_of_the_rare_character_test_holds() -> None:
    # without this, a machine whose fonts cover everything would turn the test above into accept-only
    assert not _fontconfig_covers("𰀀") and not _fontconfig_covers("𱍐")
    assert _fontconfig_covers("𠀀") and _fontconfig_covers("𬌗") and _fontconfig_covers("王")  # as installed


def test_a_rare_character_in_a_table_cell_names_its_row_and_column(catalogue: Catalogue) -> None:
    form = catalogue.forms["all-types"]
    data = example(catalogue, "all-types")
    data["items"][0] = {**data["items"][0], "item": "𰀀"}
    with pytest.raises(SubmissionInvalid) as info:
        validate_submission(form, data)
    (error,) = info.value.errors
    assert error.field == "items[1].item" and "第1行" in error.label and "U+30000" in error.message
