"""batches, number reservations and the idempotency key of issued documents

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_documents") as batch:
        batch.add_column(sa.Column("request_key", sa.String(length=200), nullable=True))
        batch.create_unique_constraint("uq_issued_documents_request_key", ["request_key"])
    op.create_table(
        "number_reservations",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("form_id", sa.String(length=120), nullable=False),
        sa.Column("project", sa.String(length=40), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.String(length=80), nullable=True),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_number_reservations_batch_id", "number_reservations", ["batch_id"])
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("project", sa.String(length=40), nullable=False),
        sa.Column("batch_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("batches")
    op.drop_index("ix_number_reservations_batch_id", table_name="number_reservations")
    op.drop_table("number_reservations")
    with op.batch_alter_table("issued_documents") as batch:
        batch.drop_constraint("uq_issued_documents_request_key", type_="unique")
        batch.drop_column("request_key")
