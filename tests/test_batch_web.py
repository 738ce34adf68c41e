"""Batches through the API and the finance page: check, start, progress, downloads, refusals in Chinese."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from bench.ledger import make_ledger
from tests.conftest import pdf_pages, pdf_text, squash


def ledger_bytes(tmp_path: Path, households: int = 12, bad_every: int = 5) -> tuple[bytes, int]:
    ledger = make_ledger(households, seed=41, bad_every=bad_every)
    return ledger.save(tmp_path / "l.xlsx").read_bytes(), sum(1 for r in ledger.rows if r.bad)


def post(client: TestClient, data: bytes, **form: str) -> object:
    files = {"file": ("台账.xlsx", data, "application/octet-stream")}
    return client.post("/api/batches/arrears", files=files, data={"date": "2026-11-01", **form})


def test_dry_run_lists_bad_rows_and_issues_nothing(client: TestClient, tmp_path: Path) -> None:
    data, bad = ledger_bytes(tmp_path)
    r = post(client, data, dry_run="true")
    assert r.status_code == 202, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["status"] == "planned" and body["counts"]["bad_rows"] == bad == len(body["problems"])
    assert all(p["row"] >= 2 and p["reason"] for p in body["problems"])
    assert client.get("/api/documents").json()["total"] == 0


def test_batch_runs_to_the_end_and_serves_its_outputs(client: TestClient, tmp_path: Path) -> None:
    data, _ = ledger_bytes(tmp_path)
    r = post(client, data)
    assert r.status_code == 202  # type: ignore[attr-defined]
    batch_id = r.json()["id"]  # type: ignore[attr-defined]
    client.app.state.batches.wait()  # type: ignore[attr-defined]
    body = client.get(f"/api/batches/{batch_id}").json()
    assert body["status"] == "done" and body["progress"] == 100, body
    issued = body["counts"]["to_issue"]
    assert issued > 0 and body["done"] == issued
    pdf = client.get(body["links"]["print_pdf"])
    assert pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "print.pdf").write_bytes(pdf.content)
    assert pdf_pages(tmp_path / "print.pdf") == issued
    assert "催款通知书REMINDER(1)" in squash(pdf_text(tmp_path / "print.pdf"))
    wb = load_workbook(io.BytesIO(client.get(body["links"]["results"]).content))
    assert wb["已开具"].max_row == issued + 2
    assert client.get("/api/documents").json()["total"] == issued
    # the same ledger and date again: nothing new
    again = post(client, data).json()  # type: ignore[attr-defined]
    client.app.state.batches.wait()  # type: ignore[attr-defined]
    assert again["id"] == batch_id
    assert client.get("/api/documents").json()["total"] == issued


def test_refusals_are_chinese_and_name_the_problem(client: TestClient, tmp_path: Path) -> None:
    exe = post(client, b"MZ\x90\x00" + b"\x00" * 100)
    assert exe.status_code == 422 and "xlsx" in exe.json()["detail"]  # type: ignore[attr-defined]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["项目", "楼栋", "房号", "业主姓名"])
    buf = io.BytesIO()
    wb.save(buf)
    missing = post(client, buf.getvalue())
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert "费用项目" in missing.json()["detail"] and "应缴金额" in missing.json()["detail"]  # type: ignore[attr-defined]
    data, _ = ledger_bytes(tmp_path)
    assert post(client, data, date="2026-02-30").status_code == 422  # type: ignore[attr-defined]
    assert "项目" in post(client, data, project="XX").json()["detail"]  # type: ignore[attr-defined]
    assert client.get("/api/batches/nope").status_code == 404
    assert client.get("/api/batches/nope/files/print_pdf").status_code == 404
    r = post(client, data, dry_run="true").json()  # type: ignore[attr-defined]
    assert client.get(f"/api/batches/{r['id']}/files/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get(f"/api/batches/{r['id']}/files/ledger").status_code == 404


def test_finance_page_upload_check_start_and_download(client: TestClient, tmp_path: Path) -> None:
    assert "批量开具催款通知书" in client.get("/batches/arrears").text
    template = client.get("/api/batches/template")
    assert template.status_code == 200 and template.content.startswith(b"PK")
    data, bad = ledger_bytes(tmp_path)
    files = {"file": ("台账.xlsx", data, "application/octet-stream")}
    r = client.post("/batches/arrears", files=files, data={"date": "2026-11-01"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "已检查，待开具" in page and f"共 {bad} 行" in page and "确认，开始开具" in page
    r = client.post(r.headers["location"] + "/start", follow_redirects=False)
    client.app.state.batches.wait()  # type: ignore[attr-defined]
    page = client.get(r.headers["location"]).text
    assert "已完成" in page and "打印用 PDF" in page
    assert f"共 {bad} 行" in page  # the skipped rows stay listed after the batch ran
    batch_id = r.headers["location"].rsplit("/", 1)[1]
    body = client.get(f"/api/batches/{batch_id}").json()
    assert len(body["problems"]) == bad and body["counts"]["pages"] > 0
    bad_upload = client.post(
        "/batches/arrears", files={"file": ("x.xlsx", b"hello", "text/plain")}, data={"date": "2026-11-01"}
    )
    assert bad_upload.status_code == 422 and "xlsx" in bad_upload.text
