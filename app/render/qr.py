"""QR codes for the verification URL printed on every document (segno: no Pillow needed)."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str) -> str:
    """An inline <svg> of the URL, without XML declaration, sized by CSS."""
    return str(segno.make(url, error="m").svg_inline(scale=1, border=1, omitsize=True))


def qr_png(url: str, scale: int = 4) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=1)
    return buf.getvalue()
