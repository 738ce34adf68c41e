"""Queries and writes on the index: counters, issued documents, voiding."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
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
    """Recently issued documents, newest first, filtered by text (see app.index.search.search_documents)."""
    from app.index.search import MAX_PER_PAGE, SearchQuery, search_documents

    query = SearchQuery(
        q=q[:200], form=form, status=status, project=project, per_page=max(1, min(limit, MAX_PER_PAGE)), offset=offset
    )
    return search_documents(session, query, today=dt.date.today())


def mark_voided(doc: IssuedDocument, reason: str, by: str, now: dt.datetime) -> None:
    doc.status = "voided"
    doc.void_reason = reason
    doc.voided_by = by
    doc.voided_at = now
