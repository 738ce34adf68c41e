"""Render a form's example.toml to PDF, DOCX and page PNGs for a look (no database, no number used).

python scripts/render_form.py arrears-reminder-1 [--out /tmp/forms]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import time
from pathlib import Path

from app.registry import load_catalogue
from app.render.docx import render_docx
from app.render.model import Letterhead, build_document
from app.render.pdf import render_document_pdf
from app.validation import validate_submission

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("forms", nargs="+")
    ap.add_argument("--out", default="/tmp/forms")
    ap.add_argument("--forms-dir", default=str(ROOT / "forms"), help="where the form folders are")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cat = load_catalogue(Path(args.forms_dir), strict=True)
    lh = Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL")
    for fid in args.forms:
        form = cat.forms[fid]
        data = validate_submission(form, cat.examples[fid])
        t = time.perf_counter()
        doc = build_document(
            form,
            data,
            number=f"HL-{form.code}-2026-00001",
            issue_date=dt.date(2026, 11, 22),
            letterhead=lh,
            verify_url="http://127.0.0.1:8000/v/abcdefABCDEF1234",
        )
        pages = render_document_pdf(doc, ROOT / "templates", form.templates.get(".html"), out / f"{fid}.pdf")
        render_docx(doc, ROOT / "templates" / "document.docx", out / f"{fid}.docx")
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(out / f"{fid}.pdf"), str(out / fid)], check=True)
        text = subprocess.run(
            ["pdftotext", "-layout", str(out / f"{fid}.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        (out / f"{fid}.txt").write_text(text, encoding="utf-8")
        print(f"{fid}: {pages} page(s) in {time.perf_counter() - t:.2f}s -> {out}/{fid}-*.png, .pdf, .docx, .txt")


if __name__ == "__main__":
    main()
