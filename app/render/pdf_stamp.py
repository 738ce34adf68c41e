"""PDF in bulk: lay a page out once per shape with WeasyPrint, then stamp each document's values into it.

In a batch of notices WeasyPrint's layout is ~70 ms of every page, yet the pages differ only in their
values. As for Word (docx_stamp.py), a document splits into its shape and its values. The first
document of a shape is laid out normally, with every value wrapped in a marked span. Every line that
holds a value is a *dynamic line*: its text is taken out of the page tree before the page is drawn,
and the page (the skeleton: rules, fixed text, seal, copy marks) becomes one PDF form shared by every
page of that shape. Each document's page draws the skeleton, then its dynamic lines (shaped by Pango
through WeasyPrint's own text layer, in the box's computed style, so glyphs, kerning and widths are
WeasyPrint's) and its QR code. All text of a chunk, skeletons included, uses one font per face: the
print faces keep their glyph numbers when subset (hb_subset.py), so every subset draws the same codes.

A document is stamped only when the result is the page WeasyPrint would draw:
* at build time, shaping the first document's lines must put every text box where WeasyPrint did
  (to 0.01 px) and each line must be its block's last, or the shape is never stamped (justification,
  letter spacing, a wrapped value, an inline border all show up here);
* each later document's dynamic lines must fit their box with room to spare and be drawn wholly in
  the print face; otherwise that document is laid out by WeasyPrint as before, in its place.
tests/test_pdf_stamp.py compares stamped pages with WeasyPrint's, text and pixels.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import logging
import re
import tempfile
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pikepdf
from fontTools.ttLib import TTFont
from weasyprint.draw.color import get_color
from weasyprint.formatting_structure import boxes
from weasyprint.text.ffi import FROM_UNITS, ffi, pango
from weasyprint.text.line_break import Layout

from app.render import pdf as weasy
from app.render.docx_stamp import split
from app.render.fonts import FILES
from app.render.hb_subset import Face
from app.render.html import render_html
from app.render.model import Document
from app.render.qr import qr_rows

log = logging.getLogger(__name__)

_SENTINEL = re.compile("\ue000(\\d+)\ue001")
_FAMILY = "DocDesk Serif SC"
_TOLERANCE = 0.01  # px: how closely the shaped runs must reproduce WeasyPrint's positions
_SLACK = 1.0  # px a stamped line must stay clear of its box's edge (WeasyPrint would wrap it otherwise)
_ATTEMPTS = 3  # documents tried as a shape's first before the shape is left to WeasyPrint
PX = 0.75  # CSS px → PDF pt


@dataclass(frozen=True, eq=False)
class _Metrics:
    """What the stamper needs of a print face: advances by glyph id and its font descriptor's numbers."""

    name: str
    path: Path
    advances: list[int]  # by glyph id, in font units
    upem: int
    ascent: int
    descent: int
    bbox: tuple[int, int, int, int]
    cap_height: int


@functools.lru_cache(maxsize=4)
def _metrics(path: Path) -> _Metrics:
    with TTFont(path, lazy=True) as font:
        hmtx = font["hmtx"]
        head, hhea = font["head"], font["hhea"]
        return _Metrics(
            name=str(font["name"].getDebugName(6) or path.stem),
            path=path,
            advances=[hmtx[name][0] for name in font.getGlyphOrder()],
            upem=head.unitsPerEm,
            ascent=hhea.ascent,
            descent=hhea.descent,
            bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
            cap_height=getattr(font["OS/2"], "sCapHeight", hhea.ascent),
        )


@functools.lru_cache(maxsize=4)
def _hb_face(path: Path) -> Face:
    return Face(path.read_bytes())


@dataclass
class _Run:
    """One text box of a dynamic line: fixed text and value indexes, drawn in one face and size."""

    style: Any  # WeasyPrint's computed style of the box: Pango shapes new text with it
    pieces: tuple[str | int, ...]
    face: str  # "Regular" or "Bold"
    size: float  # px
    color: tuple[float, float, float]
    baseline: float  # px from the page top
    before: float  # px of inline-box edges (padding, border, margin) before this run
    underline: tuple[float, float, tuple[float, float, float]] | None  # (px below baseline, thickness, colour)
    layout: Layout | None = None


