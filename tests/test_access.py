"""Who may do what, where: every API route refuses the anonymous (401), the wrong role (403) and the wrong
project (404 or an empty list), and never answers with another project's data; roles × actions; masking."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth.policy import PERMISSIONS, allowed
from app.issue import Desk, issue_document
from app.web.main import create_app
from bench.ledger import make_ledger
from tests.conftest import bearer, example, token_for

SECRET_NAME = "郑晓岚"  # the owner on the JH document: no HL user may ever see it
SECRET_ID = "11010519491231002X"

# which permission each API route needs (anything signed in: None)
ROUTE_PERMISSION: dict[tuple[str, str], str | None] = {
    ("get", "/api/forms"): None,
    ("get", "/api/forms/{form_id}"): None,
    ("post", "/api/forms/{form_id}/preview"): "documents.issue",
    ("post", "/api/forms/{form_id}/documents"): "documents.issue",
    ("get", "/api/documents"): "documents.read",
    ("get", "/api/documents.xlsx"): "search",
    ("get", "/api/documents/{number}"): "documents.read",
    ("get", "/api/documents/{number}/pdf"): "documents.read",
    ("get", "/api/documents/{number}/docx"): "documents.read",
    ("post", "/api/documents/{number}/void"): "documents.void",
    ("post", "/api/documents/{number}/archive"): "archive",
    ("get", "/api/documents/{number}/archive.pdf"): "archive",
    ("get", "/api/archive/catalogue.xlsx"): "archive",
    ("get", "/api/batches/template"): "batches",
    ("post", "/api/batches/arrears"): "batches",
    ("get", "/api/batches/{batch_id}"): "batches",
    ("post", "/api/batches/{batch_id}/start"): "batches",
    ("get", "/api/batches/{batch_id}/files/{name}"): "batches",
    ("get", "/api/retention/due"): "records",
    ("get", "/api/holds"): "records",
    ("post", "/api/holds"): "records",
    ("post", "/api/holds/{hold_id}/release"): "records",
    ("get", "/api/disposals"): "records",
    ("post", "/api/disposals"): "records",
    ("get", "/api/disposals/{disposal_id}"): "records",
    ("post", "/api/disposals/{disposal_id}/confirm"): "records",
    ("post", "/api/disposals/{disposal_id}/cancel"): "records",
}


@pytest.fixture
def jh(desk: Desk, tmp_path: Any) -> dict[str, Any]:
    """A JH document (with a hold and a batch of JH) that HL staff must not reach, and the admin's client."""
    admin = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "admin", name="管理员")))
    data = example(desk.catalogue, "renovation-permit", owner_name=SECRET_NAME, owner_id_card=SECRET_ID)
    doc = issue_document(desk, "renovation-permit", data, project="JH", issued_by="管理员")
    hold = admin.post("/api/holds", json={"scope": "document", "value": doc.number, "reason": "测试保全"})
    assert hold.status_code == 201, hold.text
    ledger = make_ledger(3, seed=5).save(tmp_path / "jh.xlsx").read_bytes()
    files = {"file": ("台账.xlsx", ledger, "application/octet-stream")}
    batch = admin.post(
        "/api/batches/arrears", files=files, data={"date": "2026-11-01", "project": "JH", "dry_run": "1"}
    )
    assert batch.status_code == 202, batch.text
    return {"doc": doc, "hold": hold.json()["id"], "batch": batch.json()["id"], "admin": admin}


def routes(app: Any) -> list[tuple[str, str]]:
    return [(m, p) for p, ops in app.openapi()["paths"].items() for m in ops]


def fill(path: str, jh: dict[str, Any]) -> str:
    values = {
        "number": jh["doc"].number,
        "form_id": "renovation-permit",
        "batch_id": jh["batch"],
        "name": "results",
        "hold_id": str(jh["hold"]),
        "disposal_id": "1",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def body_for(method: str, path: str, jh: dict[str, Any], desk: Desk) -> dict[str, Any]:
    if method != "post":
        return {}
    if path.endswith("/documents") or path.endswith("/preview"):
        data = example(desk.catalogue, "renovation-permit")
        return {
            "json": {"data": data, "project": "JH"} if path.endswith("/documents") else data,
            "params": {"project": "JH"},
        }
    if path.endswith("/void") or path.endswith("/release"):
        return {"json": {"reason": "试图越权"}}
    if path == "/api/holds":
        return {"json": {"scope": "document", "value": jh["doc"].number, "reason": "试图越权"}}
    if path == "/api/disposals":
        return {"json": {"numbers": [jh["doc"].number]}}
    if path == "/api/batches/arrears":
        return {
            "files": {"file": ("x.xlsx", b"PK", "application/octet-stream")},
            "data": {"date": "2026-11-01", "project": "JH"},
        }
    return {"json": {}}


def call(client: TestClient, method: str, path: str, jh: dict[str, Any], desk: Desk) -> Any:
    return client.request(method.upper(), fill(path, jh), **body_for(method, path, jh, desk))


def test_every_route_is_listed_in_the_permission_table(client: TestClient) -> None:
    assert set(routes(client.app)) == set(ROUTE_PERMISSION)


def test_every_api_route_refuses_the_anonymous(desk: Desk, jh: dict[str, Any]) -> None:
    anonymous = TestClient(create_app(desk=desk))
    for method, path in routes(anonymous.app):
        r = call(anonymous, method, path, jh, desk)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.json() == {"detail": "请先登录"}
    bogus = TestClient(create_app(desk=desk), headers=bearer("dd_not-a-token"))
    assert bogus.get("/api/forms").status_code == 401


@pytest.mark.parametrize("role", ["clerk", "finance", "archivist"])
def test_every_api_route_refuses_the_wrong_role_or_project_and_shows_no_data(
    desk: Desk, jh: dict[str, Any], role: str
) -> None:
    """An HL user of each role against the JH document, hold and batch: 403, 404 or an empty answer."""
    hl = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, role, ("HL",))))
    for method, path in routes(hl.app):
        permission = ROUTE_PERMISSION[(method, path)]
        r = call(hl, method, path, jh, desk)
        where = (role, method, path, r.status_code, r.text[:200])
        assert SECRET_NAME not in r.text and SECRET_ID not in r.text, where
        assert jh["doc"].number not in r.text or r.status_code == 404, where  # only echoed in "没有编号…"
        if permission is None:
            assert r.status_code == 200, where
        elif not allowed_role(role, permission):
            assert r.status_code == 403 and r.json()["detail"].startswith("没有权限"), where
        else:
            assert r.status_code in (200, 403, 404, 422), where  # the project: refused, not found, or empty
    # nothing changed for JH: the document is still valid and held
    doc = jh["admin"].get(f"/api/documents/{jh['doc'].number}").json()
    assert doc["status"] == "issued"
    assert [h["id"] for h in jh["admin"].get("/api/holds").json()] == [jh["hold"]]


