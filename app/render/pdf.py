"""Turn print HTML into PDF with WeasyPrint, and refuse to run without HarfBuzz subsetting."""

from __future__ import annotations

import logging
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration

log = logging.getLogger(__name__)
_FONT_CONFIG: FontConfiguration | None = None


def harfbuzz_subset_available() -> bool:
    """Without libharfbuzz-subset0 WeasyPrint falls back to fontTools: ~48× slower per document."""
    from weasyprint.text import ffi

    return getattr(ffi, "harfbuzz_subset", None) is not None


def render_pdf(html: str, out: Path, base_url: Path) -> int:
    """Write the PDF of `html` to `out`; return its page count."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        _FONT_CONFIG = FontConfiguration()
    document = weasyprint.HTML(string=html, base_url=str(base_url)).render(font_config=_FONT_CONFIG)
    document.write_pdf(out, pdf_identifier=False)
    return len(document.pages)
