"""search: indexes that answer the archivist's broad searches without reading table rows

Revision ID: 0007
Revises: 0006

A search's first page is sorted by issued_at, newest first. Two common searches match many rows and
would otherwise read every one of them to sort: a number prefix (a form's year, e.g. HL-CK1-2026-) and a
project with a date range (and a status). (number, issued_at) and (project, document_date, status,
issued_at) hold every column those searches read, so SQLite and PostgreSQL answer them from the index
alone (see app.index.search._plan). `id` closes each index, the tie-break of the sort. PostgreSQL's
LIKE 'prefix%' uses a varchar_pattern_ops index (as ix_issued_documents_number_prefix of 0005), so it gets
one of those with issued_at and id too; PostgreSQL reads these within a subquery (see _pg_page).
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_issued_documents_number_issued_at", "issued_documents", ["number", "issued_at", "id"])
    op.create_index(
        "ix_issued_documents_project_date_status",
        "issued_documents",
        ["project", "document_date", "status", "issued_at", "id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_issued_documents_number_prefix_issued_at "
            "ON issued_documents (number varchar_pattern_ops, issued_at, id)"
        )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_issued_documents_number_prefix_issued_at")
    op.drop_index("ix_issued_documents_project_date_status", table_name="issued_documents")
    op.drop_index("ix_issued_documents_number_issued_at", table_name="issued_documents")
