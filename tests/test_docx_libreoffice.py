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

    def convert(paths: list[str]) -> subprocess.CompletedProcess[str]:
        args = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf"]
        return subprocess.run([*args, "--outdir", str(out), *paths], capture_output=True, text=True, timeout=900)

    files = [str(desk.output_dir / d.docx_path) for d in docs]
    for i in range(0, len(files), 80):  # one soffice per group: a crash loses a group, not the rest
        convert(files[i : i + 80])
    # a file missing after its group is converted once more on its own: only a file LibreOffice cannot
    # open twice fails the test
    missing = [d for d in docs if not (out / f"{d.number}.pdf").is_file()]
    retried = {d.number: convert([str(desk.output_dir / d.docx_path)]) for d in missing}
    for d in docs:
        converted = out / f"{d.number}.pdf"
        log = retried[d.number].stdout + retried[d.number].stderr if d.number in retried else ""
        assert converted.is_file(), f"LibreOffice could not open {d.docx_path}: {log}"
        text = squash(pdf_text(converted))
        assert d.number in text
        assert squash(d.form_title) in text