@dataclass(frozen=True)
class _Line:
    runs: tuple[_Run, ...]
    after: float  # px of inline-box edges after the last run
    align: str  # left, right, center
    x: float  # the laid-out line's start and width (px)
    width: float
    left: float  # the box the line must stay inside (px)
    right: float


@dataclass
class _Skeleton:
    pdf: bytes  # one page: the laid-out page without its dynamic lines and QR code, with copy marks
    lines: tuple[_Line, ...]
    qr: tuple[float, float, float, float] | None  # x, y, width, height (px)
    width: float  # page size (pt)
    height: float


@dataclass(frozen=True)
class _Shaped:
    text: str
    glyphs: list[tuple[int, float]]  # glyph id, advance (px)
    width: float


@dataclass
class _Placed:
    """A document's page, ready to draw: text runs with glyph ids, underlines, the QR code."""

    texts: list[tuple[str, float, float, float, tuple[float, float, float], _Shaped]]  # face, size, x, y, colour
    rules: list[tuple[float, float, float, float, tuple[float, float, float]]]  # x1, x2, y, thickness, colour
    qr: str


class Unstampable(Exception):
    """This shape or document cannot be stamped exactly; WeasyPrint lays it out instead."""


class PdfStamper:
    """render_pdf_chunk() for many single-copy documents of few shapes; keeps one skeleton per shape."""

    def __init__(self, templates_dir: Path, max_shapes: int = 64) -> None:
        self.templates_dir = templates_dir
        self.max_shapes = max_shapes
        self._skeletons: dict[str, _Skeleton | int] = {}  # a count: failed attempts at building it
        self.faces = {style: _metrics(templates_dir / "fonts" / name) for style, name in FILES.items()}
        # skeletons keep Pango layouts, which are not for two threads at once (a web request issuing a
        # reserved key while the batch thread runs)
        self._lock = threading.Lock()
        self.stamped = 0  # documents stamped and laid out, for benchmarks and tests
        self.laid_out = 0

    # -- building a shape --------------------------------------------------------------------------

    def _skeleton(self, doc: Document, shape: Document, values: list[str]) -> _Skeleton | None:
        # an edited template or stylesheet makes new skeletons in a long-running process
        sources = (weasy.STYLESHEET, "document.html", "copy-marks.html")
        edited = [(self.templates_dir / f).stat().st_mtime for f in sources]
        key = repr((dataclasses.replace(shape, number="", verify_url="", issue_date=""), edited))
        found = self._skeletons.get(key, 0)
        if isinstance(found, _Skeleton):
            return found
        if found >= _ATTEMPTS:
            return None
        try:
            skeleton = self._build(doc, shape, values, hashlib.sha256(key.encode()).hexdigest()[:16])
        except (Unstampable, AttributeError, KeyError, TypeError, ValueError) as why:
            # the page tree is WeasyPrint's own: anything unexpected in it means WeasyPrint lays this shape out
            level = logging.INFO if isinstance(why, Unstampable) else logging.WARNING
            log.log(level, "shape of %s not stamped (attempt %d): %r", doc.meta.get("form_id"), found + 1, why)
            self._skeletons[key] = found + 1
            return None
        if len(self._skeletons) >= self.max_shapes:
            self._skeletons.pop(next(iter(self._skeletons)))
        self._skeletons[key] = skeleton
        return skeleton

    def _build(self, doc: Document, shape: Document, values: list[str], salt: str) -> _Skeleton:
        shape = dataclasses.replace(shape, verify_url=doc.verify_url)
        html = render_html(shape, self.templates_dir, None, body_only=True)
        head_end = html.index("</head>")
        head = _SENTINEL.sub(lambda m: values[int(m.group(1))], html[:head_end])
        body = _SENTINEL.sub(
            lambda m: f'<span data-v="{m.group(1)}">{escape(values[int(m.group(1))])}</span>', html[head_end:]
        )
        if "\ue000" in body:
            raise Unstampable("a value sits where no span can go")
        layout = weasy._layout(head + body, self.templates_dir)
        if len(layout.pages) != 1:
            raise Unstampable(f"{len(layout.pages)} pages")
        page = layout.pages[0]
        number = values.index(doc.number) if doc.number in values else None
        found = _Finder(number, values)
        found.walk(page._page_box, None, None, ())
        dynamic = found.dynamic()
        lines = tuple(self._line(page._page_box, line, container, values, number) for line, container in dynamic)
        if not lines:
            raise Unstampable("no values found")
        for line, _ in dynamic:
            line.children = ()
        qr = None
        if found.qr is not None:
            img, parent = found.qr
            qr = (img.content_box_x(), img.content_box_y(), img.width, img.height)
            parent.children = [c for c in parent.children if c is not img]
        data = layout.write_pdf(pdf_identifier=False)
        css_mtime = (self.templates_dir / weasy.STYLESHEET).stat().st_mtime
        marks = weasy._copy_marks_pdf(self.templates_dir, (("", "1/1"),), doc.paper, doc.orientation, 1, css_mtime)
        with pikepdf.open(io.BytesIO(data)) as pdf, pikepdf.open(io.BytesIO(marks)) as overlay:
            pdf.pages[0].add_overlay(overlay.pages[0], pikepdf.Rectangle(pdf.pages[0].mediabox))
            weasy.unique_subset_tags(pdf, salt=f"skeleton/{salt}")
            box = pdf.pages[0].mediabox
            width, height = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
            buf = io.BytesIO()
            pdf.save(buf)
        return _Skeleton(buf.getvalue(), lines, qr, width, height)

    def _line(
        self, page: boxes.PageBox, line: boxes.LineBox, container: boxes.Box, values: list[str], number: int | None
    ) -> _Line:
        runs: list[_Run] = []
        edge = 0.0
        texts: list[boxes.TextBox] = []

        def visit(box: boxes.Box) -> None:
            nonlocal edge
            if isinstance(box, boxes.TextBox):
                runs.append(self._run(box, edge, values, number))
                texts.append(box)
                edge = 0.0
            elif isinstance(box, boxes.InlineBox):
                _plain(box)
                edge += box.margin_left + box.border_left_width + box.padding_left
                for child in box.children:
                    visit(child)
                edge += box.padding_right + box.border_right_width + box.margin_right
            else:
                raise Unstampable(f"a {type(box).__name__} in a line with values")

        for child in line.children:
            visit(child)
        style = container.style
        align = style["text_align_last"]
        if align == "auto":
            align = style["text_align_all"]
            align = "start" if align == "justify" else align
        align = {"start": "left", "end": "right"}.get(align, align)
        if align not in ("left", "right", "center") or style["direction"] != "ltr":
            raise Unstampable(f"text-align {align}")
        left, right = container.content_box_x(), container.content_box_x() + container.width
        if isinstance(container, boxes.MarginBox):
            # a margin box is as wide as its text; it may take up to half the page's width from its side
            half = page.width / 2
            left, right = (page.content_box_x() + half, right) if align == "right" else (left, left + half)
            if align == "center":
                raise Unstampable("a value in a centred margin box")
        result = _Line(
            runs=tuple(runs),
            after=edge,
            align=align,
            x=line.position_x,
            width=line.width,
            left=left,
            right=right,
        )
        # the advances must put every box where WeasyPrint did, or this shape is not stamped
        width, xs, _ = self._advance(
            result, ["".join(values[p] if isinstance(p, int) else p for p in r.pieces) for r in runs]
        )
        if abs(width - line.width) > _TOLERANCE:
            raise Unstampable(f"line width {width:.2f} ≠ {line.width:.2f}: {''.join(t.text for t in texts)}")
        for x, box in zip(xs, texts, strict=True):
            if abs(x - box.position_x) > _TOLERANCE:
                raise Unstampable(f"“{box.text}” at {x:.2f} ≠ {box.position_x:.2f}")
        return result

    def _run(self, box: boxes.TextBox, before: float, values: list[str], number: int | None) -> _Run:
        style = box.style
        if style["font_family"][0] != _FAMILY or style["font_style"] != "normal":
            raise Unstampable(f"face {style['font_family'][0]} {style['font_style']}")
        if style["letter_spacing"] != "normal" or style["word_spacing"] != 0 or style["visibility"] != "visible":
            raise Unstampable("letter or word spacing")
        if style["text_transform"] != "none" or style["font_variant_caps"] != "normal":
            raise Unstampable("text transform")
        face = "Bold" if style["font_weight"] >= 600 else "Regular"
        *rgb, alpha = style["color"]
        if alpha != 1:
            raise Unstampable("translucent text")
        pieces: tuple[str | int, ...]
        slot = _slot_of(box)
        if slot is not None:
            if box.text != values[slot]:
                raise Unstampable(f"value {values[slot]!r} laid out as {box.text!r}")
            pieces = (slot,)
        else:
            pieces = _split_number(box.text, values, number)
        decoration = style["text_decoration_line"]
        underline = None
        if decoration != "none" and decoration:
            if set(decoration) != {"underline"} or style["text_decoration_style"] != "solid":
                raise Unstampable(f"decoration {decoration}")
            if style["text_underline_offset"] != "auto":
                raise Unstampable("underline offset")
            thickness = style["text_decoration_thickness"]
            if thickness in ("auto", "from-font"):
                width = box.pango_layout.underline_thickness
            elif thickness.unit == "px":
                width = thickness.value
            else:
                raise Unstampable(f"underline thickness {thickness}")
            *ul, ul_alpha = get_color(style, "text_decoration_color")
            if ul_alpha != 1:
                raise Unstampable("translucent underline")
            offset = -box.pango_layout.underline_position + width / 2
            underline = (offset, width, (ul[0], ul[1], ul[2]))
        return _Run(
            style=style,
            pieces=pieces,
            face=face,
            size=style["font_size"],
            color=(rgb[0], rgb[1], rgb[2]),
            baseline=box.position_y + box.baseline,
            before=before,
            underline=underline,
        )

    def _advance(self, line: _Line, texts: list[str]) -> tuple[float, list[float], list[_Shaped]]:
        """(content width, x of each run, each run shaped) of the line with these run texts, aligned as laid out."""
        shaped = [self._shape(run, text) for run, text in zip(line.runs, texts, strict=True)]
        total = sum(r.before for r in line.runs) + sum(s.width for s in shaped) + line.after
        if line.align == "left":
            x = line.x
        elif line.align == "right":
            x = line.x + line.width - total
        else:
            x = line.x + (line.width - total) / 2
        xs = []
        for run, s in zip(line.runs, shaped, strict=True):
            x += run.before
            xs.append(x)
            x += s.width
        return total, xs, shaped

    def _shape(self, run: _Run, text: str) -> _Shaped:
        """The glyphs Pango gives `text` in the run's style, as WeasyPrint would draw them."""
        if "\n" in text or "\t" in text:
            raise Unstampable("a value with a line break or tab")
        if run.layout is None:
            run.layout = Layout(run.style)
        layout = run.layout
        layout.set_text(text)
        line, second = layout.get_first_line()
        if second is not None:
            raise Unstampable("text on two lines")
        glyphs: list[tuple[int, float]] = []
        width = 0.0
        item = line.runs[0] if text else ffi.NULL
        while item != ffi.NULL:
            glyph_item = item.data
            item = item.next
            if self._face_of(glyph_item.item.analysis.font) != run.face:
                raise Unstampable(f"“{text}” needs a face other than the print face")
            string = glyph_item.glyphs
            for i in range(string.num_glyphs):
                info = string.glyphs[i]
                if info.glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG or info.glyph == pango.PANGO_GLYPH_EMPTY:
                    raise Unstampable(f"“{text}” has a character without a glyph")
                if info.geometry.x_offset or info.geometry.y_offset:
                    raise Unstampable("a positioned glyph")
                advance = info.geometry.width * FROM_UNITS
                glyphs.append((info.glyph, advance))
                width += advance
        if len(glyphs) != len(text):
            raise Unstampable(f"“{text}” is not one glyph a character")
        return _Shaped(text, glyphs, width)

    @staticmethod
    def _face_of(font: Any) -> str | None:
        """Regular or Bold if Pango chose a print face for this run (asked each time: fonts can be freed)."""
        desc = ffi.gc(pango.pango_font_describe_with_absolute_size(font), pango.pango_font_description_free)
        if ffi.string(pango.pango_font_description_get_family(desc)).decode() != _FAMILY:
            return None
        return "Bold" if pango.pango_font_description_get_weight(desc) >= 600 else "Regular"

    # -- stamping a document -------------------------------------------------------------------------

    def _place(self, skeleton: _Skeleton, doc: Document, values: list[str]) -> _Placed:
        texts: list[tuple[str, float, float, float, tuple[float, float, float], _Shaped]] = []
        rules: list[tuple[float, float, float, float, tuple[float, float, float]]] = []
        for line in skeleton.lines:
            strings = ["".join(values[p] if isinstance(p, int) else p for p in r.pieces) for r in line.runs]
            total, xs, shaped = self._advance(line, strings)
            indent = line.x - line.left if line.align == "left" else 0.0
            if indent + total > line.right - line.left - _SLACK:
                raise Unstampable(f"“{''.join(strings)}” does not fit its line")
            for run, x, glyphs in zip(line.runs, xs, shaped, strict=True):
                texts.append((run.face, run.size, x, run.baseline, run.color, glyphs))
                if run.underline is not None and glyphs.text.strip():
                    offset, thickness, colour = run.underline
                    rules.append((x, x + glyphs.width, run.baseline + offset, thickness, colour))
        return _Placed(texts, rules, doc.verify_url)

    def render_chunk(self, docs: list[Document], out_dir: Path) -> list[int]:
        """Like pdf.render_pdf_chunk: out_dir/{i}.pdf per document and out_dir/chunk.pdf; page counts.

        Documents that cannot be stamped exactly are laid out by WeasyPrint in one call and take
        their place in the chunk.
        """
        with self._lock:
            return self._render_chunk(docs, out_dir)

    def _render_chunk(self, docs: list[Document], out_dir: Path) -> list[int]:
        placed: list[tuple[_Skeleton, _Placed] | None] = []
        for doc in docs:
            if len(doc.copies) > 1 or doc.sample:
                raise ValueError("the stamper takes single-copy issued documents")
            shape, values = split(doc)
            skeleton = self._skeleton(doc, shape, values)
            item = None
            if skeleton is not None:
                try:
                    item = (skeleton, self._place(skeleton, doc, values))
                except Unstampable as why:
                    log.debug("%s laid out by WeasyPrint: %s", doc.number, why)
            placed.append(item)
        rest = [i for i, p in enumerate(placed) if p is None]
        counts = [1] * len(docs)
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".laid-") as tmp:
            laid: dict[int, Path] = {}
            if rest:
                for i, pages in zip(
                    rest,
                    weasy.render_pdf_chunk([docs[i] for i in rest], self.templates_dir, None, Path(tmp)),
                    strict=True,
                ):
                    counts[i] = pages
                for k, i in enumerate(rest):
                    laid[i] = Path(tmp) / f"{k}.pdf"
            self.laid_out += len(rest)
            self.stamped += len(docs) - len(rest)
            self._write(docs, placed, laid, out_dir)
        return counts

    def _write(
        self,
        docs: list[Document],
        placed: list[tuple[_Skeleton, _Placed] | None],
        laid: dict[int, Path],
        out_dir: Path,
    ) -> None:
        with pikepdf.new() as chunk:
            fonts = _Shared(chunk, self.faces)
            for i, item in enumerate(placed):
                if item is None:
                    with pikepdf.open(laid[i]) as one:
                        for laid_page in one.pages:
                            chunk.pages.append(laid_page)
                            fonts.adopt(chunk.pages[-1].obj)
                    continue
                skeleton, values = item
                chunk.pages.append(self._page(chunk, skeleton, values, fonts))
            fonts.finish()
            chunk.save(out_dir / "chunk.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
            n = 0
            for i, doc in enumerate(docs):
                target = out_dir / f"{i}.pdf"
                if i in laid:
                    with pikepdf.open(laid[i]) as one:
                        n += len(one.pages)
                    laid[i].replace(target)
                    continue
                with pikepdf.new() as one:
                    one.pages.append(chunk.pages[n])
                    one.docinfo["/Title"] = f"{doc.title} {doc.number}"
                    one.save(target, object_stream_mode=pikepdf.ObjectStreamMode.generate)
                n += 1

    def _page(self, pdf: pikepdf.Pdf, skeleton: _Skeleton, placed: _Placed, fonts: _Shared) -> pikepdf.Page:
        form = fonts.forms.get(id(skeleton))  # the skeletons of a chunk stay alive while it is written
        if form is None:
            with pikepdf.open(io.BytesIO(skeleton.pdf)) as src:
                form = pdf.copy_foreign(src.pages[0].as_form_xobject())
            fonts.adopt(form)
            fonts.forms[id(skeleton)] = form
        xobjects = {"/K": form}
        ops = [f"q /K Do Q q {PX} 0 0 {-PX} 0 {skeleton.height:.4f} cm"]
        for x1, x2, y, thickness, colour in placed.rules:
            ops.append(f"{_rgb(colour)} RG {thickness:.4f} w {x1:.3f} {y:.3f} m {x2:.3f} {y:.3f} l S")
        for face, size, x, y, colour, shaped in placed.texts:
            tj = fonts.show(face, size, shaped)
            at = f"1 0 0 -1 {x:.3f} {y:.3f} Tm"
            ops.append(f"BT {fonts.name(face)} {size:.4f} Tf {_rgb(colour)} rg {at} [{tj}] TJ ET")
        if skeleton.qr is not None:
            x, y, w, h = skeleton.qr
            xobjects["/Q"] = _qr_image(pdf, placed.qr)
            ops.append(f"q {w:.3f} 0 0 {-h:.3f} {x:.3f} {y + h:.3f} cm /Q Do Q")
        ops.append("Q")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, skeleton.width, skeleton.height],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(xobjects), Font=fonts.resources),
            Contents=pdf.make_stream("\n".join(ops).encode()),
        )
        return pikepdf.Page(page)


