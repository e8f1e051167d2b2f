"""The JSON API of the board app (``/api``): tokens, cases and revisions, plans, reports, decisions,
meetings and the audit trail. Each endpoint parses, calls :mod:`nenliver.web.workflow` (which
calls the service layer) in one transaction, and formats.

Request bodies are read through the same document reader as the command line (size cap, no
duplicate keys, no aliases) and validated by the same models, so an invalid case is a 422 naming
the same field paths ``nenliver plan`` would print.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from nenliver._parsing import parse_document
from nenliver._validation import MAX_RECORD_ID
from nenliver.errors import InputError
from nenliver.service.decisions import DecisionInput, board_codes, decision_from_data
from nenliver.store import Store, audit, cases, meetings, users
from nenliver.web import workflow
from nenliver.web.auth import AuthError, authorise
from nenliver.web.inputs import AgendaInput, MeetingInput, OptionalRecordId, RecordId, validated
from nenliver.web.settings import WebSettings

__all__ = ["read_text", "router"]

router = APIRouter(prefix="/api")
T = TypeVar("T")

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


async def read_text(request: Request) -> str:
    """The request body as text, refused above the size cap or when it is not UTF-8."""
    limit = _settings(request).max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body is larger than {limit} bytes")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise HTTPException(413, f"the body is larger than {limit} bytes")
    try:
        return chunks.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the body is not UTF-8 text") from None


def _body(text: str, what: str) -> Any:
    return parse_document(text, "request body", InputError, what)


async def _in_thread(work: Callable[..., T], *args: Any) -> T:
    """Run blocking work (database, plan, PDF) off the event loop."""
    return await run_in_threadpool(work, *args)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


# ---------------------------------------------------------------------------------------------
# tokens


@router.post("/token", tags=["auth"])
def token(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> JSONResponse:
    """A bearer token for the API (form fields ``username`` and ``password``)."""
    store = _store(request)
    policy = _settings(request).policy
    with store.transaction() as db:
        user = users.authenticate(db, username[:64], password[:1024], policy)
        if user is None:
            audit.append(db, username[:64] or "?", "login.failed", detail={"via": "token"})
        else:
            secret, lifetime = users.create_token(db, user, policy)
            audit.append(db, user.username, "token.issued")
    if user is None:
        raise AuthError(401, "user name or password not accepted")
    return _json({"access_token": secret, "token_type": "bearer", "expires_in": lifetime})


# ---------------------------------------------------------------------------------------------
# cases


def _case_list(request: Request, q: str, limit: int, offset: int) -> dict[str, Any]:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        found, total = cases.search_cases(db, q, limit=limit, offset=offset)
    workflow.audited(store, who, "case.search", detail={"query": q, "results": total})
    return {
        "total": total,
        "cases": [
            {
                "id": c.id,
                "case_ref": c.case_ref,
                "summary": c.summary,
                "latest_revision": c.latest_revision,
                "updated_at": c.updated_at,
            }
            for c in found
        ],
    }


@router.get("/cases", tags=["cases"])
async def list_cases(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> JSONResponse:
    """Cases whose reference or summary contains ``q``, most recently changed first."""
    return _json(await _in_thread(_case_list, request, q, limit, offset))


_CASE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Case"}},
            "application/yaml": {"schema": {"$ref": "#/components/schemas/Case"}},
        },
    }
}


def _create(request: Request, text: str, comment: str) -> dict[str, Any]:
    with _store(request).transaction() as db:
        who = authorise(db, request, "write_case")
        case, data = workflow.parse_case(text)
        revision = workflow.create_case(db, who, case, data, comment)
    workflow.plan_json(case, revision.document_sha256)  # ready for the reads that follow a write
    return {"id": revision.case_id, "revision": revision.revision}


@router.post("/cases", status_code=201, tags=["cases"], openapi_extra=_CASE_BODY)
async def create_case(request: Request, comment: Annotated[str, Query(max_length=500)] = "") -> JSONResponse:
    """Store a new case (case@1 JSON or YAML): 201 with its id and revision 1."""
    text = await read_text(request)
    return _json(await _in_thread(_create, request, text, comment), 201)


def _revise(request: Request, case_id: int, text: str, comment: str, expected: int | None) -> dict[str, Any]:
    with _store(request).transaction() as db:
        who = authorise(db, request, "write_case")
        case, data = workflow.parse_case(text)
        revision = workflow.revise_case(db, who, case_id, case, data, comment, expected)
    workflow.plan_json(case, revision.document_sha256)  # ready for the reads that follow a write
    return {"id": case_id, "revision": revision.revision}


@router.put("/cases/{case_id}", tags=["cases"], openapi_extra=_CASE_BODY)
async def revise_case(
    request: Request,
    case_id: RecordId,
    comment: Annotated[str, Query(max_length=500)] = "",
    base_revision: Annotated[
        int | None, Query(ge=1, description="refuse (409) if this is no longer the latest")
    ] = None,
) -> JSONResponse:
    """A new revision of a case (the earlier ones stay readable)."""
    text = await read_text(request)
    return _json(await _in_thread(_revise, request, case_id, text, comment, base_revision))


def _read(request: Request, case_id: int, revision: int | None) -> dict[str, Any]:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        record, row = workflow.read_case(db, case_id, revision)
    workflow.audited(store, who, "case.read", case_id=case_id, revision=row.revision)
    return {
        "id": record.id,
        "case_ref": record.case_ref,
        "revision": row.revision,
        "latest_revision": record.latest_revision,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "comment": row.comment,
        "sha256": row.document_sha256,
        "case": cases.document_of(row),
    }


@router.get("/cases/{case_id}", tags=["cases"])
async def read_case(request: Request, case_id: RecordId, revision: OptionalRecordId = None) -> JSONResponse:
    """A case: the latest revision, or ``?revision=N``; the document is under ``case``."""
    return _json(await _in_thread(_read, request, case_id, revision))


def _revisions(request: Request, case_id: int) -> list[dict[str, Any]]:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        rows = cases.revisions(db, case_id)
    workflow.audited(store, who, "case.history", case_id=case_id)
    return [
        {
            "revision": r.revision,
            "created_at": r.created_at,
            "created_by": r.created_by,
            "comment": r.comment,
            "sha256": r.document_sha256,
        }
        for r in rows
    ]


@router.get("/cases/{case_id}/revisions", tags=["cases"])
async def list_revisions(request: Request, case_id: RecordId) -> JSONResponse:
    """Every revision of a case, newest first."""
    return _json(await _in_thread(_revisions, request, case_id))


def _viewed(request: Request, case_id: int, revision: int | None, action: str) -> workflow.PlanView:
    """The plan of a revision, its read recorded as ``action``."""
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        view = workflow.plan_of(db, case_id, revision)
    workflow.audited(store, who, action, case_id=case_id, revision=view.revision.revision)
    return view


def _plan(request: Request, case_id: int, revision: int | None) -> str:
    return _viewed(request, case_id, revision, "plan.read").plan_json


@router.get("/cases/{case_id}/plan", tags=["cases"])
async def read_plan(request: Request, case_id: RecordId, revision: OptionalRecordId = None) -> Response:
    """The plan@1 of the latest revision (or ``?revision=N``), with SIRT and ablation details."""
    text = await _in_thread(_plan, request, case_id, revision)
    return Response(text, media_type="application/json")


def _report(
    request: Request, case_id: RecordId, revision: int | None, full: bool, kind: str
) -> tuple[str | bytes, str]:
    from nenliver.report.html import render_html

    view = _viewed(request, case_id, revision, f"report.{kind}")
    html = render_html(view.plan_data, full=full, case=view.case)
    name = f"nenliver-plan-{_safe(view.record.case_ref)}-r{view.revision.revision}"
    if kind == "pdf":
        from nenliver.report.pdf import html_to_pdf

        return html_to_pdf(html), name
    return html, name


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]


@router.get("/cases/{case_id}/report.html", tags=["reports"], response_class=HTMLResponse)
async def report_html(
    request: Request, case_id: RecordId, revision: OptionalRecordId = None, full: bool = False
) -> Response:
    """The board report as a self-contained HTML page."""
    html, _ = await _in_thread(_report, request, case_id, revision, full, "html")
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/cases/{case_id}/report.pdf", tags=["reports"], response_class=Response)
async def report_pdf(
    request: Request, case_id: RecordId, revision: OptionalRecordId = None, full: bool = False
) -> Response:
    """The board report as PDF (WeasyPrint)."""
    pdf, name = await _in_thread(_report, request, case_id, revision, full, "pdf")
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'}
    )


# ---------------------------------------------------------------------------------------------
# decisions


def _decide(request: Request, case_id: int, text: str) -> dict[str, Any]:
    store = _store(request)
    with store.read() as db:
        authorise(db, request, "decide")
        decision: DecisionInput = decision_from_data(_body(text, "a board decision (JSON object)"), "request body")
        view = workflow.plan_of(db, case_id, decision.revision)
    with store.transaction() as db:
        who = authorise(db, request, "decide")
        record, _ = workflow.record_decision(db, who, view, decision)
        return workflow.decision_dict(record)


_DECISION_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecisionInput"}}},
    }
}


@router.post("/cases/{case_id}/decision", status_code=201, tags=["decisions"], openapi_extra=_DECISION_BODY)
async def record_decision(request: Request, case_id: RecordId) -> JSONResponse:
    """Record the board's decision: chosen option, participants, date and, when it differs from
    the engine's recommendation, the coded reasons (``GET /api/decision-codes``)."""
    text = await read_text(request)
    return _json(await _in_thread(_decide, request, case_id, text), 201)


