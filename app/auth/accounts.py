"""Users, API tokens and web sessions in the index database; login, logout and the first administrator.

Secrets are never stored: passwords as argon2 hashes, API tokens and session cookies as their sha256
(both are 256-bit random values, so a fast hash suffices). Every change of an account, every login,
failed login and logout is an audit event (app.index.audit), written in the same transaction.
Functions that change accounts take the caller's write Session; login and request authentication
take the Database because they read first and write only when they must.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.passwords import (
    WeakPassword,
    check_password,
    dummy_hash,
    generate_password,
    hash_password,
    needs_rehash,
    rehash,
    verify_password,
)
from app.auth.policy import ADMIN, ROLES, role_label
from app.index.audit import record_event
from app.index.db import Database
from app.index.models import ApiToken, AuditEvent, User, UserProject, WebSession

TOKEN_PREFIX = "dd_"
SESSION_IDLE = dt.timedelta(hours=12)  # sliding: each request (at most once a minute) pushes the end back
SESSION_MAX = dt.timedelta(days=7)  # absolute: a session older than this ends however busy it is
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen_at / last_used_at are written at most this often
LOCKOUT_FAILURES = 10  # consecutive failed logins of one name …
LOCKOUT_WINDOW = dt.timedelta(minutes=15)  # … within this window refuse further attempts until it passes
LOGIN_FAILED = "用户名或密码不正确"
LOCKED_OUT = f"登录失败次数过多，请 {LOCKOUT_WINDOW.seconds // 60} 分钟后再试"
FIRST_ADMIN = "admin"
_NAME = re.compile(r"[\w.\-]{1,40}")


class AccountError(ValueError):
    """A refused account operation; the message is Chinese, `field` names what was wrong."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class LoginFailed(Exception):
    """A refused login; the message never says whether the user exists."""


@dataclass(frozen=True)
class CurrentUser:
    """The user a request acts as (detached from any database session)."""

    id: int
    name: str
    display_name: str
    role: str
    projects: frozenset[str]
    via: str = "session"  # "session" (cookie) or "token" (Authorization: Bearer)

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def role_label(self) -> str:
        return role_label(self.role)


@dataclass(frozen=True)
class UserInfo:
    name: str
    display_name: str
    role: str
    projects: tuple[str, ...]
    active: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class LoginResult:
    user: CurrentUser
    cookie: str  # the session cookie's value (only its sha256 is stored)
    csrf_token: str


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime | None) -> dt.datetime:
    """An aware UTC datetime; SQLite hands back naive values, which are UTC as they were stored."""
    if value is None:
        return utcnow()
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- accounts ---------------------------------------------------------------------------------------


def _role_choices() -> str:
    return "、".join(f"{code}（{label}）" for code, label in ROLES.items())


def check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"角色“{role}”不存在，可选：{_role_choices()}", "role")


def check_projects(role: str, projects: Iterable[str], known: Collection[str] | None) -> list[str]:
    """The projects of a new or changed user, checked against the deployment's codes (projects.toml)."""
    chosen = list(dict.fromkeys(p.strip() for p in projects if p.strip()))
    if known is not None:
        for p in chosen:
            if p not in known:
                raise AccountError(f"项目“{p}”不存在，可选：{'、'.join(known)}", "project")
    if role == ADMIN:
        return []  # an administrator spans all projects
    if not chosen:
        raise AccountError(f"{role_label(role)}至少要属于一个项目", "project")
    return chosen


def _get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(f"用户“{name}”不存在", "name")
    return user


def _projects_of(session: Session, user_id: int) -> frozenset[str]:
    return frozenset(session.scalars(select(UserProject.project).where(UserProject.user_id == user_id)))


def create_user(
    session: Session,
    name: str,
    role: str,
    *,
    password: str,
    projects: Iterable[str] = (),
    known_projects: Collection[str] | None = None,
    display_name: str = "",
    actor: str = "cli",
    client: str = "",
    now: dt.datetime | None = None,
) -> User:
    """Add a user (in the caller's write transaction) and audit it."""
    name = name.strip()
    if not _NAME.fullmatch(name) or name.startswith("-"):
        raise AccountError("用户名只能由字母、数字、汉字、下划线、点和连字符组成（1–40 个字符）", "name")
    check_role(role)
    chosen = check_projects(role, projects, known_projects)
    try:
        check_password(password)
    except WeakPassword as exc:
        raise AccountError(str(exc), "password") from None
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AccountError(f"用户“{name}”已存在", "name")
    now = _utc(now)
    user = User(
        name=name,
        display_name=display_name.strip()[:80],
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    session.add_all(UserProject(user_id=user.id, project=p) for p in chosen)
    detail = {"role": role, "projects": chosen}
    record_event(session, "user_add", name, actor=actor, client=client, detail=detail, at=now)
    return user


def list_users(session: Session) -> list[UserInfo]:
    users = session.scalars(select(User).order_by(User.name)).all()
    projects: dict[int, list[str]] = {}
    for user_id, project in session.execute(select(UserProject.user_id, UserProject.project)):
        projects.setdefault(user_id, []).append(project)
    return [
        UserInfo(u.name, u.display_name, u.role, tuple(sorted(projects.get(u.id, []))), u.active, _utc(u.created_at))
        for u in users
    ]


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == ADMIN, User.active)) or 0


