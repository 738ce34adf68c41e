"""Which characters this machine's fonts can print, so a rare character is refused instead of printed as a box.

WeasyPrint draws a character no installed font has as an empty box (a tofu), while the PDF's text layer
still holds the character: nothing downstream notices. Debian's Noto CJK covers the whole basic block and
the 通用规范汉字表 but not most of CJK Extension B and later, where many rare name characters live;
scripts/install adds 花園明朝 (fonts-hanazono, Extensions A-F), which leaves Extension G and later and
whatever else no font has. fontconfig already knows every installed face's coverage (`fc-list`'s charsets;
the same data Pango's fallback uses), so the check asks it once per process and follows the fonts installed.
"""

from __future__ import annotations

import bisect
import functools
import logging
import shutil
import subprocess
import unicodedata

log = logging.getLogger(__name__)

# drawn as nothing by Pango, so they need no glyph: variation selectors (standardised and ideographic)
_IGNORABLE = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))


@functools.cache
def _coverage() -> tuple[list[int], list[int]] | None:
    """Merged code point ranges covered by at least one installed font; None when fontconfig is absent."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        log.warning("fc-list not found: characters are not checked against the installed fonts")
        return None
    out = subprocess.run([fc_list, "--format", "%{charset}\n"], capture_output=True, text=True, check=False).stdout
    spans = []
    for token in out.split():
        first, _, last = token.partition("-")
        spans.append((int(first, 16), int(last or first, 16)))
    if not spans:
        log.warning("fontconfig lists no fonts: characters are not checked against the installed fonts")
        return None
    spans.sort()
    starts, ends = [spans[0][0]], [spans[0][1]]
    for lo, hi in spans[1:]:
        if lo <= ends[-1] + 1:
            ends[-1] = max(ends[-1], hi)
        else:
            starts.append(lo)
            ends.append(hi)
    return starts, ends


@functools.lru_cache(maxsize=65536)
def _printable(ch: str) -> bool:
    cp = ord(ch)
    if ch.isspace() or unicodedata.category(ch) == "Cf" or any(lo <= cp <= hi for lo, hi in _IGNORABLE):
        return True
    coverage = _coverage()
    if coverage is None:
        return True
    starts, ends = coverage
    i = bisect.bisect_right(starts, cp) - 1
    return i >= 0 and cp <= ends[i]


def unprintable(text: str) -> list[str]:
    """The distinct characters of `text` that no installed font can draw, in order of appearance."""
    return [ch for ch in dict.fromkeys(text) if not _printable(ch)]


def named(chars: list[str]) -> str:
    """Characters as a message names them: “𰀀”（U+30000）、…"""
    return "、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in chars)
