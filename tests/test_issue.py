"""issue_document end to end: numbers, files, index row, copies, voiding, atomicity, hostile input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.index.models import IssuedDocument, NumberCounter
from app.index.repository import get_by_number
from app.issue import Desk, DocumentNotFound, InvalidAction, RenderFailed, issue_document, void_document
from app.validation import SubmissionInvalid
from tests.conftest import docx_text, example, pdf_pages, pdf_text, squash

NOW = dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)


def count_rows(desk: Desk) -> int:
    with desk.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(IssuedDocument)) or 0)


def test_issue_writes_number_files_and_row(desk: Desk) -> None:
    doc = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW, issued_by="测试")
    assert doc.number == "HL-TEST-2026-0001"
    pdf, docx = desk.output_dir / doc.pdf_path, desk.output_dir / doc.docx_path
    assert pdf == desk.output_dir / "2026" / "all-types" / "HL-TEST-2026-0001.pdf"
    assert pdf.is_file() and docx.is_file()
    with desk.db.read() as s:
        row = get_by_number(s, doc.number)
    assert row is not None
    assert row.subject == "3幢1502室"
    assert row.parties == "张三 杭州安居装饰工程有限公司"
    assert row.retain_until == dt.date(2027, 3, 5)
    assert row.valid_from == dt.date(2026, 3, 6) and row.valid_to == dt.date(2026, 6, 5)
    assert row.copies == 2 and row.pages == pdf_pages(pdf) == 2
    assert row.data["total_amount"] == "1800.50"
    assert len(row.verify_token) >= 20
    assert not list(pdf.parent.glob(".tmp-*"))


def test_pdf_and_docx_carry_the_same_values(desk: Desk) -> None:
    doc = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    pdf = squash(pdf_text(desk.output_dir / doc.pdf_path))
    word = squash(docx_text(desk.output_dir / doc.docx_path))
    for expected in [
        "全类型测试单",
        doc.number,
        "张三",
        "杭州安居装饰工程有限公司",
        "13800138000",
        "11010519491231002X",
        "1期3幢2单元1502室",
        "2026年3月5日",
        "2026年3月5日09:30",
        "1,500.50",
        "1,800.50",
        "壹仟捌佰元伍角",
        "☑水电",
        "☐泥瓦",
        "☑木作",
        "第一行",
        "第二行",
        "第一联存根（白）（管理处）",
        "第二联客户（蓝）",
        "份号1/2",
        "份号2/2",
    ]:
        assert expected in pdf, f"PDF lacks {expected}"
        assert expected in word, f"DOCX lacks {expected}"


def test_number_is_on_every_pdf_page(desk: Desk) -> None:
    doc = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    pages = pdf_text(desk.output_dir / doc.pdf_path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == 2
    assert all(f"编号：{doc.number}" in squash(p) for p in pages)


def test_cjk_font_is_embedded(desk: Desk) -> None:
    import subprocess

    doc = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    fonts = subprocess.run(
        ["pdffonts", str(desk.output_dir / doc.pdf_path)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "Serif-SC" in line or "CJK" in line]
    assert cjk, fonts
    assert all(" yes yes " in line for line in cjk), fonts


def test_numbers_follow_each_other_and_restart_each_year(desk: Desk) -> None:
    data = example(desk.catalogue, "all-types")
    first = issue_document(desk, "all-types", data, now=NOW).number
    second = issue_document(desk, "all-types", data, now=NOW).number
    next_year = issue_document(desk, "all-types", {**data, "doc_date": "2027-01-02"}, now=NOW).number
    other_project = issue_document(desk, "all-types", data, now=NOW, project="JH").number
    assert (first, second) == ("HL-TEST-2026-0001", "HL-TEST-2026-0002")
    assert next_year == "HL-TEST-2027-0001"
    assert other_project == "JH-TEST-2026-0001"


def test_invalid_submission_stores_nothing(desk: Desk) -> None:
    with pytest.raises(SubmissionInvalid):
        issue_document(desk, "all-types", example(desk.catalogue, "all-types", name=""), now=NOW)
    assert count_rows(desk) == 0
    assert not desk.output_dir.exists() or not list(desk.output_dir.rglob("*.pdf"))


def test_unknown_project_is_a_field_error(desk: Desk) -> None:
    with pytest.raises(SubmissionInvalid) as info:
        issue_document(desk, "all-types", example(desk.catalogue, "all-types"), project="XX")
    assert info.value.errors[0].label == "项目"


@pytest.mark.parametrize("broken", ["render_document_pdf", "render_docx"])
def test_render_failure_leaves_no_number_file_or_row(desk: Desk, monkeypatch: pytest.MonkeyPatch, broken: str) -> None:
    import app.issue

    def explode(*_a: object, **_k: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(app.issue, broken, explode)
    with pytest.raises(RenderFailed, match="未占用编号"):
        issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    assert count_rows(desk) == 0
    with desk.db.read() as s:
        assert s.scalar(select(func.count()).select_from(NumberCounter)) == 0
    assert not list(desk.output_dir.rglob("*.pdf")) and not list(desk.output_dir.rglob("*.docx"))
    assert not list(desk.output_dir.rglob(".tmp-*"))
    monkeypatch.undo()
    assert issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW).number.endswith("0001")


def test_failure_after_files_are_moved_removes_them(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.issue

    def boom(_path: Path) -> str:
        raise RuntimeError("index write failed")

    monkeypatch.setattr(app.issue, "sha256_of", boom)
    with pytest.raises(RuntimeError):
        issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    assert not list(desk.output_dir.rglob("*.pdf"))
    assert count_rows(desk) == 0


def test_void_keeps_the_number_used(desk: Desk) -> None:
    data = example(desk.catalogue, "all-types")
    first = issue_document(desk, "all-types", data, now=NOW)
    voided = void_document(desk, first.number, "姓名写错，已重开", by="前台")
    assert voided.status == "voided" and voided.void_reason == "姓名写错，已重开"
    assert (desk.output_dir / first.pdf_path).is_file()  # nothing deleted
    replacement = issue_document(desk, "all-types", data, now=NOW, replaces=first.number)
    assert replacement.number == "HL-TEST-2026-0002"
    assert replacement.replaces == first.number
    with desk.db.read() as s:
        old = get_by_number(s, first.number)
        assert old is not None and old.status == "voided" and old.replaced_by == replacement.number


def test_a_replacement_needs_a_voided_unreplaced_document_of_its_form(desk: Desk) -> None:
    data = example(desk.catalogue, "all-types")
    first = issue_document(desk, "all-types", data, now=NOW)
    with pytest.raises(SubmissionInvalid, match="尚未作废"):
        issue_document(desk, "all-types", data, now=NOW, replaces=first.number)
    void_document(desk, first.number, "写错")
    other = example(desk.catalogue, "arrears-reminder-1")
    with pytest.raises(SubmissionInvalid, match="同一种表单"):
        issue_document(desk, "arrears-reminder-1", other, now=NOW, replaces=first.number)
    second = issue_document(desk, "all-types", data, now=NOW, replaces=first.number)
    with pytest.raises(SubmissionInvalid, match=f"已由 {second.number} 替代"):
        issue_document(desk, "all-types", data, now=NOW, replaces=first.number)
    with pytest.raises(SubmissionInvalid, match="没有编号"):
        issue_document(desk, "all-types", data, now=NOW, replaces="HL-NOPE-1")
    assert count_rows(desk) == 2  # the refused replacements used no number


def test_void_needs_a_reason_and_happens_once(desk: Desk) -> None:
    doc = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    with pytest.raises(SubmissionInvalid):
        void_document(desk, doc.number, "  ")
    void_document(desk, doc.number, "重复开具")
    with pytest.raises(InvalidAction, match="不能重复作废"):
        void_document(desk, doc.number, "再次")
    with pytest.raises(DocumentNotFound):
        void_document(desk, "HL-NOPE-1", "x")


HOSTILE = "A&B <script>alert(1)</script> \"引号\" '单引号' {{ 7*7 }} {% raw %} ]]> &amp;"


def test_hostile_strings_are_printed_literally(desk: Desk) -> None:
    data = example(desk.catalogue, "all-types", company=HOSTILE, note=HOSTILE, name="{{name}}&<x>")
    doc = issue_document(desk, "all-types", data, now=NOW)
    pdf = pdf_text(desk.output_dir / doc.pdf_path)
    word = docx_text(desk.output_dir / doc.docx_path)
    for text in (pdf, word):
        assert squash(HOSTILE) in squash(text)
        assert "{{name}}&<x>" in text


def test_hostile_company_name_in_letterhead(desk: Desk) -> None:
    from app.render.model import Letterhead

    desk.projects = {
        **desk.projects,
        "HL": Letterhead(company='海亮"物业"</style>&{{x}}', project_name="p", project_code="HL"),
    }
    doc = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    assert '海亮"物业"</style>&{{x}}' in pdf_text(desk.output_dir / doc.pdf_path)
    assert '海亮"物业"</style>&{{x}}' in docx_text(desk.output_dir / doc.docx_path)


def test_project_seal_image_is_printed(desk: Desk, tmp_path: Path) -> None:
    import subprocess

    import segno

    from app.render.model import Letterhead

    seal = tmp_path / "seal.png"
    segno.make("SEAL").save(str(seal), kind="png", scale=8, dark="#d40000")
    desk.projects = {**desk.projects, "JH": Letterhead("海亮物业管理有限公司", "锦华花园二期", "JH", str(seal))}
    plain = issue_document(desk, "renovation-permit", example(desk.catalogue, "renovation-permit"), now=NOW)
    sealed = issue_document(
        desk, "renovation-permit", example(desk.catalogue, "renovation-permit"), now=NOW, project="JH"
    )

    def images(path: Path) -> int:
        out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
        return len(out.splitlines()) - 2

    assert images(desk.output_dir / sealed.pdf_path) > images(desk.output_dir / plain.pdf_path)
    assert "公司印章" in pdf_text(desk.output_dir / plain.pdf_path)
    assert "公司印章" not in pdf_text(desk.output_dir / sealed.pdf_path)


def test_word_files_rendered_in_a_worker_process_match(desk: Desk) -> None:
    from app.web.main import docx_pool

    pool = docx_pool(1)
    assert pool is not None
    try:
        desk.docx_pool = pool
        doc = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    finally:
        pool.shutdown()
    word = squash(docx_text(desk.output_dir / doc.docx_path))
    assert doc.number in word and "杭州安居装饰工程有限公司" in word and "份号2/2" in word


def test_pdf_failure_with_a_word_worker_leaves_no_files(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.issue
    from app.web.main import docx_pool

    def explode(*_a: object, **_k: object) -> int:
        raise OSError("disk on fire")

    pool = docx_pool(1)
    assert pool is not None
    monkeypatch.setattr(app.issue, "render_document_pdf", explode)
    try:
        desk.docx_pool = pool
        with pytest.raises(RenderFailed):
            issue_document(desk, "all-types", example(desk.catalogue, "all-types"), now=NOW)
    finally:
        pool.shutdown()
    assert count_rows(desk) == 0
    assert not [p for p in desk.output_dir.rglob("*") if p.is_file()]
