"""the archivist's index: search columns and indexes, legal holds, disposals, tombstones, 档号

Revision ID: 0005
Revises: 0004

Chinese has no spaces, so search never relies on a whitespace tokenizer: SQLite indexes
`search_text` with FTS5's trigram tokenizer and PostgreSQL with pg_trgm (GIN), both answering any
substring of three characters or more; one- and two-character queries (a surname, a given name,
pinyin initials) use `grams`, whose tokens are the single characters and bigrams of names and rooms.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_documents") as batch:
        batch.add_column(sa.Column("replaced_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("room", sa.String(length=40), nullable=False, server_default=""))
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("grams", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("disposed_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("disposal_register", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("archive_code", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("archived_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("archive_pdf_path", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("archive_pdf_sha256", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_issued_documents_archive_code", ["archive_code"])
    op.create_index("ix_issued_documents_room", "issued_documents", ["room"])
    op.create_index("ix_issued_documents_retain_until", "issued_documents", ["retain_until"])
    op.create_index("ix_issued_documents_document_date", "issued_documents", ["document_date"])
    # a document's history (its page lists the events naming it)
    op.create_index("ix_audit_events_target", "audit_events", ["target"])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("project", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=80), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_value", "legal_holds", ["value"])
    op.create_table(
        "disposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("register_number", sa.String(length=80), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=80), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("register_number"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # the extension lives in public (one per database); its operator class is named with its schema
        # because a deployment may search_path to a schema of its own
        # two schemas migrating at once must not both create it (IF NOT EXISTS is not safe under concurrency)
        op.execute("SELECT pg_advisory_xact_lock(20261123)")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        op.execute(
            "CREATE INDEX ix_issued_documents_search_trgm ON issued_documents "
            "USING gin (search_text public.gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX ix_issued_documents_grams ON issued_documents USING gin (to_tsvector('simple', grams))"
        )
        op.execute("CREATE INDEX ix_issued_documents_number_prefix ON issued_documents (number varchar_pattern_ops)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE documents_fts USING fts5("
            "search_text, content='issued_documents', content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE documents_grams USING fts5("
            "grams, content='issued_documents', content_rowid='id', tokenize='unicode61')"
        )
        # external-content FTS tables follow the rows through triggers; only a change of the searched
        # columns touches them (verify_scans is bumped on every QR scan)
        op.execute(
            "CREATE TRIGGER documents_fts_ai AFTER INSERT ON issued_documents BEGIN "
            "INSERT INTO documents_fts(rowid, search_text) VALUES (new.id, new.search_text); "
            "INSERT INTO documents_grams(rowid, grams) VALUES (new.id, new.grams); END"
        )
        op.execute(
            "CREATE TRIGGER documents_fts_ad AFTER DELETE ON issued_documents BEGIN "
            "INSERT INTO documents_fts(documents_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO documents_grams(documents_grams, rowid, grams) VALUES ('delete', old.id, old.grams); END"
        )
        op.execute(
            "CREATE TRIGGER documents_fts_au AFTER UPDATE OF search_text, grams ON issued_documents BEGIN "
            "INSERT INTO documents_fts(documents_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO documents_grams(documents_grams, rowid, grams) VALUES ('delete', old.id, old.grams); "
            "INSERT INTO documents_fts(rowid, search_text) VALUES (new.id, new.search_text); "
            "INSERT INTO documents_grams(rowid, grams) VALUES (new.id, new.grams); END"
        )
        # documents issued before this revision get their search columns from `docdesk reindex`


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_issued_documents_search_trgm")
        op.execute("DROP INDEX IF EXISTS ix_issued_documents_grams")
        op.execute("DROP INDEX IF EXISTS ix_issued_documents_number_prefix")
    else:
        for trigger in ("documents_fts_ai", "documents_fts_ad", "documents_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS documents_fts")
        op.execute("DROP TABLE IF EXISTS documents_grams")
    op.drop_table("disposals")
    op.drop_index("ix_audit_events_target", table_name="audit_events")
    op.drop_index("ix_legal_holds_value", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_index("ix_issued_documents_document_date", table_name="issued_documents")
    op.drop_index("ix_issued_documents_retain_until", table_name="issued_documents")
    op.drop_index("ix_issued_documents_room", table_name="issued_documents")
    with op.batch_alter_table("issued_documents") as batch:
        batch.drop_constraint("uq_issued_documents_archive_code", type_="unique")
        for col in (
            "archive_pdf_sha256",
            "archive_pdf_path",
            "archived_by",
            "archived_at",
            "archive_code",
            "disposal_register",
            "disposed_by",
            "disposed_at",
            "grams",
            "search_text",
            "room",
            "replaced_by",
        ):
            batch.drop_column(col)
