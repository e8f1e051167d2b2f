"""The board web app: FastAPI over the case store and the service layer (``nenliver serve``).

:func:`create_app` wires the JSON API (:mod:`nenliver.web.api`), the pages
(:mod:`nenliver.web.pages`), ``/health``, the OpenAPI description (``/api/openapi.json``, signed in)
and the error and security-header handling. The interactive docs pages of FastAPI are off: they
load scripts from the internet, which a hospital network does not allow.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.case.model import Case
from nenliver.guideline.loader import load_knowledge_base
from nenliver.service.decisions import DecisionInput
from nenliver.store import Store
from nenliver.store.migrate import current_revision
from nenliver.web import api, cds, pages
from nenliver.web.auth import authorise
from nenliver.web.errors import install_error_handlers
from nenliver.web.inputs import AgendaInput, MeetingInput
from nenliver.web.settings import WebSettings

__all__ = ["create_app"]

#: Request bodies read by hand (same reader as the CLI) and described in the OpenAPI document.
BODY_MODELS: dict[str, type[BaseModel]] = {
    "Case": Case,
    "DecisionInput": DecisionInput,
    "MeetingInput": MeetingInput,
    "AgendaInput": AgendaInput,
}

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description or "", routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in BODY_MODELS.items():
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[name] = model_schema
    schema["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "a token from POST /api/token"}
    }
    schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def create_app(store: Store, settings: WebSettings | None = None) -> FastAPI:
    """The app, serving ``store``."""
    app = FastAPI(
        title="nenliver board",
        version=__version__,
        description=(
            "Tumour-board decision support for liver-directed therapy of neuroendocrine liver metastases. "
            + CLINICIAN_REVIEW_NOTICE
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.store = store
    app.state.settings = settings or WebSettings()
    app.include_router(api.router)
    app.include_router(cds.router)
    app.include_router(pages.router)
    install_error_handlers(app, pages.page_error)

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        for key, value in _HEADERS.items():
            response.headers.setdefault(key, value)
        # How long the app took, for load tests and browser tools (no content, only a duration).
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    @app.get("/health", tags=["health"])
    async def health() -> JSONResponse:
        """Liveness and what is serving: software, knowledge base, database (no sign-in needed)."""

        def check() -> dict[str, Any]:
            with store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            kb = load_knowledge_base()
            return {
                "status": "ok",
                "version": __version__,
                "knowledge_base": {"version": kb.version, "sha256": kb.sha256},
                "database": store.dialect,
                "schema_revision": current_revision(store.engine),
            }

        return JSONResponse(await run_in_threadpool(check))

    @app.get("/api/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        def work() -> dict[str, Any]:
            with store.transaction() as db:
                authorise(db, request, "read")
            return _openapi(app)

        return JSONResponse(await run_in_threadpool(work))

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
