"""Build templates/document.docx, the Word template shared by every form (run once; edit the result in Word).

The page header carries the company and `编号：{{ number }}` so the number is printed on every page;
the body is one `{{p body }}` placeholder that the renderer fills. Styles set an East-Asian font
(宋体) and zh-CN language so Word and LibreOffice pick a Chinese face.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt


def east_asian(style_element: object, font: str = "宋体") -> None:
    rpr = style_element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), "Times New Roman")
    fonts.set(qn("w:hAnsi"), "Times New Roman")
    fonts.set(qn("w:eastAsia"), font)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def build(out: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(18), Mm(16)
    section.top_margin, section.bottom_margin = Mm(18), Mm(16)
    section.header_distance = section.footer_distance = Mm(8)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(2)
    east_asian(normal.element)
    for name in ("Table Grid",):
        east_asian(doc.styles[name].element)
    header = section.header.paragraphs[0]
    header.paragraph_format.tab_stops.add_tab_stop(Mm(176), WD_TAB_ALIGNMENT.RIGHT)
    r = header.add_run("{{ company }}\t\t编号：{{ number }}")
    r.font.size = Pt(8.5)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    r = footer.add_run("{{ sample_note }} 验真：{{ verify_url }}")
    r.font.size = Pt(7.5)
    body = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    body.add_run("{{p body }}")
    doc.core_properties.title = "DocDesk 物业文书台 通用模板"
    doc.core_properties.author = "DocDesk"
    doc.save(str(out))


if __name__ == "__main__":
    build(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "templates" / "document.docx"
    )
