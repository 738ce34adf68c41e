"""Retention due, legal holds and disposal (档案销毁清册, confirmation, tombstones), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from app.archive import archive_document
from app.cli import main
from app.disposal import (
    DISPOSAL_FORM,
    cancel_disposal,
    confirm_disposal,
    propose_disposal,
    retention_due,
)
from app.holds import holds_covering, place_hold, release_hold
from app.index.audit import verify_chain
from app.index.models import AuditEvent, Disposal, IssuedDocument
from app.index.repository import get_by_number
from app.integrity import check_integrity
from app.issue import Desk, InvalidAction, issue_document, void_document
from app.validation import SubmissionInvalid
from app.web.main import create_app
from tests.conftest import bearer, example, pdf_text, squash, token_for

OLD = dt.datetime(2020, 3, 1, 2, tzinfo=dt.UTC)  # issued 2020-03-01: every fixed period has run out by 2026
NOW = dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)  # the archivist works on 2026-11-22
HTML = {"accept": "text/html"}


@pytest.fixture(params=["sqlite", "postgresql"])
def any_desk(request: pytest.FixtureRequest) -> Desk:
    desk: Desk = request.getfixturevalue("desk" if request.param == "sqlite" else "pg_desk")
    return desk


def issue(desk: Desk, form_id: str, when: dt.datetime = OLD, project: str | None = None) -> IssuedDocument:
    return issue_document(desk, form_id, example(desk.catalogue, form_id), now=when, project=project)


def doc(desk: Desk, number: str) -> IssuedDocument:
    with desk.db.read() as s:
        found = get_by_number(s, number)
    assert found is not None
    return found


def due(desk: Desk, as_of: dt.date, project: str | None = None) -> Any:
    with desk.db.read() as s:
        return retention_due(s, as_of, project)


def numbers(items: list[Any]) -> set[str]:
    return {i.number for i in items}


def refused(exc: pytest.ExceptionInfo[SubmissionInvalid]) -> dict[str, str]:
    """The refused numbers of a proposal, each with its Chinese message (which names the number)."""
    out = {}
    for e in exc.value.errors:
        assert e.label == "文书编号" and e.field.startswith("numbers[")
        out[e.message.split("：", 1)[0]] = e.message
    return out


def files_of(desk: Desk, d: IssuedDocument) -> list[Any]:
    return [desk.output_dir / d.pdf_path, desk.output_dir / d.docx_path]


# ---- retention due ----


@pytest.mark.parametrize(
    ("rule", "three_years_end", "five_years_end"),
    [("issue", dt.date(2027, 3, 10), dt.date(2029, 3, 10)), ("next-year", dt.date(2028, 1, 1), dt.date(2030, 1, 1))],
)
def test_retention_due_lists_exactly_the_expired_under_both_counting_rules(
    any_desk: Desk, rule: str, three_years_end: dt.date, five_years_end: dt.date
) -> None:
    desk = any_desk
    desk.retention_rule = rule
    day = dt.datetime(2024, 3, 10, 2, tzinfo=dt.UTC)
    notice = issue(desk, "arrears-reminder-1", day)  # 三年
    spoiled = issue(desk, "arrears-reminder-1", day)  # voided: a record too, due like the others
    void_document(desk, spoiled.number, "写错了")
    other_project = issue(desk, "arrears-reminder-1", day, project="JH")
    keys = issue(desk, "key-custody-entrustment", day)  # 五年
    tied = issue(desk, "gear-issue-register", day)  # 同装备的使用期限
    assert notice.retain_until == three_years_end and keys.retain_until == five_years_end
    assert tied.retain_until is None

    before = due(desk, three_years_end - dt.timedelta(days=1))
    assert before.disposable == [] and before.total == 0
    on_the_day = due(desk, three_years_end)
    assert numbers(on_the_day.disposable) == {notice.number, spoiled.number, other_project.number}
    assert on_the_day.held == [] and on_the_day.pending == [] and on_the_day.tied == 1
    assert {i.status for i in on_the_day.disposable} == {"issued", "voided"}
    assert numbers(due(desk, three_years_end, "HL").disposable) == {notice.number, spoiled.number}
    later = due(desk, five_years_end)
    assert numbers(later.disposable) == {notice.number, spoiled.number, other_project.number, keys.number}
    # 永久 and tied periods never come due
    assert tied.number not in numbers(due(desk, dt.date(2200, 1, 1)).disposable)


# ---- legal holds ----


def test_holds_by_number_room_and_party_block_proposal_until_released(any_desk: Desk) -> None:
    desk = any_desk
    repair = issue(desk, "repair-order")  # room 5-2-1103, parties 周丽华 …
    notice = issue(desk, "arrears-reminder-1")  # room 3--1502, party 王建国
    permit = issue(desk, "renovation-permit")  # room 7-1-702, parties 林晓峰 …
    keys = issue(desk, "key-custody-entrustment")  # room 11-2-1503, party 沈立群; 五年, expired in 2025
    assert (notice.room, keys.room) == ("3--1502", "11-2-1503")

    by_number = place_hold(desk.db, "document", repair.number, "业主起诉维修质量", "李档案", now=NOW)
    by_room = place_hold(desk.db, "room", "3栋1502室", "(2026)浙0106民初1234号 物业费纠纷", "李档案", "HL", now=NOW)
    assert by_room.value == "3--1502"  # the room is stored in its one spelling
    by_party = place_hold(desk.db, "party", "林晓峰", "装修纠纷调解中", "李档案", now=NOW)
    place_hold(desk.db, "party", "王建", "只写了半个名字", "李档案", now=NOW)  # a whole name only: covers nobody
    place_hold(desk.db, "room", "11-2-1503", "另一个项目的房号", "李档案", "JH", now=NOW)  # other project

    report = due(desk, NOW.date())
    assert numbers(report.held) == {repair.number, notice.number, permit.number}
    assert numbers(report.disposable) == {keys.number}
    with desk.db.read() as s:
        assert [h.id for h in holds_covering(s, doc(desk, notice.number))] == [by_room.id]
        assert holds_covering(s, doc(desk, keys.number)) == []

    with pytest.raises(SubmissionInvalid) as exc:
        propose_disposal(desk, [repair.number, notice.number, permit.number, keys.number], now=NOW)
    why = refused(exc)
    assert set(why) == {repair.number, notice.number, permit.number}
    assert "保全" in why[notice.number] and "民初1234号" in why[notice.number]
    with desk.db.read() as s:
        assert s.scalars(select(Disposal)).all() == []  # nothing proposed, no register issued
        assert s.scalars(select(IssuedDocument).where(IssuedDocument.form_id == DISPOSAL_FORM)).all() == []

    release_hold(desk.db, by_party.id, "调解结案", "李档案", now=NOW)
    release_hold(desk.db, by_number.id, "撤诉", "李档案", now=NOW)
    disposal = propose_disposal(desk, [repair.number, permit.number], now=NOW)
    assert disposal.status == "pending" and set(disposal.numbers) == {repair.number, permit.number}
    with pytest.raises(InvalidAction, match="不能重复解除"):
        release_hold(desk.db, by_party.id, "再解一次", "李档案", now=NOW)
    with desk.db.read() as s:
        events = [(e.action, e.target) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("hold", repair.number) in events and ("release", repair.number) in events
    assert ("hold", "room:3--1502") in events


def test_a_hold_placed_between_proposal_and_confirmation_blocks_it(any_desk: Desk) -> None:
    desk = any_desk
    repair = issue(desk, "repair-order")
    notice = issue(desk, "arrears-reminder-1")
    disposal = propose_disposal(desk, [repair.number, notice.number], now=NOW)
    hold = place_hold(desk.db, "party", "王建国", "欠费诉讼，证据保全", "法务", now=NOW)
    with pytest.raises(InvalidAction) as exc:
        confirm_disposal(desk, disposal.id, now=NOW)
    assert notice.number in str(exc.value) and "保全" in str(exc.value) and repair.number not in str(exc.value)
    # the whole confirmation was refused: nothing disposed, no file deleted
    for d in (repair, notice):
        assert doc(desk, d.number).status == "issued"
        assert all(p.exists() for p in files_of(desk, d))
    with desk.db.read() as s:
        assert s.get(Disposal, disposal.id).status == "pending"  # type: ignore[union-attr]
    release_hold(desk.db, hold.id, "已结案", "法务", now=NOW)
    result = confirm_disposal(desk, disposal.id, now=NOW)
    assert len(result.deleted) == 4 and doc(desk, notice.number).status == "disposed"


def test_hold_input_errors_are_chinese_and_name_the_field(any_desk: Desk) -> None:
    desk = any_desk
    cases = [
        (("document", "HL-NOPE-1", "原因"), "文书编号", "没有编号为“HL-NOPE-1”的文书"),
        (("room", "张三", "原因"), "房号", "不是完整的房号"),
        (("room", "3栋", "原因"), "房号", "不是完整的房号"),
        (("party", "王建国 李四", "原因"), "当事人姓名", "不能含空格"),
        (("party", "王建国", "  "), "保全原因", "必填"),
        (("case", "x", "原因"), "保全范围", "document"),
    ]
    for args, label, message in cases:
        with pytest.raises(SubmissionInvalid) as exc:
            place_hold(desk.db, *args, "李档案", now=NOW)
        assert any(e.label == label and message in e.message for e in exc.value.errors), exc.value.errors
    with pytest.raises(SubmissionInvalid) as exc:
        place_hold(desk.db, "room", "3-2-1502", "原因", "李档案", "XX", projects=["HL", "JH"])
    assert exc.value.errors[0].label == "项目"
    place_hold(desk.db, "party", "王建国", "原因", "李档案")
    with pytest.raises(InvalidAction, match="已有相同的保全"):
        place_hold(desk.db, "party", "王建国", "又一次", "李档案")


# ---- disposal ----


def test_disposal_issues_a_register_and_confirmation_leaves_tombstones(any_desk: Desk, client_for: Any) -> None:
    desk = any_desk
    repair = issue(desk, "repair-order")
    notice = issue(desk, "arrears-reminder-1")
    void_document(desk, notice.number, "金额有误")  # voided documents are disposed of when expired too
    fresh = issue(desk, "arrears-reminder-1", NOW)  # not expired
    shas = {d.number: (d.pdf_sha256, d.docx_sha256) for d in (repair, notice)}

    disposal = propose_disposal(desk, [notice.number, repair.number], now=NOW, by="李档案")
    register = doc(desk, disposal.register_number)
    assert register.form_id == DISPOSAL_FORM and register.form_title == "档案销毁清册"
    assert register.number.startswith("HL-DAXHQC-2026-") and register.status == "issued"
    assert register.retention == "永久" and register.retain_until is None
    assert register.data["count"] == 2 and register.data["reason"] == "保存期限已满"
    text = squash(pdf_text(desk.output_dir / register.pdf_path))
    for d in (repair, notice):
        assert d.number in text and squash(d.form_title) in text
    assert "档案销毁清册" in text and "共列文书2件" in text and "监销人" in text and "总经理审批" in text
    assert fresh.number not in text

    # nothing is disposed without confirmation
    for d in (repair, notice):
        assert doc(desk, d.number).status in ("issued", "voided")
        assert all(p.exists() for p in files_of(desk, d))
    report = due(desk, NOW.date())
    assert numbers(report.pending) == {repair.number, notice.number} and report.disposable == []
    with pytest.raises(SubmissionInvalid) as exc:
        propose_disposal(desk, [repair.number], now=NOW)
    assert register.number in refused(exc)[repair.number]

    result = confirm_disposal(desk, disposal.id, by="李档案", now=NOW)
    assert sorted(result.deleted) == sorted(str(p.relative_to(desk.output_dir)) for d in (repair, notice)
                                            for p in files_of(desk, d))  # fmt: skip
    for d in (repair, notice):
        tomb = doc(desk, d.number)
        assert not any(p.exists() for p in files_of(desk, d))
        assert tomb.status == "disposed" and tomb.disposal_register == register.number
        assert tomb.disposed_by == "李档案" and tomb.disposed_at is not None
        assert tomb.data == {} and tomb.parties == tomb.subject == tomb.room == tomb.search_text == tomb.grams == ""
        assert (tomb.pdf_sha256, tomb.docx_sha256) == shas[d.number]  # proof of what was destroyed
        assert (tomb.number, tomb.form_id, tomb.document_date) == (d.number, d.form_id, d.document_date)
    assert (desk.output_dir / register.pdf_path).exists() and doc(desk, register.number).status == "issued"
    assert doc(desk, fresh.number).status == "issued"
    with desk.db.read() as s:
        assert s.get(Disposal, disposal.id).status == "confirmed"  # type: ignore[union-attr]
        assert verify_chain(s).ok
        events = [(e.action, e.target, e.detail.get("step")) for e in s.scalars(select(AuditEvent))]
    assert ("dispose", register.number, "propose") in events and ("dispose", register.number, "confirm") in events
    assert ("dispose", repair.number, "confirm") in events
    assert check_integrity(desk.db, desk.output_dir).ok  # deleted files of tombstones are not "missing"

    with pytest.raises(InvalidAction, match="不能重复确认"):
        confirm_disposal(desk, disposal.id, now=NOW)
    with pytest.raises(InvalidAction, match="只有待确认的销毁可以取消"):
        cancel_disposal(desk, disposal.id, now=NOW)
    with pytest.raises(SubmissionInvalid) as exc:
        propose_disposal(desk, [repair.number], now=NOW)
    assert "销毁" in refused(exc)[repair.number]
    with pytest.raises(InvalidAction, match="已按销毁清册"):
        void_document(desk, repair.number, "再作废")

    # the tombstone on the web: the document still answers, its files say why they are gone, the QR says 已销毁
    client = client_for(desk)
    body = client.get(f"/api/documents/{repair.number}").json()
    assert body["status"] == "disposed" and body["disposal_register"] == register.number and body["data"] == {}
    pdf = client.get(f"/api/documents/{repair.number}/pdf")
    assert pdf.status_code == 404 and "已于 2026-11-22 按销毁清册" in pdf.json()["detail"]
    assert client.get(f"/api/documents/{repair.number}/docx").status_code == 404
    page = client.get(f"/v/{repair.verify_token}").text
    assert "已销毁" in page and repair.number in page and "周丽华" not in page


def test_unexpired_unknown_permanent_and_tied_numbers_are_refused_by_name(any_desk: Desk) -> None:
    desk = any_desk
    fresh = issue(desk, "arrears-reminder-1", NOW)  # 三年 from 2026-11-22
    tied = issue(desk, "gear-issue-register")
    old = issue(desk, "repair-order")
    with pytest.raises(SubmissionInvalid) as exc:
        propose_disposal(desk, [fresh.number, "HL-NOPE-2020-00001", tied.number, old.number], now=NOW)
    why = refused(exc)
    assert set(why) == {fresh.number, "HL-NOPE-2020-00001", tied.number}
    assert f"保存至 {fresh.retain_until}" in why[fresh.number] and "尚未到期" in why[fresh.number]
    assert "没有这个编号的文书" in why["HL-NOPE-2020-00001"]
    assert "随所附档案保管" in why[tied.number]
    first = propose_disposal(desk, [old.number], now=NOW)
    with pytest.raises(SubmissionInvalid) as exc:
        propose_disposal(desk, [first.register_number], now=NOW)
    assert "永久保存" in refused(exc)[first.register_number]
    with pytest.raises(SubmissionInvalid) as exc2:
        propose_disposal(desk, [old.number], now=NOW, as_of=dt.date(2026, 12, 1))
    assert exc2.value.errors[0].label == "到期核对日"
    with pytest.raises(SubmissionInvalid) as exc2:
        propose_disposal(desk, [" "], now=NOW)
    assert exc2.value.errors[0].message == "请至少选择一份到期的文书"


def test_cancel_voids_the_register_and_frees_the_documents(any_desk: Desk) -> None:
    desk = any_desk
    old = issue(desk, "repair-order")
    disposal = propose_disposal(desk, [old.number], now=NOW)
    cancel_disposal(desk, disposal.id, by="李档案", now=NOW)
    register = doc(desk, disposal.register_number)
    assert register.status == "voided" and register.void_reason == "销毁取消"
    assert doc(desk, old.number).status == "issued" and all(p.exists() for p in files_of(desk, old))
    assert numbers(due(desk, NOW.date()).disposable) == {old.number}
    with pytest.raises(InvalidAction, match="已取消"):
        confirm_disposal(desk, disposal.id, now=NOW)
    again = propose_disposal(desk, [old.number], now=NOW)  # the documents can be proposed again
    assert again.register_number != disposal.register_number
    # a register voided by hand cannot be confirmed
    void_document(desk, again.register_number, "清册打印错了")
    with pytest.raises(InvalidAction, match="已作废"):
        confirm_disposal(desk, again.id, now=NOW)


def test_a_failed_confirmation_changes_nothing_and_leftover_files_are_found(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.disposal

    old = issue(desk, "repair-order")
    disposal = propose_disposal(desk, [old.number], now=NOW)

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("磁盘满")

    with monkeypatch.context() as m:  # the transaction fails: rolled back, and the files were never touched
        m.setattr(app.disposal, "record_event", boom)
        with pytest.raises(RuntimeError):
            confirm_disposal(desk, disposal.id, now=NOW)
    assert doc(desk, old.number).status == "issued" and all(p.exists() for p in files_of(desk, old))
    with monkeypatch.context() as m:  # a crash after the commit: the files stay behind
        m.setattr(app.disposal, "_delete_files", lambda *_a: None)
        confirm_disposal(desk, disposal.id, now=NOW)
    assert doc(desk, old.number).status == "disposed"
    report = check_integrity(desk.db, desk.output_dir)
    assert [f.kind for f in report.findings] == ["leftover", "leftover"] and "已销毁" in report.findings[0].message
    result = confirm_disposal(desk, disposal.id, now=NOW)  # confirming again finishes the deletion
    assert len(result.deleted) == 2 and check_integrity(desk.db, desk.output_dir).ok


# ---- the API, the pages and the CLI ----


@pytest.fixture
def client_for() -> Any:
    # the archivist of both test projects, signed in with an API token
    return lambda desk: TestClient(
        create_app(desk=desk),
        follow_redirects=False,
        headers=bearer(token_for(desk, "archivist", ("HL", "JH"), name="李档案")),
    )


def test_api_round_trip(any_desk: Desk, client_for: Any) -> None:
    desk = any_desk
    client = client_for(desk)
    old = issue(desk, "repair-order")
    notice = issue(desk, "arrears-reminder-1")
    fresh = issue(desk, "arrears-reminder-1", NOW)
    listed = client.get("/api/retention/due").json()
    assert {i["number"] for i in listed["disposable"]} == {old.number, notice.number}
    assert client.get("/api/retention/due", params={"as_of": "2019-01-01"}).json()["total"] == 0
    bad = client.get("/api/retention/due", params={"as_of": "昨天"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["label"] == "到期核对日"

    r = client.post("/api/holds", json={"scope": "room", "value": "3#1502", "project": "HL", "reason": "欠费诉讼"})
    assert r.status_code == 201 and r.json()["value"] == "3--1502" and r.json()["documents"] == 2
    hold_id = r.json()["id"]
    r = client.post("/api/holds", json={"scope": "party", "value": "王建国", "reason": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["label"] == "保全原因"
    assert [h["id"] for h in client.get("/api/holds").json()] == [hold_id]

    r = client.post("/api/disposals", json={"numbers": [old.number, notice.number, fresh.number, "HL-X-1"]})
    assert r.status_code == 422
    messages = {e["message"].split("：")[0]: e["message"] for e in r.json()["errors"]}
    assert set(messages) == {notice.number, fresh.number, "HL-X-1"} and "保全" in messages[notice.number]

    assert client.post(f"/api/holds/{hold_id}/release", json={"reason": "已结案"}).json()["active"] is False
    assert client.post(f"/api/holds/{hold_id}/release", json={"reason": "已结案"}).status_code == 409
    missing = client.post("/api/holds/999/release", json={"reason": "x"})
    assert missing.status_code == 404 and "没有编号为 999 的保全" in missing.json()["detail"]

    r = client.post("/api/disposals", json={"numbers": [old.number, notice.number], "methods": ["焚毁"]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and [d["number"] for d in body["documents"]] == body["numbers"]
    register = client.get(body["links"]["register"]).json()
    assert register["data"]["method"] == ["焚毁"] and register["form_id"] == DISPOSAL_FORM
    assert client.get(body["links"]["register_pdf"]).status_code == 200
    assert client.get("/api/disposals/999").status_code == 404
    assert client.get("/api/disposals").json()[0]["id"] == body["id"]
    by_hand = {"json": {"data": example(desk.catalogue, DISPOSAL_FORM)}}
    assert client.post(f"/api/forms/{DISPOSAL_FORM}/documents", **by_hand).status_code == 403  # archivists issue none
    admin = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "admin")))
    hand = admin.post(f"/api/forms/{DISPOSAL_FORM}/documents", **by_hand)
    assert hand.status_code == 409 and "系统" in hand.json()["detail"]  # nor does anyone, by hand

    done = client.post(f"/api/disposals/{body['id']}/confirm").json()
    assert done["status"] == "confirmed" and len(done["deleted"]) == 4
    assert {d["status"] for d in done["documents"]} == {"disposed"}
    assert client.post(f"/api/disposals/{body['id']}/cancel").status_code == 409
    assert client.post("/api/disposals/999/confirm").status_code == 404


def test_pages_round_trip(any_desk: Desk, client_for: Any) -> None:
    desk = any_desk
    client = client_for(desk)
    old = issue(desk, "arrears-reminder-1")
    fresh = issue(desk, "repair-order", NOW)
    page = client.get("/retention", headers=HTML).text
    assert f'name="numbers" value="{old.number}"' in page and "生成销毁清册" in page
    assert fresh.number not in page

    r = client.post("/holds", data={"scope": "party", "value": "王建国", "reason": "欠费诉讼", "project": ""})
    assert r.status_code == 303
    holds = client.get("/holds", headers=HTML).text
    assert "王建国" in holds and "1 份" in holds and "欠费诉讼" in holds
    assert "保全中" in client.get("/retention", headers=HTML).text
    r = client.post("/retention/propose", data={"numbers": [old.number, fresh.number], "as_of": ""})
    assert r.status_code == 422 and "尚未到期" in r.text and "处于保全中" in r.text
    hold_id = re.search(r"/holds/(\d+)/release", holds).group(1)  # type: ignore[union-attr]
    assert client.post(f"/holds/{hold_id}/release", data={"reason": ""}).status_code == 422
    assert client.post(f"/holds/{hold_id}/release", data={"reason": "已结案"}).status_code == 303

    r = client.post("/retention/propose", data={"numbers": [old.number], "methods": ["粉碎"], "by": "李档案"})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = client.get(url, headers=HTML).text
    assert "确认销毁" in page and old.number in page and "待确认" in page and "HL-DAXHQC-2026-" in page
    unchecked = client.post(f"{url}/confirm", data={})
    assert unchecked.status_code == 422 and "请勾选" in unchecked.text
    assert doc(desk, old.number).status == "issued"
    assert client.post(f"{url}/confirm", data={"confirm": "yes", "by": "李档案"}).status_code == 303
    assert "已销毁" in client.get(url, headers=HTML).text and doc(desk, old.number).disposed_by == "李档案"
    assert "HL-DAXHQC" in client.get("/disposals", headers=HTML).text
    assert client.get("/disposals/999", headers=HTML).status_code == 404
    # the register is issued by the workflow only: not in the catalogue, not issuable by hand
    assert "档案销毁清册" not in client.get("/", headers=HTML).text
    assert client.post(f"/forms/{DISPOSAL_FORM}/issue", data={}, headers=HTML).status_code == 403  # not a clerk
    admin = TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "admin")))
    assert admin.post(f"/forms/{DISPOSAL_FORM}/issue", data={}, headers=HTML).status_code == 409


def test_cli_round_trip(any_desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import app.cli_records

    desk = any_desk
    monkeypatch.setenv("DOCDESK_DATABASE_URL", desk.db.url)
    monkeypatch.setenv("DOCDESK_OUTPUT_DIR", str(desk.output_dir))
    # every command would load the 470 forms again (a few seconds each): the commands share the test's desk
    monkeypatch.setattr(app.cli_records, "_desk", lambda _settings: desk)
    old = issue(desk, "repair-order")
    notice = issue(desk, "arrears-reminder-1")
    capsys.readouterr()

    assert main(["retention", "due", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {i["number"] for i in listed["disposable"]} == {old.number, notice.number}
    assert main(["hold", "add", "--number", old.number, "--reason", "业主起诉"]) == 0
    assert "已设置保全第 1 号" in capsys.readouterr().out
    assert main(["hold", "add", "--room", "不是房号", "--reason", "x"]) == 1
    assert "房号：" in capsys.readouterr().err
    assert main(["dispose", "propose", old.number, notice.number]) == 1
    err = capsys.readouterr().err
    assert old.number in err and "保全" in err and "未生成销毁清册" in err
    assert main(["hold", "list"]) == 0 and old.number in capsys.readouterr().out
    assert main(["hold", "release", "1", "--reason", "撤诉"]) == 0
    assert main(["hold", "release", "9", "--reason", "撤诉"]) == 1 and "没有编号为 9" in capsys.readouterr().err

    assert main(["dispose", "propose", old.number, notice.number, "--by", "李档案"]) == 0
    out = capsys.readouterr().out
    disposal_id = re.search(r"销毁号 (\d+)", out).group(1)  # type: ignore[union-attr]
    assert "HL-DAXHQC-" in out and "2 份文书" in out
    assert main(["dispose", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "pending"
    assert main(["dispose", "confirm", disposal_id, "--by", "李档案"]) == 0
    assert "删除文件 4 个" in capsys.readouterr().out
    assert not any(p.exists() for d in (old, notice) for p in files_of(desk, d))
    assert main(["dispose", "cancel", disposal_id]) == 1 and "只有待确认" in capsys.readouterr().err
    assert check_integrity(desk.db, desk.output_dir).ok
    if desk.db.is_sqlite:  # sanity-check opens a database of its own (left open: fine for a one-shot command)
        assert main(["sanity-check"]) == 0


def test_an_archived_document_is_kept_for_its_archival_term(any_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    # a 维修单 is kept 一年 by the business, but once archived it is D10: ten years from 1 January after its 年度
    desk = any_desk
    monkeypatch.setattr("app.pdfa.pikepdf_findings", lambda _path: [])  # the copy's validation is tested elsewhere
    kept, plain = issue(desk, "repair-order"), issue(desk, "repair-order")
    assert numbers(due(desk, NOW.date()).disposable) >= {kept.number, plain.number}
    archive_document(desk, kept.number, stamp=False, now=NOW)
    end = dt.date(kept.document_date.year + 10, 12, 31)
    assert doc(desk, kept.number).retain_until == end and end > NOW.date()
    now_due = numbers(due(desk, NOW.date()).disposable)
    assert plain.number in now_due and kept.number not in now_due
    with pytest.raises(SubmissionInvalid) as exc:
        propose_disposal(desk, [kept.number, plain.number], now=NOW)
    assert set(refused(exc)) == {kept.number} and f"保存至 {end}" in refused(exc)[kept.number]
    assert kept.number in numbers(due(desk, end + dt.timedelta(days=1)).disposable)
    with desk.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "archive")).one()
    assert event.detail["retain_until"] == {"before": kept.retain_until.isoformat(), "after": end.isoformat()}


def test_archiving_never_shortens_retention(any_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = any_desk
    monkeypatch.setattr("app.pdfa.pikepdf_findings", lambda _path: [])
    forever = issue(desk, "acceptance-handover-certificate")  # 永久: no end, and none after archiving (Y)
    archive_document(desk, forever.number, stamp=False, now=NOW)
    assert forever.retain_until is None and doc(desk, forever.number).retain_until is None


def test_documents_archived_before_the_change_get_their_archival_term(
    any_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0008: a row archived by an earlier version still has its business retain_until."""
    desk = any_desk
    monkeypatch.setattr("app.pdfa.pikepdf_findings", lambda _path: [])
    old, unarchived = issue(desk, "repair-order"), issue(desk, "repair-order")
    forever = issue(desk, "acceptance-handover-certificate")
    for d in (old, forever):
        archive_document(desk, d.number, stamp=False, now=NOW)
    with desk.db.write() as s:  # as an earlier version left them
        s.execute(
            update(IssuedDocument).where(IssuedDocument.number == old.number).values(retain_until=old.retain_until)
        )
        s.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    desk.db.migrate()
    assert doc(desk, old.number).retain_until == dt.date(old.document_date.year + 10, 12, 31)
    assert doc(desk, forever.number).retain_until is None
    assert doc(desk, unarchived.number).retain_until == unarchived.retain_until  # not archived: unchanged