class _Finder:
    """Walks a laid-out page: the lines holding values (with their block) and the QR code image."""

    def __init__(self, number: int | None, values: list[str]) -> None:
        self.number = number
        self.values = values
        self.lines: dict[int, tuple[boxes.LineBox, boxes.Box]] = {}
        self.qr: tuple[boxes.Box, boxes.ParentBox] | None = None

    def walk(self, box: boxes.Box, parent: boxes.ParentBox | None, line: Any, blocks: tuple[boxes.Box, ...]) -> None:
        if isinstance(box, boxes.LineBox):
            line = (box, blocks[-1])
        elif not isinstance(box, (boxes.InlineBox, boxes.TextBox)):
            blocks = (*blocks, box)
        if isinstance(box, boxes.TextBox) and line is not None:
            if _slot_of(box) is not None or (self.number is not None and self.values[self.number] in box.text):
                self.lines[id(line[0])] = line
            return
        if isinstance(box, boxes.ReplacedBox) and box.element_tag == "img" and parent is not None:
            if any("qr" in _element_class(b).split() for b in blocks):
                self.qr = (box, parent)
            return
        for child in getattr(box, "children", ()):
            self.walk(child, box if isinstance(box, boxes.ParentBox) else parent, line, blocks)

    def dynamic(self) -> list[tuple[boxes.LineBox, boxes.Box]]:
        out = list(self.lines.values())
        for line, container in out:
            siblings = [c for c in container.children if isinstance(c, boxes.LineBox)]
            if siblings and siblings[-1] is not line:
                raise Unstampable("a value on a line that is not its block's last")
        return out


