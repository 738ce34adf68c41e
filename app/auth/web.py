"""Accounts on the web: who a request is (Bearer token or session cookie), CSRF, /login, /logout.

Routes declare what they need with FastAPI dependencies:

    user: Annotated[CurrentUser, Depends(current_user)]                 # any signed-in user
    user: Annotated[CurrentUser, Depends(require("documents.issue"))]   # a permission of app.auth.policy
    APIRouter(..., dependencies=[Depends(require("batches"))])          # a whole router

Anonymous requests get 401 {"detail": "请先登录"} under /api and a redirect to /login?next=… for
pages; a missing permission gets 403 {"detail": "没有权限：…"} (a Chinese error page for pages) and a
"denied" audit event. Requests authenticated by the session cookie that change something (POST, PUT,
PATCH, DELETE) must carry the session's CSRF token, as the form field `_csrf` (`{{ csrf_input(request) }}`
in a template) or the header X-CSRF-Token; Bearer requests are exempt, since browsers never send
that header on their own. `install(app)` adds the exception handlers and the template helper.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from app.auth.accounts import (
    AccountError,
    CurrentUser,
    LoginFailed,
    change_own_password,
    login,
    logout,
    session_user,
    token_user,
)
from app.auth.policy import ROLES, allowed, permission_label, project_ok
from app.index.audit import record_event
from app.index.db import Database

SESSION_COOKIE = "docdesk_session"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NOT_SIGNED_IN = "请先登录"
CSRF_FAILED = "页面已过期或请求来源不明（CSRF 校验未通过），请刷新页面后重试"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="API 令牌（`docdesk tokens create 用户名` 生成）：`Authorization: Bearer dd_…`",
)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "web" / "pages")


class AuthRequired(Exception):
    """Nobody is signed in (no token, no session, or an invalid one)."""


class PermissionDenied(Exception):
    """The signed-in user may not do this: 403, or 404 where even the existence must not show."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- who is asking ------------------------------------------------------------------------------------


def _db(request: Request) -> Database:
    db: Database = request.app.state.desk.db
    return db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def actor_of(request: Request) -> str:
    """The audit actor of a request: the signed-in user's name, else "public"."""
    user: CurrentUser | None = getattr(request.state, "user", None)
    return user.name if user else "public"


