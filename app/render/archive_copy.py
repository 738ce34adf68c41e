"""The archive copy (归档件): the issued PDF as PDF/A-3b, with the 归档章 on page 1 and the data as JSON inside.

Policy: the copy starts from the issued PDF — what was issued, every copy (联) and page of it — and is never
re-rendered from the data snapshot, since the form may have changed since. What changes:

* the 归档章 (DA/T 22-2015) is overlaid in the top margin of page 1, centred (the standard's 首页上端居中;
  the right of the margin carries the 编号 header): 2 × 3 red ruled cells, 全宗号 | 年度 | 件号 over
  机构（问题）| 保管期限 | 页数;
* the submitted data and the index entry are embedded as `<number>.json` (UTF-8), an associated file of
  the document (/AF on the catalog, /AFRelationship /Data), as PDF/A-3 permits;
* PDF/A-3b is declared: XMP metadata with pdfaid:part 3 and conformance B (and dc:title, dc:identifier =
  档号), an sRGB OutputIntent (the ICC profile WeasyPrint ships), a trailer /ID, no encryption, a classic
  cross-reference table (no object streams);
* the embedded CJK fonts are made spec-correct. WeasyPrint writes glyph ids as the codes of a CID-keyed CFF
  font (Identity-H), which only displays right if every glyph's CID equals its glyph id. The cut print
  face (app/render/fonts.py) renumbers the glyphs of Noto CJK but keeps their CIDs, so a reader that
  follows the PDF specification (code → CID → charset) draws the wrong glyphs or none (poppler shows
  the bold face in the regular one). The copy renumbers the CIDs of each embedded font program to its
  glyph ids (the outlines are untouched), embeds it as a bare CFF (/CIDFontType0C), and adds the /CIDSet.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import struct
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pikepdf
import weasyprint

from app.render.pdf import _font_config, unique_subset_tags

MM = 72 / 25.4
STAMP_CELL_W, STAMP_CELL_H = 12.0, 5.0  # mm; the stamp is 3 × 2 cells: 36 × 10 mm, inside the 16 mm top margin
STAMP_TOP = 3.0  # mm from the top edge of the page
STAMP_COLOUR = "#c8102e"
SRGB = "sRGB IEC61966-2.1"
CREATOR = "DocDesk 物业文书台"


@dataclass(frozen=True)
class StampText:
    """What the 归档章 shows (DA/T 22-2015); 页数 is counted from the PDF."""

    fonds: str  # 全宗号
    year: str  # 年度
    item: str  # 件号
    org: str  # 机构（问题）代码
    term: str  # 保管期限


def stamp_html(text: StampText, pages: int) -> str:
    """The stamp as one page of its own size: six cells, ruled in red, each value centred."""
    rows = [[text.fonds, text.year, text.item], [text.org, text.term, str(pages)]]
    w, h = 3 * STAMP_CELL_W, 2 * STAMP_CELL_H
    cells = "".join(
        f'<div class="c" style="left:{c * STAMP_CELL_W}mm;top:{r * STAMP_CELL_H}mm">{html.escape(value)}</div>'
        for r, row in enumerate(rows)
        for c, value in enumerate(row)
    )
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@font-face {{ font-family: "DocDesk Serif SC"; src: url(fonts/DocDeskSerifSC-Regular.otf); }}
@page {{ size: {w}mm {h}mm; margin: 0; }}
html, body {{ margin: 0; }}
.stamp {{ position: relative; width: {w}mm; height: {h}mm; box-sizing: border-box; border: 0.5pt solid {STAMP_COLOUR};
  font-family: "DocDesk Serif SC", "Noto Serif CJK SC", serif; font-size: 8pt; color: {STAMP_COLOUR}; }}
.c {{ position: absolute; box-sizing: border-box; width: {STAMP_CELL_W}mm; height: {STAMP_CELL_H}mm;
  border: 0.5pt solid {STAMP_COLOUR}; text-align: center; line-height: {STAMP_CELL_H - 0.4}mm; }}
</style></head><body><div class="stamp">{cells}</div></body></html>"""


