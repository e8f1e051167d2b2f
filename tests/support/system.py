"""Tests that need a system program (PostgreSQL, Chromium) skip without it, except in CI.

``.ci/run`` sets ``NENLIVER_REQUIRE_SYSTEM_TESTS=1``: there a missing program fails the test, so
a broken install cannot turn these tests into silent skips.
"""

from __future__ import annotations

import os

import pytest

REQUIRED = bool(os.environ.get("NENLIVER_REQUIRE_SYSTEM_TESTS"))


def missing(what: str) -> None:
    """Skip (or, in CI, fail) because ``what`` is not installed."""
    if REQUIRED:
        pytest.fail(f"{what} is required here (NENLIVER_REQUIRE_SYSTEM_TESTS is set) but not installed")
    pytest.skip(f"{what} is not installed (Debian: apt-get install $(grep -v '^#' scripts/test-system-packages))")
