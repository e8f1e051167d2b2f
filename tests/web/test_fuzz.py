"""Fuzzing the board app's request bodies: a mutated case, decision or meeting is stored or refused.

Oracle: 201 (stored), 409 (a conflict with what is stored) or 422 whose every problem names a field
path; never a server error, and never a 422 without a path to show beside an input.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from support.fuzz import FUZZ, mutated

WEB_FUZZ = FUZZ.__class__(FUZZ, suppress_health_check=list(HealthCheck))

DECISIONS = [
    {
        "chosen_option": "sirt",
        "also": ["ssa"],
        "participants": ["Dr A", "Dr B"],
        "decided_on": "2026-01-05",
        "deviation_reasons": ["patient_preference"],
        "deviation_text": "asked for it",
        "notes": "",
        "revision": 1,
    }
]
MEETINGS = [{"date": "2026-01-05", "title": "Liver board", "participants": ["Dr A"]}]


def _check(response: Any) -> None:
    assert response.status_code in (200, 201, 404, 409, 422), (response.status_code, response.text[:300])
    if response.status_code == 422:
        problems = response.json()["detail"]
        assert problems and all("path" in p and "msg" in p for p in problems)


def _send(client: Any, method: str, url: str, doc: Any, headers: dict[str, str]) -> Any:
    body = json.dumps(doc, default=str, allow_nan=True)  # NaN and Infinity reach the server as written
    return client.request(method, url, content=body, headers={**headers, "Content-Type": "application/json"})


@WEB_FUZZ
@given(data=st.data())
def test_fuzzed_cases_are_stored_or_refused_with_paths(client, auth, make_case, data) -> None:
    doc = data.draw(mutated([make_case()]))
    _check(_send(client, "POST", "/api/cases", doc, auth("clinician")))


@WEB_FUZZ
@given(data=st.data())
def test_fuzzed_decisions_and_meetings_are_recorded_or_refused_with_paths(client, auth, make_case, data) -> None:
    headers = auth("clinician")
    listing = client.get("/api/cases?q=base", headers=headers).json()
    case_id = (
        listing["cases"][0]["id"]
        if listing["total"]
        else _send(client, "POST", "/api/cases", make_case(), headers).json()["id"]
    )
    _check(_send(client, "POST", f"/api/cases/{case_id}/decision", data.draw(mutated(DECISIONS)), headers))
    _check(_send(client, "POST", "/api/meetings", data.draw(mutated(MEETINGS)), headers))
