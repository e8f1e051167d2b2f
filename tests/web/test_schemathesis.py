"""A short schemathesis run against the published OpenAPI description: no request makes a 5xx.

Every operation of ``/api/openapi.json`` gets a few generated requests (valid and invalid bodies,
query values and ids), sent with a clinician's token to an app on a fresh SQLite store that holds
one case; whatever they contain, the answer must not be a server error.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES_PER_OPERATION = 15


def test_no_generated_request_makes_a_server_error(app: Any, client: Any, auth: Any, case_doc: dict[str, Any]):
    headers = auth("clinician")
    assert client.post("/api/cases", json=case_doc, headers=headers).status_code == 201
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        exercise()
    assert failures == []
