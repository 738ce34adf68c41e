"""SQLAlchemy models of the issued-document index and the number counters.

Policy: an issued document duplicates everything it printed (the data snapshot, the form version,
the retention period and its end date) because what was issued must not change when a form is
later edited. Rows are never deleted: a spoiled document is voided with a reason and keeps its number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
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
    # the replacement issued for this (voided) document, the other end of `replaces`
    replaced_by: Mapped[str | None] = mapped_column(String(80))
    # search (app.index.search): the room as 楼栋-单元-房号 ("3-2-1502"), the text searched by substring
    # (trigram index) and the short tokens (single characters, bigrams, pinyin initials) of names and rooms
    room: Mapped[str] = mapped_column(String(40), nullable=False, default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    grams: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # disposal (销毁): the files are deleted and the row stays as a tombstone
    disposed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    disposed_by: Mapped[str | None] = mapped_column(String(80))
    disposal_register: Mapped[str | None] = mapped_column(String(80))
    # archiving (归档, DA/T 22-2015): 档号 and the PDF/A archive copy
    archive_code: Mapped[str | None] = mapped_column(String(80), unique=True)
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    archived_by: Mapped[str | None] = mapped_column(String(80))
    archive_pdf_path: Mapped[str | None] = mapped_column(String(300))
    archive_pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_issued_documents_status_issued_at", "status", "issued_at"),
        Index("ix_issued_documents_room", "room"),
        Index("ix_issued_documents_retain_until", "retain_until"),
        Index("ix_issued_documents_document_date", "document_date"),
        # broad searches answered from the index alone (app.index.search._plan, migration 0007)
        Index("ix_issued_documents_number_issued_at", "number", "issued_at", "id"),
        Index("ix_issued_documents_project_date_status", "project", "document_date", "status", "issued_at", "id"),
    )


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
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="", index=True)
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


class LegalHold(Base):
    """诉讼保全/争议冻结: documents matched by a hold cannot be disposed of until it is released.

    A hold names one document (scope "document", value = its number), a room (scope "room", value =
    楼栋-单元-房号 as in IssuedDocument.room, within `project`) or a party (scope "party", value = a
    name as printed). It covers documents issued later too, since evidence keeps accruing.
    """

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(20), nullable=False)
    value: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    project: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(80))
    release_reason: Mapped[str | None] = mapped_column(Text)


class Disposal(Base):
    """A disposal run: the documents it lists, its 档案销毁清册 (a numbered document) and its confirmation."""

    __tablename__ = "disposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # pending confirmed cancelled
    register_number: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    numbers: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_by: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    confirmed_by: Mapped[str | None] = mapped_column(String(80))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    """An account (issue 6): one role (app.auth.policy.ROLES) and, unless an administrator, its projects."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class UserProject(Base):
    """A project (管理处/小区, a code of projects.toml) a user works in."""

    __tablename__ = "user_projects"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    project: Mapped[str] = mapped_column(String(40), primary_key=True)


class ApiToken(Base):
    """An API token (Authorization: Bearer dd_…): only its sha256 is stored; it acts as its user."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A browser session: the id is the sha256 of the cookie's value, so a leaked table opens no session."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