def stamp_pdf(text: StampText, pages: int, templates_dir: Path) -> bytes:
    """A one-page PDF the size of the 归档章."""
    html_text = stamp_html(text, pages)
    document = weasyprint.HTML(string=html_text, base_url=str(templates_dir)).render(font_config=_font_config())
    with pikepdf.open(io.BytesIO(document.write_pdf(pdf_identifier=False))) as pdf:
        if len(pdf.pages) != 1:
            raise RuntimeError(f"the 归档章 laid out on {len(pdf.pages)} pages")
        unique_subset_tags(pdf, salt=f"archive-stamp/{text}")
        buf = io.BytesIO()
        pdf.save(buf)
        return buf.getvalue()


def write_archive_copy(
    source: Path,
    out: Path,
    *,
    stamp: StampText | None,
    attachment: tuple[str, bytes],
    title: str,
    identifier: str,
    templates_dir: Path,
    now: dt.datetime | None = None,
) -> int:
    """Write the PDF/A-3b archive copy of the issued PDF `source` to `out`; return its page count."""
    now = now or dt.datetime.now(dt.UTC)
    with pikepdf.open(source) as pdf:
        pages = len(pdf.pages)
        if stamp is not None:
            _overlay_stamp(pdf, stamp_pdf(stamp, pages, templates_dir))
        fix_cid_fonts(pdf)
        _drop_empty_resources(pdf)
        _attach(pdf, attachment[0], attachment[1], now)
        _output_intent(pdf)
        _declare_pdfa(pdf, title, identifier, now)
        pdf.save(
            out,
            min_version="1.7",
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            compress_streams=True,
            encryption=False,
            fix_metadata_version=False,  # the XMP packet is written whole by _declare_pdfa
        )
    return pages


def _overlay_stamp(pdf: pikepdf.Pdf, stamp: bytes) -> None:
    page = pdf.pages[0]
    box = page.mediabox
    left, top = float(box[0]), float(box[3])
    width = float(box[2]) - left
    w, h = 3 * STAMP_CELL_W * MM, 2 * STAMP_CELL_H * MM
    x = left + (width - w) / 2
    y = top - STAMP_TOP * MM - h
    with pikepdf.open(io.BytesIO(stamp)) as overlay:
        page.add_overlay(overlay.pages[0], pikepdf.Rectangle(x, y, x + w, y + h))


def fix_cid_fonts(pdf: pikepdf.Pdf) -> int:
    """Make every embedded CFF CID font say CID = glyph id, with a /CIDSet; return how many programs were rewritten.

    See the module doc: the codes in the content are glyph ids, so a CID-keyed CFF's charset must map each
    to itself. TrueType CID fonts (DejaVu, for symbols) map CIDs by /CIDToGIDMap /Identity already; they get
    no /CIDSet, which PDF/A-3 does not require (ISO 19005-3 6.2.11.4.2) and pikepdf's validator cannot check.
    """
    changed = 0
    seen: set[tuple[int, int]] = set()
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Subtype") != pikepdf.Name.Type0:
            continue
        for cidfont in obj.get("/DescendantFonts", pikepdf.Array()):
            descriptor = cidfont.get("/FontDescriptor")
            if not isinstance(descriptor, pikepdf.Dictionary) or descriptor.objgen in seen:
                continue
            seen.add(descriptor.objgen)
            if cidfont.get("/Subtype") != pikepdf.Name.CIDFontType0 or "/FontFile3" not in descriptor:
                continue
            program = descriptor.FontFile3
            if not isinstance(program, pikepdf.Stream):
                continue
            rewritten, glyphs = _identity_cff(program)
            changed += rewritten
            if glyphs:
                descriptor.CIDSet = pdf.make_stream(_all_bits(glyphs))
    return changed