def _decisions(request: Request, case_id: int) -> list[dict[str, Any]]:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        cases.get_case(db, case_id)
        found = [workflow.decision_dict(d) for d in cases.decisions(db, case_id)]
    workflow.audited(store, who, "decision.read", case_id=case_id)
    return found


@router.get("/cases/{case_id}/decisions", tags=["decisions"])
async def list_decisions(request: Request, case_id: RecordId) -> JSONResponse:
    """Every decision recorded for a case, oldest first (a later one supersedes an earlier)."""
    return _json(await _in_thread(_decisions, request, case_id))


def _codes(request: Request) -> dict[str, Any]:
    with _store(request).read() as db:
        authorise(db, request, "read")
    return {"choices": workflow.therapy_labels(), "deviation_reasons": board_codes()["deviation_reasons"]}


@router.get("/decision-codes", tags=["decisions"])
async def decision_codes(request: Request) -> JSONResponse:
    """The options a board can choose and the coded reasons for a deviation."""
    return _json(await _in_thread(_codes, request))


# ---------------------------------------------------------------------------------------------
# meetings


def _create_meeting(request: Request, text: str) -> dict[str, Any]:
    with _store(request).transaction() as db:
        who = authorise(db, request, "meeting")
        meeting_in = validated(_body(text, "a meeting (JSON object)"), MeetingInput, "request body")
        meeting = workflow.create_meeting(
            db, who, date=meeting_in.date.isoformat(), title=meeting_in.title, participants=meeting_in.participants
        )
        return meetings.as_dict(meeting)


