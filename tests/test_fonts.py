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


def render(catalogue: Catalogue, form_id: str, out: Path, **overrides: object) -> Path:
    """The form's example (with overrides) issued to a PDF, as DocDesk renders it."""
    form = catalogue.forms[form_id]
    data = validate_submission(form, {**catalogue.examples[form_id], **overrides})
    doc = build_document(
        form,
        data,
        number="HL-TEST-2026-00001",
        issue_date=dt.date(2026, 11, 1),
        letterhead=Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL"),
        verify_url="http://127.0.0.1:8000/v/abcdefghijklmnopqrst",
    )
    render_document_pdf(doc, ROOT / "templates", None, out)
    return out


def font_findings(pdf: Path) -> list[str]:
    """PDF/A's font rules (6.2.11): every code selects a glyph the embedded font has."""
    findings = pdfa.validate_written(pdf, "3b").findings
    return [f"{f.rule} {f.where}: {f.message}" for f in findings if "6.2.11" in f.rule]


def test_issued_pdf_fonts_have_every_glyph_their_codes_select(real_catalogue: Catalogue, tmp_path: Path) -> None:
    # a cut font whose glyphs were renumbered (CID ≠ glyph number) failed exactly these rules
    assert font_findings(render(real_catalogue, "repair-order", tmp_path / "d.pdf")) == []


def test_a_rare_name_character_is_drawn_by_a_font_that_has_it(real_catalogue: Catalogue, tmp_path: Path) -> None:
    # 𠀀 (U+20000, CJK Extension B) is not in Noto CJK: 花園明朝 (fonts-hanazono) draws it, not an empty box
    out = render(real_catalogue, "renovation-permit", tmp_path / "d.pdf", owner_name="王𠀀峰")
    assert "王𠀀峰" in squash(pdf_text(out))
    with pikepdf.open(out) as pdf:
        fonts = {str(f.BaseFont) for page in pdf.pages for f in page.Resources.Font.values()}
    assert any("HanaMin" in f for f in fonts), fonts  # embedded because a glyph of it is drawn
    assert font_findings(out) == []
