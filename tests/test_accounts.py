"""Accounts, roles and projects (issue 6): argon2, the CLI, API tokens, sessions, CSRF, the policy table.

The web tests use a small app of their own (the accounts router and a few routes guarded by the
dependencies of app.auth.web) on the test Desk's database, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from app.auth import accounts
from app.auth.accounts import (
    LOCKED_OUT,
    LOCKOUT_FAILURES,
    LOGIN_FAILED,
    AccountError,
    CurrentUser,
    create_user,
    ensure_first_admin,
    session_user,
)
from app.auth.passwords import WeakPassword, hash_password, needs_rehash, set_hasher, verify_password
from app.auth.policy import PERMISSIONS, ROLES, allowed, may_see_full, project_ok, visible_projects
from app.auth.web import check_project, current_user, install, require, router, safe_next
from app.cli import main
from app.index.models import ApiToken, AuditEvent, User, UserProject, WebSession
from app.issue import Desk

PW = "correct horse battery"
NOW = dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)

# the intended table: which role holds which permission (admin holds all)
EXPECTED: dict[str, set[str]] = {
    "clerk": {"documents.read", "documents.read_full", "documents.issue", "documents.void"},
    "finance": {"documents.read", "batches"},
    "archivist": {"documents.read", "documents.read_full", "search", "records", "archive"},
    "admin": set(PERMISSIONS),
}


@pytest.fixture(autouse=True)
def cheap_hashes() -> Iterator[None]:
    """argon2 with the defaults costs up to a second a hash on a busy machine; the tests use cheap parameters."""
    old = set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    set_hasher(old)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_desk(request: pytest.FixtureRequest) -> Desk:
    desk: Desk = request.getfixturevalue("desk" if request.param == "sqlite" else "pg_desk")
    return desk


def add_user(desk: Desk, name: str, role: str, projects: tuple[str, ...] = ("HL",), password: str = PW) -> None:
    with desk.db.write() as s:
        create_user(s, name, role, password=password, projects=projects, known_projects=["HL", "JH"], now=NOW)


def events(desk: Desk, action: str) -> list[AuditEvent]:
    with desk.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def make_app(desk: Desk) -> FastAPI:
    app = FastAPI()
    app.state.desk = desk
    install(app)
    app.include_router(router)

    @app.get("/api/whoami")
    def whoami(user: Annotated[CurrentUser, Depends(current_user)]) -> dict[str, Any]:
        return {"name": user.name, "role": user.role, "projects": sorted(user.projects), "via": user.via}

    @app.post("/api/issue")
    def issue(user: Annotated[CurrentUser, Depends(require("documents.issue"))]) -> dict[str, Any]:
        return {"issued_by": user.name}

    @app.get("/api/projects/{project}/document")
    def document(
        request: Request, project: str, user: Annotated[CurrentUser, Depends(require("documents.read"))]
    ) -> dict[str, Any]:
        check_project(request, user, project, f"文书不存在：{project}-0001")
        return {"project": project, "full": may_see_full(user, project)}

    @app.get("/page", response_class=HTMLResponse, include_in_schema=False)
    def page(user: Annotated[CurrentUser, Depends(current_user)]) -> str:
        return f"<p>你好，{user.name}</p>"

    @app.post("/page/form", include_in_schema=False)
    async def page_form(request: Request, user: Annotated[CurrentUser, Depends(current_user)]) -> dict[str, Any]:
        posted = await request.form()  # the route still reads the form the CSRF check parsed
        return {"by": user.name, "note": posted.get("note")}

    @app.get("/records", response_class=HTMLResponse, include_in_schema=False)
    def records(_user: Annotated[CurrentUser, Depends(require("records"))]) -> str:
        return "ok"

    return app


@pytest.fixture
def web(db_desk: Desk) -> Iterator[TestClient]:
    with TestClient(make_app(db_desk), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, name: str, password: str = PW) -> str:
    """Log in through the form; return the session's CSRF token (from the password page's hidden field)."""
    r = client.post("/login", data={"username": name, "password": password, "next": "/page"})
    assert r.status_code == 303, r.text
    page = client.get("/account/password")
    assert page.status_code == 200
    m = re.search(r'name="_csrf" value="([^"]+)"', page.text)
    assert m, page.text
    return m.group(1)


# --- passwords and the policy table -----------------------------------------------------------------


def test_passwords_are_argon2_hashes() -> None:
    set_hasher(PasswordHasher())  # the real defaults here
    h = hash_password(PW)
    assert h.startswith("$argon2id$") and PW not in h
    assert verify_password(h, PW) and not verify_password(h, PW + "x") and not verify_password("garbage", PW)
    assert hash_password(PW) != h  # salted
    assert not needs_rehash(h)
    assert "$argon2id$v=19$m=65536,t=3,p=4$" in h  # RFC 9106's low-memory profile
    assert needs_rehash(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PW))
    with pytest.raises(WeakPassword, match="至少需要 10 个字符"):
        hash_password("short")


def test_every_role_against_every_permission() -> None:
    assert set(ROLES) == set(EXPECTED)
    for role, granted in EXPECTED.items():
        user = CurrentUser(1, "u", "", role, frozenset({"HL"}))
        got = {p for p in PERMISSIONS if allowed(user, p)}
        assert got == granted, role
    assert not allowed(None, "documents.read")
    with pytest.raises(KeyError):
        allowed(CurrentUser(1, "u", "", "admin", frozenset()), "no.such.permission")


def test_project_isolation_helpers() -> None:
    clerk = CurrentUser(1, "c", "", "clerk", frozenset({"HL"}))
    finance = CurrentUser(2, "f", "", "finance", frozenset({"HL", "JH"}))
    archivist = CurrentUser(3, "a", "", "archivist", frozenset({"JH"}))
    admin = CurrentUser(4, "root", "", "admin", frozenset())
    assert visible_projects(clerk) == {"HL"} and visible_projects(finance) == {"HL", "JH"}
    assert visible_projects(admin) is None
    assert project_ok(clerk, "HL") and not project_ok(clerk, "JH") and project_ok(admin, "ANY")
    assert not project_ok(None, "HL")
    # full personal data: clerks and archivists within their projects, administrators everywhere, finance never
    assert may_see_full(clerk, "HL") and not may_see_full(clerk, "JH")
    assert may_see_full(archivist, "JH") and not may_see_full(archivist, "HL")
    assert not may_see_full(finance, "HL") and not may_see_full(finance)
    assert may_see_full(admin, "JH") and not may_see_full(None)


# --- the CLI ------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(db_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setenv("DOCDESK_DATABASE_URL", db_desk.db.url)
    monkeypatch.setenv("DOCDESK_OUTPUT_DIR", str(db_desk.output_dir))
    return db_desk


def test_cli_users_add_list_disable(
    cli_env: Desk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = cli_env
    assert main(["users", "add", "wang", "--role", "clerk", "--project", "HL", "--display-name", "王芳"]) == 0
    out = capsys.readouterr().out
    assert "已创建用户 wang（客服，项目 HL）" in out
    password = re.search(r"初始密码：(\S+)", out).group(1)  # type: ignore[union-attr]
    with desk.db.read() as s:
        user = s.scalars(select(User).where(User.name == "wang")).one()
        assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash
        assert verify_password(user.password_hash, password)
        assert set(s.scalars(select(UserProject.project).where(UserProject.user_id == user.id))) == {"HL"}
    # an administrator spans all projects; a password from stdin is not printed
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(PW + "\n"))
    assert main(["users", "add", "chief", "--role", "admin", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "全部项目" in out and PW not in out and "初始密码" not in out
    assert accounts.login(desk.db, "chief", PW).user.role == "admin"

    assert main(["users", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "chief\t-\t管理员\t全部项目\t启用\t" + lines[0].rsplit("\t", 1)[1],
        "wang\t王芳\t客服\tHL\t启用\t" + lines[1].rsplit("\t", 1)[1],
    ]
    assert main(["users", "disable", "wang"]) == 0
    assert "已停用用户 wang" in capsys.readouterr().out
    assert main(["users", "list"]) == 0
    assert "wang\t王芳\t客服\tHL\t停用" in capsys.readouterr().out
    with pytest.raises(accounts.LoginFailed, match=LOGIN_FAILED):
        accounts.login(desk.db, "wang", password)
    assert [e.target for e in events(desk, "user_add")] == ["wang", "chief"]
    assert [e.target for e in events(desk, "user_disable")] == ["wang"]


REFUSALS = [
    (["users", "add", "li", "--role", "boss", "--project", "HL"], "✗ --role：角色“boss”不存在，可选：clerk（客服）"),
    (["users", "add", "li", "--role", "clerk", "--project", "XX"], "✗ --project：项目“XX”不存在，可选：HL、JH"),
    (["users", "add", "li", "--role", "finance"], "✗ --project：财务至少要属于一个项目"),
    (["users", "add", "li li", "--role", "clerk", "--project", "HL"], "✗ 用户名：用户名只能由"),
    (["users", "disable", "nobody"], "✗ 用户名：用户“nobody”不存在"),
    (["tokens", "create", "nobody"], "✗ 用户名：用户“nobody”不存在"),
    (["tokens", "revoke", "99"], "✗ 令牌编号：令牌 99 不存在"),
]


def test_cli_refuses_with_a_chinese_message_naming_the_option(
    cli_env: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, message in REFUSALS:
        assert main(argv) == 1, argv
        assert message in capsys.readouterr().err, argv
    with cli_env.db.read() as s:
        assert s.scalars(select(User)).all() == [] and s.scalars(select(ApiToken)).all() == []


def test_cli_refuses_a_short_password_and_a_duplicate(
    cli_env: Desk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    assert main(["users", "add", "li", "--role", "clerk", "--project", "HL", "--password-stdin"]) == 1
    assert "✗ 密码：密码至少需要 10 个字符（现在 5 个）" in capsys.readouterr().err
    assert main(["users", "add", "li", "--role", "clerk", "--project", "HL"]) == 0
    assert main(["users", "add", "li", "--role", "finance", "--project", "JH"]) == 1
    assert "用户“li”已存在" in capsys.readouterr().err


def test_cli_token_is_printed_once_and_only_its_hash_is_stored(
    cli_env: Desk, web: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    desk = cli_env
    add_user(desk, "wang", "clerk", ("HL", "JH"))
    assert main(["tokens", "create", "wang", "--label", "收费系统"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and re.fullmatch(r"dd_[A-Za-z0-9_\-]{43}\n", out)
    token = out.strip()
    with desk.db.read() as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.name == "收费系统"
        dump = json.dumps([list(r) for r in s.execute(text("select * from api_tokens")).all()], default=str)
        assert token not in dump and token[3:] not in dump
    assert main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "wang\t收费系统" in listed and token not in listed and "未使用" in listed

    r = web.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json() == {
        "name": "wang",
        "role": "clerk",
        "projects": ["HL", "JH"],
        "via": "token",
    }
    with desk.db.read() as s:
        assert s.scalars(select(ApiToken)).one().last_used_at is not None
    # Bearer requests need no CSRF token
    assert web.post("/api/issue", headers={"Authorization": f"Bearer {token}"}).json() == {"issued_by": "wang"}

    assert main(["tokens", "revoke", str(row.id)]) == 0
    r = web.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json() == {"detail": "请先登录"}
    assert r.headers["www-authenticate"] == "Bearer"


def test_bearer_unknown_malformed_and_disabled_are_401(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk")
    with db_desk.db.write() as s:
        _id, token = accounts.create_token(s, "wang", now=NOW)
    assert web.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    for header in (f"Bearer {token}x", "Bearer dd_nosuchtoken", f"Basic {token}", "Bearer", f"bearer  {token[:-1]}"):
        r = web.get("/api/whoami", headers={"Authorization": header})
        assert r.status_code == 401 and r.json()["detail"] == "请先登录", header
    with db_desk.db.write() as s:
        accounts.disable_user(s, "wang")
    assert web.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with db_desk.db.read() as s:
        assert s.scalars(select(ApiToken)).one().revoked_at is not None  # disabling revokes the tokens


# --- sessions, login, CSRF ----------------------------------------------------------------------------


def test_anonymous_gets_401_json_or_a_redirect_to_login(web: TestClient) -> None:
    r = web.get("/api/whoami")
    assert r.status_code == 401 and r.json() == {"detail": "请先登录"}
    r = web.get("/page?x=1")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fpage%3Fx%3D1"
    login_page = web.get("/login?next=/page")
    assert login_page.status_code == 200 and "用户名" in login_page.text and 'value="/page"' in login_page.text


def test_login_sets_a_secure_session_cookie(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk")
    r = web.post("/login", data={"username": "wang", "password": PW, "next": "/page"})
    assert r.status_code == 303 and r.headers["location"] == "/page"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("docdesk_session=")
    attrs = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
    assert "httponly" in attrs and attrs["samesite"].strip().lower() == "samesite=lax"
    assert attrs["path"].strip() == "Path=/" and "secure" not in attrs and "max-age" not in attrs
    assert web.get("/page").text == "<p>你好，wang</p>"
    assert web.get("/api/whoami").json()["via"] == "session"
    value = web.cookies["docdesk_session"]
    with db_desk.db.read() as s:
        stored = s.scalars(select(WebSession)).one()
    assert stored.id == hashlib.sha256(value.encode()).hexdigest() and stored.id != value
    (event,) = events(db_desk, "login")
    assert (event.actor, event.target, event.client) == ("wang", "wang", "testclient")

    with TestClient(make_app(db_desk), base_url="https://docdesk.test", follow_redirects=False) as tls:
        r = tls.post("/login", data={"username": "wang", "password": PW})
        assert "secure" in r.headers["set-cookie"].lower() and r.headers["location"] == "/"


def test_wrong_password_or_unknown_user_gives_the_same_chinese_error(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk")
    wrong = web.post("/login", data={"username": "wang", "password": "not the password"})
    unknown = web.post("/login", data={"username": "zhao", "password": "not the password"})
    for r in (wrong, unknown):
        assert r.status_code == 401 and LOGIN_FAILED in r.text and "set-cookie" not in r.headers
    assert LOGIN_FAILED == "用户名或密码不正确"
    assert re.sub(r'value="\w*"', "", wrong.text) == re.sub(r'value="\w*"', "", unknown.text)
    failed = events(db_desk, "login_failed")
    assert [(e.actor, e.client, e.detail["reason"]) for e in failed] == [
        ("wang", "testclient", "wrong_password"),
        ("zhao", "testclient", "unknown_user"),
    ]
    assert "not the password" not in json.dumps([e.detail for e in failed], ensure_ascii=False)
    assert web.get("/api/whoami").status_code == 401


def test_csrf_is_required_for_cookie_writes(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk")
    csrf = sign_in(web, "wang")
    missing = web.post("/page/form", data={"note": "x"})
    wrong = web.post("/page/form", data={"note": "x", "_csrf": csrf[:-1] + ("A" if csrf[-1] != "A" else "B")})
    wrong_header = web.post("/api/issue", headers={"X-CSRF-Token": "nope"})
    for r in (missing, wrong, wrong_header):
        assert r.status_code == 403 and "CSRF" in r.text
    assert wrong_header.json()["detail"].startswith("页面已过期")
    denied = events(db_desk, "denied")
    assert [(e.actor, e.target, e.detail["permission"]) for e in denied] == [
        ("wang", "/page/form", "csrf"),
        ("wang", "/page/form", "csrf"),
        ("wang", "/api/issue", "csrf"),
    ]
    ok = web.post("/page/form", data={"note": "备注", "_csrf": csrf})
    assert ok.status_code == 200 and ok.json() == {"by": "wang", "note": "备注"}
    assert web.post("/api/issue", headers={"X-CSRF-Token": csrf}).json() == {"issued_by": "wang"}
    # reads need no token
    assert web.get("/api/whoami").status_code == 200


def test_login_refuses_another_site_and_open_redirects(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk")
    r = web.post("/login", data={"username": "wang", "password": PW}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "set-cookie" not in r.headers and "请求来源不明" in r.text
    # the Host it came to, or the public address (DOCDESK_BASE_URL) when a proxy rewrites Host
    for origin in ("http://testserver", "http://docdesk.test"):
        r = web.post("/login", data={"username": "wang", "password": PW}, headers={"Origin": origin})
        assert r.status_code == 303, origin
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/login"):
        web.cookies.clear()
        r = web.post("/login", data={"username": "wang", "password": PW, "next": target})
        assert r.status_code == 303 and r.headers["location"] == "/", target
    r = web.post("/login", data={"username": "wang", "password": PW, "next": "/documents?q=王"})
    assert r.headers["location"] == "/documents?q=%E7%8E%8B"  # 王, percent-encoded by the redirect
    assert safe_next("/search?room=3-2-1502") == "/search?room=3-2-1502"
    assert safe_next("http:/evil") == "/" and safe_next("/\tx") == "/" and safe_next(None) == "/"


def test_logout_ends_the_session(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk")
    csrf = sign_in(web, "wang")
    old = web.cookies["docdesk_session"]
    assert web.post("/logout").status_code == 403  # without the CSRF token
    r = web.post("/logout", data={"_csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "docdesk_session" not in web.cookies
    web.cookies.set("docdesk_session", old)
    assert web.get("/api/whoami").status_code == 401
    with db_desk.db.read() as s:
        assert s.scalars(select(WebSession)).all() == []
    assert [e.actor for e in events(db_desk, "logout")] == ["wang"]


def test_sessions_slide_for_12_hours_and_end_after_7_days(db_desk: Desk) -> None:
    add_user(db_desk, "wang", "clerk")
    result = accounts.login(db_desk.db, "wang", PW, now=NOW)
    h = dt.timedelta(hours=1)
    assert session_user(db_desk.db, result.cookie, now=NOW + 11 * h) is not None  # pushes the end to +23 h
    assert session_user(db_desk.db, result.cookie, now=NOW + 22 * h) is not None
    assert session_user(db_desk.db, result.cookie, now=NOW + 34 * h + dt.timedelta(minutes=1)) is None
    fresh = accounts.login(db_desk.db, "wang", PW, now=NOW)
    for hours in range(10, 161, 10):  # busy all week: every 10 hours
        assert session_user(db_desk.db, fresh.cookie, now=NOW + hours * h) is not None, hours
    assert session_user(db_desk.db, fresh.cookie, now=NOW + 7 * 24 * h) is None
    assert session_user(db_desk.db, "not-a-session", now=NOW) is None


def test_a_name_is_locked_after_repeated_failures(db_desk: Desk) -> None:
    add_user(db_desk, "wang", "clerk")
    for _ in range(LOCKOUT_FAILURES):
        with pytest.raises(accounts.LoginFailed, match=LOGIN_FAILED):
            accounts.login(db_desk.db, "wang", "wrong password", now=NOW)
    with pytest.raises(accounts.LoginFailed, match=LOCKED_OUT):
        accounts.login(db_desk.db, "wang", PW, now=NOW + dt.timedelta(minutes=5))
    assert accounts.login(db_desk.db, "wang", PW, now=NOW + dt.timedelta(minutes=21)).user.name == "wang"


def test_an_outdated_hash_is_replaced_at_login(db_desk: Desk) -> None:
    add_user(db_desk, "wang", "clerk")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PW)
    with db_desk.db.write() as s:
        s.scalars(select(User)).one().password_hash = weak
    accounts.login(db_desk.db, "wang", PW)
    with db_desk.db.read() as s:
        stored = s.scalars(select(User)).one().password_hash
    assert stored != weak and not needs_rehash(stored) and verify_password(stored, PW)


def test_changing_the_password_ends_other_sessions(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk")
    other = accounts.login(db_desk.db, "wang", PW)
    csrf = sign_in(web, "wang")
    form = {"_csrf": csrf, "current": "wrong one!!", "new": "a new password", "again": "a new password"}
    r = web.post("/account/password", data=form)
    assert r.status_code == 422 and "当前密码不正确" in r.text
    r = web.post("/account/password", data={**form, "current": PW, "again": "different"})
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.text
    r = web.post("/account/password", data={**form, "current": PW, "new": "short", "again": "short"})
    assert r.status_code == 422 and "新密码至少需要 10 个字符" in r.text
    r = web.post("/account/password", data={**form, "current": PW})
    assert r.status_code == 200 and "密码已修改" in r.text
    assert web.get("/api/whoami").status_code == 200  # this session stays
    assert session_user(db_desk.db, other.cookie) is None  # the other one ended
    assert accounts.login(db_desk.db, "wang", "a new password").user.name == "wang"


# --- roles and projects on routes ---------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ROLES))
def test_a_missing_permission_is_403_and_audited(db_desk: Desk, web: TestClient, role: str) -> None:
    add_user(db_desk, "u1", role)
    with db_desk.db.write() as s:
        _id, token = accounts.create_token(s, "u1")
    r = web.post("/api/issue", headers={"Authorization": f"Bearer {token}"})
    if "documents.issue" in EXPECTED[role]:
        assert r.status_code == 200 and r.json() == {"issued_by": "u1"}
        assert events(db_desk, "denied") == []
    else:
        assert r.status_code == 403 and r.json() == {"detail": "没有权限：开具文书"}
        (event,) = events(db_desk, "denied")
        assert (event.actor, event.target, event.detail["permission"]) == ("u1", "/api/issue", "documents.issue")


def test_another_projects_document_is_404(db_desk: Desk, web: TestClient) -> None:
    add_user(db_desk, "wang", "clerk", ("HL",))
    add_user(db_desk, "zhou", "finance", ("HL", "JH"))
    add_user(db_desk, "chief", "admin", ())
    tokens = {}
    with db_desk.db.write() as s:
        for name in ("wang", "zhou", "chief"):
            tokens[name] = accounts.create_token(s, name)[1]

    def get(name: str, project: str) -> Any:
        return web.get(f"/api/projects/{project}/document", headers={"Authorization": f"Bearer {tokens[name]}"})

    assert get("wang", "HL").json() == {"project": "HL", "full": True}
    r = get("wang", "JH")
    assert r.status_code == 404 and r.json() == {"detail": "文书不存在：JH-0001"}
    assert get("zhou", "JH").json() == {"project": "JH", "full": False}
    assert get("chief", "JH").json() == {"project": "JH", "full": True}
    (event,) = events(db_desk, "denied")
    assert (event.actor, event.detail["permission"], event.detail["project"]) == ("wang", "project", "JH")
    # a page refused for a missing permission shows a Chinese error page, not JSON
    sign_in(web, "zhou")
    r = web.get("/records")
    assert r.status_code == 403 and "没有权限：保管期限、保全与销毁" in r.text and "<html" in r.text


def test_every_route_of_an_app_refuses_the_anonymous(db_desk: Desk, web: TestClient) -> None:
    """The walk the lead's test does over the real app: every OpenAPI path without a token is 401."""
    schema = web.app.openapi()  # type: ignore[attr-defined]
    assert "ApiToken" in schema["components"]["securitySchemes"]
    walked = 0
    for path, methods in schema["paths"].items():
        url = re.sub(r"\{[^}]+\}", "HL", path)
        for method in methods:
            r = web.request(method.upper(), url)
            assert r.status_code == 401 and r.json() == {"detail": "请先登录"}, (method, path)
            walked += 1
    assert walked == 3


