"""The JSON API: catalogue, schema with a valid example, preview, issue, list, fetch, download, void, errors."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from app.validation import validate_submission
from tests.conftest import FIRST_FORMS, docx_text, pdf_pages, squash


def test_forms_list_has_the_promised_shape(client: TestClient) -> None:
    forms = {f["id"]: f for f in client.get("/api/forms").json()}
    assert set(FIRST_FORMS) <= set(forms)
    repair = forms["repair-order"]
    assert set(repair) == {
        "id",
        "title",
        "kind",
        "tier",
        "copies",
        "retention",
        "form_code",
        "code",
        "aliases",
        "source",
    }
    assert [c["colour"] for c in repair["copies"]] == ["白", "绿", "黄", "蓝"]
    assert (
        repair["copies"][0] == {"n": 1, "name": "存根", "colour": "白", "holder": ""}
        or repair["copies"][0]["name"] == "存根"
    )
    assert forms["renovation-permit"]["retention"] == "三年"


def test_forms_can_be_searched_and_filtered(client: TestClient) -> None:
    titles = [f["title"] for f in client.get("/api/forms", params={"q": "催款"}).json()]
    assert len(titles) == 3 and all("催款" in t for t in titles)
    kinds = {f["kind"] for f in client.get("/api/forms", params={"kind": "notice"}).json()}
    assert kinds == {"notice"}


@pytest.mark.parametrize("form_id", FIRST_FORMS)
def test_schema_example_is_valid_and_issues_through_the_api(client: TestClient, form_id: str) -> None:
    detail = client.get(f"/api/forms/{form_id}").json()
    schema = detail["schema"]
    assert schema["type"] == "object" and schema["properties"]
    data = schema["examples"][0]
    desk = client.app.state.desk  # type: ignore[attr-defined]
    validate_submission(desk.form(form_id), data)
    r = client.post(f"/api/forms/{form_id}/documents", json={"data": data})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"number", "form_id", "status", "issued_at", "retain_until", "links"}
    assert body["status"] == "issued" and body["form_id"] == form_id
    pdf = client.get(body["links"]["pdf"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    docx = client.get(body["links"]["docx"])
    assert docx.status_code == 200
    path = desk.output_dir / "w.docx"
    path.write_bytes(docx.content)
    assert body["number"] in squash(docx_text(path))
    pdf_path = desk.output_dir / "w.pdf"
    pdf_path.write_bytes(pdf.content)
    copies = len(detail["copies"]) or 1
    assert pdf_pages(pdf_path) >= copies


def test_preview_is_a_sample_and_uses_no_number(client: TestClient, tmp_path: object) -> None:
    data = client.get("/api/forms/arrears-reminder-1").json()["schema"]["examples"][0]
    r = client.post("/api/forms/arrears-reminder-1/preview", json=data)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    from pathlib import Path

    out = Path(str(tmp_path)) / "p.pdf"
    out.write_bytes(r.content)
    from tests.conftest import pdf_text

    text = squash(pdf_text(out))
    assert "样张" in text and "王建国" in text
    issued = client.post("/api/forms/arrears-reminder-1/documents", json={"data": data}).json()
    assert issued["number"].endswith("-00001")


def test_invalid_data_gets_422_with_chinese_errors(client: TestClient) -> None:
    r = client.post("/api/forms/arrears-reminder-1/documents", json={"data": {"customer_name": "", "phone": "1"}})
    assert r.status_code == 422
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert errors["customer_name"]["label"] == "客户姓名"
    assert errors["phone"]["label"] == "电话"
    assert all({"field", "label", "message"} == set(e) for e in errors.values())
    assert client.get("/api/documents").json()["total"] == 0


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        (
            "post",
            "/api/forms/arrears-reminder-1/documents",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        ("post", "/api/forms/arrears-reminder-1/documents", {"json": ["a"]}),
        ("post", "/api/forms/arrears-reminder-1/documents", {"json": {"data": "x"}}),
        ("post", "/api/forms/arrears-reminder-1/documents", {"json": {"data": {}, "evil": 1}}),
        ("post", "/api/forms/arrears-reminder-1/preview", {"json": {"items": "not a list"}}),
        ("post", "/api/documents/X/void", {"json": {}}),
        ("get", "/api/documents?limit=0", {}),
        ("get", "/api/documents?status=weird", {}),
    ],
)
def test_garbage_requests_get_422_not_500(client: TestClient, method: str, url: str, kwargs: dict) -> None:  # type: ignore[type-arg]
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == 422, r.text
    assert r.json()["errors"]


def test_unknown_form_or_number_is_404(client: TestClient) -> None:
    assert client.get("/api/forms/no-such-form").status_code == 404
    assert client.post("/api/forms/no-such-form/documents", json={"data": {}}).status_code == 404
    for suffix in ("", "/pdf", "/docx"):
        r = client.get(f"/api/documents/HL-XX-2026-00001{suffix}")
        assert r.status_code == 404 and "没有编号" in r.json()["detail"]


def test_list_fetch_and_void(client: TestClient) -> None:
    data = client.get("/api/forms/arrears-reminder-2").json()["schema"]["examples"][0]
    numbers = [
        client.post("/api/forms/arrears-reminder-2/documents", json={"data": data}).json()["number"] for _ in range(2)
    ]
    listed = client.get("/api/documents", params={"form": "arrears-reminder-2"}).json()
    assert listed["total"] == 2 and {i["number"] for i in listed["items"]} == set(numbers)
    one = client.get(f"/api/documents/{numbers[0]}").json()
    assert one["data"]["customer_name"] == data["customer_name"]
    assert one["files"]["pdf"]["sha256"]
    r = client.post(f"/api/documents/{numbers[0]}/void", json={"reason": "金额有误"})
    assert r.status_code == 200 and r.json()["status"] == "voided"
    assert client.post(f"/api/documents/{numbers[0]}/void", json={"reason": "again"}).status_code == 409
    assert client.post(f"/api/documents/{numbers[1]}/void", json={"reason": ""}).status_code == 422
    assert client.get("/api/documents", params={"status": "voided"}).json()["total"] == 1
    q = data["customer_name"][:2]
    assert client.get("/api/documents", params={"q": q}).json()["total"] == 2


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/forms/{form_id}/documents" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_downloaded_docx_is_a_word_document(client: TestClient) -> None:
    from docx import Document

    data = client.get("/api/forms/repair-order").json()["schema"]["examples"][0]
    number = client.post("/api/forms/repair-order/documents", json={"data": data}).json()["number"]
    r = client.get(f"/api/documents/{number}/docx")
    doc = Document(io.BytesIO(r.content))
    assert any(number in p.text for p in doc.sections[0].header.paragraphs)
