"""A document's history (the audit events naming it) and a live check of its files against the index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.index.models import AuditEvent, IssuedDocument
from app.integrity import sha256_of

ACTION_ZH = {
    "issue": "开具",
    "view": "查看",
    "download": "下载",
    "void": "作废",
    "verify": "扫码验真",
    "hold": "保全冻结",
    "release": "解除保全",
    "dispose": "销毁",
    "archive": "归档",
}


def history(session: Session, number: str, limit: int = 500) -> list[AuditEvent]:
    """The events about one document, oldest first (a QR code scanned daily stays bounded by `limit`)."""
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.target == number).order_by(AuditEvent.id.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


@dataclass(frozen=True)
class FileCheck:
    label: str  # PDF / Word / 归档 PDF/A
    path: str
    recorded: str
    state: str  # ok, changed, missing, disposed

    @property
    def state_zh(self) -> str:
        return {"ok": "✔ 与登记一致", "changed": "✖ 已被改动", "missing": "✖ 文件缺失", "disposed": "已销毁"}[
            self.state
        ]


def check_files(doc: IssuedDocument, output_dir: Path) -> list[FileCheck]:
    """Each file of the document, hashed now and compared with the sha256 recorded when it was written."""
    files = [("PDF", doc.pdf_path, doc.pdf_sha256), ("Word", doc.docx_path, doc.docx_sha256)]
    if doc.archive_pdf_path and doc.archive_pdf_sha256:
        files.append(("归档 PDF/A", doc.archive_pdf_path, doc.archive_pdf_sha256))
    out = []
    for label, rel, recorded in files:
        if doc.status == "disposed":
            state = "disposed"
        else:
            path = output_dir / rel if rel else None
            if path is None or not path.is_file():
                state = "missing"
            else:
                state = "ok" if sha256_of(path) == recorded else "changed"
        out.append(FileCheck(label, rel, recorded, state))
    return out
