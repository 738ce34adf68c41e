"""The embedded CJK fonts are what a strict PDF reader needs: every code selects a glyph the font has."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pikepdf
from pikepdf import pdfa

from app.registry import Catalogue
from app.render.model import Letterhead, build_document
from app.render.pdf import render_document_pdf
from app.validation import validate_submission
from tests.conftest import ROOT, pdf_text, squash


def test_issued_pdf_fonts_have_every_glyph_their_codes_select(real_catalogue: Catalogue, tmp_path: Path) -> None:
    # a cut font whose glyphs were renumbered (CID ≠ glyph number) failed exactly these rules
    form = real_catalogue.forms["repair-order"]
    data = validate_submission(form, real_catalogue.examples["repair-order"])
    letterhead = Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL")
    doc = build_document(
        form,
        data,
        number="HL-WX-2026-00001",
        issue_date=dt.date(2026, 11, 1),
        letterhead=letterhead,
        verify_url="http://127.0.0.1:8000/v/abcdefghijklmnopqrst",
    )
    out = tmp_path / "d.pdf"
    render_document_pdf(doc, ROOT / "templates", None, out)
    findings = pdfa.validate_written(out, "3b").findings
    fonts = [f"{f.rule} {f.where}: {f.message}" for f in findings if "6.2.11" in f.rule]
    assert fonts == []


def test_a_rare_name_character_is_drawn_by_a_font_that_has_it(real_catalogue: Catalogue, tmp_path: Path) -> None:
    # 𠀀 (U+20000, CJK Extension B) is not in Noto CJK: 花園明朝 (fonts-hanazono) draws it, not an empty box
    form = real_catalogue.forms["renovation-permit"]
    data = validate_submission(form, {**real_catalogue.examples["renovation-permit"], "owner_name": "王𠀀峰"})
    doc = build_document(
        form,
        data,
        number="HL-ZXXK-2026-00001",
        issue_date=dt.date(2026, 11, 1),
        letterhead=Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL"),
        verify_url="http://127.0.0.1:8000/v/abcdefghijklmnopqrst",
    )
    out = tmp_path / "d.pdf"
    render_document_pdf(doc, ROOT / "templates", None, out)
    assert "王𠀀峰" in squash(pdf_text(out))
    with pikepdf.open(out) as pdf:
        fonts = {str(f.BaseFont) for page in pdf.pages for f in page.Resources.Font.values()}
    assert any("HanaMin" in f for f in fonts), fonts  # embedded because a glyph of it is drawn
    findings = pdfa.validate_written(out, "3b").findings
    assert [f"{f.rule} {f.where}: {f.message}" for f in findings if "6.2.11" in f.rule] == []
