"""HTML board report of a plan (self-contained: inline CSS, figures as data URIs, no scripts, no network).

Needs Jinja2 (the ``report`` extra); without it the report stops with a message naming it. The
figures need matplotlib; without it the report says they were left out.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from nenliver.case.model import Case
from nenliver.case.summary import case_summary
from nenliver.errors import DependencyError
from nenliver.report.figures import figures_available, plan_figures

__all__ = ["CLI_FULL_HINT", "FILTERS", "environment", "plan_context", "render_html", "source_keys", "template_loader"]

#: How to get the whole trace from the command line (shown in the board view).
CLI_FULL_HINT = "nenliver plan CASE --html FILE --full"


def _jinja() -> Any:
    try:
        import jinja2
    except ImportError as exc:  # the optional 'report' extra is not installed
        raise DependencyError(
            f"HTML and PDF reports need Jinja2 ({exc}); install it with pip install 'nenliver[report]'"
        ) from None
    return jinja2


def template_loader() -> Any:
    """The loader of the report templates (the web app shows the same plan body)."""
    return _jinja().PackageLoader("nenliver.report", "templates")


def source_keys(citations: list[str]) -> str:
    """``"CAZZATO21:section 2; NETTER1:Abstract"`` → ``"CAZZATO21, NETTER1"`` (the board view's short form).

    Examples
    --------
    >>> source_keys(["CAZZATO21:Table 1", "NETTER1:Abstract", "CAZZATO21:section 6"])
    'CAZZATO21, NETTER1'
    """
    keys = dict.fromkeys(c.split(":", 1)[0].strip() for c in citations)
    return ", ".join(keys)


#: Filters the plan templates use (the web app registers them too).
FILTERS = {"source_keys": source_keys}


@cache
def environment() -> Any:
    """The Jinja2 environment of the report templates (autoescaped)."""
    jinja2 = _jinja()
    env = jinja2.Environment(
        loader=template_loader(),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def plan_context(
    plan: dict[str, Any], full: bool = False, case: Case | None = None, full_hint: str = CLI_FULL_HINT
) -> dict[str, Any]:
    """What the plan body template needs: the plan, the case summary and the figures."""
    return {
        "plan": plan,
        "full": full,
        "summary": case_summary(case) if case is not None else None,
        "figures": plan_figures(plan),
        "figures_missing": not figures_available(),
        "full_hint": full_hint,
        "fmt_gy": format_gy,
    }


def format_gy(value: float | None) -> str:
    """A dose for reading (two decimals, Gy), or ``unknown``.

    Examples
    --------
    >>> format_gy(16.799999999999997), format_gy(None)
    ('16.80 Gy', 'unknown')
    """
    return "unknown" if value is None else f"{value:.2f} Gy"


def render_html(plan: dict[str, Any], full: bool = False, case: Case | None = None) -> str:
    """The plan@1 object as a printable HTML page: the board view, or with ``full`` the whole trace.

    With ``case`` the report opens with the case summary.
    """
    text: str = environment().get_template("plan.html.j2").render(**plan_context(plan, full, case))
    return text
