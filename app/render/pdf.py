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
    """Give the 6-letter subset tags of every font in `pdf` new names unique to `salt`.

    WeasyPrint names a subset after the face, not its glyphs, so two PDFs (a body and its overlay, two
    chunks of a batch) carry different subsets under one name; a printer that caches fonts by name
    could draw the wrong glyphs (see research/pdf-performance-baseline.md). Each old name maps to one
    new name, so a font's dictionary, descendant and descriptor keep agreeing.
    """
    renamed: dict[str, str] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        for key in ("/BaseFont", "/FontName"):
            name = obj.get(key)
            if isinstance(name, pikepdf.Name) and len(str(name)) > 8 and str(name)[7] == "+":
                old_name = str(name)
                if old_name not in renamed:
                    digest = hashlib.sha256(f"{salt}/{old_name}".encode()).digest()
                    tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
                    renamed[old_name] = f"/{tag}+{old_name[8:]}"
                obj[key] = pikepdf.Name(renamed[old_name])


def render_pdf_chunk(docs: list[Document], templates_dir: Path, template: Path | None, out_dir: Path) -> list[int]:
    """Lay out many single-copy documents in one WeasyPrint call; write one PDF per document.

    In bulk, WeasyPrint's cost is layout, and a call has fixed costs (fonts, page boxes, writing) that
    many documents share: one call for a chunk is ~1.7x cheaper a page than a call per document. The
    page footer (第 N 页 / 共 M 页) must count each document's own pages, so the chunk is laid out
    without it and the cached per-page-count footer overlay is added to each document's pages.
    Also writes out_dir/chunk.pdf, all documents in order, fonts once, for a merged print file.
    Returns the page count of each document.
    """
    if any(len(d.copies) > 1 for d in docs):
        raise ValueError("render_pdf_chunk takes single-copy documents; use render_document_pdf for copies")
    bodies = []
    head = ""
    for i, doc in enumerate(docs):
        html = render_html(doc, templates_dir, template, body_only=True)
        start, end = html.index("<body>") + len("<body>"), html.rindex("</body>")
        head = head or html[:start]
        brk = ' style="break-before: page"' if i else ""
        bodies.append(f'<div id="docdesk-chunk-{i}"{brk}>{html[start:end]}</div>')
    layout = _layout(head + "".join(bodies) + "</body></html>", templates_dir)
    starts = []
    for n, page in enumerate(layout.pages):
        if any(a.startswith("docdesk-chunk-") for a in page.anchors):
            starts.append(n)
    if len(starts) != len(docs):
        raise RuntimeError(f"chunk layout found {len(starts)} document starts for {len(docs)} documents")
    ranges = list(zip(starts, [*starts[1:], len(layout.pages)], strict=True))
    css_mtime = (templates_dir / STYLESHEET).stat().st_mtime
    counts: list[int] = []
    overlays: dict[tuple[str, str, int], pikepdf.Pdf] = {}
    with pikepdf.open(io.BytesIO(layout.write_pdf(pdf_identifier=False))) as pdf:
        all_pages = list(pdf.pages)
        for doc, (a, b) in zip(docs, ranges, strict=True):
            pages = b - a
            counts.append(pages)
            key = (doc.paper, doc.orientation, pages)
            if key not in overlays:  # one open overlay per page count: its fonts are copied in once
                marks = _copy_marks_pdf(templates_dir, (("", "1/1"),), doc.paper, doc.orientation, pages, css_mtime)
                overlays[key] = pikepdf.open(io.BytesIO(marks))
            for page, mark in zip(all_pages[a:b], overlays[key].pages, strict=True):
                page.add_overlay(mark, pikepdf.Rectangle(page.mediabox))
        pdf.save(out_dir / "chunk.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
        for i, (a, b) in enumerate(ranges):
            with pikepdf.new() as one:
                one.pages.extend(all_pages[a:b])
                one.remove_unreferenced_resources()  # pages of a chunk share one resource dictionary
                one.save(out_dir / f"{i}.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for overlay in overlays.values():
        overlay.close()
    return counts
