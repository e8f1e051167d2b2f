"""The minutes of a board meeting: every case's decision beside the engine's recommendation.

The data come from the case store (assembled by the web app, ``GET /api/meetings/{id}/minutes.pdf``);
this module only lays them out. The structure of ``minutes`` is documented in
``docs/web.md`` (section Minutes).
"""

from __future__ import annotations

from typing import Any

from nenliver.report.html import environment
from nenliver.report.pdf import html_to_pdf

__all__ = ["render_minutes_html", "render_minutes_pdf"]


def render_minutes_html(minutes: dict[str, Any]) -> str:
    text: str = environment().get_template("minutes.html.j2").render(m=minutes)
    return text


def render_minutes_pdf(minutes: dict[str, Any]) -> bytes:
    return html_to_pdf(render_minutes_html(minutes))
