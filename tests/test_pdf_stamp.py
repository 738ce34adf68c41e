"""The PDF stamper: a stamped page must be the page WeasyPrint lays out, in text and in pixels, or not be stamped."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageChops

from app.registry import Catalogue
from app.render.model import Document, Letterhead, build_document
from app.render.pdf import render_pdf_chunk
from app.render.pdf_stamp import PdfStamper
from app.validation import validate_submission
from tests.conftest import ROOT, pdf_pages, pdf_text, squash

TEMPLATES = ROOT / "templates"
LETTERHEAD = Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐欧阳司马"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国晓峰"
FEES = ["物业服务费", "公共能耗分摊费", "车位管理费", "垃圾清运费", "物业服务费（商铺）", "二次供水加压费"]


def notice(
    catalogue: Catalogue, rng: random.Random, n: int, level: int, rows: int, name: str | None = None
) -> Document:
    """A reminder notice with random values of the kinds a ledger produces."""
    form = catalogue.forms[f"arrears-reminder-{level}"]
    items = []
    for _ in range(rows):
        amount = Decimal(rng.randint(100, 2_000_000)) / 100
        month = rng.randint(1, 9)
        period = rng.choice([f"2026-0{month}", f"2026-0{month}-01至2026-0{month}-28"])
        items.append(
            {
                "fee_item": rng.choice(FEES),
                "period": period,
                "amount": str(amount),
                "late_fee": str((amount / 37).quantize(Decimal("0.01"))),
            }
        )
    if name is None:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    data: dict[str, Any] = {
        "project_name": "海亮·锦华花园",
        "room": {"building": str(rng.randint(1, 12)), "room": str(rng.choice([101, 302, 1502, 2201]))},
        "customer_name": name,
        "notice_date": f"2026-{rng.randint(10, 12)}-{rng.randint(1, 28):02d}",
        "items": items,
        "phone": "0571-87651234",
        "fax": "0571-87651235",
        "account_no": "3301 0400 0123 4567 890",
        "bank": "中国工商银行杭州城西支行",
    }
    clean = validate_submission(form, data)
    return build_document(
        form,
        clean,
        number=f"HL-CK{level}-2026-{n:05d}",
        issue_date=dt.date(2026, 11, 1),
        letterhead=LETTERHEAD,
        verify_url=f"http://docdesk.test/v/{rng.getrandbits(60):x}",
    )


def pixels(pdf: Path, out: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", "-singlefile", str(pdf), str(out)], check=True)
    return Image.open(f"{out}.png").convert("L")


def different_pixels(a: Image.Image, b: Image.Image) -> int:
    """Pixels more than 3/8 of the grey scale apart (a glyph edge's anti-aliasing may differ by up to ~64 levels)."""
    assert a.size == b.size
    histogram = ImageChops.difference(a, b).histogram()
    return sum(histogram[96:])


@pytest.fixture(scope="module")
def stamped_and_laid(real_catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    rng = random.Random(20261123)
    docs = [notice(real_catalogue, rng, n, level=1 + n % 3, rows=1 + n % 5) for n in range(24)]
    stamper = PdfStamper(TEMPLATES)
    stamped_dir, laid_dir = tmp_path_factory.mktemp("stamped"), tmp_path_factory.mktemp("laid")
    counts = stamper.render_chunk(docs, stamped_dir)
    render_pdf_chunk(docs, TEMPLATES, None, laid_dir)
    return docs, stamper, counts, stamped_dir, laid_dir


def test_most_notices_are_stamped(stamped_and_laid: tuple[Any, ...]) -> None:
    docs, stamper, counts, stamped_dir, _ = stamped_and_laid
    assert counts == [1] * len(docs)
    # a three-character name with a four-digit room makes the head line wrap: those go to WeasyPrint
    assert stamper.stamped >= len(docs) * 2 // 3
    assert stamper.stamped + stamper.laid_out == len(docs)
    assert pdf_pages(stamped_dir / "chunk.pdf") == len(docs)


def test_stamped_pages_read_like_laid_out_pages(stamped_and_laid: tuple[Any, ...]) -> None:
    docs, _, _, stamped_dir, laid_dir = stamped_and_laid
    for i, doc in enumerate(docs):
        stamped = squash(pdf_text(stamped_dir / f"{i}.pdf"))
        assert stamped == squash(pdf_text(laid_dir / f"{i}.pdf")), doc.number
        assert doc.number in stamped
    # every value of the documents is in its own file: nothing of one notice leaks into another
    for i, doc in enumerate(docs):
        text = squash(pdf_text(stamped_dir / f"{i}.pdf"))
        others = {d.number for d in docs} - {doc.number}
        assert not any(o in text for o in others)


def test_stamped_pages_look_like_laid_out_pages(stamped_and_laid: tuple[Any, ...], tmp_path: Path) -> None:
    docs, _, _, stamped_dir, laid_dir = stamped_and_laid
    seen: list[int] = []
    for i in range(len(docs)):
        a = pixels(stamped_dir / f"{i}.pdf", tmp_path / f"s{i}")
        b = pixels(laid_dir / f"{i}.pdf", tmp_path / f"l{i}")
        assert different_pixels(a, b) <= 2, docs[i].number
        seen.append(different_pixels(a, b))
    print("pixels apart per page:", seen)


def test_a_changed_value_shows_in_the_pixels(real_catalogue: Catalogue, tmp_path: Path) -> None:
    """The pixel comparison can fail: two notices that differ only in the name differ on the page."""
    a = notice(real_catalogue, random.Random(1), 1, 1, 2, name="王建国")
    b = notice(real_catalogue, random.Random(1), 1, 1, 2, name="李建国")  # the same values but the name
    stamper = PdfStamper(TEMPLATES)
    stamper.render_chunk([a, b], tmp_path)
    assert stamper.stamped == 2
    assert squash(pdf_text(tmp_path / "0.pdf")).replace("王建国", "李建国") == squash(pdf_text(tmp_path / "1.pdf"))
    apart = different_pixels(pixels(tmp_path / "0.pdf", tmp_path / "a"), pixels(tmp_path / "1.pdf", tmp_path / "b"))
    print("pixels apart for one character:", apart)
    assert apart > 20


def test_what_cannot_be_stamped_exactly_is_laid_out(real_catalogue: Catalogue, tmp_path: Path) -> None:
    rng = random.Random(2)
    plain = notice(real_catalogue, rng, 1, 1, 2, name="王芳")
    rare = notice(real_catalogue, rng, 2, 1, 2, name="王堃")  # 堃 is outside the GB 2312 print face
    long = notice(real_catalogue, rng, 3, 1, 2, name="欧阳娜娜" * 8)  # the name line wraps
    stamper = PdfStamper(TEMPLATES)
    counts = stamper.render_chunk([plain, rare, long], tmp_path)
    assert (stamper.stamped, stamper.laid_out) == (1, 2)
    assert counts == [1, 1, 1]
    texts = [squash(pdf_text(tmp_path / f"{i}.pdf")) for i in range(3)]
    assert "王芳" in texts[0] and "王堃" in texts[1] and "欧阳娜娜" * 8 in texts[2]
    chunk = squash(pdf_text(tmp_path / "chunk.pdf"))
    assert chunk.index("王芳") < chunk.index("王堃") < chunk.index("欧阳娜娜")


def test_stamped_files_embed_subset_fonts_with_names_of_their_own(stamped_and_laid: tuple[Any, ...]) -> None:
    docs, _, _, stamped_dir, _ = stamped_and_laid
    out = subprocess.run(["pdffonts", str(stamped_dir / "chunk.pdf")], capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.splitlines()[2:]]
    assert rows and all(r[-5:-2] == ["yes", "yes", "yes"] for r in rows)  # embedded, subset, ToUnicode
    stamped = [r[0] for r in rows if r[0].endswith(("DocDeskSerifSC-Regular", "DocDeskSerifSC-Bold"))]
    assert len(stamped) == 2 and len(set(stamped)) == 2
    subprocess.run(["qpdf", "--check", str(stamped_dir / "chunk.pdf")], check=True, capture_output=True)
    with pikepdf.open(stamped_dir / "0.pdf") as one:
        assert len(one.pages) == 1
        assert str(one.docinfo["/Title"]).endswith(docs[0].number)


def test_an_edited_stylesheet_makes_new_skeletons(real_catalogue: Catalogue, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    for f in TEMPLATES.iterdir():
        (templates / f.name).symlink_to(f) if f.is_dir() else (templates / f.name).write_bytes(f.read_bytes())
    doc = notice(real_catalogue, random.Random(3), 1, 1, 2, name="王芳")
    stamper = PdfStamper(templates)
    (tmp_path / "a").mkdir()
    stamper.render_chunk([doc], tmp_path / "a")
    css = templates / "print.css"
    css.write_text(css.read_text(encoding="utf-8").replace("color: #000;", "color: #999;"), encoding="utf-8")
    os.utime(css, (css.stat().st_atime + 5, css.stat().st_mtime + 5))
    (tmp_path / "b").mkdir()
    stamper.render_chunk([doc], tmp_path / "b")
    assert stamper.stamped == 2 and len(stamper._skeletons) == 2
    assert (
        different_pixels(
            pixels(tmp_path / "a" / "0.pdf", tmp_path / "a0"), pixels(tmp_path / "b" / "0.pdf", tmp_path / "b0")
        )
        > 100
    )
