"""The index schema: Alembic migrations build exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.index.models import Base
from app.issue import Desk

# search structures the models cannot express, created by migration 0005 only: SQLite's FTS5 tables (and
# their shadow tables) and PostgreSQL's trigram, tsvector and pattern-ops indexes
SEARCH_ONLY = (
    "documents_fts",
    "documents_grams",
    "ix_issued_documents_search_trgm",
    "ix_issued_documents_grams",
    "ix_issued_documents_number_prefix",
)


def _compared(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (reflected and name is not None and name.startswith(SEARCH_ONLY))


def diff(desk: Desk) -> list[object]:
    with desk.db.write_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": _compared})
        return list(compare_metadata(ctx, Base.metadata))


def test_the_search_structures_exist(desk: Desk) -> None:
    tables = set(inspect(desk.db.write_engine).get_table_names())
    assert {"documents_fts", "documents_grams", "legal_holds", "disposals", "users", "api_tokens"} <= tables


def test_migrations_match_the_models_on_sqlite(desk: Desk) -> None:
    assert diff(desk) == []
    tables = set(inspect(desk.db.write_engine).get_table_names())
    assert {"issued_documents", "number_counters", "alembic_version"} <= tables


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql(pg_desk: Desk) -> None:
    assert diff(pg_desk) == []


def test_migrating_twice_is_harmless(desk: Desk) -> None:
    desk.db.migrate()
    assert diff(desk) == []