def authenticate(request: Request, db: Database) -> CurrentUser | None:
    """The user of a request: an `Authorization: Bearer` token, else the session cookie; None if neither holds.

    A request that sends an Authorization header is judged by it alone (no falling back to the cookie).
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token_user(db, value.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = session_user(db, cookie)
    if found is None:
        return None
    user, session_id, csrf = found
    request.state.session_id = session_id
    request.state.csrf_token = csrf
    return user


def record_denied(request: Request, user: CurrentUser | None, what: str, **detail: str) -> None:
    """A "denied" audit event: who, which permission (or "csrf", "project"), which path, from where."""
    with _db(request).write() as session:
        record_event(
            session,
            "denied",
            request.url.path[:200],
            actor=user.name if user else "public",
            client=client_ip(request),
            detail={"permission": what, "method": request.method, **detail},
        )


async def _check_csrf(request: Request, user: CurrentUser) -> None:
    expected: str = getattr(request.state, "csrf_token", "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                # parsed once and cached: FastAPI has parsed it already for routes with Form parameters,
                # and a route reading `await request.form()` itself gets this parse (not request.body())
                value = (await request.form()).get(CSRF_FIELD)
            except Exception:  # a malformed form: no token
                value = None
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(sent.encode(), expected.encode()):
        await run_in_threadpool(record_denied, request, user, "csrf")
        raise PermissionDenied(CSRF_FAILED)


async def optional_user(
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> CurrentUser | None:
    """The signed-in user or None (public pages that show who is signed in); no CSRF check."""
    if hasattr(request.state, "user"):
        user: CurrentUser | None = request.state.user
        return user
    user = await run_in_threadpool(authenticate, request, _db(request))
    request.state.user = user
    return user


async def current_user(
    request: Request,
    user: Annotated[CurrentUser | None, Depends(optional_user)],
) -> CurrentUser:
    """The signed-in user; 401 / a redirect to /login when there is none; checks CSRF on cookie writes."""
    if user is None:
        raise AuthRequired()
    if user.via == "session" and request.method in UNSAFE_METHODS:
        await _check_csrf(request, user)
    return user


@cache
def require(permission: str) -> Callable[..., Awaitable[CurrentUser]]:
    """A dependency: the signed-in user if their role holds `permission`, else 403 and a "denied" event."""
    label = permission_label(permission)  # an unknown permission fails here, at import time

    async def dependency(request: Request, user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
        if not allowed(user, permission):
            await run_in_threadpool(record_denied, request, user, permission)
            raise PermissionDenied(f"没有权限：{label}")
        return user

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


def check_project(request: Request, user: CurrentUser, project: str, not_found: str) -> None:
    """Refuse a document of another project as if it did not exist (404 with the route's own message).

    Call it from a synchronous route (it writes the "denied" event) after loading the document.
    """
    if not project_ok(user, project):
        record_denied(request, user, "project", project=project)
        raise PermissionDenied(not_found, 404)


def csrf_input(request: Request) -> Markup:
    """`{{ csrf_input(request) }}`: the hidden CSRF field for a form of a signed-in page."""
    token = getattr(request.state, "csrf_token", "")
    if not token:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["ROLES"] = ROLES


def safe_next(value: str | None) -> str:
    """Where to go after login: a path of this site only (no scheme, host or //host), else "/"."""
    if not value or len(value) > 2000 or any(ord(c) < 32 or c == "\\" for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    if parts.path in ("/login", "/logout"):
        return "/"
    return value


# --- errors -------------------------------------------------------------------------------------------


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _error_page(request: Request, status: int, message: str) -> Response:
    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    """Add the handlers that turn AuthRequired and PermissionDenied into responses, for API and pages."""

    @app.exception_handler(AuthRequired)
    async def _anonymous(request: Request, _exc: AuthRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": NOT_SIGNED_IN}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(safe_next(target), safe='')}", status_code=303)

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        return _error_page(request, exc.status, exc.message)


# --- /login, /logout, /account/password ---------------------------------------------------------------

router = APIRouter(include_in_schema=False)


def _public_url(request: Request) -> str:
    """The address the service is reached at (DOCDESK_BASE_URL, e.g. behind a reverse proxy)."""
    url: str = getattr(request.app.state.desk, "base_url", "")
    return url


def _same_origin(request: Request) -> bool:
    """A login posted from another site is refused (browsers send Origin on POST).

    This site is the Host the request came to, or the public address (a proxy may rewrite Host).
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc in {request.headers.get("host", ""), urlsplit(_public_url(request)).netloc}


def _login_page(request: Request, next_url: str, name: str = "", error: str = "", status: int = 200) -> Response:
    context = {"next": safe_next(next_url), "name": name, "error": error}
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, user: Annotated[CurrentUser | None, Depends(optional_user)], next: str = "/"
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next)


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not _same_origin(request):
        return _login_page(request, next, username, "请求来源不明，请直接打开登录页面", 403)
    try:
        result = login(_db(request), username, password, client=client_ip(request))
    except LoginFailed as exc:
        return _login_page(request, next, username.strip()[:80], str(exc), 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    # no Max-Age: the cookie ends with the browser; the server ends the session after 12 idle hours
    response.set_cookie(
        SESSION_COOKIE,
        result.cookie,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or _public_url(request).startswith("https:"),
        path="/",
    )
    return response


@router.post("/logout")
def logout_submit(request: Request, user: Annotated[CurrentUser, Depends(current_user)]) -> Response:
    session_id: str | None = getattr(request.state, "session_id", None)
    if session_id is not None:
        logout(_db(request), session_id, user, client=client_ip(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


def _password_page(request: Request, user: CurrentUser, error: str = "", done: bool = False) -> Response:
    context: dict[str, Any] = {"user": user, "error": error, "done": done}
    return templates.TemplateResponse(request, "account_password.html", context, status_code=422 if error else 200)


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, user: Annotated[CurrentUser, Depends(current_user)]) -> Response:
    return _password_page(request, user)


@router.post("/account/password")
def password_submit(
    request: Request,
    user: Annotated[CurrentUser, Depends(current_user)],
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    again: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if new != again:
        return _password_page(request, user, "两次输入的新密码不一致")
    try:
        change_own_password(
            _db(request),
            user,
            current,
            new,
            session_id=getattr(request.state, "session_id", None),
            client=client_ip(request),
        )
    except AccountError as exc:
        return _password_page(request, user, str(exc))
    return _password_page(request, user, done=True)
