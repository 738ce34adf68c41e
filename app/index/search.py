"""The archivist's search over the issued-document index: filters, Chinese substring and pinyin, paging, sorting.

How text is matched (never by splitting Chinese on spaces; the user's own spaces separate terms, all required):

* a term of three characters or more is a substring of `search_text` — SQLite: the FTS5 trigram table
  `documents_fts` (the term quoted as one FTS5 string, so `"`, `*`, `NEAR(` are plain text); PostgreSQL:
  `search_text LIKE '%term%'` answered by the pg_trgm GIN index;
* a term of one or two characters (a surname, a given name, two pinyin initials) is a token of `grams` —
  SQLite: the FTS5 unicode61 table `documents_grams`; PostgreSQL: `to_tsvector('simple', grams)` (GIN);
* a term written as a room with 栋/幢/单元/室/# (or 楼栋-单元-房号) is the room filter.

Speed at a million rows: every filter has an index, the total is counted up to COUNT_CAP only ("10000+"),
and the page is chosen on ids alone before the rows are loaded.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.orm import Session

from app.holds import held_clause
from app.index.db import Database
from app.index.models import IssuedDocument
from app.index.searchtext import fold, is_cjk, search_fields
from app.masking import mask_parties
from app.registry import Catalogue
from app.rooms import normalize_room, room_label, room_prefix, written_as_room
from app.specs import KIND_LABELS
from app.validation import FieldError, SubmissionInvalid

COUNT_CAP = 10_000  # totals above this are shown as "10000+"
EXPORT_CAP = 10_000  # rows of an .xlsx export
MAX_PER_PAGE = 500  # the API's older `limit` has always allowed 500
PAGE_MAX = 200  # `per_page` of the page and the API
MAX_TERMS = 8
STATUS_LABELS = {"issued": "有效", "voided": "已作废", "disposed": "已销毁"}
RETENTION_LABELS = {
    "active": "保存期内",
    "expired": "保存期满",
    "held": "保全冻结中",
    "permanent": "永久保存",
    "disposed": "已销毁",
}
SORT_LABELS = {"issued_at": "开具时间", "number": "编号", "document_date": "文书日期", "retain_until": "保存至"}
FIELD_LABELS = {
    "q": "搜索词",
    "number": "编号",
    "form": "表单",
    "kind": "类别",
    "project": "项目",
    "room": "房号",
    "party": "当事人",
    "date_from": "起始日期",
    "date_to": "截止日期",
    "status": "状态",
    "retention_state": "保存状态",
    "as_of": "到期判断日",
    "sort": "排序",
    "order": "顺序",
    "page": "页码",
    "per_page": "每页条数",
    "limit": "每页条数",
    "offset": "起始位置",
}
_SHORT_TOKEN = re.compile(r"[a-z0-9]{1,2}|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{1,2}")


@dataclass(frozen=True)
class SearchQuery:
    """What the archivist asks for; every field is optional (empty: no filter)."""

    q: str = ""  # free text: number, title, names, pinyin, room, any submitted value
    number: str = ""  # exact, or a prefix: "HL-CK1-2026-" or "HL-CK1-2026-0001*"
    form: str = ""  # form id
    kind: str = ""  # KIND_LABELS key
    project: str = ""
    room: str = ""  # any spelling (3栋2单元1502, 3#2-1502 …); a building or unit (3栋, 3栋2单元) is a prefix
    party: str = ""  # any part of a party's name, or its pinyin initials (wjg, jg)
    date_from: dt.date | None = None  # document_date, inclusive
    date_to: dt.date | None = None
    status: str = ""  # issued voided disposed
    retention_state: str = ""  # active expired held permanent disposed
    as_of: dt.date | None = None  # the day `expired`/`active` are judged on (default: today)
    sort: str = "issued_at"  # issued_at number document_date retain_until
    descending: bool = True
    page: int = 1
    per_page: int = 50
    offset: int | None = None  # overrides `page` (the API's older offset/limit paging)
    # the projects the asking user may see (app.auth.policy.visible_projects); None: all
    projects: frozenset[str] | None = None

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.per_page

    def filters(self) -> dict[str, str]:
        """The non-empty filters as query-string parameters (links to other pages, the export)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("page", "offset", "descending", "per_page", "sort", "projects") or value in ("", None):
                continue
            out["retention" if f.name == "retention_state" else f.name] = str(value)
        if self.sort != "issued_at":
            out["sort"] = self.sort
        if not self.descending:
            out["order"] = "asc"
        if self.per_page != 50:
            out["per_page"] = str(self.per_page)
        return out


