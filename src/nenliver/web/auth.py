"""Who is asking, and may they: bearer tokens for the API, session cookies with CSRF for the pages.

Every request but ``/health`` and the login page needs one of

* ``Authorization: Bearer <token>`` (from ``POST /api/token``), or
* the session cookie set by the login page. A request that changes something with the cookie
  must also carry the session's CSRF token: the ``csrf_token`` form field (pages) or the
  ``X-CSRF-Token`` header (scripts), compared in constant time.

Without either the answer is 401; with a role that may not do the action, 403.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from nenliver.store.users import PERMISSIONS, Role, session_user, token_user

__all__ = ["LOGIN_COOKIE", "SESSION_COOKIE", "AuthError", "Principal", "authorise", "resolve"]

SESSION_COOKIE = "nenliver_session"
#: Double-submit cookie that protects the login form itself (before there is a session).
LOGIN_COOKIE = "nenliver_login"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuthError(Exception):
    """401 (who are you?) or 403 (not allowed); rendered as JSON for the API, a page otherwise."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    via: str  # "token" or "session"
    csrf: str | None = None

    def may(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]


def resolve(db: Session, request: Request) -> Principal | None:
    """The user behind a bearer token or a session cookie, or ``None``."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        user = token_user(db, secret.strip())
        return None if user is None else Principal(user.id, user.username, Role(user.role), "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = session_user(db, cookie)
        if found is not None:
            user, csrf = found
            return Principal(user.id, user.username, Role(user.role), "session", csrf)
    return None


def authorise(db: Session, request: Request, action: str, *, csrf: str | None = None) -> Principal:
    """The principal if it may do ``action``; :class:`AuthError` otherwise.

    ``csrf`` is the token a form sent; scripts send the ``X-CSRF-Token`` header instead.
    """
    principal = resolve(db, request)
    if principal is None:
        raise AuthError(401, "sign in first: a bearer token (POST /api/token) or the login page")
    if principal.via == "session" and request.method not in _SAFE_METHODS:
        sent = csrf if csrf is not None else request.headers.get("x-csrf-token", "")
        if not principal.csrf or not secrets.compare_digest(sent.encode(), principal.csrf.encode()):
            raise AuthError(403, "the form's security token is missing or out of date: reload the page and try again")
    if not principal.may(action):
        raise AuthError(403, f"the role {principal.role.value} may not do this ({action.replace('_', ' ')})")
    return principal
