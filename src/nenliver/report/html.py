"""HTML board report of a plan (self-contained: inline CSS, no scripts, no network)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_ENV = Environment(
    loader=PackageLoader("nenliver.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(plan: dict[str, Any], full: bool = False) -> str:
    """The plan@1 object as a printable HTML page: the board view, or with ``full`` the whole trace."""
    return _ENV.get_template("plan.html.j2").render(plan=plan, full=full)
