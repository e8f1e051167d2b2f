"""PDF board report: the HTML report laid out for print by WeasyPrint."""

from __future__ import annotations

from typing import Any

from nenliver.errors import InputError, Problem
from nenliver.report.html import render_html


def render_pdf(plan: dict[str, Any]) -> bytes:
    """The plan@1 object as a PDF document (A4, the same content as the HTML report)."""
    try:
        from weasyprint import HTML
    except ImportError as exc:  # the optional 'report' extra is not installed
        raise InputError(
            "--pdf", [Problem("--pdf", f"PDF output needs WeasyPrint ({exc})", "pip install 'nenliver[report]'")]
        ) from None
    pdf: bytes = HTML(string=render_html(plan)).write_pdf()
    return pdf
