"""PDF board report: the HTML report laid out for print by WeasyPrint.

WeasyPrint needs system libraries (Pango, HarfBuzz with its subsetter) besides the Python
package. A missing library is reported as :class:`~nenliver.errors.DependencyError` naming it;
warnings WeasyPrint raises while rendering go to the ``nenliver.report.pdf`` logger and never
stop the report.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from nenliver.case.model import Case
from nenliver.errors import DependencyError
from nenliver.report.html import render_html

__all__ = ["SYSTEM_LIBRARIES", "html_to_pdf", "render_pdf"]

_log = logging.getLogger(__name__)

#: Debian packages WeasyPrint needs at run time (``apt-get install`` them; other systems: see the
#: WeasyPrint installation guide).
SYSTEM_LIBRARIES = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0")


def render_pdf(plan: dict[str, Any], full: bool = False, case: Case | None = None) -> bytes:
    """The plan@1 object as a PDF document (A4, the same content as the HTML report).

    Raises
    ------
    nenliver.errors.DependencyError
        When WeasyPrint or one of its system libraries is missing; the message says what to install.
    """
    return html_to_pdf(render_html(plan, full=full, case=case))


def html_to_pdf(html: str) -> bytes:
    """A self-contained HTML page as a PDF (WeasyPrint), with the same error handling."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from weasyprint import HTML
        except ImportError as exc:  # the optional 'report' extra is not installed
            raise DependencyError(
                f"PDF output needs WeasyPrint ({exc}); install it with pip install 'nenliver[report]'"
            ) from None
        except OSError as exc:  # WeasyPrint is installed but a system library is not
            raise DependencyError(
                f"PDF output needs system libraries WeasyPrint could not load ({exc}); on Debian/Ubuntu: "
                f"apt-get install {' '.join(SYSTEM_LIBRARIES)}"
            ) from None
        pdf: bytes = HTML(string=html).write_pdf()
    for item in caught:
        _log.warning("WeasyPrint: %s", item.message)
    return pdf
