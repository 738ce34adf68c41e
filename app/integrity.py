"""Compare the index with the files: missing, changed (sha256) and orphaned files, for `docdesk sanity-check`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.index.db import Database
from app.index.models import IssuedDocument

# where issued files live: output/<YYYY>/<form id>/<number>.pdf|.docx (batches and uploads are elsewhere)
ISSUED_GLOB = "[0-9][0-9][0-9][0-9]/*/*"


@dataclass(frozen=True)
class Finding:
    kind: str  # missing | changed | orphaned | leftover
    path: str  # relative to the output folder
    number: str = ""  # the document it belongs to ("" for an orphan)

    @property
    def message(self) -> str:
        if self.kind == "missing":
            return f"文书 {self.number} 的文件不存在：{self.path}"
        if self.kind == "changed":
            return f"文书 {self.number} 的文件已被改动（sha256 与登记时不符）：{self.path}"
        if self.kind == "leftover":
            return (
                f"文书 {self.number} 已销毁，但文件仍在（删除时中断）：{self.path}"
                "（再次运行 docdesk dispose confirm 该销毁即可删除）"
            )
        return f"文件未登记在索引中（可能是中断的开具留下的）：{self.path}"


@dataclass
class Report:
    documents: int = 0
    files: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def check_integrity(db: Database, output_dir: Path) -> Report:
    """Every indexed file exists with its recorded sha256; every issued file on disk is indexed.

    A disposed document (a tombstone) keeps its file paths and sha256 as proof of what was destroyed:
    its files must be gone, and one still there is reported as left over. Archive copies
    (archive_pdf_path, PDF/A) are indexed files like the others.
    """
    report = Report()
    known: set[str] = set()
    with db.read() as session:
        rows = session.execute(
            select(
                IssuedDocument.number,
                IssuedDocument.pdf_path,
                IssuedDocument.pdf_sha256,
                IssuedDocument.docx_path,
                IssuedDocument.docx_sha256,
                IssuedDocument.archive_pdf_path,
                IssuedDocument.archive_pdf_sha256,
                IssuedDocument.status,
            )
        )
        for number, pdf, pdf_sha, docx, docx_sha, archive, archive_sha, status in rows:
            report.documents += 1
            files = [(pdf, pdf_sha), (docx, docx_sha)] + ([(archive, archive_sha or "")] if archive else [])
            for rel, digest in files:
                known.add(rel)
                path = output_dir / rel
                if status == "disposed":
                    if path.exists():
                        report.findings.append(Finding("leftover", rel, number))
                    continue
                if not path.is_file():
                    report.findings.append(Finding("missing", rel, number))
                elif sha256_of(path) != digest:
                    report.findings.append(Finding("changed", rel, number))
                report.files += 1
    for path in sorted(output_dir.glob(ISSUED_GLOB)):
        rel = str(path.relative_to(output_dir))
        if path.is_file() and rel not in known:
            report.findings.append(Finding("orphaned", rel))
    return report