def allowed_role(role: str, permission: str) -> bool:
    class Who:
        projects = frozenset({"HL"})

    who = Who()
    who.role = role  # type: ignore[attr-defined]
    return allowed(who, permission)  # type: ignore[arg-type]


def test_the_permission_table_is_what_the_roles_mean() -> None:
    table = {
        p: sorted(r for r in ("clerk", "finance", "archivist", "admin") if allowed_role(r, p)) for p in PERMISSIONS
    }
    assert table["documents.issue"] == ["admin", "clerk"]
    assert table["batches"] == ["admin", "finance"]
    assert table["records"] == table["archive"] == table["search"] == ["admin", "archivist"]
    assert table["users"] == ["admin"]
    assert table["documents.read"] == ["admin", "archivist", "clerk", "finance"]


def test_a_clerk_issues_and_voids_in_their_project_only(desk: Desk) -> None:
    clerk = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "clerk", ("HL",), name="小王")))
    data = example(desk.catalogue, "key-custody-entrustment")
    r = clerk.post("/api/forms/key-custody-entrustment/documents", json={"data": data, "project": "HL"})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert clerk.get(f"/api/documents/{number}").json()["issued_by"] == "小王"
    r = clerk.post("/api/forms/key-custody-entrustment/documents", json={"data": data, "project": "JH"})
    assert r.status_code == 403 and r.json()["detail"] == "没有权限：项目 JH"
    assert clerk.post(f"/api/documents/{number}/void", json={"reason": "写错"}).status_code == 200
    listed = clerk.get("/api/documents").json()
    assert {d["project"] for d in listed["items"]} == {"HL"}


def test_finance_sees_personal_data_masked_and_the_view_is_audited(desk: Desk, client: TestClient) -> None:
    data = example(desk.catalogue, "renovation-permit", owner_name=SECRET_NAME, owner_id_card=SECRET_ID)
    doc = issue_document(desk, "renovation-permit", data, project="HL")
    finance = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "finance", ("HL",), name="财务小李")))
    masked = finance.get(f"/api/documents/{doc.number}").json()
    assert masked["data"]["owner_id_card"] == "1101**********002X"
    assert SECRET_ID not in str(masked) and masked["parties"].startswith("郑**")
    full = client.get(f"/api/documents/{doc.number}").json()  # the administrator
    assert full["data"]["owner_id_card"] == SECRET_ID
    page = finance.get(f"/documents/{doc.number}").text
    assert SECRET_ID not in page and "1101**********002X" in page
    with desk.db.read() as s:
        from sqlalchemy import select

        from app.index.models import AuditEvent

        views = [
            (e.actor, e.detail.get("personal_data"))
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.target == doc.number))
        ]
    assert ("财务小李", "masked") in views and ("管理员", "full") in views


def test_pages_send_the_anonymous_to_login_and_refuse_the_wrong_role(desk: Desk) -> None:
    anonymous = TestClient(create_app(desk=desk), follow_redirects=False)
    for path in ("/", "/forms/renovation-permit", "/documents", "/batches/arrears", "/retention", "/holds"):
        r = anonymous.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert anonymous.get("/v/not-a-real-token-xyz").status_code == 404  # public, and says 未找到
    clerk = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "clerk", ("HL",))))
    r = clerk.get("/retention", headers={"accept": "text/html"})
    assert r.status_code == 403 and "没有权限" in r.text


def test_no_request_reaches_outside_the_data_folders(desk: Desk, client: TestClient) -> None:
    # hostile numbers and names in paths, and an index row whose path was tampered with to point outside output/
    for path in (
        "/api/documents/..%2F..%2F..%2Fetc%2Fpasswd/pdf",
        "/api/documents/%2Fetc%2Fpasswd/docx",
        "/api/batches/..%2F..%2Fetc/files/results",
        "/api/batches/x/files/..%2F..%2Fetc%2Fpasswd",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
    ):
        r = client.get(path)
        assert r.status_code in (404, 422) and "root:" not in r.text, (path, r.status_code)
    doc = issue_document(desk, "key-custody-entrustment", example(desk.catalogue, "key-custody-entrustment"))
    with desk.db.write() as s:
        from app.index.repository import get_by_number

        row = get_by_number(s, doc.number)
        assert row is not None
        row.pdf_path = "../../../../etc/passwd"
    r = client.get(f"/api/documents/{doc.number}/pdf")
    assert r.status_code == 404 and "root:" not in r.text
