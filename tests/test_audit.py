"""The hash-chained audit trail: events for issue, view, download, void and scans; edits and deletions found."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from app.cli import main
from app.index.audit import verify_chain
from app.index.models import AuditEvent
from app.issue import Desk, issue_document, void_document
from tests.conftest import example

NOW = dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)


# the `client` fixture's administrator and token are the first events (user_add, token_create)
ACCOUNT_EVENTS = 2


def events(desk: Desk) -> list[tuple[str, str, str]]:
    with desk.db.read() as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.action, e.target, e.actor) for e in rows][ACCOUNT_EVENTS:]


def make_history(desk: Desk, client: TestClient) -> str:
    doc = issue_document(
        desk, "arrears-reminder-1", example(desk.catalogue, "arrears-reminder-1"), now=NOW, issued_by="前台"
    )
    client.get(f"/documents/{doc.number}")
    client.get(f"/api/documents/{doc.number}")
    client.get(f"/api/documents/{doc.number}/pdf")
    client.get(f"/v/{doc.verify_token}")
    void_document(desk, doc.number, "金额有误", by="前台")
    issue_document(desk, "repair-order", example(desk.catalogue, "repair-order"), now=NOW)
    return doc.number


def test_every_action_is_an_event_and_the_chain_holds(desk: Desk, client: TestClient) -> None:
    number = make_history(desk, client)
    got = events(desk)
    assert [a for a, _, _ in got] == ["issue", "view", "view", "download", "verify", "void", "issue"]
    assert got[0] == ("issue", number, "前台") and got[2][2] == "管理员" and got[4][2] == "public"
    with desk.db.read() as s:
        check = verify_chain(s)
    assert check.ok and check.events == ACCOUNT_EVENTS + 7


@pytest.mark.parametrize(
    ("tamper", "broken_at"),
    [
        ('update audit_events set detail = \'{"reason": "改过的原因"}\' where id = {}', 5),  # an edited event
        ("update audit_events set actor = '管理员' where id = {}", 1),
        ("delete from audit_events where id = {}", 3),  # a removed event in the middle
        ("delete from audit_events where id = {}", 7),  # the newest event removed
    ],
)
def test_an_edited_or_removed_event_is_named(desk: Desk, client: TestClient, tamper: str, broken_at: int) -> None:
    make_history(desk, client)
    broken_at += ACCOUNT_EVENTS  # the n-th event of the history
    with desk.db.write() as s:
        s.execute(text(tamper.replace("{}", str(broken_at))))
    with desk.db.read() as s:
        check = verify_chain(s)
    assert not check.ok and check.broken_at == broken_at, check


def test_cli_audit_verify(
    desk: Desk, client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_history(desk, client)
    monkeypatch.setenv("DOCDESK_DATABASE_URL", desk.db.url)
    monkeypatch.setenv("DOCDESK_OUTPUT_DIR", str(desk.output_dir))
    assert main(["audit", "verify"]) == 0
    assert f"{ACCOUNT_EVENTS + 7} 个事件" in capsys.readouterr().out
    with desk.db.write() as s:
        s.execute(text("update audit_events set target = 'HL-X' where id = 2"))
    assert main(["audit", "verify"]) == 1
    assert "第 2 个事件" in capsys.readouterr().out


def test_chain_holds_under_concurrent_issuers_on_postgres(pg_desk: Desk) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = example(pg_desk.catalogue, "all-types")
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: issue_document(pg_desk, "all-types", data, now=NOW), range(12)))
    with pg_desk.db.read() as s:
        check = verify_chain(s)
    assert check.ok and check.events == 12
