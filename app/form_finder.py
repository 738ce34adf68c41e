"""Finding a form among hundreds: by title, alias, form code, number code or pinyin (zxxkz → 装修许可证)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from app.specs import FormSpec


def _fold(text: str) -> str:
    """Case, width and space folded: ＬＰ０９ and lp09 match, 装修 许可证 matches 装修许可证."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def initials(text: str) -> str:
    """Pinyin initials of the Chinese in `text`, e.g. 装修许可证 → zxxkz; other characters are kept."""
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()


def full_pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text, errors="default")).lower()


@dataclass(frozen=True)
class _Entry:
    form: FormSpec
    title: str
    names: tuple[str, ...]  # title and aliases, folded
    codes: tuple[str, ...]  # id, form code, number code, archive codes
    spelled: tuple[str, ...]  # initials and full pinyin of the title and the aliases


class FormFinder:
    """An in-memory index of the catalogue, built once when the forms are loaded."""

    def __init__(self, forms: Iterable[FormSpec]) -> None:
        self._entries = []
        for f in forms:
            names = [f.title, *f.aliases]
            archive = f.archive_code if isinstance(f.archive_code, list) else [f.archive_code or ""]
            self._entries.append(
                _Entry(
                    form=f,
                    title=_fold(f.title),
                    names=tuple(_fold(n) for n in names),
                    codes=tuple(_fold(c) for c in (f.id, f.form_code or "", f.code, *archive) if c),
                    spelled=tuple(s for n in names for s in (initials(_fold(n)), full_pinyin(_fold(n)))),
                )
            )

    def find(self, q: str = "", kind: str = "") -> list[FormSpec]:
        """Matching forms, best first: title match, then alias, code and pinyin; all forms when q is empty."""
        needle = _fold(q)
        scored: list[tuple[int, str, FormSpec]] = []
        for e in self._entries:
            if kind and e.form.kind != kind:
                continue
            score = self._score(e, needle) if needle else 50
            if score:
                scored.append((-score, e.form.title, e.form))
        scored.sort(key=lambda t: (t[0], t[1]))
        return [f for _, _, f in scored]

    @staticmethod
    def _score(e: _Entry, q: str) -> int:
        if q == e.title:
            return 100
        if e.title.startswith(q):
            return 90
        if q in e.title:
            return 80
        if any(q in n for n in e.names[1:]):
            return 70
        if any(c == q for c in e.codes):
            return 65
        if q.isascii():
            if any(s.startswith(q) for s in e.spelled):
                return 60
            if any(q in s for s in e.spelled):
                return 50
            if any(q in c for c in e.codes):
                return 40
        return 0


# The seed manuals the forms were extracted from (../shared/seeds), by file prefix, for the catalogue.
SEED_NAMES = {
    "000": "客户服务手册配套质量记录（含销售案场服务手册）",
    "001": "客户服务工作规程·客户服务部管理手册",
    "002": "物业档案管理目录（迎检范本）及回访记录范本",
    "003": "公司品质管理工作制度",
    "004": "客户服务手册",
}


def seed_name(source: str) -> str:
    """The manual a seed file holds, e.g. 003_….txt → 公司品质管理工作制度."""
    return SEED_NAMES.get(source[:3], source)