# filters beyond a plain list (text, form, project, status, order, paging): the archivist's index ("search")
ADVANCED = ("number", "kind", "room", "party", "date_from", "date_to", "retention_state", "as_of")


def advanced(query: SearchQuery) -> list[str]:
    """The Chinese labels of the advanced filters a query uses."""
    return [FIELD_LABELS[name] for name in ADVANCED if getattr(query, name) not in ("", None)]


def _bad(field: str, message: str) -> FieldError:
    return FieldError(field, FIELD_LABELS[field], message)


def checked(query: SearchQuery) -> SearchQuery:
    """The query with its values normalised (number, room), or SubmissionInvalid naming each bad filter."""
    errors: list[FieldError] = []
    for name, limit in (("q", 200), ("number", 80), ("form", 120), ("project", 40), ("room", 40), ("party", 60)):
        if len(getattr(query, name)) > limit:
            errors.append(_bad(name, f"太长了：最多 {limit} 个字"))
    room = ""
    if query.room.strip():
        room = normalize_room(query.room)
        if not room:
            errors.append(_bad("room", f"“{query.room}”不像房号，请写成 3栋2单元1502、3-2-1502，或 3栋（整栋）"))
    if query.kind and query.kind not in KIND_LABELS:
        errors.append(_bad("kind", f"“{query.kind}”不是类别，可选：{'、'.join(KIND_LABELS)}"))
    if query.status and query.status not in STATUS_LABELS:
        choices = "、".join(f"{k}（{v}）" for k, v in STATUS_LABELS.items())
        errors.append(_bad("status", f"“{query.status}”不是状态，可选：{choices}"))
    if query.retention_state and query.retention_state not in RETENTION_LABELS:
        choices = "、".join(f"{k}（{v}）" for k, v in RETENTION_LABELS.items())
        errors.append(_bad("retention_state", f"“{query.retention_state}”不是保存状态，可选：{choices}"))
    if query.sort not in SORT_LABELS:
        choices = "、".join(f"{k}（{v}）" for k, v in SORT_LABELS.items())
        errors.append(_bad("sort", f"不能按“{query.sort}”排序，可选：{choices}"))
    if query.date_from and query.date_to and query.date_from > query.date_to:
        errors.append(_bad("date_to", f"截止日期 {query.date_to} 早于起始日期 {query.date_from}"))
    if not 1 <= query.page <= 1_000_000:
        errors.append(_bad("page", "应为 1 到 1000000 之间的整数"))
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        errors.append(_bad("per_page", f"应为 1 到 {MAX_PER_PAGE} 之间的整数"))
    if query.offset is not None and not 0 <= query.offset <= 10_000_000:
        errors.append(_bad("offset", "应为 0 到 10000000 之间的整数"))
    if errors:
        raise SubmissionInvalid(errors)
    number = _printable(unicodedata.normalize("NFKC", query.number)).strip().upper()
    return replace(
        query,
        q=_printable(query.q).strip(),
        number=number,
        form=_printable(query.form).strip(),
        project=_printable(query.project).strip(),
        room=room,
        party=_printable(query.party).strip(),
    )


def _printable(text_: str) -> str:
    """Without control characters (a NUL cannot even be sent to PostgreSQL); tabs and newlines become spaces."""
    return "".join(" " if c in "\t\r\n" else c for c in text_ if c in "\t\r\n" or unicodedata.category(c) != "Cc")


def _date(name: str, raw: str, errors: list[FieldError]) -> dt.date | None:
    text_ = unicodedata.normalize("NFKC", raw).strip()
    if not text_:
        return None
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text_)
    m = m or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text_)
    try:
        if m is None:
            raise ValueError(text_)
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        errors.append(_bad(name, f"“{raw}”不是日期，请写成 2026-11-20"))
        return None


def _int(name: str, raw: str, default: int | None, errors: list[FieldError]) -> int | None:
    text_ = unicodedata.normalize("NFKC", raw).strip()
    if not text_:
        return default
    if not re.fullmatch(r"\d{1,9}", text_):
        errors.append(_bad(name, f"“{raw}”不是整数"))
        return default
    return int(text_)


