"""How the board app answers when something is wrong: one JSON shape for the API, pages for people.

Invalid input is 422 with the same field paths the command line prints::

    {"detail": [{"loc": ["body", "liver", "lesions", 1, "diameter_mm"],
                 "path": "liver.lesions[1].diameter_mm",
                 "msg": "…", "expected": "…", "type": "invalid_input"}],
     "source": "request body"}

(``loc``, ``msg`` and ``type`` as FastAPI's own validation errors, ``path`` and ``expected`` added.)
Unknown ids are 404, a conflict with what is stored 409, a missing sign-in 401 and a role that may
not do something 403.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from nenliver._validation import format_path
from nenliver.errors import DependencyError, InputError, Problem
from nenliver.store.errors import ConflictError, NotFoundError
from nenliver.web.auth import AuthError

__all__ = ["install_error_handlers", "invalid", "is_api", "loc_of", "problems_json"]

_log = logging.getLogger(__name__)
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def loc_of(path: str) -> list[str | int]:
    """``liver.lesions[1].diameter_mm`` → ``["liver", "lesions", 1, "diameter_mm"]``."""
    return [int(index) if index else name for name, index in _PART.findall(path)]


def problems_json(problems: list[Problem], source: str) -> dict[str, Any]:
    return {
        "detail": [
            {
                "loc": ["body", *loc_of(p.path)],
                "path": p.path,
                "msg": p.message,
                "expected": p.expected,
                "type": "invalid_input",
            }
            for p in problems
        ],
        "source": source,
    }


def invalid(exc: InputError) -> JSONResponse:
    return JSONResponse(problems_json(exc.problems, exc.source), status_code=422)


def is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.startswith("/cds-services") or path == "/health"


def install_error_handlers(app: FastAPI, page_error: Any) -> None:
    """Register the handlers; ``page_error(request, status, title, message)`` renders a page."""

    def reply(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        if is_api(request):
            return JSONResponse({"detail": message}, status_code=status, headers=headers)
        response: Response = page_error(request, status, message)
        return response

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return reply(request, exc.status, exc.message, headers)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        if is_api(request):
            return invalid(exc)
        return reply(request, 422, str(exc))

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> Response:
        return reply(request, 404, str(exc))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> Response:
        return reply(request, 409, str(exc))

    @app.exception_handler(DependencyError)
    async def _dependency(request: Request, exc: DependencyError) -> Response:
        _log.error("%s", exc)
        return reply(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            Problem(format_path([p for p in e["loc"] if p not in ("body", "query", "path")]), e["msg"], None)
            for e in exc.errors()
        ]
        if is_api(request):
            return invalid(InputError("request", problems))
        return reply(request, 422, "; ".join(str(p) for p in problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return reply(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))
