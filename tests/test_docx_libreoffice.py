"""Every form's Word file opens in LibreOffice (converted headless) and carries the document's values."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from app.issue import Desk, issue_document
from tests.conftest import example, pdf_text, squash

pytestmark = pytest.mark.slow


def test_every_docx_opens_in_libreoffice(desk: Desk, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: .ci/run installs libreoffice-writer-nogui")
    docs = []
    for form_id in sorted(f for f in desk.catalogue.forms if f != "all-types"):
        doc = issue_document(
            desk, form_id, example(desk.catalogue, form_id), now=dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)
        )
        docs.append(doc)
    out = tmp_path / "lo"
    profile = tmp_path / "profile"
    files = [str(desk.output_dir / d.docx_path) for d in docs]
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *files,
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    for d in docs:
        converted = out / f"{d.number}.pdf"
        assert converted.is_file(), f"LibreOffice could not open {d.docx_path}"
        text = squash(pdf_text(converted))
        assert d.number in text
        assert squash(d.form_title) in text