def parse_query(params: Mapping[str, Any]) -> SearchQuery:
    """A SearchQuery from query-string or command-line values (all text), checked; bad values → SubmissionInvalid.

    Names: q number form kind project room party date_from (or from) date_to (or to) status retention as_of
    sort order (asc/desc) page per_page (≤ PAGE_MAX), and the API's older offset/limit (≤ MAX_PER_PAGE).
    """

    def get(*names: str) -> str:
        for n in names:
            value = params.get(n)
            if value is not None and str(value) != "":
                return str(value)
        return ""

    errors: list[FieldError] = []
    order = get("order").lower()
    if order not in ("", "asc", "desc"):
        errors.append(_bad("order", f"“{order}”不是顺序，可选：asc（从早到晚/从小到大）、desc（从新到旧/从大到小）"))
    per_page = _int("per_page", get("per_page"), None, errors)
    if per_page is not None and not 1 <= per_page <= PAGE_MAX:
        errors.append(_bad("per_page", f"应为 1 到 {PAGE_MAX} 之间的整数"))
        per_page = None
    if per_page is None and not errors:
        per_page = _int("limit", get("limit"), None, errors)
    query = SearchQuery(
        q=get("q"),
        number=get("number"),
        form=get("form"),
        kind=get("kind"),
        project=get("project"),
        room=get("room"),
        party=get("party"),
        date_from=_date("date_from", get("date_from", "from"), errors),
        date_to=_date("date_to", get("date_to", "to"), errors),
        status=get("status"),
        retention_state=get("retention", "retention_state"),
        as_of=_date("as_of", get("as_of"), errors),
        sort=get("sort") or "issued_at",
        descending=order != "asc",
        page=_int("page", get("page"), 1, errors) or 1,
        per_page=per_page if per_page is not None else 50,
        offset=_int("offset", get("offset"), None, errors),
    )
    try:
        query = checked(query)
    except SubmissionInvalid as exc:
        errors += exc.errors
    if errors:
        raise SubmissionInvalid(errors)
    return query


# ---------------------------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class _Filter:
    """One condition of a query in the forms the SQLite planning below needs.

    `where` is the condition as written (an index may answer it); `plain` the same test with index use
    switched off (SQLite's unary +; an FTS match as a set of rowids built once), for every condition but the
    one chosen to drive the query; `alone` selects the matching ids through this condition's index only,
    for estimates and counts; `exact` marks a condition that matches a handful of rows at most; `columns`
    are the columns it reads; `fts` the FTS5 table and MATCH expression of a text condition.
    """

    where: ColumnElement[bool]
    plain: ColumnElement[bool]
    alone: Select[Any] | None = None
    exact: bool = False
    columns: frozenset[str] = frozenset()
    fts: tuple[str, str] | None = None


