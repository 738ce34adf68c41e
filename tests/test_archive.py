"""Archiving hand-off: 档号 (DA/T 22-2015), 件号 per class, 归档章, and the PDF/A-3b archive copy with its JSON."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from app.archive import (
    ARCHIVE_CODE_RE,
    ArchiveClass,
    ArchiveRefused,
    archival_term,
    archive_document,
    parse_archive_code,
    snapshot,
)
from app.cli import main
from app.index.models import AuditEvent, IssuedDocument, NumberCounter
from app.index.repository import get_by_number
from app.issue import (
    Desk,
    DocumentNotFound,
    RenderFailed,
    Reserved,
    issue_document,
    issue_reserved,
    reserve_numbers,
    void_document,
)
from app.pdfa import PREFLIGHT_WAIVERS, structure_findings, validate_many
from app.render.archive_copy import _cff_top_dict, _charset_cids, _sfnt_table
from app.retention import parse_period
from app.web.main import create_app
from tests.conftest import bearer, example, pdf_pages, pdf_text, squash, token_for

NOW = dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z]{2}·\d{4}-(Y|D30|D10)-[A-Z0-9]+-\d{4}$")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_desk(request: pytest.FixtureRequest) -> Desk:
    desk: Desk = request.getfixturevalue("desk" if request.param == "sqlite" else "pg_desk")
    return desk


@pytest.fixture
def numbering_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip pikepdf's PDF/A-3b pass inside archive_document (~0.5 s a copy) where only 件号 and refusals are tested;
    the copies themselves are validated in full below."""
    monkeypatch.setattr("app.pdfa.pikepdf_findings", lambda _path: [])


def issue(desk: Desk, form_id: str = "all-types", **overrides: object) -> IssuedDocument:
    return issue_document(desk, form_id, example(desk.catalogue, form_id, **overrides), now=NOW)


def archived(desk: Desk, number: str) -> IssuedDocument:
    with desk.db.read() as s:
        doc = get_by_number(s, number)
    assert doc is not None
    return doc


# --- 档号 and 保管期限: pure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retention", "term"),
    [
        ("永久", "Y"),
        ("长期", "D30"),
        ("同员工档案一起", "D30"),
        ("同装备的使用期限", "D30"),
        ("三个月", "D10"),
        ("六个月", "D10"),
        ("半年", "D10"),
        ("一年", "D10"),
        ("二年", "D10"),
        ("三年", "D10"),
        ("五年", "D10"),
    ],
)
def test_archival_term_for_every_period_kind(retention: str, term: str) -> None:
    assert archival_term(retention) == term


def test_every_form_retention_maps_to_an_archival_code_never_shorter(desk: Desk) -> None:
    years = {"Y": None, "D30": 30, "D10": 10}
    labels = {f.retention for f in desk.catalogue.forms.values()}
    assert {"永久", "长期", "三年"} <= labels
    for label in labels:
        term = archival_term(label)
        period = parse_period(label)
        kept = years[term]
        if period.months is None:
            assert term in ("Y", "D30"), label  # 永久 and 同…档案 are never D10
        else:
            assert kept is not None and kept * 12 >= period.months, label
    with pytest.raises(ValueError, match="保存期限"):
        archival_term("很久")


def test_archive_code_format_and_parts() -> None:
    klass = ArchiveClass("Z001", "WS", 2026, "D10", "HL")
    assert klass.key == "Z001-WS·2026-D10-HL" and klass.counter_key == "ARCHIVE:Z001-WS·2026-D10-HL"
    assert klass.code(1) == "Z001-WS·2026-D10-HL-0001"
    assert klass.code(37) == "Z001-WS·2026-D10-HL-0037" and CODE.match(klass.code(9999))
    assert parse_archive_code("J109-WS·2025-Y-JH-0012") == {
        "fonds": "J109",
        "category": "WS",
        "year": "2025",
        "term": "Y",
        "org": "JH",
        "item": "0012",
    }
    for bad in ("Z001-WS-2026-D10-HL-0001", "Z001-WS·2026-D20-HL-0001", "Z001-WS·2026-D10-HL-01"):
        assert ARCHIVE_CODE_RE.fullmatch(bad) is None
        with pytest.raises(ValueError, match="不是 DA/T 22-2015 格式的档号"):
            parse_archive_code(bad)