_MEETING_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MeetingInput"}}},
    }
}
_AGENDA_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AgendaInput"}}},
    }
}


@router.post("/meetings", status_code=201, tags=["meetings"], openapi_extra=_MEETING_BODY)
async def create_meeting(request: Request) -> JSONResponse:
    """A board meeting: date, title and participants."""
    text = await read_text(request)
    return _json(await _in_thread(_create_meeting, request, text), 201)


def _meetings(request: Request) -> list[dict[str, Any]]:
    with _store(request).read() as db:
        authorise(db, request, "read")
        return [meetings.as_dict(m) for m in meetings.list_meetings(db)]


@router.get("/meetings", tags=["meetings"])
async def list_meetings(request: Request) -> JSONResponse:
    """Meetings, the latest first."""
    return _json(await _in_thread(_meetings, request))


def _meeting(request: Request, meeting_id: int) -> dict[str, Any]:
    with _store(request).read() as db:
        authorise(db, request, "read")
        meeting = meetings.get_meeting(db, meeting_id)
        agenda = [
            {"position": item.position, "case_id": case.id, "case_ref": case.case_ref, "summary": case.summary}
            for item, case in meetings.agenda(db, meeting_id)
        ]
        decided = [workflow.decision_dict(d) for d in cases.decisions(db, meeting_id=meeting_id)]
        return {**meetings.as_dict(meeting), "agenda": agenda, "decisions": decided}


