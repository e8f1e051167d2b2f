"""The JSON API: sign-in and roles, revisions, validation, plans, decisions, meetings, audit."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import text

from nenliver.case import case_from_data
from nenliver.service import plan_case
from nenliver.web import api, pages
from support.web import PASSWORD, login

BOTH = pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _create(client: Any, headers: dict[str, str], doc: dict[str, Any]) -> int:
    response = client.post("/api/cases", json=doc, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["revision"] == 1
    return int(response.json()["id"])


# ---------------------------------------------------------------------------------------------
# sign-in and roles


def test_health_answers_without_sign_in(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["schema_revision"] == "0001" and body["knowledge_base"]["sha256"]


def _routes(app: Any) -> list[tuple[str, str]]:
    """Every route of the app: its own, the API's and the pages' (routers keep the full paths)."""
    found = []
    for route in [*app.routes, *api.router.routes, *pages.router.routes]:
        if not isinstance(route, APIRoute):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        found += [(method, path) for method in sorted(route.methods)]
    return found


def test_every_endpoint_but_health_and_login_needs_sign_in(app, client):
    open_routes = {("GET", "/health"), ("GET", "/login"), ("POST", "/login"), ("POST", "/api/token")}
    routes = _routes(app)
    assert len(routes) > 30
    for method, path in routes:
        if (method, path) in open_routes:
            continue
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.status_code)
        if path.startswith("/api/"):
            assert response.headers["www-authenticate"] == "Bearer"
        else:  # a page: the login form, so a browser can sign in and come back
            assert 'name="login_token"' in response.text


def test_a_bad_or_unknown_token_is_401(client):
    assert client.get("/api/cases", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    response = client.post("/api/token", data={"username": "clinician", "password": "wrong password!"})
    assert response.status_code == 401
    assert client.post("/api/token", data={"username": "nobody", "password": PASSWORD}).status_code == 401


def test_five_failed_logins_lock_the_account(client):
    for _ in range(5):
        client.post("/api/token", data={"username": "clinician", "password": "not the password"})
    locked = client.post("/api/token", data={"username": "clinician", "password": PASSWORD})
    assert locked.status_code == 401
    assert client.post("/api/token", data={"username": "physicist", "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("viewer", set()), ("physicist", {"case"}), ("clinician", {"case", "decision", "meeting"})],
)
def test_roles_limit_what_a_user_may_write(client, auth, case_doc, role, allowed):
    case_id = _create(client, auth("admin"), case_doc)
    headers = auth(role)
    attempts = {
        "case": client.put(f"/api/cases/{case_id}", json=case_doc, headers=headers),
        "decision": client.post(
            f"/api/cases/{case_id}/decision",
            json={"chosen_option": "ablation", "participants": ["A"], "decided_on": "2026-01-05"},
            headers=headers,
        ),
        "meeting": client.post("/api/meetings", json={"date": "2026-01-05", "title": "Board"}, headers=headers),
    }
    for name, response in attempts.items():
        if name in allowed:
            assert response.status_code in (200, 201), (name, response.text)
        else:
            assert response.status_code == 403, (name, response.text)
    assert client.get(f"/api/cases/{case_id}", headers=headers).status_code == 200  # everyone reads


def test_only_an_admin_reads_the_whole_audit_trail(client, auth):
    assert client.get("/api/audit", headers=auth("clinician")).status_code == 403
    assert client.get("/api/audit/verify", headers=auth("clinician")).status_code == 403
    assert client.get("/api/audit", headers=auth("admin")).status_code == 200


def test_a_session_cookie_write_needs_the_csrf_token(client, case_doc):
    csrf = login(client, "clinician")
    refused = client.post("/api/cases", json=case_doc)
    assert refused.status_code == 403 and "security token" in refused.json()["detail"]
    accepted = client.post("/api/cases", json=case_doc, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201


# ---------------------------------------------------------------------------------------------
# cases and revisions


@BOTH
def test_a_case_is_never_overwritten(client, auth, case_doc):
    headers = auth("clinician")
    case_id = _create(client, headers, case_doc)
    changed = {**case_doc, "patient": {**case_doc["patient"], "age_years": 61}}
    response = client.put(f"/api/cases/{case_id}?comment=birthday", json=changed, headers=headers)
    assert response.json() == {"id": case_id, "revision": 2}
    latest = client.get(f"/api/cases/{case_id}", headers=headers).json()
    first = client.get(f"/api/cases/{case_id}?revision=1", headers=headers).json()
    assert latest["revision"] == 2 and latest["case"]["patient"]["age_years"] == 61 and latest["comment"] == "birthday"
    assert first["revision"] == 1 and first["case"] == case_doc
    history = client.get(f"/api/cases/{case_id}/revisions", headers=headers).json()
    assert [r["revision"] for r in history] == [2, 1]
    assert client.get(f"/api/cases/{case_id}?revision=3", headers=headers).status_code == 404


@BOTH
def test_a_revision_based_on_a_stale_one_is_refused(client, auth, case_doc):
    headers = auth("clinician")
    case_id = _create(client, headers, case_doc)
    assert client.put(f"/api/cases/{case_id}?base_revision=1", json=case_doc, headers=headers).status_code == 200
    stale = client.put(f"/api/cases/{case_id}?base_revision=1", json=case_doc, headers=headers)
    assert stale.status_code == 409 and "not the latest" in stale.json()["detail"]


def test_a_case_reference_in_use_is_a_conflict(client, auth, case_doc):
    _create(client, auth("clinician"), case_doc)
    assert client.post("/api/cases", json=case_doc, headers=auth("clinician")).status_code == 409


def test_a_revision_cannot_name_another_case(client, auth, case_doc):
    case_id = _create(client, auth("clinician"), case_doc)
    other = {**case_doc, "id": "someone-else"}
    assert client.put(f"/api/cases/{case_id}", json=other, headers=auth("clinician")).status_code == 409


@pytest.mark.parametrize(
    ("change", "path", "word"),
    [
        ({"patient": {"age_years": -3}}, "patient.age_years", "range"),
        ({"patient": {"age_yeras": 60}}, "patient.age_yeras", "did you mean 'age_years'"),
        ({"decision_date": "2021-02-30"}, "decision_date", "date"),
        ({"labs": {"bilirubin": {"value": 0.7, "unit": "mg/L"}}}, "labs.bilirubin", "unit"),
    ],
)
def test_an_invalid_case_is_422_with_the_cli_field_path(client, auth, case_doc, change, path, word):
    body = {**case_doc, **change}
    response = client.post("/api/cases", json=body, headers=auth("clinician"))
    assert response.status_code == 422
    problems = response.json()["detail"]
    hit = [p for p in problems if p["path"].startswith(path)]
    assert hit, problems
    assert word in (hit[0]["msg"] + " " + (hit[0]["expected"] or ""))
    assert hit[0]["loc"][0] == "body" and hit[0]["type"] == "invalid_input"
    assert client.get("/api/cases", headers=auth("clinician")).json()["total"] == 0  # nothing stored


def test_a_lesion_error_names_its_list_index(client, auth, case_doc):
    case_doc["liver"]["lesions"][1]["diameter_mm"] = "big"
    problems = client.post("/api/cases", json=case_doc, headers=auth("clinician")).json()["detail"]
    assert problems[0]["path"] == "liver.lesions[1].diameter_mm"
    assert problems[0]["loc"] == ["body", "liver", "lesions", 1, "diameter_mm"]


def test_hostile_bodies_are_refused_before_anything_is_stored(client, auth, case_doc):
    headers = {**auth("clinician"), "Content-Type": "application/json"}
    duplicate = '{"format": "nenliver/case@1", "id": "a", "id": "b"}'
    response = client.post("/api/cases", content=duplicate, headers=headers)
    assert response.status_code == 422 and "duplicate" in json.dumps(response.json()).lower()
    alias = "format: nenliver/case@1\nid: &x a\nlabel: *x\n"
    assert client.post("/api/cases", content=alias, headers=headers).status_code == 422
    assert client.post("/api/cases", content=b"\xff\xfe", headers=headers).status_code == 400
    assert client.post("/api/cases", content=b"x" * 1_000_001, headers=headers).status_code == 413
    assert client.post("/api/cases", content='{"format": NaN}', headers=headers).status_code == 422
    assert client.get("/api/cases", headers=auth("clinician")).json()["total"] == 0


def test_a_yaml_body_is_read_like_a_case_file(client, auth):
    yaml_case = "format: nenliver/case@1\nid: yaml-case\ndecision_date: 2021-06-01\npatient: {age_years: 50}\n"
    headers = {**auth("clinician"), "Content-Type": "application/yaml"}
    response = client.post("/api/cases", content=yaml_case, headers=headers)
    assert response.status_code == 201
    stored = client.get(f"/api/cases/{response.json()['id']}", headers=auth("clinician")).json()["case"]
    assert stored["decision_date"] == "2021-06-01"


def test_search_finds_cases_by_reference_and_summary(client, auth, case_doc):
    headers = auth("clinician")
    _create(client, headers, case_doc)
    _create(client, headers, {**case_doc, "id": "PANC-7", "tumour": {**case_doc["tumour"], "primary_site": "pancreas"}})
    assert client.get("/api/cases?q=panc", headers=headers).json()["total"] == 1
    assert client.get("/api/cases?q=small intestine", headers=headers).json()["total"] == 1
    assert client.get("/api/cases?q=_", headers=headers).json()["total"] == 0  # LIKE wildcards are literal


# ---------------------------------------------------------------------------------------------
# plans and reports


@BOTH
def test_the_plan_is_the_service_layers_plan(client, auth, case_doc):
    headers = auth("viewer")
    case_id = _create(client, auth("clinician"), case_doc)
    first = client.get(f"/api/cases/{case_id}/plan", headers=headers)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    expected = plan_case(case_from_data(case_doc)).to_json_dict()
    assert first.json() == expected
    assert client.get(f"/api/cases/{case_id}/plan", headers=headers).json() == expected  # from the cache


def test_reports_carry_the_versions_and_the_notice(client, auth, case_doc):
    case_id = _create(client, auth("clinician"), case_doc)
    html = client.get(f"/api/cases/{case_id}/report.html", headers=auth("viewer"))
    assert html.status_code == 200 and "For clinician review" in html.text
    assert "knowledge base" in html.text and "<h2>Case</h2>" in html.text
    assert "script-src" not in html.headers["content-security-policy"]
    pdf = client.get(f"/api/cases/{case_id}/report.pdf", headers=auth("viewer"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]


# ---------------------------------------------------------------------------------------------
# decisions, meetings and minutes


def _decision(**changes: Any) -> dict[str, Any]:
    return {"chosen_option": "ablation", "participants": ["Dr A", "Dr B"], "decided_on": "2026-01-05", **changes}


def test_a_decision_the_engine_recommends_is_no_deviation(client, auth, case_doc):
    headers = auth("clinician")
    case_id = _create(client, headers, case_doc)
    plan = client.get(f"/api/cases/{case_id}/plan", headers=headers).json()
    recommended = plan["pathway"]["preferred"][0]
    response = client.post(f"/api/cases/{case_id}/decision", json=_decision(chosen_option=recommended), headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["deviation"] is False and body["engine"]["recommended"] == plan["pathway"]["preferred"]
    assert body["engine"]["knowledge_base_sha256"] == plan["knowledge_base"]["sha256"]


def test_a_deviation_needs_a_coded_reason(client, auth, case_doc):
    headers = auth("clinician")
    case_id = _create(client, headers, case_doc)
    plan = client.get(f"/api/cases/{case_id}/plan", headers=headers).json()
    ruled_out = next(o["therapy"] for o in plan["options"] if o["status"] in ("contraindicated", "not_indicated"))
    refused = client.post(f"/api/cases/{case_id}/decision", json=_decision(chosen_option=ruled_out), headers=headers)
    assert refused.status_code == 422 and refused.json()["detail"][0]["path"] == "deviation_reasons"
    other = _decision(chosen_option=ruled_out, deviation_reasons=["other"])
    assert client.post(f"/api/cases/{case_id}/decision", json=other, headers=headers).json()["detail"][0]["path"] == (
        "deviation_text"
    )
    accepted = client.post(
        f"/api/cases/{case_id}/decision",
        json=_decision(chosen_option=ruled_out, deviation_reasons=["patient_preference"], deviation_text="asked"),
        headers=headers,
    )
    assert accepted.status_code == 201 and accepted.json()["deviation"] is True
    assert accepted.json()["reason_labels"] == ["Patient's preference"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"chosen_option": "homeopathy"}, "chosen_option"),
        ({"participants": []}, "participants"),
        ({"decided_on": "2999-01-01"}, "decided_on"),
        ({"deviation_reasons": ["whim"]}, "deviation_reasons"),
        ({"revision": 9}, ""),
        ({"shouted": True}, "shouted"),
    ],
)
def test_an_invalid_decision_is_refused(client, auth, case_doc, change, path):
    case_id = _create(client, auth("clinician"), case_doc)
    response = client.post(f"/api/cases/{case_id}/decision", json=_decision(**change), headers=auth("clinician"))
    assert response.status_code in (404, 422), response.text
    if response.status_code == 422:
        assert response.json()["detail"][0]["path"] == path


@BOTH
def test_meeting_minutes_show_decisions_beside_the_engine(client, auth, case_doc):
    headers = auth("clinician")
    case_id = _create(client, headers, case_doc)
    meeting = client.post(
        "/api/meetings", json={"date": "2026-01-05", "title": "Liver board", "participants": ["Dr A"]}, headers=headers
    ).json()
    agenda = client.post(f"/api/meetings/{meeting['id']}/agenda", json={"case_id": case_id}, headers=headers)
    assert agenda.status_code == 201 and agenda.json()["agenda"][0]["case_id"] == case_id
    assert (
        client.post(f"/api/meetings/{meeting['id']}/agenda", json={"case_id": case_id}, headers=headers).status_code
        == 409
    )
    client.post(
        f"/api/cases/{case_id}/decision",
        json=_decision(
            chosen_option="best_supportive_care", deviation_reasons=["patient_preference"], meeting_id=meeting["id"]
        ),
        headers=headers,
    )
    later = client.post("/api/meetings", json={"date": "2026-03-02", "title": "Follow-up"}, headers=headers).json()
    client.post(f"/api/meetings/{later['id']}/agenda", json={"case_id": case_id}, headers=headers)
    minutes = client.get(f"/api/meetings/{meeting['id']}/minutes.html", headers=auth("viewer")).text
    assert "Best supportive care" in minutes and "Patient&#39;s preference" in minutes
    assert "Deviation from the engine" in minutes and "chain intact" in minutes
    follow_up = client.get(f"/api/meetings/{later['id']}/minutes.html", headers=auth("viewer")).text
    assert "No decision recorded at this meeting" in follow_up and "Earlier decisions: 2026-01-05" in follow_up
    pdf = client.get(f"/api/meetings/{meeting['id']}/minutes.pdf", headers=auth("viewer"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# ---------------------------------------------------------------------------------------------
# audit trail


def test_every_read_and_write_of_a_case_is_audited(client, auth, case_doc):
    case_id = _create(client, auth("clinician"), case_doc)
    client.get(f"/api/cases/{case_id}", headers=auth("viewer"))
    client.get(f"/api/cases/{case_id}/plan", headers=auth("viewer"))
    client.get(f"/api/cases/{case_id}/report.html", headers=auth("physicist"))
    entries = client.get(f"/api/audit?case={case_id}", headers=auth("viewer")).json()["entries"]
    seen = [(e["user"], e["action"]) for e in reversed(entries)]
    assert seen == [
        ("clinician", "case.create"),
        ("viewer", "case.read"),
        ("viewer", "plan.read"),
        ("physicist", "report.html"),
    ]


@BOTH
def test_audit_verification_finds_a_tampered_row(client, auth, case_doc, store):
    case_id = _create(client, auth("clinician"), case_doc)
    for _ in range(3):
        client.get(f"/api/cases/{case_id}", headers=auth("viewer"))
    report = client.get("/api/audit/verify", headers=auth("admin")).json()
    assert report["ok"] is True and report["entries"] >= 6
    with store.engine.begin() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text("UPDATE audit_log SET username = 'mallory' WHERE id = 3"))
    # Someone with the database's owner rights removes the guard and edits a row:
    with store.engine.begin() as connection:
        if store.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET username = 'mallory' WHERE id = 3"))
    broken = client.get("/api/audit/verify", headers=auth("admin")).json()
    assert broken["ok"] is False and broken["first_bad_id"] == 3 and "hash" in broken["reason"]


def test_the_openapi_description_needs_sign_in_and_names_the_case_body(client, auth):
    assert client.get("/api/openapi.json").status_code == 401
    schema = client.get("/api/openapi.json", headers=auth("viewer")).json()
    body = schema["paths"]["/api/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Case"}
    assert "Lesion" in schema["components"]["schemas"]