@pytest.mark.parametrize(
    ("fonds", "category", "org", "label"),
    [
        ("Z01", "WS", "HL", "全宗号"),
        ("z001", "WS", "HL", "全宗号"),
        ("Z00-", "WS", "HL", "全宗号"),
        ("Z0011", "WS", "HL", "全宗号"),
        ("Z001", "W", "HL", "门类代码"),
        ("Z001", "W1", "HL", "门类代码"),
        ("Z001", "WS", "H-L", "机构（问题）代码"),
    ],
)
def test_settings_that_break_da_t_22_are_refused_in_chinese(fonds: str, category: str, org: str, label: str) -> None:
    with pytest.raises(ArchiveRefused, match=label):
        ArchiveClass(fonds, category, 2026, "D10", org)


# --- 件号 per class, refusals: both back ends --------------------------------------------------------


@pytest.mark.usefixtures("numbering_only")
def test_item_numbers_count_per_class_and_restart_per_term_year_and_project(any_desk: Desk) -> None:
    desk = any_desk
    a, b = (issue(desk) for _ in range(2))  # all-types: 一年 → D10, 2026, HL
    older = issue(desk, doc_date="2025-06-01", start_date="2025-06-01", end_date="2025-12-31")
    other = issue_document(desk, "all-types", example(desk.catalogue, "all-types"), project="JH", now=NOW)
    forever = issue(desk, "acceptance-handover-certificate")  # 永久 → Y
    long = issue(desk, "area-fire-safety-responsibility-agreement")  # 长期 → D30
    tied = issue(desk, "staff-training-register")  # 同员工档案一起 → D30
    year = {d.number: d.document_date.year for d in (forever, long, tied)}
    codes = {d.number: archive_document(desk, d.number, stamp=False).archive_code for d in (b, a, older, other)}
    codes |= {d.number: archive_document(desk, d.number, stamp=False).archive_code for d in (forever, long, tied)}
    assert codes[b.number] == "Z001-WS·2026-D10-HL-0001"  # in the order archived, not issued
    assert codes[a.number] == "Z001-WS·2026-D10-HL-0002"
    assert codes[older.number] == "Z001-WS·2025-D10-HL-0001"
    assert codes[other.number] == "Z001-WS·2026-D10-JH-0001"
    assert codes[forever.number] == f"Z001-WS·{year[forever.number]}-Y-HL-0001"
    assert codes[long.number] == f"Z001-WS·{year[long.number]}-D30-HL-0001"
    same_class = year[tied.number] == year[long.number]  # 长期 and 同…档案 are both D30
    assert codes[tied.number] == f"Z001-WS·{year[tied.number]}-D30-HL-{2 if same_class else 1:04d}"
    assert all(CODE.match(code or "") for code in codes.values())
    with desk.db.read() as s:
        keys = {k.key: k.value for k in s.scalars(select(NumberCounter).where(NumberCounter.key.like("ARCHIVE:%")))}
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "archive")).all()
    assert keys["ARCHIVE:Z001-WS·2026-D10-HL"] == 2 and keys["ARCHIVE:Z001-WS·2025-D10-HL"] == 1
    assert len(events) == 7 and {e.detail["archive_code"] for e in events} == set(codes.values())
    row = archived(desk, a.number)
    assert row.archived_by == "system" and row.archived_at is not None
    assert row.archive_pdf_path == f"archive/2026/{row.archive_code}.pdf"
    path = desk.output_dir / row.archive_pdf_path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row.archive_pdf_sha256


@pytest.mark.usefixtures("numbering_only")
def test_archiving_twice_disposed_missing_or_changed_files_are_refused(any_desk: Desk) -> None:
    desk = any_desk
    first, gone, voided, changed = (issue(desk) for _ in range(4))
    assert archive_document(desk, first.number, stamp=False).archive_code == "Z001-WS·2026-D10-HL-0001"
    with pytest.raises(
        ArchiveRefused, match=r"已于 2026-11-\d\d \d\d:\d\d 归档，档号 Z001-WS·2026-D10-HL-0001，不能重复归档"
    ):
        archive_document(desk, first.number)
    with desk.db.write() as s:
        row = s.scalars(select(IssuedDocument).where(IssuedDocument.number == gone.number)).one()
        row.status, row.disposed_at, row.disposal_register = "disposed", NOW, "HL-XHQC-2026-0001"
    with pytest.raises(ArchiveRefused, match="已销毁（销毁清册 HL-XHQC-2026-0001），不能归档"):
        archive_document(desk, gone.number)
    (desk.output_dir / changed.pdf_path).write_bytes(b"%PDF-1.7 changed")
    with pytest.raises(ArchiveRefused, match="sha256 不符"):
        archive_document(desk, changed.number)
    with pytest.raises(DocumentNotFound, match="没有编号为“HL-NOPE”的文书"):
        archive_document(desk, "HL-NOPE")
    void_document(desk, voided.number, "填错了")  # a voided document is a record: it can be archived
    assert archive_document(desk, voided.number, stamp=False).archive_code == "Z001-WS·2026-D10-HL-0002"
    with desk.db.read() as s:
        assert s.get(NumberCounter, "ARCHIVE:Z001-WS·2026-D10-HL").value == 2  # refusals used no 件号
    assert sorted(p.name for p in (desk.output_dir / "archive" / "2026").iterdir()) == [
        "Z001-WS·2026-D10-HL-0001.pdf",
        "Z001-WS·2026-D10-HL-0002.pdf",
    ]


