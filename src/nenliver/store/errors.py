"""Errors of the case store (the web app maps them to 404 and 409)."""

from __future__ import annotations

from nenliver.errors import NenliverError

__all__ = ["ConflictError", "NotFoundError", "StoreError"]


class StoreError(NenliverError):
    """Something the store cannot do as asked."""


class NotFoundError(StoreError):
    """No such case, revision or meeting."""


class ConflictError(StoreError):
    """The request contradicts what is stored (a case reference in use, a stale revision)."""