class _Builder:
    """Builds the filters of one statement (bound parameter names of the textual FTS parts are unique)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._n = itertools.count()

    def _param(self) -> str:
        return f"fts_{next(self._n)}"

    def column(
        self, make: Callable[[Callable[[str], Any]], ColumnElement[bool]], *names: str, exact: bool = False
    ) -> _Filter:
        def plain(name: str) -> Any:
            col = IssuedDocument.__table__.c[name]
            return literal_column(f"+issued_documents.{name}", type_=col.type)

        where = make(lambda name: getattr(IssuedDocument, name))
        alone = select(IssuedDocument.id).where(where)
        return _Filter(where, make(plain) if self.dialect == "sqlite" else where, alone, exact, frozenset(names))

    def unindexed(self, where: ColumnElement[bool], *names: str) -> _Filter:
        return _Filter(where, where, None, False, frozenset(names))

    def fts(self, table: str, terms: list[str]) -> _Filter:
        match = " AND ".join(_fts_string(t) for t in _unique(terms))
        where = IssuedDocument.id.in_(self.match_rowids(table, match))
        plain = literal_column("+issued_documents.id", type_=Integer).in_(self.match_rowids(table, match))
        alone: Select[Any] = select(literal_column("rowid")).select_from(self.match_rowids(table, match).subquery())
        return _Filter(where, plain, alone, False, frozenset({"fts"}), (table, match))

    def match_rowids(self, table: str, match: str) -> Any:
        name = self._param()
        sql = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :{name}").bindparams(**{name: match})
        return sql.columns(column("rowid", Integer))

    def match(self, table: str, match: str) -> ColumnElement[bool]:
        name = self._param()
        return text(f"{table} MATCH :{name}").bindparams(**{name: match})  # type: ignore[return-value]


def _fts_string(term: str) -> str:
    """A term as one FTS5 string: everything inside is text, a double quote is doubled."""
    return '"' + term.replace('"', '""') + '"'


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Text:
    """The text terms of one query, gathered per index, then turned into filters for the dialect."""

    def __init__(self) -> None:
        self.trigram: list[str] = []  # substrings of search_text (≥ 3 characters)
        self.grams: list[str] = []  # tokens of grams (1–2 characters)
        self.nothing = False  # a term that can match nothing (e.g. a lone punctuation mark)

    def add(self, term: str) -> None:
        term = fold(term)
        if len(term) >= 3:
            self.trigram.append(term)
        elif _SHORT_TOKEN.fullmatch(term) and (all(is_cjk(c) for c in term) or term.isalpha()):
            self.grams.append(term)
        else:
            self.nothing = True

    def filters(self, b: _Builder) -> list[_Filter]:
        doc = IssuedDocument
        if b.dialect != "sqlite":
            out = [
                b.unindexed(doc.search_text.like(f"%{_escape_like(t)}%", escape="\\"), "search_text")
                for t in _unique(self.trigram)
            ]
            if self.grams:
                tsv = func.to_tsvector(literal_column("'simple'::regconfig"), doc.grams)
                tsq = func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(_unique(self.grams)))
                out.append(b.unindexed(tsv.op("@@")(tsq), "grams"))
            return out
        return [
            b.fts(t, terms) for t, terms in (("documents_fts", self.trigram), ("documents_grams", self.grams)) if terms
        ]


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _starts(col: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
    """`col` starts with `prefix`, in a form the column's b-tree index answers."""
    if dialect == "postgresql":  # number has a varchar_pattern_ops index; LIKE is exact in any collation
        like: ColumnElement[bool] = col.like(f"{_escape_like(prefix)}%", escape="\\")
        return like
    # SQLite compares text by code point (BINARY), so a prefix is a range of the index
    return and_(col >= prefix, col < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def _room_filter(b: _Builder, room: str) -> _Filter:
    if not room_prefix(room):
        return b.column(lambda c: c("room") == room, "room", exact=True)
    if b.dialect == "sqlite":
        # the building or unit itself and every room under it: canonical rooms continue with "-" or end
        return b.column(lambda c: and_(c("room") >= room, c("room") < room + "."), "room")
    return b.column(lambda c: or_(c("room") == room, c("room").like(f"{_escape_like(room)}-%", escape="\\")), "room")


def _filters(query: SearchQuery, dialect: str, today: dt.date) -> list[_Filter] | None:
    """The filters of a checked query; None when a term can match nothing."""
    b = _Builder(dialect)
    out: list[_Filter] = []
    words = _Text()
    for term in query.q.split()[:MAX_TERMS]:
        room = written_as_room(term)
        if room:
            out.append(_room_filter(b, room))
        else:
            words.add(term)
    if query.party:
        party = fold(query.party)
        words.add(party)
        if len(party) >= 3 and not party.isascii():  # the trigram may have matched other text: the name must hold it
            like = f"%{_escape_like(query.party)}%"
            out.append(b.unindexed(IssuedDocument.parties.like(like, escape="\\"), "parties"))
    if words.nothing:
        return None
    out += words.filters(b)
    if query.number:
        number = query.number
        if number.endswith("*") or number.endswith("-"):
            number = number.rstrip("*")
            if number:
                out.append(b.column(lambda c: _starts(c("number"), number, dialect), "number"))
        else:
            out.append(b.column(lambda c: c("number") == number, "number", exact=True))
    if query.room:
        out.append(_room_filter(b, query.room))
    if query.form:
        out.append(b.column(lambda c: c("form_id") == query.form, "form_id"))
    if query.kind:
        out.append(b.unindexed(IssuedDocument.kind == query.kind, "kind"))
    if query.project:
        out.append(b.column(lambda c: c("project") == query.project, "project"))
    if query.projects is not None:  # the user's own projects only
        if not query.projects:
            return None
        if query.project not in query.projects:
            seen = sorted(query.projects)
            out.append(b.column(lambda c: c("project").in_(seen), "project"))
    if query.date_from or query.date_to:
        low, high = query.date_from or dt.date.min, query.date_to or dt.date.max
        out.append(b.column(lambda c: c("document_date").between(low, high), "document_date"))
    if query.status:
        out.append(b.column(lambda c: c("status") == query.status, "status"))
    out += _retention_filters(b, query.retention_state, query.as_of or today)
    return out


def _retention_filters(b: _Builder, state: str, as_of: dt.date) -> list[_Filter]:
    doc = IssuedDocument
    kept = b.unindexed(and_(doc.status != "disposed", doc.disposed_at.is_(None)), "status", "disposed_at")
    if state == "active":
        return [kept, b.unindexed(or_(doc.retain_until.is_(None), doc.retain_until >= as_of), "retain_until")]
    if state == "expired":
        return [kept, b.column(lambda c: c("retain_until") < as_of, "retain_until")]
    if state == "held":
        return [kept, b.unindexed(held_clause())]
    if state == "permanent":
        return [kept, b.column(lambda c: c("retain_until").is_(None), "retain_until")]
    if state == "disposed":
        return [b.unindexed(or_(doc.status == "disposed", doc.disposed_at.is_not(None)), "status", "disposed_at")]
    return []


def conditions(query: SearchQuery, dialect: str, today: dt.date) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a checked query (as written; the planning below may rewrite them)."""
    found = _filters(query, dialect, today)
    return [false()] if found is None else [f.where for f in found]


def _order(query: SearchQuery) -> list[Any]:
    col = getattr(IssuedDocument, query.sort)
    tie = IssuedDocument.id
    if query.sort == "retain_until" and query.retention_state != "expired":  # 永久 (no end date) after every date
        return [col.desc().nulls_first(), tie.desc()] if query.descending else [col.asc().nulls_last(), tie.asc()]
    return [col.desc(), tie.desc()] if query.descending else [col.asc(), tie.asc()]


def _capped(session: Session, ids: Select[Any], cap: int) -> int:
    return int(session.scalar(select(func.count()).select_from(ids.limit(cap).subquery())) or 0)


SMALL = 4000  # a driver with at most this many rows is read whole and sorted; a broader one is not
STREAM_MAX = 2000  # the deepest result (page × per_page) found by streaming an FTS index in rowid order
STREAM_SLACK = 20  # candidates read beyond twice the rows needed
STREAM_ROUNDS = 4  # rounds of four times more candidates before the stream gives way to a scan


@dataclass(frozen=True)
class _Plan:
    """How SQLite answers a query.

    "driver": `drivers` (their index) find the candidates — few (`small`), or many in a range whose index
    holds what the rest of the query reads (migration 0007) — the other filters are tested on them and they
    are sorted; "stream": a broad FTS match read newest rowid first, checked to be in issue order (see
    _stream); "scan": the index of the asked order is walked until the page is full, every filter tested
    row by row (broad filters that do not follow time, e.g. a building, a surname with other filters);
    "pg": PostgreSQL plans the statement itself, but a page of at most COUNT_CAP matches, or of a range of
    a covering index, is fenced off from its sort (see _pg_page).
    """

    mode: str
    where: list[ColumnElement[bool]]
    drivers: tuple[_Filter, ...] = ()
    small: bool = False
    estimates: dict[int, int] = field(default_factory=dict)  # filter index → matches through its index, ≤ SMALL + 1


def _driven(drivers: Sequence[_Filter], filters: list[_Filter], small: bool, estimates: dict[int, int]) -> _Plan:
    where = [*(d.where for d in drivers), *(f.plain for f in filters if all(f is not d for d in drivers))]
    return _Plan("driver", where, tuple(drivers), small, estimates)


def _plan(session: Session, filters: list[_Filter], query: SearchQuery) -> _Plan:
    if session.get_bind().dialect.name != "sqlite":
        return _Plan("pg", [f.where for f in filters])
    exact = next((f for f in filters if f.exact), None)
    if exact is not None:
        return _driven([exact], filters, True, {})
    estimates = {i: _capped(session, f.alone, SMALL + 1) for i, f in enumerate(filters) if f.alone is not None}
    narrow = [(n, i) for i, n in estimates.items() if n <= SMALL]
    if narrow:
        return _driven([filters[min(narrow)[1]]], filters, True, estimates)
    # broad: ranges that follow time (dates, a form's numbers) drive, through an index holding the rest if any
    by = {next(iter(f.columns)): f for f in filters if len(f.columns) == 1 and f.alone is not None}
    rest = [f for f in filters if f not in (by.get("project"), by.get("document_date"))]
    if "project" in by and "document_date" in by and all(f.columns <= {"status"} for f in rest):
        return _driven([by["project"], by["document_date"]], filters, False, estimates)
    if "document_date" in by and query.sort in ("issued_at", "document_date"):
        return _driven([by["document_date"]], filters, False, estimates)
    if "number" in by and query.sort in ("issued_at", "number"):
        return _driven([by["number"]], filters, False, estimates)
    fts = [f for f in filters if f.fts is not None]
    if fts and query.sort == "issued_at" and query.start + query.per_page <= STREAM_MAX:
        return _Plan("stream", [f.plain for f in filters], (fts[0],), False, estimates)
    return _Plan("scan", [f.plain for f in filters], (), False, estimates)


def _count(session: Session, filters: list[_Filter], plan: _Plan) -> int:
    """The number of matches up to COUNT_CAP + 1, through the cheapest index there is."""
    cap = COUNT_CAP + 1
    if not filters:
        return _capped(session, select(IssuedDocument.id), cap)
    if len(filters) == 1 and filters[0].alone is not None:
        return _capped(session, filters[0].alone, cap)
    where = plan.where
    if plan.mode != "driver" and plan.estimates:  # drive by the narrowest index
        i = min(plan.estimates, key=lambda k: plan.estimates[k])
        where = [filters[i].where, *(f.plain for j, f in enumerate(filters) if j != i)]
    return _capped(session, select(IssuedDocument.id).where(*where), cap)


def _stream(session: Session, filters: list[_Filter], plan: _Plan, query: SearchQuery) -> list[int] | None:
    """The page of a broad text search in issue order, read from the FTS index newest rowid first.

    Ids are given in the order documents are registered, which is their issue order; so the newest
    matches by id are, as a rule, the newest by issued_at. The rule is checked rather than assumed: the
    candidates are sorted by (issued_at, id), and if a document outside them (an older id) was issued
    after the last one the page needs, more candidates are read; after a few rounds the answer is None
    and the caller scans instead. The result is exact either way.
    """
    driver = plan.drivers[0]
    assert driver.fts is not None
    doc = IssuedDocument
    name, match = driver.fts
    fts = table(name, column("rowid", Integer))
    b = _Builder("sqlite")
    others = [f.plain for f in filters if f is not driver]
    plus_id = literal_column("+issued_documents.id", type_=Integer)
    need = query.start + query.per_page
    width = need * 2 + STREAM_SLACK
    for _ in range(STREAM_ROUNDS):
        order = fts.c.rowid.desc() if query.descending else fts.c.rowid.asc()
        stmt = (
            select(doc.id, doc.issued_at)
            .select_from(fts.join(doc.__table__, doc.id == fts.c.rowid))
            .where(b.match(name, match), *others)
            .order_by(order)
            .limit(width)
        )
        found = session.execute(stmt).all()
        ranked = sorted(found, key=lambda r: (r[1], r[0]), reverse=query.descending)
        if len(found) < width:  # every match is here
            return [r[0] for r in ranked[query.start : need]]
        if len(ranked) >= need:
            last = ranked[need - 1][1]
            if query.descending:
                edge = min(r[0] for r in found)
                late = select(doc.id).where(doc.issued_at > last, plus_id < edge).limit(1)
            else:
                edge = max(r[0] for r in found)
                late = select(doc.id).where(doc.issued_at < last, plus_id > edge).limit(1)
            if session.scalar(late) is None:
                return [r[0] for r in ranked[query.start : need]]
        width *= 4
    return None


def _tune(session: Session) -> None:
    """SQLite: read through a memory map and a larger page cache (a search reads many index pages)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not conn.info.get("search_tuned"):
        conn.exec_driver_sql("PRAGMA mmap_size=1073741824")
        conn.exec_driver_sql("PRAGMA cache_size=-65536")
        conn.info["search_tuned"] = True


def _load(session: Session, ids: Sequence[int]) -> list[IssuedDocument]:
    if not ids:
        return []
    by_id = {d.id: d for d in session.scalars(select(IssuedDocument).where(IssuedDocument.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def search_documents(session: Session, query: SearchQuery, *, today: dt.date) -> tuple[list[IssuedDocument], int]:
    """One page of matching documents in the asked order, and their number (more than COUNT_CAP: COUNT_CAP + 1).

    On SQLite the query is planned here (see _Plan) rather than left to SQLite's planner, which has no
    statistics on a fresh index and no notion of how many rows an FTS match gives.
    """
    query = checked(query)
    _tune(session)
    filters = _filters(query, session.get_bind().dialect.name, today)
    if filters is None:
        return [], 0
    plan = _plan(session, filters, query)
    page = select(IssuedDocument.id).where(*plan.where).order_by(*_order(query)).limit(query.per_page)
    if plan.mode == "driver" and plan.small:  # few rows: count them in the same pass
        found = session.execute(page.add_columns(func.count().over()).offset(query.start)).all()
        if found:
            return _load(session, [r[0] for r in found]), int(found[0][1])
        return [], _capped(session, select(IssuedDocument.id).where(*plan.where), COUNT_CAP + 1)
    total = _count(session, filters, plan)
    if total == 0 or (total <= COUNT_CAP and query.start >= total):
        return [], total
    ids = _stream(session, filters, plan, query) if plan.mode == "stream" else None
    if ids is None and plan.mode == "pg" and (total <= COUNT_CAP or _pg_covered(filters, query)):
        ids = list(session.scalars(_pg_page(plan.where, query)))
    if ids is None:
        ids = list(session.scalars(page.offset(query.start)))
    return _load(session, ids), total


def _pg_covered(filters: list[_Filter], query: SearchQuery) -> bool:
    """The filters are a range of one of migration 0007's indexes (a number prefix; a project's dates, a status)."""
    if query.sort not in ("issued_at", "document_date", "number"):
        return False
    columns = frozenset().union(*(f.columns for f in filters))
    return columns == {"number"} or ({"project", "document_date"} <= columns <= {"project", "document_date", "status"})


def _pg_page(where: list[ColumnElement[bool]], query: SearchQuery) -> Select[Any]:
    """PostgreSQL: the matches found first (through the filters' indexes), then sorted.

    Left alone, the planner walks the sort column's index backwards for ORDER BY … LIMIT n, testing every
    row, whenever it guesses the matches to be common (a surname, a form's year, a project's quarter) —
    seconds at a million rows. OFFSET 0 keeps the subquery as it is written, so the filters' own indexes
    find the (at most COUNT_CAP, or index-covered) matches and only those are sorted.
    """
    doc = IssuedDocument
    col = getattr(doc, query.sort)
    inner = select(doc.id, col).where(*where).offset(0).subquery("m")
    sort, tie = inner.c[query.sort], inner.c.id
    if query.sort == "retain_until" and query.retention_state != "expired":
        order = [sort.desc().nulls_first(), tie.desc()] if query.descending else [sort.asc().nulls_last(), tie.asc()]
    else:
        order = [sort.desc(), tie.desc()] if query.descending else [sort.asc(), tie.asc()]
    return select(inner.c.id).order_by(*order).limit(query.per_page).offset(query.start)


def total_label(total: int) -> str:
    return f"{COUNT_CAP}+" if total > COUNT_CAP else str(total)


def export_documents(session: Session, query: SearchQuery, *, today: dt.date) -> tuple[list[IssuedDocument], bool]:
    """Up to EXPORT_CAP matching documents in the asked order (all pages), and whether there were more."""
    query = checked(query)
    _tune(session)
    filters = _filters(query, session.get_bind().dialect.name, today)
    if filters is None:
        return [], False
    plan = _plan(session, filters, replace(query, page=1, per_page=EXPORT_CAP, offset=None))
    stmt = select(IssuedDocument.id).where(*plan.where).order_by(*_order(query)).limit(EXPORT_CAP + 1)
    ids = list(session.scalars(stmt))
    rows: list[IssuedDocument] = []
    for i in range(0, min(len(ids), EXPORT_CAP), 1000):
        rows += _load(session, ids[i : min(i + 1000, EXPORT_CAP)])
    return rows, len(ids) > EXPORT_CAP


# ---------------------------------------------------------------------------------------------- output

EXPORT_HEADERS = ["编号", "文书名称", "项目", "房号", "当事人", "日期", "状态", "保存期限", "保存至"]


def result_cells(doc: IssuedDocument) -> list[str]:
    """One result as the list, the export and the command line print it (parties masked)."""
    return [
        doc.number,
        doc.form_title,
        doc.project,
        room_label(doc.room),
        mask_parties(doc.parties),
        doc.document_date.isoformat(),
        STATUS_LABELS.get(doc.status, doc.status),
        doc.retention,
        doc.retain_until.isoformat() if doc.retain_until else "永久",
    ]


def describe(query: SearchQuery) -> str:
    """The filters in words, e.g. 房号 3栋2单元1502室；当事人 王 (the export's heading)."""
    parts: list[str] = []
    for key, value in query.filters().items():
        label = FIELD_LABELS.get("retention_state" if key == "retention" else key, key)
        if key == "room":
            value = room_label(value)
        elif key == "status":
            value = STATUS_LABELS.get(value, value)
        elif key == "retention":
            value = RETENTION_LABELS.get(value, value)
        elif key == "kind":
            value = KIND_LABELS.get(value, value)
        elif key == "sort":
            value = SORT_LABELS.get(value, value)
        elif key == "order":
            value = "从早到晚" if value == "asc" else value
        parts.append(f"{label} {value}")
    return "；".join(parts) or "全部文书"


def xlsx_bytes(rows: Sequence[IssuedDocument], more: bool, query: SearchQuery, *, today: dt.date) -> bytes:
    """The result list as an .xlsx workbook (openpyxl write-only): a heading, the header row, one row each."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("文书查询结果")
    for i, width in enumerate([24, 30, 8, 16, 24, 12, 8, 10, 12]):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.append([f"文书查询结果（{describe(query)}），导出于 {today.isoformat()}，共 {len(rows)} 份，当事人已脱敏"])
    bold = Font(bold=True)
    header = []
    for h in EXPORT_HEADERS:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for doc in rows:
        ws.append(result_cells(doc))
    if more:
        ws.append([f"结果超过 {EXPORT_CAP} 份，仅导出前 {EXPORT_CAP} 份；请加筛选条件缩小范围后分批导出"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- reindex


def reindex(
    db: Database,
    catalogue: Catalogue,
    *,
    everything: bool = False,
    chunk: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Fill room/search_text/grams of documents issued before search existed (or of all, `everything`).

    One transaction per chunk, so a long run can be interrupted and started again (it resumes where
    search_text is still empty). A form no longer in the catalogue still gets its number, title,
    parties, room and submitted values indexed. Returns the number of documents updated.
    """
    doc = IssuedDocument
    with db.read() as session:
        where = [] if everything else [doc.search_text == ""]
        ids = list(session.scalars(select(doc.id).where(*where).order_by(doc.id)))
    done = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with db.write() as session:
            read = select(
                doc.id, doc.form_id, doc.data, doc.number, doc.form_title, doc.parties, doc.project, doc.subject
            )
            values = []
            for id_, form_id, data, number, title, parties, project, subject in session.execute(
                read.where(doc.id.in_(part))
            ):
                room, text_, grams = search_fields(
                    catalogue.get(form_id), data or {}, number, title, parties.split(), project, subject=subject
                )
                values.append({"id": id_, "room": room, "search_text": text_, "grams": grams})
            if values:  # ORM bulk UPDATE by primary key: one executemany, not a flush of one UPDATE per object
                session.execute(update(doc), values)
        done += len(part)
        if progress is not None:
            progress(done, len(ids))
    return done


def iter_pages(total: int, page: int, per_page: int) -> Iterator[int]:
    """Page numbers to offer around the current one (1 … p-2 p-1 p p+1 p+2 … last); 0 stands for a gap."""
    last = max(1, -(-min(total, COUNT_CAP) // per_page))
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    prev = 0
    for p in shown:
        if prev and p > prev + 1:
            yield 0
        yield p
        prev = p
