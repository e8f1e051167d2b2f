"""Users, roles, passwords, API tokens and browser sessions.

* Passwords are hashed with Argon2id (argon2-cffi's defaults, rehashed when those change).
* Five failed logins in a row lock an account for 15 minutes; the message never says whether the
  user name exists.
* API tokens and session cookies are 256-bit random secrets; only their SHA-256 is stored, so a
  copy of the database does not let anyone in.

Roles (what each may do is :data:`PERMISSIONS`):

=========  ==========================================================================
admin      everything, including the whole audit trail and its verification
clinician  read; enter and revise cases; record board decisions; run meetings
physicist  read; enter and revise cases (dosimetry inputs)
viewer     read only
=========  ==========================================================================
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nenliver.errors import InputError, Problem
from nenliver.store.tables import ApiToken, User, WebSession

__all__ = [
    "PERMISSIONS",
    "Role",
    "SecurityPolicy",
    "authenticate",
    "create_session",
    "create_token",
    "create_user",
    "end_session",
    "hash_secret",
    "session_user",
    "token_user",
]


class Role(StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    PHYSICIST = "physicist"
    VIEWER = "viewer"


#: Action → roles allowed to do it.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "read": frozenset(Role),
    "write_case": frozenset({Role.ADMIN, Role.CLINICIAN, Role.PHYSICIST}),
    "decide": frozenset({Role.ADMIN, Role.CLINICIAN}),
    "meeting": frozenset({Role.ADMIN, Role.CLINICIAN}),
    "admin": frozenset({Role.ADMIN}),
}


@dataclass(frozen=True)
class SecurityPolicy:
    """Lifetimes and lock-out of the login (not clinical values; change per site)."""

    token_hours: float = 12.0
    session_hours: float = 12.0
    max_failed_logins: int = 5
    lockout_minutes: float = 15.0
    min_password_length: int = 12
    #: Argon2id cost (argon2-cffi's defaults, RFC 9106's second recommended option).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    def hasher(self) -> PasswordHasher:
        return _hasher(self.argon2_time_cost, self.argon2_memory_kib)


@cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a token or session secret: what the tables store."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_user(db: Session, username: str, password: str, role: str, policy: SecurityPolicy | None = None) -> User:
    """Add a user; refuses a bad name, an unknown role, a short password or a name in use."""
    policy = policy or SecurityPolicy()
    problems = []
    if not _USERNAME.match(username):
        problems.append(Problem("name", f"{username[:40]!r} is not a user name", "letters, digits and . _ @ -"))
    if role not in {r.value for r in Role}:
        problems.append(Problem("role", f"unknown role {role!r}", " | ".join(r.value for r in Role)))
    if len(password) < policy.min_password_length:
        problems.append(Problem("password", "too short", f"at least {policy.min_password_length} characters"))
    if not problems and db.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(Problem("name", f"user {username!r} exists already", "a new user name"))
    if problems:
        raise InputError("users add", problems)
    user = User(
        username=username,
        password_hash=policy.hasher().hash(password),
        role=role,
        created_at=_stamp(_now()),
        disabled=False,
        failed_logins=0,
    )
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, username: str, password: str, policy: SecurityPolicy | None = None) -> User | None:
    """The user if the password is right and the account is usable; counts failures and locks.

    A wrong password, an unknown user, a disabled or a locked account all return ``None`` (the
    caller says the same thing for each). The hash is checked even for an unknown user, so the
    time taken does not tell whether the name exists.
    """
    policy = policy or SecurityPolicy()
    user = db.scalar(select(User).where(User.username == username))
    hasher = policy.hasher()
    stored = user.password_hash if user is not None else _dummy_hash(hasher)
    ok: bool
    try:
        ok = hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if user is None or user.disabled:
        return None
    now = _now()
    if user.locked_until is not None and user.locked_until > _stamp(now):
        return None
    if not ok:
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failed_logins:
            user.locked_until = _stamp(now + timedelta(minutes=policy.lockout_minutes))
            user.failed_logins = 0
        return None
    user.failed_logins = 0
    user.locked_until = None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash to check unknown user names against (so they take as long as known ones)."""
    return hasher.hash(secrets.token_urlsafe(16))


def create_token(db: Session, user: User, policy: SecurityPolicy | None = None) -> tuple[str, int]:
    """A new bearer token for ``user``: the secret (shown once) and its lifetime in seconds."""
    policy = policy or SecurityPolicy()
    secret = secrets.token_urlsafe(32)
    now = _now()
    lifetime = timedelta(hours=policy.token_hours)
    db.add(
        ApiToken(
            token_sha256=hash_secret(secret),
            user_id=user.id,
            created_at=_stamp(now),
            expires_at=_stamp(now + lifetime),
        )
    )
    db.flush()
    return secret, int(lifetime.total_seconds())


def token_user(db: Session, secret: str) -> User | None:
    """The user a bearer token belongs to, if it is valid, unexpired and the user is enabled."""
    row = db.execute(
        select(User, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == hash_secret(secret))
    ).first()
    if row is None or row[1] <= _stamp(_now()) or row[0].disabled:
        return None
    return row[0]


def create_session(db: Session, user: User, policy: SecurityPolicy | None = None) -> tuple[str, str]:
    """A browser session: the cookie secret and the session's CSRF token."""
    policy = policy or SecurityPolicy()
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    db.add(
        WebSession(
            session_sha256=hash_secret(secret),
            user_id=user.id,
            csrf_token=csrf,
            created_at=_stamp(now),
            expires_at=_stamp(now + timedelta(hours=policy.session_hours)),
        )
    )
    db.flush()
    return secret, csrf


def session_user(db: Session, secret: str) -> tuple[User, str] | None:
    """The user and CSRF token of a session cookie, if the session is valid."""
    row = db.execute(
        select(User, WebSession.csrf_token, WebSession.expires_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.session_sha256 == hash_secret(secret))
    ).first()
    if row is None or row[2] <= _stamp(_now()) or row[0].disabled:
        return None
    return row[0], row[1]


def end_session(db: Session, secret: str) -> None:
    """Log out: the session is deleted."""
    db.execute(delete(WebSession).where(WebSession.session_sha256 == hash_secret(secret)))
