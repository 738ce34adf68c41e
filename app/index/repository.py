"""Queries and writes on the index: counters, issued documents, voiding."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.index.models import IssuedDocument, NumberCounter


def next_counter_value(session: Session, key: str) -> int:
    """Advance the counter `key` by one inside the caller's transaction and return the new value.

    One atomic upsert: on PostgreSQL the row stays locked until the transaction ends, on SQLite the
    whole database is (BEGIN IMMEDIATE), so concurrent issuers get consecutive values, and a rolled
    back transaction gives its value back (no gaps).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(NumberCounter)
        .values(key=key, value=1)
        .on_conflict_do_update(index_elements=[NumberCounter.key], set_={"value": NumberCounter.value + 1})
        .returning(NumberCounter.value)
    )
    return int(session.execute(upsert).scalar_one())


def get_by_number(session: Session, number: str) -> IssuedDocument | None:
    return session.scalars(select(IssuedDocument).where(IssuedDocument.number == number)).one_or_none()


def get_by_key(session: Session, key: str) -> IssuedDocument | None:
    return session.scalars(select(IssuedDocument).where(IssuedDocument.request_key == key)).one_or_none()


def get_by_token(session: Session, token: str) -> IssuedDocument | None:
    return session.scalars(select(IssuedDocument).where(IssuedDocument.verify_token == token)).one_or_none()


def search(
    session: Session,
    *,
    q: str = "",
    form: str = "",
    status: str = "",
    project: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[IssuedDocument], int]:
    """Recently issued documents, newest first, filtered by text (number, subject, parties, title)."""
    cond: list[Any] = []
    if q:
        like = f"%{_escape_like(q)}%"
        cond.append(
            or_(
                IssuedDocument.number.like(like, escape="\\"),
                IssuedDocument.subject.like(like, escape="\\"),
                IssuedDocument.parties.like(like, escape="\\"),
                IssuedDocument.form_title.like(like, escape="\\"),
            )
        )
    if form:
        cond.append(IssuedDocument.form_id == form)
    if status:
        cond.append(IssuedDocument.status == status)
    if project:
        cond.append(IssuedDocument.project == project)
    total = session.scalar(select(func.count()).select_from(IssuedDocument).where(*cond)) or 0
    rows = session.scalars(
        select(IssuedDocument)
        .where(*cond)
        .order_by(IssuedDocument.issued_at.desc(), IssuedDocument.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def mark_voided(doc: IssuedDocument, reason: str, by: str, now: dt.datetime) -> None:
    doc.status = "voided"
    doc.void_reason = reason
    doc.voided_by = by
    doc.voided_at = now


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
