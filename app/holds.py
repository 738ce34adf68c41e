"""Legal holds (诉讼保全/争议冻结): placing, releasing, and which documents they cover.

Policy: a hold names one document (by number), a room (楼栋-单元-房号, optionally within one project) or a
party (a name, matched as a whole word against the document's space-joined parties). It covers documents
issued after it was placed too, because evidence keeps accruing. A held document cannot be proposed for
disposal, and a disposal whose documents became held after it was proposed cannot be confirmed. Holds are
never deleted: releasing one records who, when and why. Placing and releasing are audit events ("hold",
"release") written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from app.index.audit import record_event
from app.index.db import Database
from app.index.models import IssuedDocument, LegalHold
from app.index.repository import get_by_number
from app.issue import InvalidAction
from app.rooms import normalize_room, room_prefix
from app.validation import FieldError, SubmissionInvalid

SCOPES: dict[str, str] = {"document": "文书", "room": "房号", "party": "当事人"}
# the label of the hold's value, by scope, in Chinese error messages
VALUE_LABELS: dict[str, str] = {"document": "文书编号", "room": "房号", "party": "当事人姓名"}
MAX_REASON = 500


class HoldNotFound(LookupError):
    def __init__(self, hold_id: int) -> None:
        super().__init__(f"没有编号为 {hold_id} 的保全")


def _covers(
    number: SQLColumnExpression[str],
    room: SQLColumnExpression[str],
    parties: SQLColumnExpression[str],
    project: SQLColumnExpression[str],
) -> ColumnElement[bool]:
    """True for LegalHold rows that cover a document with these values (columns or literals)."""
    # a party is a whole word of the space-joined names: " 王建国 李四 " contains " 王建国 "
    escaped = func.replace(func.replace(func.replace(LegalHold.value, "\\", "\\\\"), "%", "\\%"), "_", "\\_")
    padded = literal(" ") + parties + literal(" ")
    return and_(
        LegalHold.released_at.is_(None),
        or_(LegalHold.project.is_(None), LegalHold.project == project),
        or_(
            and_(LegalHold.scope == "document", LegalHold.value == number),
            and_(LegalHold.scope == "room", room != "", LegalHold.value == room),
            and_(
                LegalHold.scope == "party",
                padded.like(literal("% ") + escaped + literal(" %"), escape="\\"),
            ),
        ),
    )


def held_clause() -> ColumnElement[bool]:
    """SQL condition, true for IssuedDocument rows covered by an active (unreleased) LegalHold."""
    return exists(
        select(LegalHold.id)
        .where(_covers(IssuedDocument.number, IssuedDocument.room, IssuedDocument.parties, IssuedDocument.project))
        .correlate(IssuedDocument)
    )


def holds_covering(session: Session, doc: IssuedDocument) -> list[LegalHold]:
    """The active holds that cover one document, oldest first."""
    cond = _covers(literal(doc.number), literal(doc.room or ""), literal(doc.parties or ""), literal(doc.project))
    return list(session.scalars(select(LegalHold).where(cond).order_by(LegalHold.id)))


def held_numbers(session: Session, numbers: Collection[str]) -> set[str]:
    """Which of these document numbers are covered by an active hold."""
    if not numbers:
        return set()
    rows = session.scalars(select(IssuedDocument.number).where(IssuedDocument.number.in_(list(numbers)), held_clause()))
    return set(rows)


def list_holds(session: Session, *, active_only: bool = True) -> list[LegalHold]:
    """Holds, newest first; with active_only=False the released ones too."""
    query = select(LegalHold).order_by(LegalHold.id.desc())
    if active_only:
        query = query.where(LegalHold.released_at.is_(None))
    return list(session.scalars(query))


def covered_count(session: Session, hold: LegalHold) -> int:
    """How many documents (not yet disposed) this hold covers now."""
    cond = [IssuedDocument.status != "disposed"]
    if hold.project:
        cond.append(IssuedDocument.project == hold.project)
    if hold.scope == "document":
        cond.append(IssuedDocument.number == hold.value)
    elif hold.scope == "room":
        cond.append(IssuedDocument.room == hold.value)
    else:
        escaped = hold.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        padded = literal(" ") + IssuedDocument.parties + literal(" ")
        cond.append(padded.like(f"% {escaped} %", escape="\\"))
    return int(session.scalar(select(func.count()).select_from(IssuedDocument).where(*cond)) or 0)


def place_hold(
    db: Database,
    scope: str,
    value: str,
    reason: str,
    by: str,
    project: str | None = None,
    now: dt.datetime | None = None,
    *,
    projects: Collection[str] | None = None,
) -> LegalHold:
    """Place a hold; raise SubmissionInvalid (Chinese, per field) or InvalidAction (an identical hold exists).

    `projects`, when given, are the known project codes a room or party hold may be limited to.
    """
    now = now or dt.datetime.now(dt.UTC)
    scope = (scope or "").strip()
    value = (value or "").strip()
    reason = (reason or "").strip()
    project = (project or "").strip() or None
    errors: list[FieldError] = []
    if scope not in SCOPES:
        choices = "、".join(f"{k}（{v}）" for k, v in SCOPES.items())
        errors.append(FieldError("scope", "保全范围", f"应为 {choices} 之一"))
    if not reason:
        errors.append(FieldError("reason", "保全原因", "必填，请写明保全原因（如案号、争议事项）"))
    elif len(reason) > MAX_REASON:
        errors.append(FieldError("reason", "保全原因", f"太长了：最多 {MAX_REASON} 个字"))
    if project is not None and projects is not None and project not in projects:
        errors.append(FieldError("project", "项目", f"没有代码为“{project}”的项目，可选：{'、'.join(projects)}"))
    label = VALUE_LABELS.get(scope, "保全对象")
    if not value:
        errors.append(FieldError("value", label, "必填"))
    elif scope == "room":
        canonical = _canonical_room(value)
        if canonical is None:
            errors.append(FieldError("value", label, f"“{value}”不是完整的房号，应如 3-2-1502 或 3栋2单元1502室"))
        else:
            value = canonical
    elif scope == "party":
        if re.search(r"\s", value):
            errors.append(FieldError("value", label, "一次只能填一个姓名或单位名称，不能含空格"))
        elif len(value) > 100:
            errors.append(FieldError("value", label, "太长了：最多 100 个字"))
    elif scope == "document" and len(value) > 80:
        errors.append(FieldError("value", label, "太长了：最多 80 个字符"))
    if errors:
        raise SubmissionInvalid(errors)
    with db.write() as session:
        if scope == "document":
            doc = get_by_number(session, value)
            if doc is None:
                raise SubmissionInvalid([FieldError("value", label, f"没有编号为“{value}”的文书")])
            if doc.status == "disposed":
                raise InvalidAction(f"文书 {value} 已按销毁清册 {doc.disposal_register} 销毁，无从保全")
            project = None  # a number is unique across projects
        same = session.scalars(
            select(LegalHold).where(
                LegalHold.released_at.is_(None),
                LegalHold.scope == scope,
                LegalHold.value == value,
                LegalHold.project.is_(None) if project is None else LegalHold.project == project,
            )
        ).first()
        if same is not None:
            raise InvalidAction(
                f"已有相同的保全（第 {same.id} 号，{same.created_at:%Y-%m-%d}：{same.reason}），无需重复设置"
            )
        hold = LegalHold(scope=scope, value=value, project=project, reason=reason, created_by=by, created_at=now)
        session.add(hold)
        session.flush()
        record_event(
            session,
            "hold",
            _target(hold),
            actor=by,
            detail={"hold": hold.id, "scope": scope, "value": value, "project": project, "reason": reason},
            at=now,
        )
        session.flush()
        return hold


def release_hold(db: Database, hold_id: int, reason: str, by: str, now: dt.datetime | None = None) -> LegalHold:
    """Release an active hold with a reason; raise HoldNotFound, SubmissionInvalid or InvalidAction."""
    now = now or dt.datetime.now(dt.UTC)
    reason = (reason or "").strip()
    if not reason:
        raise SubmissionInvalid([FieldError("reason", "解除原因", "必填，请写明解除保全的原因（如已结案）")])
    if len(reason) > MAX_REASON:
        raise SubmissionInvalid([FieldError("reason", "解除原因", f"太长了：最多 {MAX_REASON} 个字")])
    with db.write() as session:
        hold = session.execute(select(LegalHold).where(LegalHold.id == hold_id).with_for_update()).scalar_one_or_none()
        if hold is None:
            raise HoldNotFound(hold_id)
        if hold.released_at is not None:
            raise InvalidAction(
                f"保全第 {hold_id} 号已于 {hold.released_at:%Y-%m-%d} 由 {hold.released_by} 解除，不能重复解除"
            )
        hold.released_at, hold.released_by, hold.release_reason = now, by, reason
        record_event(
            session,
            "release",
            _target(hold),
            actor=by,
            detail={"hold": hold.id, "scope": hold.scope, "value": hold.value, "reason": reason},
            at=now,
        )
        session.flush()
        return hold


def describe(hold: LegalHold) -> str:
    """E.g. 房号 3-2-1502（HL）, 当事人 王建国, 文书 HL-ZXXK-2026-00001."""
    text = f"{SCOPES.get(hold.scope, hold.scope)} {hold.value}"
    return f"{text}（{hold.project}）" if hold.project else text


def hold_json(hold: LegalHold) -> dict[str, object]:
    return {
        "id": hold.id,
        "scope": hold.scope,
        "scope_label": SCOPES.get(hold.scope, hold.scope),
        "value": hold.value,
        "project": hold.project,
        "description": describe(hold),
        "reason": hold.reason,
        "created_by": hold.created_by,
        "created_at": hold.created_at.isoformat(),
        "active": hold.released_at is None,
        "released_at": hold.released_at.isoformat() if hold.released_at else None,
        "released_by": hold.released_by,
        "release_reason": hold.release_reason,
    }


def _target(hold: LegalHold) -> str:
    # a document hold is targeted at the number, so it shows in that document's history
    return hold.value if hold.scope == "document" else f"{hold.scope}:{hold.value}"


def _canonical_room(value: str) -> str | None:
    """A whole room (楼栋-单元-房号) in the one spelling IssuedDocument.room uses; None for anything else."""
    room = normalize_room(value)
    return room if room and not room_prefix(room) else None
