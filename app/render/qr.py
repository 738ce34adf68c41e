"""QR codes for the verification URL printed on every document (segno: no Pillow needed)."""

from __future__ import annotations

import functools
import io

import segno


@functools.lru_cache(maxsize=32)
def _qr(url: str) -> segno.QRCode:
    # one encoding per document serves both the PDF (SVG) and the Word file (PNG); a fixed mask
    # skips segno's mask evaluation (~4 ms) and any mask gives a valid, readable code
    return segno.make(url, error="m", mask=0)


def qr_svg(url: str) -> str:
    """An inline <svg> of the URL, without XML declaration, sized by CSS."""
    return str(_qr(url).svg_inline(scale=1, border=1, omitsize=True))


def qr_png(url: str, scale: int = 4) -> bytes:
    buf = io.BytesIO()
    _qr(url).save(buf, kind="png", scale=scale, border=1)
    return buf.getvalue()
