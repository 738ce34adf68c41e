"""What the index searches for each document: its room, its search text and its short tokens (pure functions).

Chinese is written without spaces, so nothing here is split into words. `search_text` is one lower-cased
string that the database indexes by trigrams (SQLite FTS5 `trigram`, PostgreSQL pg_trgm): any substring of
three characters or more is found — a full name, a word of a remark, a number, a room, pinyin. One- and
two-character queries (a surname, a given name, two pinyin initials) are below the trigram length, so
`grams` lists them as tokens: every Chinese character and every two-character run of each party's name,
and every two-letter run of each name's pinyin initials.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pypinyin import lazy_pinyin

from app.render.model import format_value
from app.rooms import room_field, room_from_parts
from app.specs import FormSpec

SEARCH_TEXT_MAX = 4000
GRAMS_MAX = 2000
NAME_MAX = 30  # characters of one party name that make tokens (a company's long name)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def fold(text: str) -> str:
    """The folding applied to indexed text and to queries alike: half-width, lower-case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def is_cjk(char: str) -> bool:
    return bool(_CJK.fullmatch(char))


@functools.lru_cache(maxsize=100_000)
def name_pinyin(name: str) -> tuple[str, str]:
    """Pinyin initials and full pinyin of the Chinese characters of a name: 王建国 → ("wjg", "wangjianguo")."""
    chinese = "".join(_CJK_RUN.findall(name))[:NAME_MAX]
    if not chinese:
        return "", ""
    syllables = lazy_pinyin(chinese)
    return "".join(s[0] for s in syllables if s).lower(), "".join(syllables).lower()


@functools.lru_cache(maxsize=100_000)
def name_grams(name: str) -> tuple[str, ...]:
    """Tokens of one party name: each Chinese character, each two-character run, each pair of pinyin initials."""
    out: list[str] = []
    for run in _CJK_RUN.findall(fold(name)[:NAME_MAX]):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    initials, _ = name_pinyin(name)
    out.extend(initials[i : i + 2] for i in range(len(initials) - 1))
    return tuple(out)


def _flatten(value: Any) -> Iterator[str]:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _flatten(v)
    else:
        text = str(value).strip()
        if text:
            yield text


def submitted_values(form: FormSpec | None, clean: Mapping[str, Any]) -> Iterator[str]:
    """Every submitted value as text, tables row by row; an address also as printed (3幢2单元1502室)."""
    fields = form.field_map if form is not None else {}
    for key, value in clean.items():
        spec = fields.get(key)
        if spec is not None and spec.type == "address" and isinstance(value, Mapping):
            yield format_value(spec, value).replace("\u3000", "")
        else:
            yield from _flatten(value)


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def _contained_once(pieces: list[str]) -> list[str]:
    """The pieces less those found inside another one (a form code in its number, an address in the subject):
    trigram search finds substrings, so the longer piece answers for both, and the index stays small."""
    kept: list[str] = []
    for piece in sorted(pieces, key=len, reverse=True):
        if not any(piece in longer for longer in kept):
            kept.append(piece)
    keep = set(kept)
    return [p for p in pieces if p in keep]


def _room(form: FormSpec | None, clean: Mapping[str, Any]) -> str:
    if form is not None:
        found = room_field(form, clean)
        return found[1] if found else ""
    # a form no longer in the catalogue (reindex): the first value shaped like an address
    for value in clean.values():
        if isinstance(value, Mapping) and "building" in value:
            room = room_from_parts(value)
            if room:
                return room
    return ""


def search_fields(
    form: FormSpec | None,
    clean: Mapping[str, Any],
    number: str,
    title: str,
    parties: list[str],
    project: str,
    *,
    subject: str = "",
) -> tuple[str, str, str]:
    """(room, search_text, grams) of a document, as stored in IssuedDocument.room/search_text/grams.

    `form` None: a document whose form is no longer in the catalogue (reindex).
    """
    room = _room(form, clean)
    spelled: list[str] = []
    for name in parties:
        initials, full = name_pinyin(name)
        spelled += [initials, full]
    codes = [form.form_code or "", form.code] if form is not None else []
    head = [number, title, *codes, project, subject, *parties, *spelled]
    if room:
        head.append(room)  # canonical; the address as printed comes with the submitted values (and the subject)
    text = " ".join(_contained_once(_unique(fold(p) for p in [*head, *submitted_values(form, clean)])))
    grams = " ".join(_unique(g for name in parties for g in name_grams(name)))
    if len(grams) > GRAMS_MAX:
        grams = grams[: GRAMS_MAX + 1].rsplit(" ", 1)[0]
    return room, text[:SEARCH_TEXT_MAX], grams
