"""The prefetch an EHR would send to the CDS Hooks service for a case (tests and benchmark)."""

from __future__ import annotations

import copy
from typing import Any

from nenliver.case import case_from_data
from nenliver.fhir.exporter import bundle_from_case


def prefetch_for(case_doc: dict[str, Any]) -> dict[str, Any]:
    """The prefetch an EHR would send for the case (searchset bundles by resource type)."""
    bundle = bundle_from_case(case_from_data(case_doc))
    resources = [copy.deepcopy(e["resource"]) for e in bundle["entry"]]
    for i, resource in enumerate(resources):
        resource["id"] = f"r{i}"
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    for resource in resources:
        for key in ("subject", "patient"):
            if key in resource:
                resource[key] = {"reference": f"Patient/{patient['id']}"}

    def search(kind: str) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources if r["resourceType"] == kind],
        }

    return {
        "patient": patient,
        "conditions": search("Condition"),
        "observations": search("Observation"),
        "procedures": search("Procedure"),
        "medications": search("MedicationStatement"),
        "allergies": search("AllergyIntolerance"),
    }
