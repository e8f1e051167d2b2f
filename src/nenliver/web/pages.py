"""The pages of the board app: server-rendered HTML, no scripts, usable on a projector.

Case list and search, the case form (generated from the case model) and import, the plan view
(the same body as the board report), revision history with changes, the decision form, meetings
with a step-through view, and the audit trail. Every page parses the request, calls
:mod:`nenliver.web.workflow` in one transaction and renders a template; every form carries the
session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import secrets
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.errors import InputError, Problem
from nenliver.guideline.loader import load_knowledge_base
from nenliver.report.html import FILTERS, plan_context, template_loader
from nenliver.service.decisions import board_codes, decision_from_data, engine_recommendation
from nenliver.store import ConflictError, NotFoundError, Store, audit, cases, meetings, users
from nenliver.web import caseform, workflow
from nenliver.web.auth import LOGIN_COOKIE, SESSION_COOKIE, Principal, authorise
from nenliver.web.inputs import MeetingInput, OptionalRecordId, RecordId, validated
from nenliver.web.settings import WebSettings

__all__ = ["page_error", "render", "router"]

router = APIRouter(include_in_schema=False)
_FULL_HINT = "the “Full trace” button"
_MAX_FORM_FIELDS = 5000


@cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("nenliver.web", "templates"), template_loader()]),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def _csp(nonce: str) -> str:
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def render(request: Request, template: str, who: Principal | None, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``template`` with the layout's context and a per-response CSP nonce."""
    nonce = secrets.token_urlsafe(16)
    html = (
        _environment()
        .get_template(template)
        .render(
            who=who,
            nonce=nonce,
            notice=CLINICIAN_REVIEW_NOTICE,
            version=__version__,
            kb_version=load_knowledge_base().version,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": _csp(nonce)})


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def _local(target: str) -> str:
    """Only a path of this site may follow a login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def login_page(request: Request, status: int = 401, message: str = "") -> HTMLResponse:
    """The login form, with a fresh double-submit token in a cookie."""
    token = secrets.token_urlsafe(32)
    next_url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.url.path in ("/login", "/logout"):
        next_url = "/"
    response = render(request, "login.html.j2", None, status, login_token=token, next_url=next_url, message=message)
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_settings(request).secure_cookies, max_age=3600
    )
    return response


def page_error(request: Request, status: int, message: str) -> HTMLResponse:
    if status == 401:
        return login_page(request, 401, "")
    headings = {403: "Not allowed", 404: "Not found", 409: "Conflict", 413: "Too large", 422: "Invalid input"}
    return render(request, "error.html.j2", None, status, heading=headings.get(status, "Error"), message=message)


async def _form(request: Request) -> FormData:
    """A form without files (the case import reads its upload itself and closes it)."""
    async with request.form(max_fields=_MAX_FORM_FIELDS, max_files=0) as form:
        return form


def _multi(form: FormData) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


def _first(form: Mapping[str, Sequence[str]], key: str) -> str:
    values = form.get(key) or [""]
    return values[-1]


# ---------------------------------------------------------------------------------------------
# sign in and out


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return login_page(request, 200)


@router.post("/login")
async def login(request: Request) -> Response:
    form = _multi(await _form(request))
    sent = _first(form, "login_token")
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not sent or not cookie or not secrets.compare_digest(sent.encode(), cookie.encode()):
        return login_page(request, 403, "The sign-in form expired: please try again.")
    username, password = _first(form, "username")[:64], _first(form, "password")[:1024]
    result = await run_in_threadpool(_login, request, username, password)
    if result is None:
        return login_page(request, 401, "User name or password not accepted.")
    response = RedirectResponse(_local(_first(form, "next") or "/"), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result,
        httponly=True,
        samesite="lax",
        secure=_settings(request).secure_cookies,
        max_age=int(_settings(request).policy.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _login(request: Request, username: str, password: str) -> str | None:
    policy = _settings(request).policy
    with _store(request).transaction() as db:
        user = users.authenticate(db, username, password, policy)
        if user is None:
            audit.append(db, username or "?", "login.failed", detail={"via": "page"})
            return None
        secret, _ = users.create_session(db, user, policy)
        audit.append(db, user.username, "login")
        return secret


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = _multi(await _form(request))

    def work() -> None:
        with _store(request).transaction() as db:
            who = authorise(db, request, "read", csrf=_first(form, "csrf_token"))
            users.end_session(db, request.cookies.get(SESSION_COOKIE, ""))
            audit.append(db, who.username, "logout")

    await run_in_threadpool(work)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---------------------------------------------------------------------------------------------
# cases


@router.get("/")
def case_list(request: Request, q: str = "") -> HTMLResponse:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        found, total = cases.search_cases(db, q[:200])
    workflow.audited(store, who, "case.search", detail={"query": q[:200], "results": total})
    return render(request, "cases.html.j2", who, found=found, total=total, q=q[:200])


def _edit_page(
    request: Request,
    who: Principal,
    *,
    heading: str,
    action: str,
    doc: Mapping[str, Any] | None = None,
    form: Mapping[str, Sequence[str]] | None = None,
    problems: Sequence[Problem] = (),
    index_maps: Mapping[str, Mapping[int, int]] | None = None,
    base_revision: int | None = None,
    status: int = 200,
    cancel: str | None = None,
    document: str = "",
    import_errors: Sequence[str] = (),
) -> HTMLResponse:
    if form is not None:
        values: dict[str, Any] = {k: (v if k.endswith(("visible_on",)) else v[-1]) for k, v in form.items()}
        counts = _row_counts(form)
    else:
        values, counts = caseform.values_from_document(doc or {})
    errors, general = caseform.field_errors(list(problems), index_maps)
    return render(
        request,
        "case_edit.html.j2",
        who,
        status,
        heading=heading,
        action=action,
        sections=caseform.form_sections(),
        values=values,
        counts=counts,
        errors=errors,
        field_count=sum(len(v) for v in errors.values()),
        general_errors=general,
        base_revision=base_revision,
        comment=_first(form, "comment") if form else "",
        cancel=cancel,
        document=document,
        import_errors=list(import_errors),
    )


def _row_counts(form: Mapping[str, Sequence[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for section in caseform.form_sections():
        for _title, path, _columns in section.tables:
            rows = [int(k[len(path) + 1 :].split("]", 1)[0]) for k in form if k.startswith(path + "[")]
            counts[path] = (max(rows) + 1 if rows else 0) + (0 if rows else caseform.BLANK_ROWS)
    return counts


@router.get("/cases/new")
def new_case_form(request: Request) -> HTMLResponse:
    with _store(request).read() as db:
        who = authorise(db, request, "write_case")
    return _edit_page(request, who, heading="New case", action="/cases/new", doc={}, cancel="/")


async def _upload_text(form: FormData) -> str:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(2_000_001)
        if len(data) > 2_000_000:
            raise InputError("upload", [Problem("file", "larger than 2 MB", "a case file of a few kilobytes")])
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("upload", [Problem("file", "not UTF-8 text", "a YAML or JSON case file")]) from None
    text = form.get("document")
    return text if isinstance(text, str) else ""


@router.post("/cases/new")
async def create_case_page(request: Request) -> Response:
    async with request.form(max_fields=_MAX_FORM_FIELDS, max_files=1) as raw:
        form = _multi(raw)
        try:
            text = await _upload_text(raw) if _first(form, "mode") == "import" else None
        except InputError as exc:
            return await run_in_threadpool(_import_failed, request, form, "", exc)
    if text is not None:
        return await run_in_threadpool(_import, request, form, text)
    return await run_in_threadpool(_create_from_form, request, form)


def _import_failed(request: Request, form: dict[str, list[str]], text: str, exc: InputError) -> HTMLResponse:
    with _store(request).read() as db:
        who = authorise(db, request, "write_case", csrf=_first(form, "csrf_token"))
    return _edit_page(
        request,
        who,
        heading="New case",
        action="/cases/new",
        doc={},
        status=422,
        cancel="/",
        document=text,
        import_errors=[str(p) for p in exc.problems],
    )


def _import(request: Request, form: dict[str, list[str]], text: str) -> Response:
    try:
        case, data = workflow.parse_case(text, "imported case")
    except InputError as exc:
        return _import_failed(request, form, text, exc)
    return _save_new(request, form, case, data)


def _save_new(request: Request, form: dict[str, list[str]], case: Any, data: dict[str, Any]) -> Response:
    try:
        with _store(request).transaction() as db:
            who = authorise(db, request, "write_case", csrf=_first(form, "csrf_token"))
            revision = workflow.create_case(db, who, case, data, _first(form, "comment")[:500])
    except ConflictError as exc:
        return _import_failed(request, form, "", InputError("case", [Problem("id", str(exc), "a new case reference")]))
    return RedirectResponse(f"/cases/{revision.case_id}", status_code=303)


def _create_from_form(request: Request, form: dict[str, list[str]]) -> Response:
    doc, index_maps = caseform.document_from_form(form)
    try:
        case, data = workflow.parse_case(json.dumps(doc), "case form")
    except InputError as exc:
        with _store(request).read() as db:
            who = authorise(db, request, "write_case", csrf=_first(form, "csrf_token"))
        return _edit_page(
            request,
            who,
            heading="New case",
            action="/cases/new",
            form=form,
            problems=exc.problems,
            index_maps=index_maps,
            status=422,
            cancel="/",
        )
    try:
        with _store(request).transaction() as db:
            who = authorise(db, request, "write_case", csrf=_first(form, "csrf_token"))
            revision = workflow.create_case(db, who, case, data, _first(form, "comment")[:500])
    except ConflictError as exc:
        with _store(request).read() as db:
            who = authorise(db, request, "write_case", csrf=_first(form, "csrf_token"))
        return _edit_page(
            request,
            who,
            heading="New case",
            action="/cases/new",
            form=form,
            problems=[Problem("id", str(exc), "a new case reference")],
            status=409,
            cancel="/",
        )
    return RedirectResponse(f"/cases/{revision.case_id}", status_code=303)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: RecordId, revision: OptionalRecordId = None, full: int = 0) -> HTMLResponse:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        view = workflow.plan_of(db, case_id, revision)
        decided = [workflow.decision_dict(d) for d in cases.decisions(db, case_id)]
    workflow.audited(store, who, "plan.view", case_id=case_id, revision=view.revision.revision)
    return render(
        request,
        "case_plan.html.j2",
        who,
        record=view.record,
        revision=view.revision,
        decisions=decided,
        **plan_context(view.plan_data, bool(full), view.case, _FULL_HINT),
    )


@router.get("/cases/{case_id}/edit")
def edit_case_form(request: Request, case_id: RecordId) -> HTMLResponse:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "write_case")
        record, row = workflow.read_case(db, case_id)
    workflow.audited(store, who, "case.edit", case_id=case_id, revision=row.revision)
    return _edit_page(
        request,
        who,
        heading=f"Revise case {record.case_ref} (revision {row.revision + 1})",
        action=f"/cases/{case_id}/edit",
        doc=cases.document_of(row),
        base_revision=row.revision,
        cancel=f"/cases/{case_id}",
    )


@router.post("/cases/{case_id}/edit")
async def edit_case(request: Request, case_id: RecordId) -> Response:
    form = _multi(await _form(request))
    return await run_in_threadpool(_revise_from_form, request, case_id, form)


def _revise_from_form(request: Request, case_id: RecordId, form: dict[str, list[str]]) -> Response:
    doc, index_maps = caseform.document_from_form(form)
    base = _first(form, "base_revision")
    expected = int(base) if base.isdigit() else None
    problems: list[Problem] = []
    status = 422
    try:
        case, data = workflow.parse_case(json.dumps(doc), "case form")
    except InputError as exc:
        problems = exc.problems
    if not problems:
        try:
            with _store(request).transaction() as db:
                who = authorise(db, request, "write_case", csrf=_first(form, "csrf_token"))
                workflow.revise_case(db, who, case_id, case, data, _first(form, "comment")[:500], expected)
            return RedirectResponse(f"/cases/{case_id}", status_code=303)
        except ConflictError as exc:
            problems, status = [Problem("", str(exc), None)], 409
    with _store(request).read() as db:
        who = authorise(db, request, "write_case", csrf=_first(form, "csrf_token"))
        record = cases.get_case(db, case_id)
    return _edit_page(
        request,
        who,
        heading=f"Revise case {record.case_ref}",
        action=f"/cases/{case_id}/edit",
        form=form,
        problems=problems,
        index_maps=index_maps,
        base_revision=expected,
        status=status,
        cancel=f"/cases/{case_id}",
    )


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str]]:
    a = yaml.safe_dump(dict(old), sort_keys=False, allow_unicode=True).splitlines()
    b = yaml.safe_dump(dict(new), sort_keys=False, allow_unicode=True).splitlines()
    out = []
    for line in difflib.unified_diff(a, b, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"
        out.append((kind, line))
    return out


@router.get("/cases/{case_id}/history")
def history_page(
    request: Request, case_id: RecordId, a: OptionalRecordId = None, b: OptionalRecordId = None
) -> HTMLResponse:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        record = cases.get_case(db, case_id)
        rows = cases.revisions(db, case_id)
        diff = None
        if a is not None and b is not None:
            old, new = cases.get_revision(db, case_id, a), cases.get_revision(db, case_id, b)
            diff = _diff(cases.document_of(old), cases.document_of(new))
    workflow.audited(store, who, "case.history", case_id=case_id, detail={"diff": [a, b]} if diff is not None else {})
    return render(request, "history.html.j2", who, record=record, revisions=rows, diff=diff, a=a, b=b)


@router.get("/cases/{case_id}/audit")
def case_audit_page(request: Request, case_id: RecordId, before: OptionalRecordId = None) -> HTMLResponse:
    with _store(request).read() as db:
        who = authorise(db, request, "read")
        record = cases.get_case(db, case_id)
        rows = audit.entries(db, case_id=case_id, limit=500, before_id=before)
    return render(request, "audit.html.j2", who, record=record, entries=rows, limit=500, verification=None)


@router.get("/audit")
def audit_page(request: Request, before: OptionalRecordId = None) -> HTMLResponse:
    with _store(request).read() as db:
        who = authorise(db, request, "admin")
        rows = audit.entries(db, limit=500, before_id=before)
        verification = audit.verify(db)
    return render(request, "audit.html.j2", who, record=None, entries=rows, limit=500, verification=verification)


# ---------------------------------------------------------------------------------------------
# decisions and meetings


def _decision_page(
    request: Request,
    who: Principal,
    view: workflow.PlanView,
    db: Any,
    *,
    form: Mapping[str, Any] | None = None,
    errors: Sequence[str] = (),
    saved: Any = None,
    step: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    decided = [workflow.decision_dict(d) for d in cases.decisions(db, view.record.id)]
    defaults = {
        "chosen_option": "",
        "decided_on": dt.date.today().isoformat(),
        "participants": "\n".join(step["meeting"]["participants"]) if step else "",
        "also": [],
        "deviation_reasons": [],
        "deviation_text": "",
        "notes": "",
    }
    return render(
        request,
        "decision.html.j2",
        who,
        status,
        record=view.record,
        revision=view.revision,
        engine=engine_recommendation(view.plan),
        labels=workflow.therapy_labels(),
        reasons=board_codes()["deviation_reasons"],
        form={**defaults, **(form or {})},
        errors=list(errors),
        saved=saved,
        decisions=decided,
        step=step,
        show_plan=step is not None,
        **plan_context(view.plan_data, False, view.case, _FULL_HINT),
    )


@router.get("/cases/{case_id}/decision")
def decision_form(request: Request, case_id: RecordId, revision: OptionalRecordId = None) -> HTMLResponse:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        view = workflow.plan_of(db, case_id, revision)
        page = _decision_page(request, who, view, db)
    workflow.audited(store, who, "decision.form", case_id=case_id, revision=view.revision.revision)
    return page


def _decision_data(form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "chosen_option": _first(form, "chosen_option"),
        "decided_on": _first(form, "decided_on"),
        "participants": [p.strip() for p in _first(form, "participants").splitlines() if p.strip()],
        "also": [a for a in form.get("also", []) if a],
        "deviation_reasons": [r for r in form.get("deviation_reasons", []) if r],
        "deviation_text": _first(form, "deviation_text"),
        "notes": _first(form, "notes"),
    }
    for key in ("revision", "meeting_id"):
        value = _first(form, key)
        if value:
            data[key] = int(value) if value.isdigit() else value
    return data


@router.post("/cases/{case_id}/decision")
async def record_decision_page(request: Request, case_id: RecordId) -> Response:
    form = _multi(await _form(request))
    return await run_in_threadpool(_record_decision, request, case_id, form)


def _step_context(db: Any, meeting_id: RecordId, index: int) -> dict[str, Any] | None:
    meeting = meetings.get_meeting(db, meeting_id)
    agenda = meetings.agenda(db, meeting_id)
    if not 1 <= index <= len(agenda):
        return None
    return {
        "meeting": meetings.as_dict(meeting),
        "index": index,
        "total": len(agenda),
        "case_id": agenda[index - 1][1].id,
    }


def _record_decision(request: Request, case_id: RecordId, form: dict[str, list[str]]) -> Response:
    data = _decision_data(form)
    step_index = _first(form, "step")
    shown = {
        **data,
        "participants": _first(form, "participants"),
    }
    store = _store(request)
    csrf = _first(form, "csrf_token")
    try:
        with store.read() as db:
            authorise(db, request, "decide", csrf=csrf)
            decision = decision_from_data(data, "decision form")
            view = workflow.plan_of(db, case_id, decision.revision)
        with store.transaction() as db:
            who = authorise(db, request, "decide", csrf=csrf)
            workflow.record_decision(db, who, view, decision)
        if decision.meeting_id is not None and step_index.isdigit():
            return RedirectResponse(f"/meetings/{decision.meeting_id}/step/{int(step_index)}?saved=1", status_code=303)
        suffix = f"?revision={decision.revision}" if decision.revision else ""
        return RedirectResponse(f"/cases/{case_id}{suffix}", status_code=303)
    except InputError as exc:
        errors = [str(p) for p in exc.problems]
    with store.read() as db:
        who = authorise(db, request, "decide", csrf=csrf)
        revision = data.get("revision") if isinstance(data.get("revision"), int) else None
        view = workflow.plan_of(db, case_id, revision)
        step = None
        meeting_id = data.get("meeting_id")
        if isinstance(meeting_id, int) and step_index.isdigit():
            step = _step_context(db, meeting_id, int(step_index))
        page = _decision_page(request, who, view, db, form=shown, errors=errors, step=step, status=422)
    workflow.audited(store, who, "decision.form", case_id=case_id, revision=view.revision.revision)
    return page


@router.get("/meetings")
def meetings_page(request: Request) -> HTMLResponse:
    with _store(request).read() as db:
        who = authorise(db, request, "read")
        found = [meetings.as_dict(m) for m in meetings.list_meetings(db)]
    return render(request, "meetings.html.j2", who, found=found, form={}, errors=[])


@router.post("/meetings")
async def create_meeting_page(request: Request) -> Response:
    form = _multi(await _form(request))
    return await run_in_threadpool(_create_meeting, request, form)


def _create_meeting(request: Request, form: dict[str, list[str]]) -> Response:
    data = {
        "date": _first(form, "date"),
        "title": _first(form, "title"),
        "participants": [p.strip() for p in _first(form, "participants").splitlines() if p.strip()],
    }
    with _store(request).transaction() as db:
        who = authorise(db, request, "meeting", csrf=_first(form, "csrf_token"))
        try:
            meeting_in = validated(data, MeetingInput, "meeting form")
        except InputError as exc:
            found = [meetings.as_dict(m) for m in meetings.list_meetings(db)]
            shown = {**data, "participants": _first(form, "participants")}
            return render(
                request, "meetings.html.j2", who, 422, found=found, form=shown, errors=[str(p) for p in exc.problems]
            )
        meeting = workflow.create_meeting(
            db, who, date=meeting_in.date.isoformat(), title=meeting_in.title, participants=meeting_in.participants
        )
    return RedirectResponse(f"/meetings/{meeting.id}", status_code=303)


def _meeting_page(
    request: Request, who: Principal, db: Any, meeting_id: RecordId, errors: Sequence[str] = (), status: int = 200
) -> HTMLResponse:
    meeting = meetings.get_meeting(db, meeting_id)
    agenda = meetings.agenda(db, meeting_id)
    on_agenda = {case.id for _, case in agenda}
    candidates = [c for c in cases.search_cases(db, "", limit=500)[0] if c.id not in on_agenda]
    decided = {}
    for d in cases.decisions(db, meeting_id=meeting_id):
        decided[d.case_id] = workflow.decision_dict(d)
    return render(
        request,
        "meeting.html.j2",
        who,
        status,
        meeting=meetings.as_dict(meeting),
        agenda=agenda,
        candidates=candidates,
        decided=decided,
        errors=list(errors),
    )


@router.get("/meetings/{meeting_id}")
def meeting_page(request: Request, meeting_id: RecordId) -> HTMLResponse:
    with _store(request).read() as db:
        who = authorise(db, request, "read")
        return _meeting_page(request, who, db, meeting_id)


@router.post("/meetings/{meeting_id}/agenda")
async def add_to_agenda_page(request: Request, meeting_id: RecordId) -> Response:
    form = _multi(await _form(request))

    def work() -> Response:
        case_id = _first(form, "case_id")
        with _store(request).transaction() as db:
            who = authorise(db, request, "meeting", csrf=_first(form, "csrf_token"))
            if not case_id.isdigit():
                return _meeting_page(request, who, db, meeting_id, ["choose a case to add"], 422)
            try:
                workflow.add_to_agenda(db, who, meeting_id, int(case_id))
            except ConflictError as exc:
                return _meeting_page(request, who, db, meeting_id, [str(exc)], 409)
        return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)

    return await run_in_threadpool(work)


@router.get("/meetings/{meeting_id}/step/{index}")
def meeting_step(request: Request, meeting_id: RecordId, index: RecordId, saved: int = 0) -> HTMLResponse:
    store = _store(request)
    with store.read() as db:
        who = authorise(db, request, "read")
        step = _step_context(db, meeting_id, index)
        if step is None:
            raise NotFoundError(f"meeting {meeting_id} has no agenda item {index}")
        view = workflow.plan_of(db, step["case_id"])
        here = [d for d in cases.decisions(db, step["case_id"]) if d.meeting_id == meeting_id]
        page = _decision_page(
            request, who, view, db, step=step, saved=workflow.decision_dict(here[-1]) if saved and here else None
        )
    workflow.audited(store, who, "meeting.step", case_id=step["case_id"], revision=view.revision.revision)
    return page
