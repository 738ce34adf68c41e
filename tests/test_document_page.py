"""The document page: copies, a live sha256 check of the files, the history, and re-issuing a voided document."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.issue import Desk, issue_document, void_document
from tests.conftest import example
from tests.test_pages import HTML, repair_post


def test_the_page_shows_copies_files_and_history(client: TestClient, desk: Desk) -> None:
    doc = issue_document(desk, "repair-order", example(desk.catalogue, "repair-order"), issued_by="张前台")
    client.get(f"/api/documents/{doc.number}/pdf")
    page = client.get(f"/documents/{doc.number}", headers=HTML).text
    assert "第四联" in page  # the copies of the form
    files = page.split('id="files"')[1].split("</table>")[0]
    assert files.count("✔ 与登记一致") == 2
    events = page.split('id="history"')[1].split("</table>")[0]
    assert re.search(r"开具</td><td>张前台", events)
    assert "下载" in events and "查看" in events  # the earlier download and this very view


def test_a_changed_or_missing_file_shows_on_the_page(client: TestClient, desk: Desk) -> None:
    doc = issue_document(desk, "key-custody-entrustment", example(desk.catalogue, "key-custody-entrustment"))
    with (desk.output_dir / doc.pdf_path).open("ab") as f:
        f.write(b"%tampered")
    (desk.output_dir / doc.docx_path).unlink()
    files = client.get(f"/documents/{doc.number}", headers=HTML).text.split('id="files"')[1].split("</table>")[0]
    assert "✖ 已被改动" in files and "✖ 文件缺失" in files and "✔" not in files


def test_a_voided_document_is_reissued_from_its_page_and_both_link(client: TestClient, desk: Desk) -> None:
    r = client.post("/forms/key-custody-entrustment/issue", data=repair_post(client), follow_redirects=False)
    old = r.headers["location"].split("/documents/")[1].split("?")[0]
    page = client.get(f"/documents/{old}", headers=HTML).text
    assert "重新开具" not in page  # only a voided document is re-issued
    void_document(desk, old, "钥匙数量写错", by="前台")
    page = client.get(f"/documents/{old}", headers=HTML).text
    link = re.search(r'href="(/forms/key-custody-entrustment\?replaces=[^"]+)"', page)
    assert link is not None
    form = client.get(link.group(1), headers=HTML).text
    assert f'name="_replaces" value="{old}"' in form and "本文书将替代已作废的" in form
    posted = repair_post(client, _replaces=old, key_count="3")
    r = client.post("/forms/key-custody-entrustment/issue", data=posted, follow_redirects=False)
    assert r.status_code == 303
    new = r.headers["location"].split("/documents/")[1].split("?")[0]
    assert new != old
    assert client.get(f"/api/documents/{old}").json()["replaced_by"] == new
    assert client.get(f"/api/documents/{new}").json()["replaces"] == old
    assert f'由 <a href="/documents/{new}">{new}</a> 重新开具替代' in client.get(f"/documents/{old}", headers=HTML).text
    # a second replacement of the same document is refused with the reason, nothing issued
    r = client.post("/forms/key-custody-entrustment/issue", data=posted, headers=HTML)
    assert r.status_code == 422 and f"已由 {new} 替代" in r.text
    assert client.get("/api/documents").json()["total"] == 2
