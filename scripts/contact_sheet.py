"""A contact sheet: page 1 of one form per layout kind and of every tier-A form, tiled into PNGs to look at.

python scripts/contact_sheet.py [--out /tmp/contact] [--per-sheet 12]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.registry import load_catalogue
from app.render.layouts import layout_of
from app.render.model import Letterhead, build_document
from app.render.pdf import render_document_pdf
from app.validation import validate_submission

ROOT = Path(__file__).resolve().parents[1]
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/contact")
    ap.add_argument("--per-sheet", type=int, default=12)
    args = ap.parse_args()
    cat = load_catalogue(ROOT / "forms", strict=True)
    picks: dict[str, str] = {}
    for form in sorted(cat.forms.values(), key=lambda f: f.id):
        if not form.blocks:
            picks.setdefault(f"layout {layout_of(form).name}", form.id)
    for form in sorted(cat.forms.values(), key=lambda f: f.id):
        if form.tier == "A":
            picks[f"tier A {form.id}"] = form.id
    lh = Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for caption, fid in picks.items():
            form = cat.forms[fid]
            data = validate_submission(form, cat.examples[fid])
            doc = build_document(
                form,
                data,
                number=f"HL-{form.code}-2026-00001",
                issue_date=dt.date(2026, 11, 22),
                letterhead=lh,
                verify_url="http://127.0.0.1:8000/v/contactsheet",
            )
            pdf = Path(tmp) / f"{fid}.pdf"
            render_document_pdf(doc, ROOT / "templates", form.templates.get(".html"), pdf)
            subprocess.run(
                ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(Path(tmp) / fid)],
                check=True,
            )
            tiles.append((f"{caption}（{form.title}）", Image.open(Path(tmp) / f"{fid}.png").convert("RGB")))
        font = ImageFont.truetype(FONT, 14)
        cols, w, h = 4, 480, 360
        for n in range(0, len(tiles), args.per_sheet):
            group = tiles[n : n + args.per_sheet]
            rows = -(-len(group) // cols)
            sheet = Image.new("RGB", (cols * w, rows * (h + 24)), "white")
            draw = ImageDraw.Draw(sheet)
            for i, (caption, img) in enumerate(group):
                img.thumbnail((w - 10, h - 10))
                x, y = (i % cols) * w, (i // cols) * (h + 24)
                sheet.paste(img, (x + 5, y + 22))
                draw.text((x + 5, y + 2), caption[:34], fill="black", font=font)
            path = out / f"contact-{n // args.per_sheet + 1}.png"
            sheet.save(path)
            print(path)


if __name__ == "__main__":
    main()
