"""CDS Hooks endpoints of the board app (``/cds-services``): discovery, the ``nenliver-ldt``
service and its feedback. The EHR signs in with a bearer token of a service account
(``nenliver users add ehr --role viewer``; ``POST /api/token``). Every call and every feedback
item is an audit entry (``cds.call``, ``cds.feedback``), so what the EHR was shown and what the
clinician did with it can be traced.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from nenliver._parsing import parse_document
from nenliver._validation import problems_from_validation_error
from nenliver.errors import InputError
from nenliver.fhir.cds import SERVICE_ID, CdsRequest, FeedbackRequest, cards_for, discovery
from nenliver.store import Store, audit
from nenliver.web import workflow
from nenliver.web.api import read_text
from nenliver.web.auth import authorise

__all__ = ["router"]

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _body(text: str, model: Any) -> Any:
    data = parse_document(text, "request body.json", InputError, "a CDS Hooks request (JSON object)")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError("request body", problems_from_validation_error(exc, model)) from None


@router.get("")
async def services(request: Request) -> JSONResponse:
    """The CDS Hooks discovery document."""

    def work() -> dict[str, Any]:
        with _store(request).read() as db:
            authorise(db, request, "read")
        return discovery()

    return JSONResponse(await run_in_threadpool(work))


@router.post(f"/{SERVICE_ID}")
async def call(request: Request) -> JSONResponse:
    """Cards for the patient in ``context.patientId`` from the prefetched resources."""
    text = await read_text(request)

    def work() -> dict[str, Any]:
        store = _store(request)
        with store.read() as db:
            who = authorise(db, request, "read")
        body: CdsRequest = _body(text, CdsRequest)
        cards, plan = cards_for(body)
        workflow.audited(
            store,
            who,
            "cds.call",
            detail={
                "hookInstance": body.hookInstance,
                "patientId": str(body.context.get("patientId", ""))[:200],
                "knowledge_base": plan.knowledge_base.version if plan else None,
                "cards": [{"uuid": c["uuid"], "indicator": c["indicator"], "summary": c["summary"]} for c in cards],
            },
        )
        return {"cards": cards}

    return JSONResponse(await run_in_threadpool(work))


@router.post(f"/{SERVICE_ID}/feedback")
async def feedback(request: Request) -> JSONResponse:
    """Record what the clinician did with each card (accepted or overridden, and why)."""
    text = await read_text(request)

    def work() -> dict[str, Any]:
        store = _store(request)
        with store.read() as db:
            who = authorise(db, request, "read")
        body: FeedbackRequest = _body(text, FeedbackRequest)
        with store.transaction() as db:
            for item in body.feedback:
                reason = item.overrideReason.reason if item.overrideReason and item.overrideReason.reason else None
                audit.append(
                    db,
                    who.username,
                    "cds.feedback",
                    detail={
                        "card": item.card,
                        "outcome": item.outcome,
                        "override_reason": reason.code if reason else None,
                        "comment": item.overrideReason.userComment if item.overrideReason else None,
                        "at": item.outcomeTimestamp,
                    },
                )
        return {}

    return JSONResponse(await run_in_threadpool(work))
