"""docdesk users / tokens: accounts, roles, projects and API tokens from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from app.auth.accounts import (
    AccountError,
    create_token,
    create_user,
    disable_user,
    enable_user,
    list_tokens,
    list_users,
    revoke_token,
    set_password,
)
from app.auth.passwords import generate_password
from app.auth.policy import ROLES, role_label
from app.config import Settings
from app.index.db import Database

# the option a refused value came from, named in the error
_OPTION = {"role": "--role", "project": "--project", "name": "用户名", "password": "密码", "id": "令牌编号"}


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _refused(exc: AccountError) -> int:
    where = _OPTION.get(exc.field, "")
    _err(f"✗ {where}：{exc}" if where else f"✗ {exc}")
    return 1


@contextmanager
def _session(settings: Settings, *, write: bool = False) -> Iterator[Session]:
    """A session on the migrated database: one write transaction, or reads."""
    db = Database(settings.database_url)
    try:
        db.migrate()
        with db.write() if write else db.read() as session:
            yield session
    finally:
        db.dispose()


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """(the password, whether it was generated): one line from stdin with --password-stdin, else random."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(), True


def cmd_users_add(settings: Settings, args: argparse.Namespace) -> int:
    try:
        known = list(settings.load_projects())
    except (OSError, ValueError) as exc:
        _err(f"✗ 读取项目列表失败：{exc}")
        return 2
    password, generated = _password(args)
    try:
        with _session(settings, write=True) as session:
            create_user(
                session,
                args.name,
                args.role,
                password=password,
                projects=args.project or [],
                known_projects=known,
                display_name=args.display_name or "",
            )
    except AccountError as exc:
        return _refused(exc)
    scope = "全部项目" if args.role == "admin" else "项目 " + "、".join(dict.fromkeys(args.project or []))
    _out(f"✓ 已创建用户 {args.name}（{role_label(args.role)}，{scope}）")
    if generated:
        _out(f"初始密码：{password}")
        _out("（只显示这一次；请转交本人，登录后在 /account/password 修改）")
    return 0


def cmd_users_list(settings: Settings, _args: argparse.Namespace) -> int:
    with _session(settings) as session:
        users = list_users(session)
    for u in users:
        projects = "全部项目" if u.role == "admin" else "、".join(u.projects)
        state = "启用" if u.active else "停用"
        _out(
            "\t".join((u.name, u.display_name or "-", role_label(u.role), projects, state, f"{u.created_at:%Y-%m-%d}"))
        )
    _err(f"共 {len(users)} 个用户")
    return 0


def cmd_users_disable(settings: Settings, args: argparse.Namespace) -> int:
    return _change(settings, disable_user, args.name, f"✓ 已停用用户 {args.name}：其登录会话已结束，API 令牌已吊销")


def cmd_users_enable(settings: Settings, args: argparse.Namespace) -> int:
    done = f"✓ 已重新启用用户 {args.name}（原有 API 令牌仍为吊销状态，如需请重新创建）"
    return _change(settings, enable_user, args.name, done)


def _change(settings: Settings, change: Callable[[Session, str], object], name: str, done: str) -> int:
    """One account change in a transaction; a refusal is printed in Chinese with exit status 1."""
    try:
        with _session(settings, write=True) as session:
            change(session, name)
    except AccountError as exc:
        return _refused(exc)
    _out(done)
    return 0


def cmd_users_passwd(settings: Settings, args: argparse.Namespace) -> int:
    password, generated = _password(args)
    try:
        with _session(settings, write=True) as session:
            set_password(session, args.name, password)
    except AccountError as exc:
        return _refused(exc)
    _out(f"✓ 已重设用户 {args.name} 的密码，其登录会话已结束")
    if generated:
        _out(f"新密码：{password}")
        _out("（只显示这一次）")
    return 0


def cmd_tokens_create(settings: Settings, args: argparse.Namespace) -> int:
    try:
        with _session(settings, write=True) as session:
            _id, token = create_token(session, args.name, args.label or "")
    except AccountError as exc:
        return _refused(exc)
    _out(token)  # only the token, once: scripts read it from stdout
    return 0


def cmd_tokens_list(settings: Settings, args: argparse.Namespace) -> int:
    with _session(settings) as session:
        tokens = list_tokens(session, args.name)
    for t in tokens:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "未使用"
        state = f"已吊销 {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "有效"
        _out("\t".join((str(t.id), t.user, t.name or "-", f"{t.created_at:%Y-%m-%d}", used, state)))
    _err(f"共 {len(tokens)} 个令牌")
    return 0


def cmd_tokens_revoke(settings: Settings, args: argparse.Namespace) -> int:
    try:
        with _session(settings, write=True) as session:
            revoke_token(session, args.id)
    except AccountError as exc:
        return _refused(exc)
    _out(f"✓ 已吊销令牌 {args.id}")
    return 0


def register(sub: Any) -> None:
    """Add `users` and `tokens` to the docdesk parser (each subcommand sets func(settings, args) -> int)."""
    roles = "|".join(ROLES)
    p = sub.add_parser("users", help="用户、角色与项目")
    users = p.add_subparsers(dest="users_command", required=True)
    p = users.add_parser("add", help="新建用户（不带 --password-stdin 时生成初始密码并显示一次）")
    p.add_argument("name", help="用户名（登录用）")
    p.add_argument(
        "--role",
        required=True,
        help=f"{roles}：" + "、".join(f"{k} {v}" for k, v in ROLES.items()),
    )
    p.add_argument("--project", action="append", help="所属项目代码（可重复）；管理员不需要，属于全部项目")
    p.add_argument("--display-name", help="姓名（显示用）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    p.set_defaults(func=cmd_users_add)
    p = users.add_parser("list", help="列出用户")
    p.set_defaults(func=cmd_users_list)
    p = users.add_parser("disable", help="停用用户（结束会话、吊销令牌）")
    p.add_argument("name")
    p.set_defaults(func=cmd_users_disable)
    p = users.add_parser("enable", help="重新启用用户")
    p.add_argument("name")
    p.set_defaults(func=cmd_users_enable)
    p = users.add_parser("passwd", help="重设用户密码（结束其会话）")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    p.set_defaults(func=cmd_users_passwd)

    p = sub.add_parser("tokens", help="API 令牌（Authorization: Bearer）")
    tokens = p.add_subparsers(dest="tokens_command", required=True)
    p = tokens.add_parser("create", help="为用户创建 API 令牌：只输出令牌本身，且只这一次")
    p.add_argument("name", help="用户名（令牌以该用户的角色与项目行事）")
    p.add_argument("--label", help="令牌用途说明")
    p.set_defaults(func=cmd_tokens_create)
    p = tokens.add_parser("list", help="列出令牌（不显示令牌本身）")
    p.add_argument("name", nargs="?", help="只列此用户的")
    p.set_defaults(func=cmd_tokens_list)
    p = tokens.add_parser("revoke", help="吊销令牌")
    p.add_argument("id", type=int, help="令牌编号（tokens list 第一列）")
    p.set_defaults(func=cmd_tokens_revoke)
