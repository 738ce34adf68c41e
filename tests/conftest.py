"""Shared fixtures: a Desk on a temporary SQLite database (or PostgreSQL), real and test forms, a web client."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from app.auth.accounts import create_token, create_user
from app.auth.passwords import set_hasher
from app.index.db import Database
from app.index.models import User
from app.issue import Desk
from app.registry import Catalogue, load_catalogue
from app.render.model import Letterhead
from app.web.main import create_app
from app.web.schema import jsonable

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = Path(__file__).resolve().parent / "resources"
PG_URL = os.environ.get("DOCDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# the twelve forms the foundation issue names, each issuable from the browser and the API
FIRST_FORMS = [
    "renovation-permit",
    "hot-work-application",
    "key-custody-entrustment",
    "mail-collection-entrustment",
    "arrears-reminder-1",
    "arrears-reminder-2",
    "arrears-reminder-3",
    "rectification-deadline-notice",
    "quality-inspection-record",
    "community-activity-proposal",
    "repair-order",
    "area-fire-safety-responsibility-agreement",
]
PROJECTS = {
    "HL": Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL"),
    "JH": Letterhead(company="海亮物业管理有限公司", project_name="锦华花园二期", project_code="JH"),
}


@pytest.fixture(scope="session")
def real_catalogue() -> Catalogue:
    return load_catalogue(ROOT / "forms", strict=True)


@pytest.fixture(scope="session")
def test_catalogue() -> Catalogue:
    return load_catalogue(RESOURCES / "forms", strict=True)


@pytest.fixture(scope="session")
def catalogue(real_catalogue: Catalogue, test_catalogue: Catalogue) -> Catalogue:
    """Real forms plus the test-only all-types form."""
    return Catalogue(
        forms={**real_catalogue.forms, **test_catalogue.forms},
        examples={**real_catalogue.examples, **test_catalogue.examples},
    )


def make_desk(catalogue: Catalogue, url: str, out: Path) -> Desk:
    db = Database(url)
    db.migrate()
    return Desk(
        catalogue=catalogue,
        db=db,
        output_dir=out,
        templates_dir=ROOT / "templates",
        base_url="http://docdesk.test",
        projects=PROJECTS,
        default_project="HL",
    )


@pytest.fixture
def desk(catalogue: Catalogue, tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(catalogue, f"sqlite:///{tmp_path / 'index.db'}", tmp_path / "output")
    yield d
    d.db.dispose()


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def pg_desk_at(catalogue: Catalogue, out: Path) -> Iterator[Desk]:
    """A Desk on the real PostgreSQL server, in a schema of its own that is dropped afterwards.

    In CI (CI=true) a missing server is a failure, never a silent skip.
    """
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} (CI must run the PostgreSQL tests)")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    d = make_desk(catalogue, f"{PG_URL}{sep}options=-csearch_path%3D{schema}", out)
    try:
        yield d
    finally:
        d.db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_desk(catalogue: Catalogue, tmp_path: Path) -> Iterator[Desk]:
    """A Desk on the real PostgreSQL server (see pg_desk_at)."""
    with pg_desk_at(catalogue, tmp_path / "output") as d:
        yield d


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> Iterator[None]:
    # argon2's defaults cost ~0.1-1 s a hash; tests that check the real parameters set them themselves
    old = set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    set_hasher(old)


def token_for(desk: Desk, role: str, projects: tuple[str, ...] = (), name: str = "") -> str:
    """A user of `role` in `projects` (admin: all) and an API token of theirs."""
    name = name or f"{role}-{'-'.join(projects) or 'all'}"
    with desk.db.write() as session:
        if session.scalars(select(User).where(User.name == name)).first() is None:
            create_user(
                session,
                name,
                role,
                password="测试密码-0123456789",
                projects=projects or (() if role == "admin" else ("HL",)),
            )
    with desk.db.write() as session:
        return create_token(session, name)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(desk: Desk) -> TestClient:
    """The web app, signed in as an administrator (an API token); tests of roles make their own clients."""
    return TestClient(create_app(desk=desk), headers=bearer(token_for(desk, "admin", name="管理员")))


def example(catalogue: Catalogue, form_id: str, **overrides: Any) -> dict[str, Any]:
    """The form's example submission as JSON values, with overrides."""
    data: dict[str, Any] = jsonable(catalogue.examples[form_id])
    data.update(overrides)
    return data


def pdf_text(path: Path, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def docx_text(path: Path) -> str:
    """All text of a Word file: body paragraphs, table cells (nested) and headers."""
    from docx import Document

    d = Document(str(path))
    parts: list[str] = []

    def walk(container: Any) -> None:
        for p in container.paragraphs:
            parts.append(p.text)
        for t in container.tables:
            for row in t.rows:
                for cell in row.cells:
                    walk(cell)

    walk(d)
    for s in d.sections:
        walk(s.header)
        walk(s.footer)
    return "\n".join(parts)


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="session")
def have_soffice() -> bool:
    return shutil.which("soffice") is not None
