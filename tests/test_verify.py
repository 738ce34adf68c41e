"""The public verification page behind every QR code: status, validity, masked parties, scan count."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from app.issue import Desk, issue_document, void_document
from app.masking import mask_id_card, mask_name, mask_parties, mask_phone, mask_text
from tests.conftest import example

NOW = dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)


def test_masking() -> None:
    assert mask_id_card("330106199001011234") == "3301**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0571-87651234") == "0571-******34"
    assert mask_name("王建国") == "王**" and mask_name("杭州安居装饰工程有限公司") == "杭州安居装饰工程有限公司"
    assert mask_text("业主王建国，身份证330106199001011234，电话13812345678") == (
        "业主王建国，身份证3301**********1234，电话138****5678"
    )
    assert mask_parties("王建国 杭州安居装饰工程有限公司") == "王** 杭州安居装饰工程有限公司"
    # a name written inside other text: in brackets, two names in one party, a note after a phone number
    assert mask_parties("王师傅（王永强） 张三/李四 赵六13812345678") == "王**（王**） 张*/李* 赵*138****5678"


def verify_url(doc: object) -> str:
    return f"/v/{doc.verify_token}"  # type: ignore[attr-defined]


def test_a_valid_permit_shows_validity_masked_parties_and_counts_scans(desk: Desk, client: TestClient) -> None:
    data = example(desk.catalogue, "renovation-permit")
    doc = issue_document(desk, "renovation-permit", data, now=NOW)
    first = client.get(verify_url(doc))
    assert first.status_code == 200
    page = first.text
    assert doc.number in page and "装修许可证" in page and "海亮·锦华花园" in page and "有效" in page
    assert str(doc.valid_from) in page and str(doc.valid_to) in page
    for name in doc.parties.split():
        if len(name) <= 4:
            assert name not in page and mask_name(name) in page
    assert "第 1 次查验" in page
    assert "第 2 次查验" in client.get(verify_url(doc)).text
    # no phone or ID number of the submitted data is shown, and no other free text
    form = desk.form("renovation-permit")
    personal = [f.key for f in form.fields if f.type in ("phone", "id_card")]
    assert personal
    for key in personal:
        assert data[key] not in page, key
    for f in form.fields:
        value = data.get(f.key)
        if f.type in ("text", "longtext") and isinstance(value, str) and len(value) >= 6 and value not in doc.parties:
            assert value not in page, f.key


def test_expired_voided_and_unknown(desk: Desk, client: TestClient) -> None:
    old = example(desk.catalogue, "renovation-permit")
    start = dt.date(2025, 1, 1)
    for key in ("valid_from", "start_date", "valid_to", "end_date"):
        if key in old:
            old[key] = str(start if "from" in key or "start" in key else start + dt.timedelta(days=60))
    form = desk.form("renovation-permit")
    old[form.valid_from or ""] = "2025-01-01"
    old[form.valid_to or ""] = "2025-03-01"
    expired = issue_document(desk, "renovation-permit", old, now=NOW)
    assert "已过期" in client.get(verify_url(expired)).text
    notice = issue_document(desk, "arrears-reminder-1", example(desk.catalogue, "arrears-reminder-1"), now=NOW)
    void_document(desk, notice.number, "金额有误，已重开")
    page = client.get(verify_url(notice)).text
    assert "已作废" in page and "不能使用" in page
    missing = client.get("/v/abcdefghijklmnop")
    assert missing.status_code == 404 and "查无此文书" in missing.text
    assert client.get("/v/short").status_code == 404


def test_lists_mask_personal_names_and_the_document_shows_them(desk: Desk, client: TestClient) -> None:
    data = example(desk.catalogue, "arrears-reminder-1", customer_name="王建国")
    doc = issue_document(desk, "arrears-reminder-1", data, now=NOW)
    listed = client.get("/api/documents").json()["items"][0]
    assert listed["parties"] == "王**"
    assert "王建国" not in client.get("/documents").text and "王**" in client.get("/documents").text
    assert client.get(f"/api/documents/{doc.number}").json()["parties"] == "王建国"  # the document itself