def _element_class(box: boxes.Box) -> str:
    element = getattr(box, "element", None)
    return str(element.get("class") or "") if element is not None and hasattr(element, "get") else ""


def _slot_of(box: boxes.Box) -> int | None:
    """The value index of a text box inside a marked span (TextBoxes of a span share its element)."""
    element = getattr(box, "element", None)
    value = element.get("data-v") if element is not None and hasattr(element, "get") else None
    return int(value) if value is not None else None


def _split_number(text: str, values: list[str], number: int | None) -> tuple[str | int, ...]:
    """A text box outside any span (编号：HL-CK1-2026-00001 in the page margin) with the number as a slot."""
    if number is not None and values[number] in text:
        head, _, tail = text.partition(values[number])
        return tuple(p for p in (head, number, tail) if p != "")
    return (text,)


def _plain(box: boxes.InlineBox) -> None:
    style = box.style
    if tuple(style["background_color"])[3] != 0 or any(img[0] != "none" for img in style["background_image"]):
        raise Unstampable("an inline background")
    if any(getattr(box, f"border_{side}_width") for side in ("left", "right", "top", "bottom")):
        raise Unstampable("an inline border")
    if box.style["vertical_align"] != "baseline" or box.style["position"] != "static":
        raise Unstampable("a raised or positioned inline")


