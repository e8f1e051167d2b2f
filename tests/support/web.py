"""Signing in to the board app from a test client."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "correct horse battery staple"


def login(client: Any, role: str) -> str:
    """Sign in through the login page; returns the session's CSRF token (from a page's form)."""
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = client.post(
        "/login",
        data={"login_token": token.group(1), "username": role, "password": PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
