"""Settings of one board app instance."""

from __future__ import annotations

from dataclasses import dataclass, field

from nenliver._parsing import MAX_DOCUMENT_BYTES
from nenliver.store.users import SecurityPolicy

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """How the app treats cookies, logins and request bodies.

    ``secure_cookies`` marks the session cookie ``Secure`` (send it over HTTPS only): set it when
    the app is served over HTTPS, as it must be beyond a single workstation (``nenliver serve``
    binds to 127.0.0.1 by default).
    """

    secure_cookies: bool = False
    policy: SecurityPolicy = field(default_factory=SecurityPolicy)
    max_body_bytes: int = MAX_DOCUMENT_BYTES