def _rgb(colour: tuple[float, float, float]) -> str:
    return " ".join(f"{c:.4f}" for c in colour)


def _qr_image(pdf: pikepdf.Pdf, url: str) -> pikepdf.Stream:
    """The QR code as a 1-bit image, one pixel a module, with the same quiet zone as the laid-out PNG."""
    rows = qr_rows(url)
    width = len(rows[0])
    data = bytearray()
    for row in rows:
        bits = 0
        for j in range(width):
            bits = bits << 1 | (0 if row[j] else 1)  # 1 = white in DeviceGray
        pad = -width % 8
        data += (bits << pad).to_bytes((width + pad) // 8, "big")
    stream = pdf.make_stream(bytes(data))
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width = width
    stream.Height = len(rows)
    stream.ColorSpace = pikepdf.Name.DeviceGray
    stream.BitsPerComponent = 1
    stream.Interpolate = False
    return stream


class _Shared:
    """What the pages of one chunk PDF share: a Type 0 font per print face, subset to the glyphs all
    its pages use, and one form XObject per skeleton."""

    def __init__(self, pdf: pikepdf.Pdf, faces: dict[str, _Metrics]) -> None:
        self.pdf = pdf
        self.faces = faces
        self.used: dict[str, set[int]] = {name: set() for name in faces}
        self.fonts = {name: pdf.make_indirect(pikepdf.Dictionary()) for name in faces}
        self.resources = pikepdf.Dictionary({f"/S{name[0]}": font for name, font in self.fonts.items()})
        self.chars: dict[str, dict[int, str]] = {name: {} for name in faces}  # glyph → the character drawn
        self.advances = {name: _advances(m) for name, m in faces.items()}  # glyph → width in 1/1000 em
        self.forms: dict[int, pikepdf.Object] = {}  # skeleton → its form XObject in this PDF

    def name(self, face: str) -> str:
        return f"/S{face[0]}"

    def adopt(self, form: pikepdf.Object) -> None:
        """Point the print faces of a copied skeleton (and its overlays) at this PDF's fonts.

        WeasyPrint subsets keep the face's glyph numbers, so the skeleton's text draws the same with
        this PDF's subset once its glyphs are added: every page of a chunk shares one font per face
        instead of carrying each shape's subsets.
        """
        resources = form.get("/Resources")
        if resources is None:
            return
        fonts: Any = resources.get("/Font")
        for key in list(fonts.keys()) if fonts is not None else ():
            font = fonts[key]
            face = _print_face(font)
            if face is None or face not in self.fonts:
                continue
            gids = _widths_keys(font.DescendantFonts[0].get("/W", []))
            self.used[face].update(gids)
            if "/ToUnicode" in font:
                for gid, text in _cmap_pairs(font.ToUnicode.read_bytes()):
                    self.chars[face].setdefault(gid, text)
            fonts[key] = self.fonts[face]
        xobjects: Any = resources.get("/XObject")
        for key in list(xobjects.keys()) if xobjects is not None else ():
            if xobjects[key].get("/Subtype") == pikepdf.Name.Form:
                self.adopt(xobjects[key])

    def show(self, face: str, size: float, shaped: _Shaped) -> str:
        """The TJ operand drawing `shaped`: glyph codes, each followed by its kerning as Pango shaped it."""
        advances = self.advances[face]
        out = []
        for (gid, advance), ch in zip(shaped.glyphs, shaped.text, strict=True):
            self.used[face].add(gid)
            self.chars[face][gid] = ch
            out.append(f"<{gid:04x}>")
            kerning = advances[gid] - advance * 1000 / size
            if abs(kerning) > 0.001:
                out.append(f"{kerning:.3f}")
        return " ".join(out)

    def finish(self) -> None:
        for name, metrics in self.faces.items():
            used = self.used[name]
            font = self.fonts[name]
            if not used:
                font.Type = pikepdf.Name.Font
                font.Subtype = pikepdf.Name.Type1
                font.BaseFont = pikepdf.Name.Helvetica  # referenced by no text: a placeholder
                continue
            tag = "".join(chr(ord("A") + b % 26) for b in hashlib.sha256(repr(sorted(used)).encode()).digest()[:6])
            base = pikepdf.Name(f"/{tag}+{metrics.name}")
            data = _hb_face(metrics.path).subset(used)
            file = pikepdf.Stream(self.pdf, b"")
            # compressed once here: every per-document file copies it without deflating it again
            file.write(zlib.compress(data, 6), filter=pikepdf.Name.FlateDecode)
            file.Subtype = pikepdf.Name.OpenType
            scale = 1000 / metrics.upem
            widths: list[Any] = []
            for gid in sorted(used):
                widths += [gid, [self.advances[name][gid]]]
            descriptor = pikepdf.Dictionary(
                Type=pikepdf.Name.FontDescriptor,
                FontName=base,
                Flags=4 | 2,  # symbolic, serif
                FontBBox=[round(v * scale) for v in metrics.bbox],
                ItalicAngle=0,
                Ascent=round(metrics.ascent * scale),
                Descent=round(metrics.descent * scale),
                CapHeight=round(metrics.cap_height * scale),
                StemV=80,
                FontFile3=file,
            )
            cid_font = pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.CIDFontType0,
                BaseFont=base,
                CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
                W=widths,
                FontDescriptor=self.pdf.make_indirect(descriptor),
            )
            font.Type = pikepdf.Name.Font
            font.Subtype = pikepdf.Name.Type0
            font.BaseFont = base
            font.Encoding = pikepdf.Name("/Identity-H")
            font.DescendantFonts = [self.pdf.make_indirect(cid_font)]
            font.ToUnicode = self.pdf.make_stream(_to_unicode(self.chars[name]))