def test_a_failed_copy_gives_its_item_number_back(any_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = any_desk
    doc = issue(desk)

    def broken(*_args: object, **_kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr("app.render.archive_copy.write_archive_copy", broken)
    with pytest.raises(RenderFailed, match="生成归档件失败（OSError），未归档，件号未占用"):
        archive_document(desk, doc.number)
    assert archived(desk, doc.number).archive_code is None
    monkeypatch.undo()
    assert archive_document(desk, doc.number, stamp=False).archive_code == "Z001-WS·2026-D10-HL-0001"
    assert list((desk.output_dir / "archive" / "2026").glob(".stage-*")) == []


@pytest.mark.usefixtures("numbering_only")
def test_concurrent_archiving_gets_consecutive_item_numbers(any_desk: Desk) -> None:
    desk = any_desk
    docs = [issue(desk) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda d: archive_document(desk, d.number, stamp=False).archive_code, docs))
    assert sorted(codes) == [f"Z001-WS·2026-D10-HL-{i:04d}" for i in range(1, 5)]


# --- the archive copy: PDF/A-3b by validators --------------------------------------------------------


def stamp_area_text(path: Path) -> str:
    """The text in the top margin, centred, of page 1: where the 归档章 goes (points, at 72 dpi)."""
    args = ["pdftotext", "-enc", "UTF-8", "-layout", "-f", "1", "-l", "1"]
    args += ["-x", "230", "-y", "0", "-W", "135", "-H", "45", str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def test_the_archive_copy_is_pdfa_3b_with_the_stamp_and_the_data(desk: Desk, tmp_path: Path) -> None:
    first = issue(desk, "repair-order")  # 一年 → D10; four copies (联) of one page
    doc = issue(desk, "repair-order", reporter_name="欧阳娜娜")
    plain = issue(desk, "repair-order")
    archive_document(desk, first.number, stamp=False)
    row = archive_document(desk, doc.number, by="档案员")
    assert row.archive_code == "Z001-WS·2026-D10-HL-0002" and row.archived_by == "档案员"
    copy = desk.output_dir / (row.archive_pdf_path or "")
    unstamped = desk.output_dir / (archived(desk, first.number).archive_pdf_path or "")
    issued = desk.output_dir / doc.pdf_path

    # the stamp: 全宗号 年度 件号 / 机构 保管期限 页数, in the top margin of page 1 only
    stamp = stamp_area_text(copy).split()
    assert stamp == ["Z001", "2026", "0002", "HL", "D10", str(doc.pages)], stamp
    assert stamp_area_text(unstamped).split() == []
    assert stamp_area_text(issued).split() == []
    # every page of the issued PDF, with its text
    assert pdf_pages(copy) == pdf_pages(issued) == doc.pages == 4
    page1 = squash(pdf_text(copy).split("\f")[0])
    assert doc.number in page1 and "维修单" in page1 and "欧阳娜娜" in page1 and "第一联" in page1
    assert squash(pdf_text(copy)).replace("Z00120260002HLD104", "") == squash(pdf_text(issued))

    # the data: one JSON attachment, an associated file with /AFRelationship /Data, equal to the snapshot
    with pikepdf.open(copy) as pdf:
        assert list(pdf.attachments) == [f"{doc.number}.json"]
        spec = pdf.attachments[f"{doc.number}.json"]
        assert spec.obj.AFRelationship == pikepdf.Name.Data
        assert [f.objgen for f in pdf.Root.AF] == [spec.obj.objgen]
        embedded = json.loads(spec.get_file().read_bytes().decode("utf-8"))
        assert pdf.open_metadata().pdfa_status == "3B"
        assert not pdf.is_encrypted and len(pdf.trailer.ID) == 2
    expected = snapshot(archived(desk, doc.number))
    assert embedded == json.loads(json.dumps(expected))
    assert embedded["data"] == doc.data and embedded["data"]["reporter_name"] == "欧阳娜娜"
    assert embedded["archive_code"] == row.archive_code and embedded["archival_term"] == "D10"
    assert embedded["pdf_sha256"] == doc.pdf_sha256

    # the validators, in one Java run: the copy passes, a plain issued PDF and a copy without XMP fail
    no_xmp = tmp_path / "no-xmp.pdf"
    with pikepdf.open(copy) as pdf:
        del pdf.Root.Metadata
        pdf.save(no_xmp)
    ok, bare, plain_pdf, stripped = validate_many(
        [copy, unstamped, desk.output_dir / plain.pdf_path, no_xmp], [embedded, None, None, embedded]
    )
    assert ok.ok, ok.summary()
    assert bare.ok, bare.summary()
    waiver_codes = {w.code for w in PREFLIGHT_WAIVERS}
    assert {w.code for w in ok.waived} <= waiver_codes and {"1.4.7", "7.11.2"} <= {w.code for w in ok.waived}
    assert not plain_pdf.ok
    sources = {f.source for f in plain_pdf.findings}
    assert sources >= {"preflight", "pikepdf", "docdesk"}, plain_pdf.summary()
    assert {f.code for f in plain_pdf.findings if f.source == "docdesk"} >= {"pdfaid", "output-intent", "attachment"}
    assert not stripped.ok
    assert {f.code for f in stripped.findings if f.source == "docdesk"} == {"pdfaid"}
    assert any(f.source == "pikepdf" and "6.6.2.1" in f.code for f in stripped.findings), stripped.summary()
    assert any(f.source == "preflight" and f.code.startswith("7") for f in stripped.findings), stripped.summary()


def test_a_batch_notice_archives_as_valid_pdfa_3b(desk: Desk) -> None:
    """Batch notices are stamped (app/render/pdf_stamp.py): their own fonts, forms and QR image must archive too."""
    items = []
    for n, name in enumerate(("王芳", "欧阳娜娜", "李建国")):
        data = example(desk.catalogue, "arrears-reminder-1", customer_name=name)
        items.append(Reserved("arrears-reminder-1", data, f"arrears:HL:test-{n}:2026-11-20"))
    reserve_numbers(desk, [(x.key, x.form_id, dt.date(2026, 11, 20), "HL") for x in items])
    docs = issue_reserved(desk, items, project="HL")
    assert desk.pdf_stamper.stamped == 3
    rows = [archive_document(desk, d.number) for d in docs]
    copies = [desk.output_dir / (r.archive_pdf_path or "") for r in rows]
    reports = validate_many(copies, [json.loads(json.dumps(snapshot(archived(desk, d.number)))) for d in docs])
    for report in reports:
        assert report.ok, report.summary()
        assert {w.code for w in report.waived} <= {w.code for w in PREFLIGHT_WAIVERS}
    for copy, doc in zip(copies, docs, strict=True):
        assert doc.number in squash(pdf_text(copy)) and doc.data["customer_name"] in squash(pdf_text(copy))


def test_the_copy_fixes_the_cid_font_charsets_and_a_changed_json_is_caught(desk: Desk, tmp_path: Path) -> None:
    doc = issue(desk, "repair-order")
    row = archive_document(desk, doc.number, stamp=False)
    copy = desk.output_dir / (row.archive_pdf_path or "")
    with pikepdf.open(copy) as pdf:
        programs = [
            o.FontFile3
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == pikepdf.Name.FontDescriptor and "/FontFile3" in o
        ]
        assert programs
        for program in programs:
            assert program.Subtype == pikepdf.Name.CIDFontType0C
            cff = program.read_bytes()
            top = _cff_top_dict(cff)
            glyphs = int.from_bytes(cff[top[17] : top[17] + 2], "big")
            assert _charset_cids(cff, top[15], glyphs) == list(range(glyphs))  # CID = glyph id
        spec = pdf.attachments[f"{doc.number}.json"]
        changed = json.loads(spec.get_file().read_bytes())
    changed["data"]["reporter_name"] = "改过的名字"
    found = structure_findings(copy, changed)
    assert [(f.code, f.message) for f in found] == [("snapshot", f"附件 {doc.number}.json 与登记的数据不符：data")]
    with pikepdf.open(desk.output_dir / doc.pdf_path) as pdf:  # the issued file itself is untouched
        for o in pdf.objects:
            if isinstance(o, pikepdf.Dictionary) and "/FontFile3" in o:
                assert o.FontFile3.Subtype == pikepdf.Name.OpenType
                assert _sfnt_table(o.FontFile3.read_bytes(), b"CFF ") is not None


# --- entry points: API, page, CLI --------------------------------------------------------------------


def test_api_and_page(desk: Desk, client: TestClient) -> None:
    doc, other, never = (issue(desk, "repair-order") for _ in range(3))
    r = client.post(f"/api/documents/{doc.number}/archive", json={"stamp": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["archive_code"] == "Z001-WS·2026-D10-HL-0001"
    assert body["archive_parts"] == {
        "fonds": "Z001",
        "category": "WS",
        "year": "2026",
        "term": "D10",
        "org": "HL",
        "item": "0001",
        "term_label": "定期10年",
    }
    assert (
        body["archived_by"] == "管理员" and body["links"]["archive_pdf"] == f"/api/documents/{doc.number}/archive.pdf"
    )
    pdf = client.get(body["links"]["archive_pdf"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == body["archive_pdf"]["sha256"]
    assert "Z001-WS%C2%B72026-D10-HL-0001.pdf" in pdf.headers["content-disposition"]

    again = client.post(f"/api/documents/{doc.number}/archive")
    assert again.status_code == 409 and "不能重复归档" in again.json()["detail"]
    assert client.post("/api/documents/HL-NOPE/archive").status_code == 404
    bad = client.post(f"/api/documents/{other.number}/archive", json={"stamp": "也许"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["label"] == "首页加盖归档章"
    missing = client.get(f"/api/documents/{never.number}/archive.pdf")
    assert missing.status_code == 404 and missing.json()["detail"] == f"文书 {never.number} 尚未归档，没有归档件"

    # the document page's form: stamp ticked or not
    page = client.post(f"/documents/{other.number}/archive", data={}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/documents/{other.number}?archived=1"
    row = archived(desk, other.number)
    assert row.archive_code == "Z001-WS·2026-D10-HL-0002" and row.archived_by == "管理员"
    assert stamp_area_text(desk.output_dir / (row.archive_pdf_path or "")).split() == []
    shown = client.get(f"/documents/{other.number}")
    assert "Z001-WS·2026-D10-HL-0002" in shown.text
    refused = client.post(f"/documents/{other.number}/archive", data={"stamp": "1"}, headers={"accept": "text/html"})
    assert refused.status_code == 409 and "不能重复归档" in refused.text
    with desk.db.read() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "archive")).all()
    assert [(e.target, e.actor, e.detail["stamp"]) for e in events] == [
        (doc.number, "管理员", True),
        (other.number, "管理员", False),
    ]


def test_cli_archive(desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = (issue(desk, "repair-order") for _ in range(2))
    monkeypatch.setenv("DOCDESK_DATABASE_URL", desk.db.url)
    monkeypatch.setenv("DOCDESK_OUTPUT_DIR", str(desk.output_dir))
    assert main(["archive", a.number, b.number, "--by", "档案员"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(n, code) for n, code, _ in lines] == [
        (a.number, "Z001-WS·2026-D10-HL-0001"),
        (b.number, "Z001-WS·2026-D10-HL-0002"),
    ]
    assert all(Path(path).is_file() for _, _, path in lines)
    assert main(["archive", a.number, "HL-NOPE", "--no-stamp"]) == 1
    err = capsys.readouterr().err
    assert f"✗ {a.number}：文书 {a.number} 已于" in err and "不能重复归档" in err
    assert "✗ HL-NOPE：没有编号为“HL-NOPE”的文书" in err and "2 份未能归档" in err


# --- 归档文件目录 -----------------------------------------------------------------------------------------


def catalogue_sheets(body: bytes) -> dict[str, list[list[object]]]:
    wb = load_workbook(io.BytesIO(body))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


@pytest.mark.usefixtures("numbering_only")
def test_archive_catalogue_lists_each_class_in_item_order(desk: Desk, client: TestClient, tmp_path: Path) -> None:
    first, second, never = (issue(desk, "repair-order") for _ in range(3))
    older = issue(desk, doc_date="2025-06-01", start_date="2025-06-01", end_date="2025-12-31")
    jh = issue_document(desk, "repair-order", example(desk.catalogue, "repair-order"), project="JH", now=NOW)
    for doc in (second, first, older, jh):  # 件号 in the order archived
        archive_document(desk, doc.number, stamp=False)
    void_document(desk, first.number, reason="客户信息填错", by="档案员")
    first, second = archived(desk, first.number), archived(desk, second.number)

    r = client.get("/api/archive/catalogue.xlsx", params={"year": 2026})
    assert r.status_code == 200, r.text
    assert "%E5%BD%92%E6%A1%A3%E6%96%87%E4%BB%B6%E7%9B%AE%E5%BD%95-2026.xlsx" in r.headers["content-disposition"]
    sheets = catalogue_sheets(r.content)
    assert list(sheets) == ["Z001-WS·2026-D10-HL", "Z001-WS·2026-D10-JH"]  # 2025 is another 年度
    hl = sheets["Z001-WS·2026-D10-HL"]
    assert hl[0][0] == "归档文件目录"
    assert hl[1][0] == "全宗号 Z001　门类 WS　年度 2026　保管期限 定期10年　机构（问题） HL"
    assert hl[2] == ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
    company = desk.projects["HL"].company
    assert hl[3:] == [
        [1, "Z001-WS·2026-D10-HL-0001", second.number, company, f"{second.form_title}[{second.subject}]",
         f"{second.document_date:%Y%m%d}", None, second.pages, None],
        [2, "Z001-WS·2026-D10-HL-0002", first.number, company, f"{first.form_title}[{first.subject}]",
         f"{first.document_date:%Y%m%d}", None, first.pages, "已作废：客户信息填错"],
    ]  # fmt: skip
    assert second.subject and second.pages == pdf_pages(desk.output_dir / second.pdf_path)
    assert never.number not in r.text
    assert list(catalogue_sheets(client.get("/api/archive/catalogue.xlsx?year=2025").content)) == [
        "Z001-WS·2025-D10-HL"
    ]

    # an HL archivist sees HL only; another project's catalogue is not there for them
    hl_archivist = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "archivist", ("HL",))))
    assert list(catalogue_sheets(hl_archivist.get("/api/archive/catalogue.xlsx?year=2026").content)) == [
        "Z001-WS·2026-D10-HL"
    ]
    refused = hl_archivist.get("/api/archive/catalogue.xlsx", params={"year": 2026, "project": "JH"})
    assert refused.status_code == 404 and "没有符合条件的已归档文书" in refused.json()["detail"]
    bad = client.get("/api/archive/catalogue.xlsx", params={"year": "去年"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["label"] == "年度"
    finance = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "finance", ("HL",))))
    assert finance.get("/api/archive/catalogue.xlsx").status_code == 403
    assert "归档文件目录" in client.get("/documents").text and "归档文件目录" not in finance.get("/documents").text
    with desk.db.read() as s:
        exports = s.scalars(select(AuditEvent).where(AuditEvent.target == "archive-catalogue")).all()
    assert [e.detail["documents"] for e in exports] == [3, 1, 2]


def test_cli_archive_catalogue(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("app.pdfa.pikepdf_findings", lambda _path: [])
    doc = issue(desk, "repair-order")
    monkeypatch.setenv("DOCDESK_DATABASE_URL", desk.db.url)
    monkeypatch.setenv("DOCDESK_OUTPUT_DIR", str(desk.output_dir))
    out = tmp_path / "目录.xlsx"
    assert main(["archive-catalogue", "--year", "2026", "--out", str(out)]) == 1  # nothing archived yet
    assert "没有符合条件的已归档文书" in capsys.readouterr().err and not out.exists()
    archive_document(desk, doc.number, stamp=False)
    assert main(["archive-catalogue", "--year", "2026", "--project", "HL", "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == ["Z001-WS·2026-D10-HL\t1 件", str(out)]
    rows = catalogue_sheets(out.read_bytes())["Z001-WS·2026-D10-HL"]
    assert rows[3][1:3] == ["Z001-WS·2026-D10-HL-0001", doc.number]
    ws = load_workbook(out)["Z001-WS·2026-D10-HL"]  # printed to bind: A4 landscape, the header on every page
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize or 0) == 9  # A4
    assert ws.print_title_rows == "$3:$3"
