"""The audit trail: every issue, view, download, void and scan is an event, hash-chained so edits show.

Each event's hash covers its own fields and the previous event's hash; a one-row head table holds the
last event's id and hash. Changing a stored event breaks its hash, removing one breaks the next
event's link, removing the last ones disagrees with the head. Events are appended inside the caller's
transaction (the head row is locked: BEGIN IMMEDIATE on SQLite, FOR UPDATE on PostgreSQL), so an
issued document and its event commit together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.index.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _digest(event: AuditEvent) -> str:
    body = {
        "id": event.id,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "client": event.client,
        "detail": event.detail,
        "prev": event.prev_hash,
    }
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def record_event(
    session: Session,
    action: str,
    target: str,
    *,
    actor: str,
    client: str = "",
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's write transaction."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
    event = AuditEvent(
        id=head.last_id + 1,
        at=(at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
        actor=actor[:80],
        action=action,
        target=target[:200],
        client=client[:80],
        detail=detail or {},
        prev_hash=head.last_hash,
    )
    event.hash = _digest(event)
    session.add(event)
    head.last_id, head.last_hash = event.id, event.hash
    return event


@dataclass(frozen=True)
class ChainCheck:
    events: int
    broken_at: int | None = None  # the id of the first event that does not hold
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> ChainCheck:
    """Walk the chain from the first event; name the first event that was changed or is missing."""
    prev, expected_id, n = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.id != expected_id:
            return ChainCheck(n, expected_id, f"事件 {expected_id} 缺失（被删除）")
        if event.prev_hash != prev:
            return ChainCheck(n, event.id, f"事件 {event.id} 与前一事件的链接不符（前一事件被改动或删除）")
        if _digest(event) != event.hash:
            return ChainCheck(n, event.id, f"事件 {event.id} 的内容已被改动（哈希不符）")
        prev, expected_id, n = event.hash, expected_id + 1, n + 1
    head = session.get(AuditHead, 1)
    last_id, last_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
    if last_id != n or last_hash != prev:
        return ChainCheck(n, n + 1, f"最后的事件被删除：链上有 {n} 个事件，记录的最后事件为第 {last_id} 个")
    return ChainCheck(n)