def _identity_cff(program: pikepdf.Stream) -> tuple[int, int]:
    """Make a CID-keyed CFF program's charset map glyph id i to CID i; (1 if rewritten, glyph count).

    The charset is patched in place with the 5-byte format-2 identity charset (one range: CIDs 1..n-1),
    which fits where any charset of three or more glyphs was; everything else stays byte for byte (fontTools
    would recompile every glyph: ~0.7 s a face). An OpenType wrapper is unwrapped to its bare CFF table.
    """
    subtype = program.get("/Subtype")
    data = program.read_bytes()
    if subtype == pikepdf.Name.OpenType:
        cff = _sfnt_table(data, b"CFF ")
        if cff is None:
            return 0, 0
    elif subtype == pikepdf.Name.CIDFontType0C:
        cff = data
    else:
        return 0, 0
    top = _cff_top_dict(cff)
    if (12, 30) not in top or 15 not in top or 17 not in top:
        return 0, 0  # name-keyed (no ROS): codes are glyph ids already
    glyphs = struct.unpack_from(">H", cff, top[17])[0]
    at = top[15]
    identity = b"\x02" + struct.pack(">HH", 1, glyphs - 2)
    if glyphs < 3 or _charset_size(cff, at, glyphs) < len(identity):
        raise ValueError(f"cannot patch the charset of a CFF font of {glyphs} glyphs")
    if _charset_cids(cff, at, glyphs) == list(range(glyphs)) and subtype == pikepdf.Name.CIDFontType0C:
        return 0, glyphs
    patched = cff[:at] + identity + cff[at + len(identity) :]
    program.write(patched)
    program.Subtype = pikepdf.Name.CIDFontType0C
    return 1, glyphs


def _sfnt_table(data: bytes, tag: bytes) -> bytes | None:
    count = struct.unpack_from(">H", data, 4)[0]
    for i in range(count):
        name, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if name == tag:
            return data[offset : offset + length]
    return None


def _index(data: bytes, at: int) -> tuple[list[bytes], int]:
    """A CFF INDEX at `at`: its items and the offset just after it."""
    count = struct.unpack_from(">H", data, at)[0]
    if count == 0:
        return [], at + 2
    size = data[at + 2]
    offsets = [int.from_bytes(data[at + 3 + i * size : at + 3 + (i + 1) * size], "big") for i in range(count + 1)]
    base = at + 3 + (count + 1) * size - 1
    return [data[base + offsets[i] : base + offsets[i + 1]] for i in range(count)], base + offsets[-1]


def _cff_top_dict(cff: bytes) -> dict[int | tuple[int, int], int]:
    """The first Top DICT of a CFF font: operator → its last integer operand (enough for offsets and ROS)."""
    _names, after = _index(cff, cff[2])
    dicts, _ = _index(cff, after)
    out: dict[int | tuple[int, int], int] = {}
    raw, i, operands = dicts[0], 0, [0]
    while i < len(raw):
        b0 = raw[i]
        if b0 <= 21:
            op: int | tuple[int, int] = (12, raw[i + 1]) if b0 == 12 else b0
            i += 2 if b0 == 12 else 1
            out[op] = operands[-1] if operands else 0
            operands = []
        elif b0 == 28:
            operands.append(struct.unpack_from(">h", raw, i + 1)[0])
            i += 3
        elif b0 == 29:
            operands.append(struct.unpack_from(">i", raw, i + 1)[0])
            i += 5
        elif b0 == 30:  # a real number: skip its nibbles up to the 0xf terminator
            i += 1
            while raw[i] & 0x0F != 0x0F and raw[i] >> 4 != 0x0F:
                i += 1
            i += 1
            operands.append(0)
        elif b0 <= 246:
            operands.append(b0 - 139)
            i += 1
        elif b0 <= 250:
            operands.append((b0 - 247) * 256 + raw[i + 1] + 108)
            i += 2
        else:
            operands.append(-(b0 - 251) * 256 - raw[i + 1] - 108)
            i += 2
    return out


def _charset_cids(cff: bytes, at: int, glyphs: int) -> list[int]:
    """The CID of every glyph (glyph 0 is CID 0) from a charset of format 0, 1 or 2."""
    fmt, pos, cids = cff[at], at + 1, [0]
    while len(cids) < glyphs:
        if fmt == 0:
            cids.append(struct.unpack_from(">H", cff, pos)[0])
            pos += 2
            continue
        first = struct.unpack_from(">H", cff, pos)[0]
        left = cff[pos + 2] if fmt == 1 else struct.unpack_from(">H", cff, pos + 2)[0]
        pos += 3 if fmt == 1 else 4
        cids.extend(range(first, first + left + 1))
    return cids[:glyphs]