def disable_user(
    session: Session, name: str, *, actor: str = "cli", client: str = "", now: dt.datetime | None = None
) -> None:
    """Disable a user: their sessions end and their API tokens are revoked at once."""
    user = _get_user(session, name)
    if not user.active:
        raise AccountError(f"用户“{name}”已停用", "name")
    if user.role == ADMIN and _active_admins(session) <= 1:
        raise AccountError("不能停用最后一个启用的管理员", "name")
    now = _utc(now)
    user.active = False
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    record_event(session, "user_disable", name, actor=actor, client=client, at=now)


def enable_user(
    session: Session, name: str, *, actor: str = "cli", client: str = "", now: dt.datetime | None = None
) -> None:
    user = _get_user(session, name)
    if user.active:
        raise AccountError(f"用户“{name}”未停用", "name")
    user.active = True
    record_event(session, "user_enable", name, actor=actor, client=client, at=_utc(now))


def set_password(
    session: Session,
    name: str,
    password: str,
    *,
    keep_session: str | None = None,
    actor: str = "cli",
    client: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Set a user's password; every session of theirs except `keep_session` (a session id) ends."""
    user = _get_user(session, name)
    try:
        check_password(password, "新密码")
    except WeakPassword as exc:
        raise AccountError(str(exc), "password") from None
    user.password_hash = hash_password(password)
    gone = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session is not None:
        gone = gone.where(WebSession.id != keep_session)
    session.execute(gone)
    record_event(session, "password_change", name, actor=actor, client=client, at=_utc(now))


def ensure_first_admin(db: Database, now: dt.datetime | None = None, password: str = "") -> str | None:
    """On a database without users, create the administrator "admin" and return its password.

    The password is `password` (DOCDESK_ADMIN_PASSWORD) or a random one; the entry point prints it
    once (first_admin_message). Returns None when there are users already, also when another process
    starting at the same moment created the administrator first.
    """
    with db.read() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
    chosen = password or generate_password()
    try:
        check_password(chosen, "DOCDESK_ADMIN_PASSWORD")
    except WeakPassword as exc:
        raise AccountError(str(exc), "password") from None
    try:
        with db.write() as session:
            if session.scalar(select(func.count()).select_from(User)):
                return None
            create_user(session, FIRST_ADMIN, ADMIN, password=chosen, display_name="管理员", actor="system", now=now)
    except IntegrityError:
        return None
    return chosen


def first_admin_message(password: str, from_settings: bool = False) -> str:
    shown = "即 DOCDESK_ADMIN_PASSWORD 的值" if from_settings else password
    return f"首次启动：已创建管理员 {FIRST_ADMIN}，初始密码 {shown}，请登录后修改（/account/password）"


# --- API tokens ---------------------------------------------------------------------------------------


def create_token(
    session: Session,
    user_name: str,
    label: str = "",
    *,
    actor: str = "cli",
    client: str = "",
    now: dt.datetime | None = None,
) -> tuple[int, str]:
    """A new API token for the user: (its id, the token). The token is shown once; only its hash is kept."""
    user = _get_user(session, user_name)
    if not user.active:
        raise AccountError(f"用户“{user_name}”已停用，不能创建令牌", "name")
    now = _utc(now)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=label.strip()[:80], token_hash=sha256_hex(token), created_at=now)
    session.add(row)
    session.flush()
    record_event(session, "token_create", user_name, actor=actor, client=client, detail={"token": row.id}, at=now)
    return row.id, token


def revoke_token(
    session: Session, token_id: int, *, actor: str = "cli", client: str = "", now: dt.datetime | None = None
) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AccountError(f"令牌 {token_id} 不存在", "id")
    if row.revoked_at is not None:
        raise AccountError(f"令牌 {token_id} 已经吊销", "id")
    now = _utc(now)
    row.revoked_at = now
    user = session.get(User, row.user_id)
    target = user.name if user else ""
    record_event(session, "token_revoke", target, actor=actor, client=client, detail={"token": token_id}, at=now)


def list_tokens(session: Session, user_name: str | None = None) -> list[TokenInfo]:
    query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if user_name:
        query = query.where(User.name == user_name)
    return [
        TokenInfo(
            t.id,
            name,
            t.name,
            _utc(t.created_at),
            _utc(t.last_used_at) if t.last_used_at else None,
            _utc(t.revoked_at) if t.revoked_at else None,
        )
        for t, name in session.execute(query).all()
    ]


