"""CDS Hooks: discovery, cards (checked against the specification's shapes) and feedback in the audit trail.

The JSON Schemas below transcribe the CDS Hooks specification (cds-hooks.org, current): what is
required and which values are allowed for a service, a card and a feedback item.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from support.cds import prefetch_for

CODING = {
    "type": "object",
    "required": ["code"],
    "properties": {"system": {"type": "string"}, "code": {"type": "string"}, "display": {"type": "string"}},
}
DISCOVERY = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "id", "description"],
                "properties": {
                    "hook": {"type": "string"},
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        }
    },
}
CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string"},
        "summary": {"type": "string", "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string"},
                "url": {"type": "string"},
                "icon": {"type": "string"},
                "topic": CODING,
            },
        },
        "suggestions": {"type": "array"},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "items": CODING},
        "links": {"type": "array"},
    },
}
RESPONSE = {"type": "object", "required": ["cards"], "properties": {"cards": {"type": "array", "items": CARD}}}


def _call(client: Any, headers: dict[str, str], prefetch: dict[str, Any] | None) -> Any:
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"patientId": "r0", "userId": "Practitioner/1"},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return client.post("/cds-services/nenliver-ldt", json=body, headers=headers)


def test_discovery_lists_the_service_with_itsprefetch_for(client, auth):
    assert client.get("/cds-services").status_code == 401
    body = client.get("/cds-services", headers=auth("viewer")).json()
    jsonschema.validate(body, DISCOVERY)
    (service,) = body["services"]
    assert service["id"] == "nenliver-ldt" and service["hook"] == "patient-view"
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"


def test_one_card_per_option_with_indicator_by_status(client, auth, case_doc):
    response = _call(client, auth("viewer"), prefetch_for(case_doc))
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, RESPONSE)
    cards = body["cards"]
    assert len(cards) == 9 and all(len(c["summary"]) < 140 for c in cards)
    plan = client.post("/api/cases", json=case_doc, headers=auth("clinician")).json()
    statuses = {
        o["therapy"]: o["status"]
        for o in client.get(f"/api/cases/{plan['id']}/plan", headers=auth("viewer")).json()["options"]
    }
    expected = {"contraindicated": "critical", "caution": "warning", "needs_data": "warning"}
    for card in cards:
        therapy = card["source"]["topic"]["code"]
        assert card["indicator"] == expected.get(statuses[therapy], "info"), therapy
        assert card["source"]["label"].startswith("nenliver knowledge base") and "10.3390" in card["source"]["url"]
        assert "For clinician review" in card["detail"] and card["overrideReasons"]


def test_a_missing_prefetch_is_a_warning_card_naming_it(client, auth, case_doc):
    prefetch = prefetch_for(case_doc)
    del prefetch["observations"]
    cards = _call(client, auth("viewer"), prefetch).json()["cards"]
    warnings = [c for c in cards if "Prefetch 'observations'" in c["summary"]]
    assert len(warnings) == 1 and warnings[0]["indicator"] == "warning"
    assert len(cards) == 10  # the nine options still come, with the labs unknown
    nothing = _call(client, auth("viewer"), None)
    assert nothing.status_code == 200 and len(nothing.json()["cards"]) == 6  # one per missing prefetch
    jsonschema.validate(nothing.json(), RESPONSE)


def test_a_malformed_call_is_422(client, auth):
    response = client.post(
        "/cds-services/nenliver-ldt", json={"hook": "order-sign", "context": {}}, headers=auth("viewer")
    )
    assert response.status_code == 422 and {p["path"] for p in response.json()["detail"]} >= {"hook", "hookInstance"}


def test_feedback_goes_into_the_audit_trail(client, auth, case_doc):
    cards = _call(client, auth("clinician"), prefetch_for(case_doc)).json()["cards"]
    feedback = {
        "feedback": [
            {"card": cards[0]["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-01-05T10:00:00Z"},
            {
                "card": cards[1]["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-01-05T10:01:00Z",
                "overrideReason": {"reason": cards[1]["overrideReasons"][0], "userComment": "patient declines"},
            },
        ]
    }
    assert (
        client.post("/cds-services/nenliver-ldt/feedback", json=feedback, headers=auth("clinician")).status_code == 200
    )
    entries = client.get("/api/audit", headers=auth("admin")).json()["entries"]
    recorded = [e for e in entries if e["action"] == "cds.feedback"]
    assert {e["detail"]["outcome"] for e in recorded} == {"accepted", "overridden"}
    overridden = next(e for e in recorded if e["detail"]["outcome"] == "overridden")
    assert overridden["detail"]["override_reason"] == "patient_preference" and overridden["user"] == "clinician"
    call = next(e for e in entries if e["action"] == "cds.call")
    assert cards[1]["uuid"] in {c["uuid"] for c in call["detail"]["cards"]}
    bad = client.post(
        "/cds-services/nenliver-ldt/feedback",
        json={"feedback": [{"card": "x", "outcome": "maybe"}]},
        headers=auth("clinician"),
    )
    assert bad.status_code == 422


@pytest.mark.parametrize("key", ["patient", "conditions"])
def test_a_prefetch_of_the_wrong_shape_never_makes_a_server_error(client, auth, case_doc, key):
    prefetch = prefetch_for(case_doc)
    prefetch[key] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Observation", "status": "bogus"}}],
    }
    response = _call(client, auth("viewer"), prefetch)
    assert response.status_code == 200
    assert any(c["indicator"] == "warning" for c in response.json()["cards"])
