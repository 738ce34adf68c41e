"""QR codes for the verification URL printed on every document (segno: no Pillow needed)."""

from __future__ import annotations

import functools
import io

import segno


@functools.lru_cache(maxsize=128)  # a batch chunk's documents: the PDF and then the Word file use each
def _qr(url: str) -> segno.QRCode:
    # one encoding per document serves both the PDF (SVG) and the Word file (PNG); a fixed mask
    # skips segno's mask evaluation (~4 ms) and any mask gives a valid, readable code
    return segno.make(url, error="m", mask=0)


def qr_svg(url: str) -> str:
    """An inline <svg> of the URL, without XML declaration, sized by CSS."""
    return str(_qr(url).svg_inline(scale=1, border=1, omitsize=True))


def qr_data_uri(url: str) -> str:
    """A PNG of one pixel a module, as a data: URI; printed scaled up with nearest-neighbour sampling.

    WeasyPrint draws an inline SVG path command by command in Python (~8 ms a page); a tiny PNG costs
    well under a millisecond and prints the same sharp modules (image-rendering: pixelated).
    """
    return str(_qr(url).png_data_uri(scale=1, border=1))


def qr_rows(url: str, border: int = 1) -> list[list[bool]]:
    """The modules of the code, row by row (True = dark), with the quiet zone the PNG has."""
    return [[bool(m) for m in row] for row in _qr(url).matrix_iter(scale=1, border=border)]


def qr_png(url: str, scale: int = 4) -> bytes:
    buf = io.BytesIO()
    _qr(url).save(buf, kind="png", scale=scale, border=1)
    return buf.getvalue()
