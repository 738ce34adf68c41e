"""Passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106 low-memory profile), never the text."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256  # a login with a megabyte of "password" is refused before hashing

_hasher = PasswordHasher()


def set_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (tests use cheap parameters: the defaults cost ~0.1-1 s a hash); returns the old one."""
    global _hasher
    old, _hasher = _hasher, hasher
    return old


class WeakPassword(ValueError):
    """A password the policy refuses; the message is Chinese and names the field."""


def check_password(password: str, label: str = "密码") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"{label}至少需要 {MIN_LENGTH} 个字符（现在 {len(password)} 个）")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"{label}最多 {MAX_LENGTH} 个字符")
    if not password.strip():
        raise WeakPassword(f"{label}不能全是空格")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash; a malformed hash or an oversized password is a mismatch."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def rehash(password: str) -> str:
    """A fresh hash of a password that just verified (no policy check: it was accepted when it was set)."""
    return _hasher.hash(password)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both failures take the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


def generate_password() -> str:
    """A random password to hand over once: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)
