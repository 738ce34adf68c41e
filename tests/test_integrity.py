"""`docdesk sanity-check`: the index against the files — missing, changed (sha256) and orphaned files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.cli import main
from app.integrity import check_integrity
from app.issue import Desk, issue_document
from tests.conftest import example

NOW = dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)


def test_a_clean_index_has_no_findings(desk: Desk) -> None:
    for form_id in ("arrears-reminder-1", "repair-order"):
        issue_document(desk, form_id, example(desk.catalogue, form_id), now=NOW)
    report = check_integrity(desk.db, desk.output_dir)
    assert report.ok and report.documents == 2 and report.files == 4


def test_changed_missing_and_orphaned_files_are_found(desk: Desk) -> None:
    a = issue_document(desk, "arrears-reminder-1", example(desk.catalogue, "arrears-reminder-1"), now=NOW)
    b = issue_document(desk, "repair-order", example(desk.catalogue, "repair-order"), now=NOW)
    pdf = desk.output_dir / a.pdf_path
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of the PDF flipped
    pdf.write_bytes(bytes(data))
    (desk.output_dir / b.docx_path).unlink()
    orphan = desk.output_dir / "2026" / "repair-order" / "HL-WXD-2026-99999.pdf"
    orphan.write_bytes(b"%PDF-1.7 left behind by a crash")
    report = check_integrity(desk.db, desk.output_dir)
    assert [(f.kind, f.number) for f in report.of("changed")] == [("changed", a.number)]
    assert [(f.kind, f.path) for f in report.of("missing")] == [("missing", b.docx_path)]
    assert [f.path for f in report.of("orphaned")] == ["2026/repair-order/HL-WXD-2026-99999.pdf"]
    assert "已被改动" in report.of("changed")[0].message and "未登记" in report.of("orphaned")[0].message


def test_cli_exit_code_and_json(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = issue_document(desk, "arrears-reminder-1", example(desk.catalogue, "arrears-reminder-1"), now=NOW)
    monkeypatch.setenv("DOCDESK_DATABASE_URL", desk.db.url)
    monkeypatch.setenv("DOCDESK_OUTPUT_DIR", str(desk.output_dir))
    assert main(["sanity-check"]) == 0
    assert "缺失 0" in capsys.readouterr().out
    Path(desk.output_dir / doc.pdf_path).unlink()
    assert main(["sanity-check", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["findings"][0]["kind"] == "missing" and out["findings"][0]["number"] == doc.number