def _print_face(font: pikepdf.Object) -> str | None:
    """Regular or Bold for a WeasyPrint font of the print face with glyph-number codes, else None."""
    name = str(font.get("/BaseFont", ""))
    if font.get("/Encoding") != pikepdf.Name("/Identity-H") or "+" not in name:
        return None
    base = name.split("+", 1)[1]
    if not base.startswith(_FAMILY.replace(" ", "-")):
        return None
    return "Bold" if base.endswith("-Bold") else "Regular"


def _widths_keys(widths: Any) -> set[int]:
    """The glyphs a /W array gives widths for ([first [w ...]] or [first last w])."""
    items = list(widths)
    out: set[int] = set()
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            out.update(range(first, first + len(items[i + 1])))
            i += 2
        else:
            out.update(range(first, int(items[i + 1]) + 1))
            i += 3
    return out


_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>")


def _cmap_pairs(data: bytes) -> list[tuple[int, str]]:
    return [(int(g, 16), bytes.fromhex(u.decode()).decode("utf-16-be")) for g, u in _BFCHAR.findall(data)]


@functools.lru_cache(maxsize=4)
def _advances(metrics: _Metrics) -> dict[int, float]:
    return {gid: adv * 1000 / metrics.upem for gid, adv in enumerate(metrics.advances)}


def _to_unicode(chars: dict[int, str]) -> bytes:
    """The ToUnicode CMap that lets text be copied and searched out of the stamped lines."""
    pairs = sorted(chars.items())
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <ffff> endcodespacerange",
    ]
    for i in range(0, len(pairs), 100):
        part = pairs[i : i + 100]
        lines.append(f"{len(part)} beginbfchar")
        lines += [f"<{g:04x}> <{c.encode('utf-16-be').hex()}>" for g, c in part]
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode()
