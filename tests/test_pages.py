"""The Chinese web pages: catalogue, generated form, inline errors, preview, issue, document page, verify."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FIRST_FORMS

HTML = {"accept": "text/html"}


def test_catalogue_groups_forms_by_kind_and_searches(client: TestClient) -> None:
    page = client.get("/", headers=HTML).text
    assert "表单目录" in page and "通知书" in page and "委托书" in page
    assert "催款通知书REMINDER(1)" in page
    found = client.get("/", params={"q": "装修"}, headers=HTML).text
    assert "装修许可证" in found and "催款通知书" not in found


def test_form_page_is_generated_from_the_definition(client: TestClient) -> None:
    page = client.get("/forms/repair-order", headers=HTML).text
    assert "维修单" in page and "第四联" in page
    assert 'name="room.building"' in page or 'name="room.room"' in page
    assert "加一行" in page


def repair_post(client: TestClient, **overrides: str) -> dict[str, str]:
    example = client.get("/api/forms/key-custody-entrustment").json()["schema"]["examples"][0]
    flat: dict[str, str] = {}
    for k, v in example.items():
        if isinstance(v, dict):
            for part, pv in v.items():
                flat[f"{k}.{part}"] = str(pv)
        elif v is not None and not isinstance(v, list):
            flat[k] = str(v)
    flat.update(overrides)
    return flat


def test_invalid_post_shows_inline_chinese_errors_and_keeps_values(client: TestClient) -> None:
    form = repair_post(client, key_count="很多")
    r = client.post("/forms/key-custody-entrustment/issue", data=form, headers=HTML)
    assert r.status_code == 422
    assert "需要修改" in r.text and "不是整数" in r.text
    assert "很多" in r.text  # the clerk's input is kept
    assert client.get("/api/documents").json()["total"] == 0


def test_issue_from_the_page_redirects_to_the_document(client: TestClient) -> None:
    r = client.post(
        "/forms/key-custody-entrustment/issue", data=repair_post(client), headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"], headers=HTML).text
    number = re.search(r"编号 <strong>([^<]+)</strong>", page).group(1)  # type: ignore[union-attr]
    assert "下载 PDF" in page and "下载 Word" in page and "打印" in page
    listed = client.get("/documents", headers=HTML).text
    assert number in listed
    verify = re.search(r'href="http://docdesk.test(/v/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    v = client.get(verify, headers=HTML).text
    assert number in v and "有效" in v
    client.post(f"/documents/{number}/void", data={"reason": "填错"}, headers=HTML)
    assert "已作废" in client.get(verify, headers=HTML).text
    assert client.get("/v/not-a-real-token-123", headers=HTML).status_code == 404


def test_preview_from_the_page_is_a_pdf(client: TestClient) -> None:
    r = client.post("/forms/key-custody-entrustment/preview", data=repair_post(client), headers=HTML)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get("/api/documents").json()["total"] == 0


def test_unknown_pages_are_chinese(client: TestClient) -> None:
    r = client.get("/forms/nope", headers=HTML)
    assert r.status_code == 404 and "没有编号为“nope”的表单" in r.text
    r = client.get("/documents/NOPE-1", headers=HTML)
    assert r.status_code == 404 and "找不到" in r.text


def flatten(data: dict[str, object]) -> list[tuple[str, str]]:
    """A submission as the browser posts it: room.building, items[0].amount, repeated multichoice names."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += [(f"{key}.{part}", str(v)) for part, v in value.items()]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                out += [(f"{key}[{i}].{col}", "" if v is None else str(v)) for col, v in row.items()]
        elif isinstance(value, list):
            out += [(key, str(v)) for v in value]
        elif isinstance(value, bool):
            if value:
                out.append((key, "on"))
        elif value is not None:
            out.append((key, str(value)))
    return out


@pytest.mark.parametrize("form_id", FIRST_FORMS)
def test_every_first_form_issues_from_the_browser(client: TestClient, form_id: str) -> None:
    data = client.get(f"/api/forms/{form_id}").json()["schema"]["examples"][0]
    page = client.get(f"/forms/{form_id}", params={"example": 1}, headers=HTML).text
    for name, _ in flatten(data):
        assert f'name="{name}"' in page or name.split("[")[0] in page, f"{name} has no input"
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in [*flatten(data), ("_project", "HL")])
    r = client.post(
        f"/forms/{form_id}/issue",
        content=body,
        follow_redirects=False,
        headers={**HTML, "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 303, r.text[:2000]
    number = r.headers["location"].split("/")[2].split("?")[0]
    stored = client.get(f"/api/documents/{number}").json()["data"]
    desk = client.app.state.desk  # type: ignore[attr-defined]
    from app.validation import validate_submission

    assert stored == validate_submission(desk.form(form_id), data)
