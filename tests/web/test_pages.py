"""The pages: sign-in, the case form with inline errors, revisions, decisions and meetings."""

from __future__ import annotations

import re
from typing import Any

from nenliver.web import caseform
from support.web import PASSWORD, csrf_of, login


def _form_of(doc: dict[str, Any], csrf: str, **extra: str) -> dict[str, Any]:
    values, _ = caseform.values_from_document(doc)
    return {**values, "csrf_token": csrf, "mode": "form", **extra}


def test_the_login_page_signs_in_and_out(client):
    assert client.get("/").status_code == 401
    csrf = login(client, "clinician")
    home = client.get("/")
    assert home.status_code == 200 and "clinician (clinician)" in home.text
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/").status_code == 401


def test_a_wrong_password_or_a_forged_login_form_is_refused(client):
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    wrong = client.post("/login", data={"login_token": token, "username": "clinician", "password": "nope nope nope"})
    assert wrong.status_code == 401 and "not accepted" in wrong.text
    client.cookies.clear()
    forged = client.post("/login", data={"login_token": token, "username": "clinician", "password": PASSWORD})
    assert forged.status_code == 403


def test_a_login_never_redirects_off_the_site(client):
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login",
        data={"login_token": token, "username": "viewer", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_pages_carry_a_nonce_csp_and_no_script(client):
    login(client, "viewer")
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'nonce="{nonce}"' in page.text and "<script" not in page.text
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_a_form_post_without_the_csrf_token_is_refused(client, case_doc):
    login(client, "clinician")
    response = client.post("/cases/new", data=_form_of(case_doc, "wrong"))
    assert response.status_code == 403
    assert client.get("/api/cases", headers={}).status_code == 200  # still signed in, nothing stored
    assert client.get("/api/cases").json()["total"] == 0


def test_the_case_form_shows_each_problem_beside_its_input(client, case_doc):
    csrf = login(client, "clinician")
    case_doc["patient"]["age_years"] = 300
    case_doc["liver"]["lesions"][1]["diameter_mm"] = 0
    response = client.post("/cases/new", data=_form_of(case_doc, csrf))
    assert response.status_code == 422
    assert "Not saved: 2 problems" in response.text
    age_input = response.text.index('name="patient.age_years"')
    assert "out of range" in response.text[age_input : age_input + 600]
    lesion_input = response.text.index('name="liver.lesions[1].diameter_mm"')
    assert 'class="error"' in response.text[lesion_input : lesion_input + 600]
    assert 'value="300"' in response.text  # what was typed stays in the form
    assert client.get("/api/cases").json()["total"] == 0


def test_a_case_entered_in_the_form_is_planned_and_revised(client, case_doc):
    csrf = login(client, "clinician")
    created = client.post("/cases/new", data=_form_of(case_doc, csrf, comment="first look"), follow_redirects=False)
    assert created.status_code == 303
    case_url = created.headers["location"]
    plan = client.get(case_url)
    assert plan.status_code == 200 and "Pathway:" in plan.text and "Why</summary>" in plan.text
    edit = client.get(case_url + "/edit")
    assert 'name="base_revision" value="1"' in edit.text
    changed = {**case_doc, "patient": {**case_doc["patient"], "ecog": 2}}
    revised = client.post(
        case_url + "/edit",
        data=_form_of(changed, csrf, base_revision="1", comment="ECOG now 2"),
        follow_redirects=False,
    )
    assert revised.status_code == 303
    history = client.get(case_url + "/history?a=1&b=2")
    assert "ECOG now 2" in history.text and "+  ecog: 2" in history.text
    stale = client.post(case_url + "/edit", data=_form_of(changed, csrf, base_revision="1"))
    assert stale.status_code == 409 and "not the latest" in stale.text


def test_a_case_file_can_be_imported(client, case_doc):
    import json

    csrf = login(client, "physicist")
    response = client.post(
        "/cases/new",
        data={"csrf_token": csrf, "mode": "import"},
        files={"file": ("case.json", json.dumps(case_doc), "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    again = client.post("/cases/new", data={"csrf_token": csrf, "mode": "import", "document": json.dumps(case_doc)})
    assert again.status_code == 422 and "exists already" in again.text


def test_a_viewer_sees_no_write_actions(client, auth, case_doc):
    case_id = client.post("/api/cases", json=case_doc, headers=auth("clinician")).json()["id"]
    login(client, "viewer")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "Record decision" not in page.text and "Revise" not in page.text
    assert client.get("/cases/new").status_code == 403


def test_a_meeting_steps_through_its_cases_and_records_decisions(client, auth, case_doc):
    case_id = client.post("/api/cases", json=case_doc, headers=auth("clinician")).json()["id"]
    csrf = login(client, "clinician")
    made = client.post(
        "/meetings",
        data={"csrf_token": csrf, "date": "2026-01-05", "title": "Liver board", "participants": "Dr A\nDr B"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    meeting_url = made.headers["location"]
    meeting_id = int(meeting_url.rsplit("/", 1)[1])
    added = client.post(
        meeting_url + "/agenda", data={"csrf_token": csrf, "case_id": str(case_id)}, follow_redirects=False
    )
    assert added.status_code == 303
    step = client.get(f"{meeting_url}/step/1")
    assert step.status_code == 200 and "case 1 of 1" in step.text and "Dr A\nDr B" in step.text
    engine = re.search(r"<strong>Engine:</strong>", step.text)
    assert engine
    plan = client.get(f"/api/cases/{case_id}/plan").json()
    ruled_out = next(
        o["therapy"] for o in plan["options"] if o["status"] == "contraindicated" or o["status"] == "not_indicated"
    )
    form = {
        "csrf_token": csrf,
        "chosen_option": ruled_out,
        "decided_on": "2026-01-05",
        "participants": "Dr A\nDr B",
        "revision": "1",
        "meeting_id": str(meeting_id),
        "step": "1",
    }
    refused = client.post(f"/cases/{case_id}/decision", data=form)
    assert refused.status_code == 422 and "deviation_reasons" in refused.text
    accepted = client.post(
        f"/cases/{case_id}/decision", data={**form, "deviation_reasons": "clinical_trial"}, follow_redirects=False
    )
    assert accepted.status_code == 303 and accepted.headers["location"].endswith("/step/1?saved=1")
    assert "Decision recorded (deviation from the engine)" in client.get(accepted.headers["location"]).text
    agenda = client.get(meeting_url)
    assert "(deviation)" in agenda.text


def test_the_audit_pages(client, auth, case_doc):
    case_id = client.post("/api/cases", json=case_doc, headers=auth("clinician")).json()["id"]
    login(client, "viewer")
    assert "case.create" in client.get(f"/cases/{case_id}/audit").text
    assert client.get("/audit").status_code == 403
    client.cookies.clear()
    login(client, "admin")
    whole = client.get("/audit")
    assert whole.status_code == 200 and "intact" in whole.text


def test_csrf_of_reads_the_logout_form(client):
    login(client, "viewer")
    assert len(csrf_of(client.get("/meetings").text)) > 20
