"""The index schema: Alembic migrations build exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.index.models import Base
from app.issue import Desk


def diff(desk: Desk) -> list[object]:
    with desk.db.write_engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        return list(compare_metadata(ctx, Base.metadata))


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
