"""SQLAlchemy models of the issued-document index and the number counters.

Policy: an issued document duplicates everything it printed (the data snapshot, the form version,
the retention period and its end date) because what was issued must not change when a form is
later edited. Rows are never deleted: a spoiled document is voided with a reason and keeps its number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class NumberCounter(Base):
    """One counter per resolved number prefix (e.g. "HL-CK1-2026-{#####}")."""

    __tablename__ = "number_counters"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


class IssuedDocument(Base):
    """One issued document: its number, what was submitted, where its files are, and its status."""

    __tablename__ = "issued_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    form_id: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    form_version: Mapped[int] = mapped_column(Integer, nullable=False)
    form_title: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    project: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    parties: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    document_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    issued_by: Mapped[str] = mapped_column(String(80), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="issued")
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by: Mapped[str | None] = mapped_column(String(80))
    retention: Mapped[str] = mapped_column(String(40), nullable=False)
    retain_until: Mapped[dt.date | None] = mapped_column(Date)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    copies: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    pages: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    pdf_path: Mapped[str] = mapped_column(String(300), nullable=False)
    pdf_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    docx_path: Mapped[str] = mapped_column(String(300), nullable=False)
    docx_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    verify_token: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    replaces: Mapped[str | None] = mapped_column(String(80))
    # the caller's idempotency key (e.g. a batch's household and date): issuing twice returns the first
    request_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    verify_scans: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (Index("ix_issued_documents_status_issued_at", "status", "issued_at"),)


class NumberReservation(Base):
    """A number taken for a document that a batch will issue shortly (see app.issue.reserve_numbers).

    Batches take their numbers up front, in delivery order and in one short transaction, so that
    workers can render outside any lock. A reservation is bound to its request key: a batch that is
    killed and started again issues the same number for the same household, so there are no gaps and
    no duplicates. The row is deleted in the transaction that inserts the issued document.
    """

    __tablename__ = "number_reservations"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    number: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    form_id: Mapped[str] = mapped_column(String(120), nullable=False)
    project: Mapped[str] = mapped_column(String(40), nullable=False)
    document_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    batch_id: Mapped[str | None] = mapped_column(String(80), index=True)
    reserved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Batch(Base):
    """A batch run (e.g. arrears notices from a ledger): its state, counts, progress and outputs."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    project: Mapped[str] = mapped_column(String(40), nullable=False)
    batch_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # planned running done failed
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One audited action (who, when, what, from where), hash-chained to the previous one (app.index.audit)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    client: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditHead(Base):
    """The last event of the chain (one row), so removing the newest events is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer, nullable=False)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)