def token_user(db: Database, token: str, now: dt.datetime | None = None) -> CurrentUser | None:
    """The user an API token acts as, or None (unknown, revoked, or the user disabled)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = _utc(now)
    digest = sha256_hex(token)
    with db.read() as session:
        row = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest)
        ).one_or_none()
        if row is None:
            return None
        tok, user = row
        if tok.revoked_at is not None or not user.active:
            return None
        current = _current(session, user, "token")
        stale = tok.last_used_at is None or now - _utc(tok.last_used_at) >= TOUCH_EVERY
        token_id = tok.id
    if stale:
        with db.write() as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return current


def _current(session: Session, user: User, via: str) -> CurrentUser:
    projects = frozenset() if user.role == ADMIN else _projects_of(session, user.id)
    return CurrentUser(user.id, user.name, user.display_name, user.role, projects, via)


# --- web sessions and login ---------------------------------------------------------------------------


def session_user(db: Database, cookie: str, now: dt.datetime | None = None) -> tuple[CurrentUser, str, str] | None:
    """(the user, the session id, its CSRF token) for a session cookie, or None; slides the expiry."""
    if not cookie or len(cookie) > 200:
        return None
    now = _utc(now)
    sid = sha256_hex(cookie)
    with db.read() as session:
        row = session.execute(
            select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.id == sid)
        ).one_or_none()
        if row is None:
            return None
        ws, user = row
        if not user.active or _utc(ws.expires_at) <= now or _utc(ws.created_at) + SESSION_MAX <= now:
            return None
        current = _current(session, user, "session")
        csrf = ws.csrf_token
        stale = now - _utc(ws.last_seen_at) >= TOUCH_EVERY
    if stale:
        with db.write() as session:
            session.execute(
                update(WebSession).where(WebSession.id == sid).values(last_seen_at=now, expires_at=now + SESSION_IDLE)
            )
    return current, sid, csrf


def _recent_failures(session: Session, name: str, now: dt.datetime) -> int:
    """Failed logins of this name since its last successful one, within the lockout window."""
    actions = session.scalars(
        select(AuditEvent.action)
        .where(
            AuditEvent.target == name,
            AuditEvent.action.in_(("login", "login_failed")),
            AuditEvent.at >= now - LOCKOUT_WINDOW,
        )
        .order_by(AuditEvent.id.desc())
        .limit(LOCKOUT_FAILURES)
    ).all()
    n = 0
    for action in actions:
        if action != "login_failed":
            break
        n += 1
    return n


def login(db: Database, name: str, password: str, *, client: str = "", now: dt.datetime | None = None) -> LoginResult:
    """Check a name and password; on success open a session. Raises LoginFailed with a Chinese message."""
    name = name.strip()[:80]
    if not name or not password:
        raise LoginFailed("请输入用户名和密码")
    now = _utc(now)
    with db.read() as session:
        if _recent_failures(session, name, now) >= LOCKOUT_FAILURES:
            locked = True
            user = None
        else:
            locked = False
            user = session.scalar(select(User).where(User.name == name))
    if locked:
        _fail(db, name, "locked", client, now)
        raise LoginFailed(LOCKED_OUT)
    # a missing user costs the same argon2 verification as a wrong password
    ok = verify_password(user.password_hash if user else dummy_hash(), password)
    if user is None or not ok or not user.active:
        _fail(db, name, "unknown_user" if user is None else ("wrong_password" if not ok else "disabled"), client, now)
        raise LoginFailed(LOGIN_FAILED)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    new_hash = rehash(password) if needs_rehash(user.password_hash) else None
    with db.write() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                id=sha256_hex(cookie),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + SESSION_IDLE,
                last_seen_at=now,
            )
        )
        if new_hash:
            session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
        record_event(session, "login", name, actor=name, client=client, at=now)
        current = _current(session, user, "session")
    return LoginResult(current, cookie, csrf)


def _fail(db: Database, name: str, reason: str, client: str, now: dt.datetime) -> None:
    with db.write() as session:
        record_event(session, "login_failed", name, actor=name, client=client, detail={"reason": reason}, at=now)


def logout(
    db: Database, session_id: str, user: CurrentUser, *, client: str = "", now: dt.datetime | None = None
) -> None:
    with db.write() as session:
        session.execute(delete(WebSession).where(WebSession.id == session_id))
        record_event(session, "logout", user.name, actor=user.name, client=client, at=_utc(now))


def change_own_password(
    db: Database,
    user: CurrentUser,
    current: str,
    new: str,
    *,
    session_id: str | None,
    client: str = "",
    now: dt.datetime | None = None,
) -> None:
    """A user changes their own password (the current one is checked); their other sessions end."""
    with db.read() as session:
        stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    if stored is None or not verify_password(stored, current):
        raise AccountError("当前密码不正确", "current")
    with db.write() as session:
        set_password(session, user.name, new, keep_session=session_id, actor=user.name, client=client, now=now)
