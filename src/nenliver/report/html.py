"""HTML board report of a plan (self-contained: inline CSS, no scripts, no network).

Needs Jinja2 (the ``report`` extra); without it the report stops with a message naming it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from nenliver.errors import DependencyError


@cache
def _environment() -> Any:
    try:
        from jinja2 import Environment, PackageLoader, select_autoescape
    except ImportError as exc:  # the optional 'report' extra is not installed
        raise DependencyError(
            f"HTML and PDF reports need Jinja2 ({exc}); install it with pip install 'nenliver[report]'"
        ) from None
    return Environment(
        loader=PackageLoader("nenliver.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(plan: dict[str, Any], full: bool = False) -> str:
    """The plan@1 object as a printable HTML page: the board view, or with ``full`` the whole trace."""
    text: str = _environment().get_template("plan.html.j2").render(plan=plan, full=full)
    return text
