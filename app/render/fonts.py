"""Build the print fonts: Noto Serif CJK SC cut down to GB 2312 and common symbols, once, at install time.

WeasyPrint subsets every embedded face for every PDF; on the 25 MB Noto collection that is ~55 ms
per face per document. A pre-cut 3–5 MB face brings it to ~20 ms and halves the PDF size. Characters
outside the cut (rare name characters such as 堃) fall back to the full system Noto face, so nothing
is lost. The faces are renamed (the Noto licence reserves its own name for unmodified fonts).

After the cut, glyph n is renamed cid{n} so that its CID is its glyph number: in a CID-keyed CFF font
the charset maps each glyph to a CID, WeasyPrint writes glyph numbers as the codes, and readers take
codes as CIDs. The first cut kept Noto's CIDs on renumbered glyphs, so readers that follow the charset
drew wrong or missing glyphs (pikepdf's PDF/A check: 6.2.11.4.1). Keeping Noto's glyph numbers instead
(retain_gids) is also correct but makes every embedded subset ~100 KB larger.
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/opentype/noto")
FAMILY = "DocDesk Serif SC"
FILES = {"Regular": "DocDeskSerifSC-Regular.otf", "Bold": "DocDeskSerifSC-Bold.otf"}
# written beside the faces; a different (or no) marker means faces of an older cut, which are rebuilt
CUT_VERSION = "2 identity-cids"
MARKER = "cut-version.txt"
SC_INDEX = 2  # Simplified Chinese face inside NotoSerifCJK-*.ttc (JP, KR, SC, TC, HK)


def code_points() -> set[int]:
    """ASCII, Latin-1, general punctuation, letterlike, arrows, enclosed numbers, boxes, CJK and
    full-width punctuation, and all of GB 2312 (symbol rows and both levels of hanzi)."""
    ranges = [
        (0x20, 0x7F),
        (0xA0, 0x100),
        (0x2000, 0x2070),
        (0x2100, 0x2200),
        (0x2460, 0x2500),
        (0x25A0, 0x2700),
        (0x2700, 0x27C0),
        (0x3000, 0x3040),
        (0xFF00, 0xFFF0),
    ]
    chars = {c for lo, hi in ranges for c in range(lo, hi)}
    for row in [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]:
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([row, cell]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def build_fonts(dest: Path, source: Path = SOURCE) -> list[Path]:
    """Write the cut faces into dest (skipping faces already there); return their paths."""
    dest.mkdir(parents=True, exist_ok=True)
    marker = dest / MARKER
    current = marker.exists() and marker.read_text(encoding="utf-8").strip() == CUT_VERSION
    written = []
    chars = code_points()
    for style, name in FILES.items():
        out = dest / name
        written.append(out)
        if out.exists() and current:
            continue
        font = TTFont(str(source / f"NotoSerifCJK-{style}.ttc"), fontNumber=SC_INDEX, lazy=False)
        subsetter = subset.Subsetter(subset.Options(name_IDs=["*"], notdef_outline=True))
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        for rec in font["name"].names:
            if rec.nameID in (1, 16):
                rec.string = FAMILY
            elif rec.nameID == 4:
                rec.string = f"{FAMILY} {style}"
            elif rec.nameID == 6:
                rec.string = f"DocDeskSerifSC-{style}"
        tmp = out.with_suffix(".tmp")
        font.save(str(tmp))
        _identity_cids(tmp)
        tmp.replace(out)
    marker.write_text(CUT_VERSION + "\n", encoding="utf-8")
    return written


def _identity_cids(path: Path) -> None:
    """Rename glyph n of a CID-keyed CFF font to cid{n}, so CID = glyph number (see the module docstring).

    Only the CFF table is read before the new glyph order is set; every other table is then read by
    glyph number under the new names, so cmap, GSUB, GPOS and the metrics follow the renaming.
    """
    font = TTFont(str(path))
    top = font["CFF "].cff.topDictIndex[0]
    old = font.getGlyphOrder()
    new = [".notdef", *(f"cid{n:05d}" for n in range(1, len(old)))]
    rename = dict(zip(old, new, strict=True))
    charstrings = top.CharStrings
    charstrings.charStrings = {rename[name]: i for name, i in charstrings.charStrings.items()}
    top.charset = new
    font.setGlyphOrder(new)
    for tag in list(font.keys()):
        if tag not in ("CFF ", "GlyphOrder"):
            font[tag]
    renamed = path.with_suffix(".renamed")
    font.save(str(renamed))
    font.close()
    renamed.replace(path)