# --- the first administrator --------------------------------------------------------------------------


def test_the_first_administrator_is_created_once(db_desk: Desk, web: TestClient) -> None:
    password = ensure_first_admin(db_desk.db, NOW)
    assert password is not None and len(password) >= 16
    assert ensure_first_admin(db_desk.db, NOW) is None
    assert ensure_first_admin(db_desk.db, NOW, password="another password") is None
    with db_desk.db.read() as s:
        (admin,) = s.scalars(select(User)).all()
    assert (admin.name, admin.role, admin.active) == ("admin", "admin", True) and password not in admin.password_hash
    r = web.post("/login", data={"username": "admin", "password": password})
    assert r.status_code == 303
    assert web.get("/api/whoami").json() == {"name": "admin", "role": "admin", "projects": [], "via": "session"}
    assert accounts.first_admin_message(password).startswith(f"首次启动：已创建管理员 admin，初始密码 {password}")
    with db_desk.db.write() as s, pytest.raises(AccountError, match="最后一个启用的管理员"):
        accounts.disable_user(s, "admin")


def test_the_first_administrator_password_from_settings(db_desk: Desk) -> None:
    with pytest.raises(AccountError, match="DOCDESK_ADMIN_PASSWORD至少需要 10 个字符"):
        ensure_first_admin(db_desk.db, NOW, password="short")
    assert ensure_first_admin(db_desk.db, NOW, password="from the settings") == "from the settings"
    assert accounts.login(db_desk.db, "admin", "from the settings").user.role == "admin"
    assert "DOCDESK_ADMIN_PASSWORD" in accounts.first_admin_message("x", from_settings=True)