@router.get("/meetings/{meeting_id}", tags=["meetings"])
async def read_meeting(request: Request, meeting_id: RecordId) -> JSONResponse:
    """A meeting with its agenda and the decisions recorded at it."""
    return _json(await _in_thread(_meeting, request, meeting_id))


def _agenda(request: Request, meeting_id: int, text: str) -> dict[str, Any]:
    with _store(request).transaction() as db:
        who = authorise(db, request, "meeting")
        item = validated(_body(text, "an agenda item (JSON object)"), AgendaInput, "request body")
        workflow.add_to_agenda(db, who, meeting_id, item.case_id)
    return _meeting(request, meeting_id)


@router.post("/meetings/{meeting_id}/agenda", status_code=201, tags=["meetings"], openapi_extra=_AGENDA_BODY)
async def add_to_agenda(request: Request, meeting_id: RecordId) -> JSONResponse:
    """Put a case on the agenda (after the cases already there)."""
    text = await read_text(request)
    return _json(await _in_thread(_agenda, request, meeting_id, text), 201)


def _minutes(request: Request, meeting_id: int, kind: str) -> tuple[str | bytes, str]:
    from nenliver.report.minutes import render_minutes_html, render_minutes_pdf

    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        data = workflow.minutes_data(db, who, meeting_id)
    workflow.audited(store, who, f"minutes.{kind}", detail={"meeting_id": meeting_id})
    name = f"nenliver-minutes-{meeting_id}-{data['meeting']['date']}"
    return (render_minutes_pdf(data) if kind == "pdf" else render_minutes_html(data)), name


@router.get("/meetings/{meeting_id}/minutes.pdf", tags=["meetings"], response_class=Response)
async def minutes_pdf(request: Request, meeting_id: RecordId) -> Response:
    """The minutes: every case's decision beside the engine's recommendation, deviations and reasons."""
    pdf, name = await _in_thread(_minutes, request, meeting_id, "pdf")
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'}
    )


@router.get("/meetings/{meeting_id}/minutes.html", tags=["meetings"], response_class=HTMLResponse)
async def minutes_html(request: Request, meeting_id: RecordId) -> Response:
    """The minutes as a self-contained HTML page."""
    html, _ = await _in_thread(_minutes, request, meeting_id, "html")
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


# ---------------------------------------------------------------------------------------------
# audit


def _audit(request: Request, case_id: int | None, limit: int, before: int | None) -> dict[str, Any]:
    with _store(request).read() as db:
        authorise(db, request, "read" if case_id is not None else "admin")
        rows = audit.entries(db, case_id=case_id, limit=limit, before_id=before)
        return {
            "entries": [
                {
                    "id": r.id,
                    "at": r.at,
                    "user": r.username,
                    "action": r.action,
                    "case_id": r.case_id,
                    "revision": r.revision,
                    "detail": json.loads(r.detail),
                    "hash": r.hash,
                    "prev_hash": r.prev_hash,
                }
                for r in rows
            ]
        }


@router.get("/audit", tags=["audit"])
async def read_audit(
    request: Request,
    case: Annotated[
        int | None, Query(ge=1, le=MAX_RECORD_ID, description="one case's entries (any signed-in user)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_RECORD_ID, description="entries older than this id (paging)")
    ] = None,
) -> JSONResponse:
    """The audit trail, newest first: one case's entries, or (admin) all of them."""
    return _json(await _in_thread(_audit, request, case, limit, before))


def _verify(request: Request) -> dict[str, Any]:
    with _store(request).read() as db:
        authorise(db, request, "admin")
        return audit.verify(db).as_dict()


@router.get("/audit/verify", tags=["audit"])
async def verify_audit(request: Request) -> JSONResponse:
    """Walk the hash chain: ``ok`` and the head hash, or the first entry where it breaks (admin)."""
    return _json(await _in_thread(_verify, request))