def _charset_size(cff: bytes, at: int, glyphs: int) -> int:
    fmt = cff[at]
    if fmt == 0:
        return 1 + 2 * (glyphs - 1)
    pos, covered = at + 1, 1
    while covered < glyphs:
        covered += 1 + (cff[pos + 2] if fmt == 1 else struct.unpack_from(">H", cff, pos + 2)[0])
        pos += 3 if fmt == 1 else 4
    return pos - at


def _all_bits(n: int) -> bytes:
    """A CIDSet for CIDs 0..n-1: n bits set, high bit first."""
    bits = bytearray(b"\xff" * (n // 8))
    if n % 8:
        bits.append((0xFF << (8 - n % 8)) & 0xFF)
    return bytes(bits)


def _drop_empty_resources(pdf: pikepdf.Pdf) -> None:
    """WeasyPrint writes empty /Pattern and /Shading resource dictionaries; empty, they say nothing."""
    holders: list[pikepdf.Object] = [page.obj for page in pdf.pages]
    holders += [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == pikepdf.Name.Form]
    for holder in holders:
        resources = holder.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        for key in ("/Pattern", "/Shading"):
            value = resources.get(key)
            if isinstance(value, pikepdf.Dictionary) and not value.keys():
                del resources[key]


def _pdf_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def _attach(pdf: pikepdf.Pdf, name: str, data: bytes, now: dt.datetime) -> None:
    spec = pikepdf.AttachedFileSpec(
        pdf,
        data,
        description="提交数据与登记信息（JSON，UTF-8）",
        filename=name,
        mime_type="application/json",
        creation_date=_pdf_date(now),
        mod_date=_pdf_date(now),
    )
    spec.obj.AFRelationship = pikepdf.Name.Data
    pdf.attachments[name] = spec
    pdf.Root.AF = pikepdf.Array([spec.obj])


def _output_intent(pdf: pikepdf.Pdf) -> None:
    icc = (files("weasyprint") / "pdf" / "sRGB2014.icc").read_bytes()
    profile = pdf.make_stream(icc)
    profile.N = 3
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=SRGB,
                RegistryName="http://www.color.org",
                Info=SRGB,
                DestOutputProfile=profile,
            )
        ]
    )


def xmp_packet(title: str, identifier: str, producer: str, when: str) -> bytes:
    """XMP for PDF/A-3b: pdfaid part 3 / B, and the document information (title, tool, dates) it must repeat."""
    e = html.escape
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(title)}</rdf:li></rdf:Alt></dc:title>
<dc:identifier>{e(identifier)}</dc:identifier>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreatorTool>{e(CREATOR)}</xmp:CreatorTool>
<xmp:CreateDate>{when}</xmp:CreateDate>
<xmp:ModifyDate>{when}</xmp:ModifyDate>
<xmp:MetadataDate>{when}</xmp:MetadataDate>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdf:Producer>{e(producer)}</pdf:Producer>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _declare_pdfa(pdf: pikepdf.Pdf, title: str, identifier: str, now: dt.datetime) -> None:
    """The XMP packet and the document information dictionary, saying the same (PDF/A requires it)."""
    when = now.astimezone(dt.UTC).replace(microsecond=0)
    producer = str(pdf.docinfo.get("/Producer") or "WeasyPrint") + "; pikepdf " + pikepdf.__version__
    pdf.docinfo = pdf.make_indirect(
        pikepdf.Dictionary(
            Title=pikepdf.String(title),
            Creator=pikepdf.String(CREATOR),
            Producer=pikepdf.String(producer),
            CreationDate=_pdf_date(when),
            ModDate=_pdf_date(when),
        )
    )
    metadata = pdf.make_stream(xmp_packet(title, identifier, producer, when.isoformat()))
    metadata.Type = pikepdf.Name.Metadata
    metadata.Subtype = pikepdf.Name.XML
    pdf.Root.Metadata = metadata
