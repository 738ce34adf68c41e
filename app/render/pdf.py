"""Turn a document into PDF with WeasyPrint; copies (联) share one layout and differ only by an overlay.

The copies of a document are identical but for the copy label, 份号 and the page footer. Laying out
and painting the body once and repeating its pages (pikepdf shares the content stream), then
overlaying a layer of per-copy marks (the same for every document of the form, so cached), makes a
four-part 维修单 cost little more than one copy.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
from pathlib import Path

import pikepdf
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from app.render.html import render_copy_marks, render_html
from app.render.model import Document

log = logging.getLogger(__name__)
STYLESHEET = "print.css"


def harfbuzz_subset_available() -> bool:
    """Without libharfbuzz-subset0 WeasyPrint falls back to fontTools: ~48x slower per document."""
    from weasyprint.text import ffi

    return getattr(ffi, "harfbuzz_subset", None) is not None


@functools.lru_cache(maxsize=1)
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@functools.lru_cache(maxsize=4)
def _stylesheet(path: Path, mtime: float) -> weasyprint.CSS:
    # parsing print.css costs 20-40 ms per document; the cache key includes mtime so an edit is seen
    return weasyprint.CSS(filename=str(path), font_config=_font_config())


def _layout(html: str, templates_dir: Path) -> weasyprint.Document:
    css_path = (templates_dir / STYLESHEET).resolve()
    css = _stylesheet(css_path, css_path.stat().st_mtime)
    return weasyprint.HTML(string=html, base_url=str(templates_dir)).render(
        stylesheets=[css], font_config=_font_config()
    )


def render_pdf(html: str, out: Path, templates_dir: Path) -> int:
    """Write the PDF of `html` (styled by templates_dir/print.css) to `out`; return its page count."""
    document = _layout(html, templates_dir)
    document.write_pdf(out, pdf_identifier=False)
    return len(document.pages)


def render_document_pdf(doc: Document, templates_dir: Path, template: Path | None, out: Path) -> int:
    """Write the PDF of a document with all its copies to `out`; return the page count."""
    if len(doc.copies) <= 1:
        return render_pdf(render_html(doc, templates_dir, template), out, templates_dir)
    body = _layout(render_html(doc, templates_dir, template, body_only=True), templates_dir)
    per_copy = len(body.pages)
    marks = tuple((c.label, c.serial) for c in doc.copies)
    css_mtime = (templates_dir / STYLESHEET).stat().st_mtime
    overlay_pdf = _copy_marks_pdf(templates_dir, marks, doc.paper, doc.orientation, per_copy, css_mtime)
    with (
        pikepdf.open(io.BytesIO(body.write_pdf(pdf_identifier=False))) as pdf,
        pikepdf.open(io.BytesIO(overlay_pdf)) as overlay,
    ):
        first = list(pdf.pages)
        for _ in range(len(doc.copies) - 1):
            for page in first:
                pdf.pages.append(page)  # a new page object over the same content stream
        if len(overlay.pages) != len(pdf.pages):
            raise RuntimeError(f"copy marks have {len(overlay.pages)} pages for {len(pdf.pages)} body pages")
        for page, mark in zip(pdf.pages, overlay.pages, strict=True):
            page.add_overlay(mark, pikepdf.Rectangle(page.mediabox))
        pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return len(pdf.pages)


@functools.lru_cache(maxsize=64)
def _copy_marks_pdf(
    templates_dir: Path,
    marks: tuple[tuple[str, str], ...],
    paper: str,
    orientation: str,
    per_copy: int,
    css_mtime: float,
) -> bytes:
    """The overlay of per-copy marks; the same for every document of a form with this many pages per copy.

    Cached per process (css_mtime is part of the key so an edited stylesheet is seen).
    """
    html = render_copy_marks(templates_dir, marks, paper, orientation, per_copy)
    with pikepdf.open(io.BytesIO(_layout(html, templates_dir).write_pdf(pdf_identifier=False))) as overlay:
        unique_subset_tags(overlay, salt=repr(marks))
        buf = io.BytesIO()
        overlay.save(buf)
        return buf.getvalue()


def unique_subset_tags(pdf: pikepdf.Pdf, salt: str) -> None:
    """Rename the 6-letter subset tags of the overlay's fonts.

    WeasyPrint names a subset after the face, not its glyphs, so the body and the overlay would carry
    two different subsets under one name; a printer that caches fonts by name could draw the wrong
    glyphs (see research/pdf-performance-baseline.md).
    """
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        for key in ("/BaseFont", "/FontName"):
            name = obj.get(key)
            if isinstance(name, pikepdf.Name) and len(str(name)) > 8 and str(name)[7] == "+":
                face = str(name)[8:]
                digest = hashlib.sha256(f"{salt}/{face}/marks".encode()).digest()
                tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
                obj[key] = pikepdf.Name(f"/{tag}+{face}")
