"""Search at scale: an index of --n synthetic issued documents, and query latency on SQLite and PostgreSQL.

    .venv/bin/python -m bench.search [--n 1000000] [--backend sqlite|pg|both] [--queries 200] [--db PATH]
        [--pg-schema NAME] [--rows DIR] [--sqlite-fill triggers|rebuild] [--sqlite-insert core|driver]

What one run does:

* Generate --n issued-document rows once, deterministically (--seed), in --workers processes, into a
  folder of pickled batches (timed on its own, so that generating does not compete with the fill):
  households with realistic Chinese names (surnames weighted by their share of the population, one- or
  two-character given names), rooms (projects HL/JH/…, 1–30 栋, 1–4 单元, floors 1–33, 01–04), forms from
  the real catalogue weighted towards 催款通知书, 装修, 钥匙托管, 报修 …, numbers as the form's pattern prints
  them (app.numbering.format_number; per form, project and year, in date order), five years of dates,
  about 2.5 % voided, retention and retain_until as issuing computes them, a small data snapshot (room,
  names, phone, amount, remark), subject and parties as app.issue makes them, and room / search_text /
  grams from app.index.searchtext.search_fields, so the index is the one the service builds. No PDF or
  Word files: their paths and digests are placeholders.
* Fill, per back end: `Database(url).migrate()` (SQLite: a file in a temporary folder or --db;
  PostgreSQL: a schema of its own in the test database, dropped afterwards unless --pg-schema), then
  batches of --batch rows, --batches-per-txn per transaction, with the migration's FTS5 triggers
  (SQLite) and GIN indexes (PostgreSQL) live; see fill() for the ways in. Prints docs/s of the database
  work (the ≥ 5,000/s target of issue 5) and docs per CPU-second (this process + the PostgreSQL backend),
  which other work on the machine does not skew. PostgreSQL then gets the VACUUM ANALYZE autovacuum
  would run; SQLite gets nothing (the service runs no ANALYZE).
* Queries: --queries per kind after --warmup untimed ones, each drawn from a document of the index
  (seeded), each one search_documents() call in its own session as the page and the API make it (the
  first page of 50 and the total, counted up to 10,000): number exact and prefix, room in five
  spellings (as the room filter and typed into the search box), a two-character given name, a full
  name, a surname, pinyin initials, a free-text word of the remarks, and project + date range + status.
  Prints p50/p95/max ms, hit counts and CPU ms per kind, ✓/✗ against p95 ≤ 50 ms, and a summary table.
  The exit status is 1 if any kind misses the target.

--db PATH / --pg-schema NAME keep the index; a later run with the same --n only queries it. --rows DIR
keeps the generated rows for later fills.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import itertools
import json
import os
import pickle
import random
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, create_engine, func, insert, select, text

from app.index.db import Database
from app.index.models import IssuedDocument
from app.index.searchtext import search_fields
from app.issue import _party_names, _subject
from app.numbering import format_number
from app.registry import load_catalogue
from app.retention import retain_until
from app.specs import FormSpec
from bench import names

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("DOCDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TARGET_P95_MS = 50.0
TARGET_FILL = 5000.0
END = dt.date(2026, 11, 20)  # the last issue day; five years of documents end here
START = dt.date(2021, 11, 21)
TODAY = END + dt.timedelta(days=3)
# forms and their share of issued documents (a property office issues mostly reminders, permits and orders)
FORM_WEIGHTS: dict[str, float] = {
    "arrears-reminder-1": 16,
    "arrears-reminder-2": 8,
    "arrears-reminder-3": 4,
    "repair-order": 10,
    "fee-payment-notice": 6,
    "renovation-permit": 6,
    "renovation-application": 5,
    "goods-release-slip": 5,
    "key-custody-entrustment": 5,
    "mail-pickup-reminder": 4,
    "return-visit-record": 4,
    "mail-collection-entrustment": 3,
    "customer-access-pass": 3,
    "owner-satisfaction-survey": 3,
    "service-complaint-emergency-repair-report-slip": 3,
    "renovation-completion-acceptance": 2,
    "renovation-extension-approval": 1.5,
    "maintenance-fund-receipt": 2,
    "house-delivery-certificate": 1,
    "hot-work-application": 1,
    "violation-rectification-notice": 1,
    "rectification-deadline-notice": 1,
    "quality-inspection-record": 1,
    "community-activity-proposal": 0.5,
}
# columns never set here (replaces, valid_from, disposed_at, archive_code …) keep their NULL or default
COLUMNS = [
    "number", "form_id", "form_version", "form_title", "kind", "project", "subject", "parties", "data",
    "document_date", "issued_at", "issued_by", "status", "void_reason", "voided_at", "voided_by", "retention",
    "retain_until", "copies", "pages", "pdf_path", "pdf_sha256", "docx_path", "docx_sha256", "verify_token",
    "verify_scans", "room", "search_text", "grams",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class FormPlan:
    """Where a form keeps what the generator fills: its room, party names, money, phone, remark and date."""

    form: FormSpec
    room_key: str | None
    room_parts: tuple[str, ...]
    party_keys: tuple[str, ...]
    money_key: str | None
    phone_key: str | None
    remark_key: str
    date_key: str | None


def plan_form(form: FormSpec) -> FormPlan:
    fields = [f for f in form.fields if not f.computed]
    address = next((f for f in fields if f.type == "address"), None)
    money = next((f for f in fields if f.type == "money"), None)
    phone = next((f for f in fields if f.type == "phone"), None)
    long = next((f for f in fields if f.type == "longtext"), None)
    return FormPlan(
        form=form,
        room_key=address.key if address else None,
        room_parts=tuple(address.parts) if address else (),
        party_keys=tuple(form.parties[:3]),
        money_key=money.key if money else None,
        phone_key=phone.key if phone else None,
        remark_key=long.key if long else "remark",
        date_key=form.date_field,
    )


@dataclass(frozen=True)
class Household:
    project: str
    building: int
    unit: int
    room: str
    owner: str
    phone: str


@functools.lru_cache(maxsize=500_000)
def household(seed: int, h: int) -> Household:
    """Household h of the synthetic estate (the same every time for the same seed)."""
    rnd = random.Random(seed * 1_000_003 + h)
    building, unit, room = names.room_parts(rnd)
    return Household(household_project(h), building, unit, room, names.person_name(rnd), names.mobile(rnd))


def household_project(h: int) -> str:
    """The project of household h: cheap and deterministic, so the planner can number documents by project."""
    return _PROJECT_OF[(h * 2654435761) % 1000]


_PROJECT_OF = [
    next(p for p, c in zip(names.PROJECTS, names.PROJECT_CUM, strict=True) if i * names.PROJECT_CUM[-1] / 1000 < c)
    for i in range(1000)
]


@dataclass
class Plan:
    """What must be decided in order for all rows (form, household, day, counter value), as compact arrays."""

    forms: array[int] = field(default_factory=lambda: array("H"))
    households: array[int] = field(default_factory=lambda: array("I"))
    days: array[int] = field(default_factory=lambda: array("I"))
    seqs: array[int] = field(default_factory=lambda: array("I"))


def make_plan(n: int, plans: list[FormPlan], seed: int) -> Plan:
    """Draw each row's form and household, spread the rows over five years in order and number them."""
    rnd = random.Random(seed)
    plan = Plan()
    weights = [FORM_WEIGHTS[p.form.id] for p in plans]
    n_households = max(1000, n // 4)
    plan.forms = array("H", rnd.choices(range(len(plans)), weights=weights, k=n))
    plan.households = array("I", (rnd.randrange(n_households) for _ in range(n)))
    span = (END - START).days + 1
    first = START.toordinal()
    plan.days = array("I", (first + i * span // n for i in range(n)))
    counters: dict[tuple[int, str, int], int] = {}
    seqs = array("I", bytes(4 * n))
    year_of = {d: dt.date.fromordinal(d).year for d in set(plan.days)}
    for i in range(n):
        key = (plan.forms[i], household_project(plan.households[i]), year_of[plan.days[i]])
        seqs[i] = counters[key] = counters.get(key, 0) + 1
    plan.seqs = seqs
    return plan


@dataclass(frozen=True)
class Job:
    """One batch for a worker: rows [start, start + len(forms)) of the plan."""

    seed: int
    start: int
    forms: bytes
    households: bytes
    days: bytes
    seqs: bytes
    retention_rule: str
    long_term_years: int


_PLANS: list[FormPlan] = []


def _worker_init() -> None:
    _PLANS[:] = load_plans()


def load_plans() -> list[FormPlan]:
    catalogue = load_catalogue(ROOT / "forms")
    missing = [f for f in FORM_WEIGHTS if f not in catalogue.forms]
    if missing:
        raise SystemExit(f"forms missing from the catalogue: {', '.join(missing)}")
    return [plan_form(catalogue.forms[f]) for f in FORM_WEIGHTS]


def generate(job: Job) -> list[dict[str, Any]]:
    """The rows of one batch, as column dicts for insert(IssuedDocument.__table__)."""
    if not _PLANS:
        _worker_init()
    forms, households, days, seqs = (array(t) for t in "HIII")
    forms.frombytes(job.forms)
    households.frombytes(job.households)
    days.frombytes(job.days)
    seqs.frombytes(job.seqs)
    rnd = random.Random(job.seed * 7919 + job.start)
    rows: list[dict[str, Any]] = []
    for k in range(len(forms)):
        i = job.start + k
        fp = _PLANS[forms[k]]
        form = fp.form
        hh = household(job.seed, households[k])
        day = dt.date.fromordinal(days[k])
        number = format_number(form.numbering, day, form.code, hh.project, seqs[k])
        data: dict[str, Any] = {}
        if fp.room_key:
            parts = {"phase": "", "building": str(hh.building), "unit": str(hh.unit), "room": hh.room}
            data[fp.room_key] = {p: parts[p] for p in fp.room_parts}
        people = [hh.owner, *(names.person_name(rnd) for _ in fp.party_keys[1:])]
        for key, person in zip(fp.party_keys, people, strict=False):
            data[key] = person
        if fp.phone_key:
            data[fp.phone_key] = hh.phone
        if fp.money_key:
            data[fp.money_key] = names.amount(rnd)
        data[fp.remark_key] = names.remark(rnd)
        if fp.date_key:
            data[fp.date_key] = day.isoformat()
        issued_at = dt.datetime.combine(day, dt.time(rnd.randint(8, 17), rnd.randrange(60)), SHANGHAI)
        # as app.issue._new_row makes them
        subject, parties = _subject(form, data), _party_names(form, data)
        room, search_text, grams = search_fields(form, data, number, form.title, parties, hh.project, subject=subject)
        voided = rnd.random() < 0.025
        path = f"{hh.project}/{day.year}/{number}"
        rows.append(
            {
                "number": number,
                "form_id": form.id,
                "form_version": form.version,
                "form_title": form.title,
                "kind": form.kind,
                "project": hh.project,
                "subject": subject,
                "parties": " ".join(parties),
                "data": data,
                "document_date": day,
                "issued_at": issued_at,
                "issued_by": "前台" + names.SURNAMES[i % 12],
                "status": "voided" if voided else "issued",
                "void_reason": "填写有误，作废重开" if voided else None,
                "voided_at": issued_at + dt.timedelta(hours=2) if voided else None,
                "voided_by": "客服主管" if voided else None,
                "retention": form.retention,
                "retain_until": retain_until(form.retention, day, job.retention_rule, job.long_term_years),
                "copies": len(form.copies) or 1,
                "pages": 1,
                "pdf_path": path + ".pdf",
                "pdf_sha256": "0" * 64,
                "docx_path": path + ".docx",
                "docx_sha256": "0" * 64,
                "verify_token": f"bench{i:015d}",
                "verify_scans": 0,
                "room": room,
                "search_text": search_text,
                "grams": grams,
            }
        )
    return rows


def jobs(plan: Plan, n: int, batch: int, seed: int, rule: str, years: int) -> Iterator[Job]:
    for start in range(0, n, batch):
        end = min(n, start + batch)
        yield Job(
            seed=seed,
            start=start,
            forms=plan.forms[start:end].tobytes(),
            households=plan.households[start:end].tobytes(),
            days=plan.days[start:end].tobytes(),
            seqs=plan.seqs[start:end].tobytes(),
            retention_rule=rule,
            long_term_years=years,
        )


def _generate_to(job: Job, path: Path) -> int:
    rows = generate(job)
    with path.open("wb") as f:
        pickle.dump(rows, f, protocol=pickle.HIGHEST_PROTOCOL)
    return len(rows)


@dataclass
class Spool:
    """The generated rows, one pickle file per batch, written before any database is touched."""

    folder: Path
    files: list[Path]
    rows: int
    seconds: float
    keep: bool = False

    def batches(self) -> Iterator[list[dict[str, Any]]]:
        for path in self.files:
            with path.open("rb") as f:
                yield pickle.load(f)

    def remove(self) -> None:
        if self.keep:
            return
        for path in self.files:
            path.unlink(missing_ok=True)
        self.folder.rmdir()


def spool(args: argparse.Namespace) -> Spool:
    """Generate all rows in --workers processes into a folder, before any fill (generation is timed on its
    own, so the fill rate is the database's and the two do not compete for the cores). --rows DIR keeps
    the folder, and a later run with the same --n, --seed, --batch and retention options reads it again."""
    key: dict[str, Any] = {k: getattr(args, k) for k in ("n", "seed", "batch", "retention_rule", "long_term_years")}
    # rows made by other code (search_fields, rooms, this generator) are not reused
    sources = ["app/index/searchtext.py", "app/rooms.py", "app/numbering.py", "bench/names.py", "bench/search.py"]
    key["code"] = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in sources)).hexdigest()[:16]
    folder = Path(args.rows) if args.rows else Path(tempfile.mkdtemp(prefix="bench-search-rows-"))
    manifest = folder / "manifest.json"
    if manifest.exists():
        kept = json.loads(manifest.read_text())
        if kept["key"] != key:
            raise SystemExit(f"{folder} holds rows of another run ({kept['key']}): remove it or give another --rows")
        print(f"  reusing the {args.n:,} rows generated in {folder} (at {args.n / kept['seconds']:,.0f} docs/s)")
        return Spool(folder, [folder / f for f in kept["files"]], args.n, kept["seconds"], keep=True)
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    plan = make_plan(args.n, load_plans(), args.seed)
    print(f"  planned {args.n:,} rows (forms, households, days, numbers) in {time.perf_counter() - t:.1f} s")
    todo = list(jobs(plan, args.n, args.batch, args.seed, args.retention_rule, args.long_term_years))
    files = [folder / f"batch-{k:05d}.pickle" for k in range(len(todo))]
    t = time.perf_counter()
    done = 0
    with ProcessPoolExecutor(max_workers=args.workers, initializer=_worker_init) as pool:
        for n in pool.map(_generate_to, todo, files):
            done += n
            if done % (10 * args.batch) == 0 or done == args.n:
                print(f"  generated {done:>9,} rows, {done / (time.perf_counter() - t):>7,.0f} docs/s", flush=True)
    seconds = time.perf_counter() - t
    print(f"  generation: {done:,} rows in {seconds:,.0f} s ({done / seconds:,.0f} docs/s, {args.workers} processes)")
    if args.rows:
        manifest.write_text(json.dumps({"key": key, "files": [f.name for f in files], "seconds": seconds}))
    return Spool(folder, files, done, seconds, keep=bool(args.rows))


# ---------------------------------------------------------------------------------------------------- fill


@dataclass
class Fill:
    rows: int = 0
    insert_s: float = 0.0  # time in the database (inserts, index and trigger upkeep, FTS rebuild, commits)
    cpu_s: float = 0.0  # CPU time of that: this process (SQLite runs in it) + the PostgreSQL backend
    bind_s: float = 0.0  # --sqlite-insert driver: SQLAlchemy's bind processors run on the rows (part of insert_s)
    rebuild_s: float = 0.0  # --sqlite-fill rebuild: the FTS5 'rebuild' (included in insert_s)
    wall_s: float = 0.0  # the whole fill, reading the spooled rows included
    generate_s: float = 0.0  # generating the rows (once for all back ends)
    method: str = ""


def fill(db: Database, rows_in: Spool, args: argparse.Namespace) -> Fill:
    """Insert the spooled batches, --batches-per-txn batches per transaction, timing the database's share.

    SQLite, --sqlite-fill triggers: the migration's FTS5 triggers stay live. Rows go in as
    multi-row INSERT statements of about 700 rows: SQLAlchemy Core's executemany of INSERT … RETURNING
    (insertmanyvalues), or with --sqlite-insert driver the same statement through exec_driver_sql with
    the values bound by SQLAlchemy's own bind processors just before (their share, ~35 % of the CPU, is
    counted and also shown apart). Not a plain executemany: that runs one INSERT per row, and FTS5 writes its
    pending terms out as a new segment at every statement that fires the trigger (a statement savepoint),
    which falls to ~2,000 rows/s and keeps falling as the index grows.
    --sqlite-fill rebuild (default; with --sqlite-insert driver the fastest): the insert trigger is dropped
    during the fill, both FTS5 tables are rebuilt from the rows at the end ('rebuild') and the trigger is
    created again from its own SQL, so the final
    index is the migration's (same hits as the triggers' fill). The fill connection gets a larger page cache
    (--sqlite-cache-mib) and synchronous=OFF, both set back afterwards. The docs/s figure is the rows over
    the time of binding, inserting, committing and rebuilding; reading the spooled batches is not in it.
    PostgreSQL: COPY (or --pg-fill executemany) with the GIN indexes live.
    """
    sqlite = db.is_sqlite
    driver = sqlite and args.sqlite_insert == "driver"
    rebuild = sqlite and args.sqlite_fill == "rebuild"
    if sqlite:
        how = "exec_driver_sql, pre-bound values" if driver else "Core executemany"
        method = f"{how}, ~700-row INSERTs, " + ("FTS5 rebuilt at the end" if rebuild else "FTS5 triggers live")
    else:
        method = "COPY" if args.pg_fill == "copy" else "Core executemany"
    result = Fill(method=method, generate_s=rows_in.seconds)
    table = cast(Table, IssuedDocument.__table__)
    stmt = insert(table).returning(table.c.id) if sqlite else insert(table)
    binders = [table.c[c].type._cached_bind_processor(db.write_engine.dialect) for c in COLUMNS]
    per_statement = 32766 // len(COLUMNS)  # SQLite's limit of bound parameters per statement
    one = "(" + ",".join("?" * len(COLUMNS)) + ")"
    t0 = time.perf_counter()
    conn = db.write_engine.connect()
    trigger_sql = ""
    pragmas: dict[str, Any] = {}
    raw: Any = conn.connection.driver_connection  # PRAGMAs outside SQLAlchemy's transaction (its BEGIN)
    try:
        backend = None if sqlite else int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        if sqlite:  # a bulk load: a larger page cache, and no fsync (the service's settings come back after)
            pragmas = {p: raw.execute(f"PRAGMA {p}").fetchone()[0] for p in ("cache_size", "synchronous")}
            raw.execute(f"PRAGMA cache_size=-{args.sqlite_cache_mib * 1024}")
            raw.execute("PRAGMA synchronous=OFF")
        if rebuild:
            trigger_sql = str(
                conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'documents_fts_ai'").scalar_one()
            )
            conn.exec_driver_sql("DROP TRIGGER documents_fts_ai")
        conn.commit()
        txn = conn.begin()
        in_txn = 0
        for rows in rows_in.batches():
            t, cpu = time.perf_counter(), cpu_seconds(backend)
            if driver:  # SQLAlchemy's bind processors, as Core would run them (counted in the fill's time)
                values = [[b(r[c]) if b else r[c] for c, b in zip(COLUMNS, binders, strict=True)] for r in rows]
                result.bind_s += time.perf_counter() - t
            if not sqlite:
                if args.pg_fill == "copy":
                    copy_rows(conn, rows)
                else:
                    conn.execute(stmt, rows)
            elif driver:
                for i in range(0, len(values), per_statement):
                    chunk = values[i : i + per_statement]
                    sql = f"INSERT INTO issued_documents ({', '.join(COLUMNS)}) VALUES " + ",".join([one] * len(chunk))
                    conn.exec_driver_sql(sql, tuple(v for row in chunk for v in row))
            else:
                conn.execute(stmt, rows).all()
            in_txn += 1
            if in_txn >= args.batches_per_txn:
                txn.commit()
                txn = conn.begin()
                in_txn = 0
            result.insert_s += time.perf_counter() - t
            result.cpu_s += cpu_seconds(backend) - cpu
            result.rows += len(rows)
            if result.rows % (10 * args.batch) == 0 or result.rows == args.n:
                print(
                    f"  {result.rows:>9,} rows  {result.rows / result.insert_s:>7,.0f} docs/s inserting "
                    f"({result.rows / result.cpu_s:,.0f} per CPU-second), load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
        t, cpu = time.perf_counter(), cpu_seconds(backend)
        txn.commit()
        if rebuild:
            with conn.begin():
                conn.exec_driver_sql("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
                conn.exec_driver_sql("INSERT INTO documents_grams(documents_grams) VALUES ('rebuild')")
                conn.exec_driver_sql(trigger_sql)
                trigger_sql = ""
            result.rebuild_s = time.perf_counter() - t
            print(f"  FTS5 rebuild and trigger restored: {result.rebuild_s:,.1f} s", flush=True)
        result.insert_s += time.perf_counter() - t
        result.cpu_s += cpu_seconds(backend) - cpu
    finally:
        if trigger_sql:  # interrupted before the rebuild: leave the schema as the migration made it
            conn.rollback()
            conn.exec_driver_sql(trigger_sql)
            conn.commit()
        if sqlite:
            conn.rollback()  # all committed by now (or interrupted): synchronous is set outside a transaction
            for name, value in pragmas.items():
                raw.execute(f"PRAGMA {name}={value}")
        conn.close()
    result.wall_s = time.perf_counter() - t0
    return result


def cpu_seconds(backend_pid: int | None) -> float:
    """CPU time of this process, plus that of the (local) PostgreSQL backend serving the fill connection.

    On a busy machine wall-clock rates mostly measure the neighbours; rows per CPU-second do not.
    """
    total = time.process_time()
    if backend_pid is not None:
        try:
            fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def copy_rows(conn: Any, rows: list[dict[str, Any]]) -> None:
    """COPY the rows into issued_documents (psycopg 3): JSON as SQLAlchemy writes it, the rest as psycopg adapts it."""
    raw = conn.connection.driver_connection
    cols = ", ".join(COLUMNS)
    with raw.cursor() as cur, cur.copy(f"COPY issued_documents ({cols}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row([json.dumps(r[c]) if c == "data" else r[c] for c in COLUMNS])  # as SQLAlchemy's JSON


# ------------------------------------------------------------------------------------------------- queries


@dataclass
class Kind:
    name: str
    label: str
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this process + the PostgreSQL backend
    hits: list[int] = field(default_factory=list)
    queries: list[Any] = field(default_factory=list)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


ROOM_SPELLINGS: list[Callable[[str, str, str], str]] = [
    lambda b, u, r: f"{b}栋{u}单元{r}",
    lambda b, u, r: f"{b}-{u}-{r}",
    lambda b, u, r: f"{b}#{u}-{r}",
    lambda b, u, r: f"{b}幢{u}单元{r}室",
    lambda b, u, r: f"{b}号楼{u}单元{r}",
]


def draw_queries(db: Database, args: argparse.Namespace) -> list[Kind]:
    """--warmup + --queries queries per kind, each drawn from a document of the index (seeded)."""
    from app.index.search import SearchQuery
    from app.index.searchtext import name_pinyin

    rnd = random.Random(args.seed + 1)
    doc = IssuedDocument
    with db.read() as s:
        top = int(s.scalar(select(func.max(doc.id))) or 0)
        picks = sorted(rnd.sample(range(1, top + 1), min(top, 4 * (args.queries + args.warmup))))
        rows = list(
            s.execute(
                select(doc.number, doc.room, doc.project, doc.parties, doc.data, doc.document_date).where(
                    doc.id.in_(picks)
                )
            )
        )
    rnd.shuffle(rows)
    kinds = [
        Kind("number", "编号 精确"),
        Kind("prefix", "编号 前缀"),
        Kind("room", "房号 (多种写法)"),
        Kind("room_q", "房号 写在搜索框"),
        Kind("given", "名 (2 字)"),
        Kind("name", "姓名 (3 字)"),
        Kind("surname", "姓 (1 字)"),
        Kind("pinyin", "拼音首字母"),
        Kind("text", "全文 (备注词)"),
        Kind("combined", "项目+日期+状态"),
    ]
    by = {k.name: k for k in kinds}
    want = args.queries + args.warmup
    for i, (number, room, project, parties, data, day) in enumerate(itertools.cycle(rows)):
        if all(len(k.queries) >= want for k in kinds) or i > 50 * want:
            break
        people = [p for p in parties.split() if 2 <= len(p) <= 4]
        three = [p for p in people if len(p) == 3 and p[0] in names.SURNAMES]
        by["number"].queries.append(SearchQuery(number=number))
        head = number.rsplit("-", 1)[0]
        by["prefix"].queries.append(SearchQuery(number=head + "-" if i % 2 else number[:-2] + "*"))
        if room.count("-") == 2 and room.split("-")[1]:
            spelled = ROOM_SPELLINGS[i % len(ROOM_SPELLINGS)](*room.split("-"))
            by["room"].queries.append(SearchQuery(room=spelled))
            by["room_q"].queries.append(SearchQuery(q=spelled))
        if three:
            name = three[0]
            by["given"].queries.append(SearchQuery(party=name[1:]))
            by["name"].queries.append(SearchQuery(party=name))
            by["surname"].queries.append(SearchQuery(party=name[0]))
            by["pinyin"].queries.append(SearchQuery(party=name_pinyin(name)[0]))
        remarks = " ".join(str(v) for v in data.values() if isinstance(v, str))
        words = [w for w in names.FREE_TEXT_WORDS if w in remarks]
        if words:
            by["text"].queries.append(SearchQuery(q=rnd.choice(words)))
        start = day - dt.timedelta(days=rnd.randint(0, 60))
        by["combined"].queries.append(
            SearchQuery(project=project, date_from=start, date_to=start + dt.timedelta(days=90), status="issued")
        )
    for k in kinds:
        del k.queries[want:]
    return kinds


def run_queries(db: Database, args: argparse.Namespace) -> list[Kind]:
    """Each kind's warm-up queries untimed, then the timed ones: one search_documents call in its own session."""
    from app.index.search import search_documents

    kinds = draw_queries(db, args)
    print(
        f"  {pad('query', 20)}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   "
        f"{'hits: median (min–max)':<26}{'CPU p50/p95 ms':<16}"
    )
    for k in kinds:
        for n, query in enumerate(k.queries):
            with db.read() as s:
                raw: Any = s.connection().connection.driver_connection
                backend = None if db.is_sqlite else int(raw.info.backend_pid)
                t, cpu = time.perf_counter(), cpu_seconds(backend)
                _rows, total = search_documents(s, query, today=TODAY)
                ms, cpu = 1000 * (time.perf_counter() - t), 1000 * (cpu_seconds(backend) - cpu)
            if n >= args.warmup:
                k.ms.append(ms)
                k.cpu_ms.append(cpu)
                k.hits.append(total)
        if not k.ms:
            print(f"  {k.label}: no queries could be drawn")
            continue
        p95 = pct(k.ms, 95)
        mark = "✓" if p95 <= TARGET_P95_MS else "✗"
        hits = f"{statistics.median(k.hits):,.0f} ({min(k.hits):,}–{max(k.hits):,})"
        example = ", ".join(f"{f}={v}" for f, v in k.queries[-1].filters().items())
        times = f"{len(k.ms):>5}{pct(k.ms, 50):>9.1f}{p95:>9.1f}{max(k.ms):>9.1f}"
        cpu_ms = f"{pct(k.cpu_ms, 50):.0f}/{pct(k.cpu_ms, 95):.0f}"
        print(f"  {pad(k.label, 20)}{times} {mark} {hits:<26}{cpu_ms:<16}e.g. {example}", flush=True)
    return kinds


def pad(text: str, width: int) -> str:
    """Left-justify to a width in terminal columns (a Chinese character takes two)."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def summary(results: list[Backend], args: argparse.Namespace) -> None:
    print(f"\n== summary: {args.n:,} documents, {args.queries} timed queries per kind, target p95 ≤ 50 ms ==")
    print(f"machine: {os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.1f} (other work skews the times)")
    for b in results:
        if b.fill:
            f = b.fill
            rate = f.rows / f.insert_s
            mark = "✓" if rate >= TARGET_FILL else "✗"
            bound = f"; value binding {f.bind_s:,.1f} s of it" if f.bind_s else ""
            print(
                f"{b.name} fill ({f.method}): {rate:,.0f} docs/s {mark} (target ≥ {TARGET_FILL:,.0f}), "
                f"{f.rows / f.cpu_s:,.0f} docs per CPU-second{bound}; {f.wall_s:,.0f} s in all; "
                f"rows generated beforehand at {f.rows / f.generate_s:,.0f} docs/s; size {b.size}"
            )
        else:
            print(f"{b.name}: index reused (not filled in this run); size {b.size}")
    head = pad("query", 20) + "".join(pad(f"{b.name} p50 / p95 ms", 30) for b in results) + "hits (median)"
    print(head)
    for i, k in enumerate(results[0].kinds if results else []):
        line = pad(k.label, 20)
        for b in results:
            kb = b.kinds[i]
            if kb.ms:
                p95 = pct(kb.ms, 95)
                mark = "✓" if p95 <= TARGET_P95_MS else "✗"
                line += pad(f"{pct(kb.ms, 50):7.1f} / {p95:7.1f} {mark}", 30)
            else:
                line += pad("—", 30)
        line += " / ".join(f"{statistics.median(b.kinds[i].hits):,.0f}" for b in results if b.kinds[i].hits)
        print(line)


# ---------------------------------------------------------------------------------------------------- main


@dataclass
class Backend:
    name: str
    fill: Fill | None = None
    kinds: list[Kind] = field(default_factory=list)
    size: str = ""


def pg_schema(url: str, name: str | None) -> tuple[str, str, Engine]:
    """A schema on the server (fresh, or --pg-schema NAME) and the URL that uses it, as tests/conftest.py does."""
    schema = name or f"bench_search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema, admin


def count_rows(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(IssuedDocument)) or 0)


def run_sqlite(args: argparse.Namespace, rows: Callable[[], Spool]) -> Backend:
    out = Backend("SQLite")
    path = Path(args.db).resolve() if args.db else Path(tempfile.mkdtemp(prefix="bench-search-")) / "index.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
        have = count_rows(db)
        if have and have != args.n:
            raise SystemExit(f"{path} holds {have:,} documents, not --n {args.n:,}: remove it or give another --db")
        if have:
            print(f"SQLite: {path} already holds {have:,} documents; not filling again")
        else:
            print(f"SQLite: filling {path}")
            out.fill = fill(db, rows(), args)
        out.size = f"{sum(p.stat().st_size for p in path.parent.glob(path.name + '*')) / 2**20:,.0f} MiB"
        out.kinds = run_queries(db, args)
    finally:
        db.dispose()
        if not args.db:
            for p in path.parent.glob(path.name + "*"):
                p.unlink()
            path.parent.rmdir()
    return out


def run_pg(args: argparse.Namespace, rows: Callable[[], Spool]) -> Backend:
    out = Backend("PostgreSQL")
    url, schema, admin = pg_schema(args.pg_url, args.pg_schema)
    db = Database(url)
    try:
        db.migrate()
        have = count_rows(db)
        if have and have != args.n:
            raise SystemExit(f"schema {schema} holds {have:,} documents, not --n {args.n:,}")
        if have:
            print(f"PostgreSQL: schema {schema} already holds {have:,} documents; not filling again")
        else:
            print(f"PostgreSQL: filling schema {schema}")
            out.fill = fill(db, rows(), args)
            t = time.perf_counter()
            with db.write_engine.connect() as c:  # what autovacuum does after a big load, at once
                c.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE issued_documents"))
            print(f"  VACUUM ANALYZE {time.perf_counter() - t:.1f} s")
        with db.read() as s:
            size = s.scalar(text("SELECT pg_total_relation_size('issued_documents')"))
        out.size = f"{int(size or 0) / 2**20:,.0f} MiB"
        out.kinds = run_queries(db, args)
    finally:
        db.dispose()
        if not args.pg_schema:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="documents in the index (default 1,000,000)")
    ap.add_argument("--backend", choices=["sqlite", "pg", "both"], default="both")
    ap.add_argument("--queries", type=int, default=200, help="timed queries per kind (default 200)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed queries per kind first (default 20)")
    ap.add_argument("--db", help="SQLite file to fill and keep (an existing one of --n rows is only queried)")
    ap.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (a schema of its own is made and dropped)")
    ap.add_argument("--pg-schema", help="PostgreSQL schema to fill and keep (one of --n rows is only queried)")
    ap.add_argument("--pg-fill", choices=["copy", "executemany"], default="copy")
    ap.add_argument("--batch", type=int, default=10_000, help="rows per insert (default 10,000)")
    ap.add_argument("--batches-per-txn", type=int, default=10, help="batches per transaction (default 10)")
    ap.add_argument("--sqlite-fill", choices=["triggers", "rebuild"], default="rebuild", help="see fill()")
    ap.add_argument("--sqlite-insert", choices=["core", "driver"], default="driver", help="see fill()")
    ap.add_argument("--sqlite-cache-mib", type=int, default=256, help="page cache of the SQLite fill connection")
    ap.add_argument("--rows", help="folder to keep the generated rows in (and reuse them from) across runs")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="row generator processes")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--retention-rule", choices=["issue", "next-year"], default="issue")
    ap.add_argument("--long-term-years", type=int, default=30)
    args = ap.parse_args(argv)

    print(f"bench.search: {args.n:,} documents, {args.queries} queries per kind, seed {args.seed}")
    cached: list[Spool] = []

    def rows() -> Spool:
        """The generated rows, made (or read from --rows) on first use and shared by the back ends."""
        if not cached:
            cached.append(spool(args))
        return cached[0]

    results = []
    try:
        if args.backend in ("sqlite", "both"):
            results.append(run_sqlite(args, rows))
        if args.backend in ("pg", "both"):
            results.append(run_pg(args, rows))
    finally:
        for s in cached:
            s.remove()
    summary(results, args)
    return 0 if all(k.ms and pct(k.ms, 95) <= TARGET_P95_MS for b in results for k in b.kinds) else 1


if __name__ == "__main__":
    sys.exit(main())
