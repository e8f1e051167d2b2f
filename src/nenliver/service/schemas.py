"""JSON Schemas of every input and output format, generated from the models.

``nenliver schema NAME`` prints them; ``docs/formats/schemas/NAME.schema.json`` holds the committed
copies, kept in sync by a test (regenerate with ``scripts/schemas``).
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

__all__ = ["SCHEMAS", "json_schema"]

#: Schema name → (module, model, format id, title).
SCHEMAS: dict[str, tuple[str, str, str, str]] = {
    "case": ("nenliver.case.model", "Case", "nenliver/case@1", "case format (input of nenliver plan)"),
    "plan": ("nenliver.service.contracts", "Plan", "nenliver/plan@1", "plan (nenliver plan --json)"),
    "sirt": ("nenliver.dosimetry.model", "SirtPlan", "nenliver/sirt@1", "SIRT dosimetry plan (input of nenliver sirt)"),
    "sirt-result": (
        "nenliver.dosimetry.model",
        "SirtResult",
        "nenliver/sirt-result@1",
        "SIRT dosimetry result (nenliver sirt --json)",
    ),
    "prrt": (
        "nenliver.dosimetry.prrt.model",
        "PrrtPlan",
        "nenliver/prrt@1",
        "PRRT dosimetry plan (input of nenliver prrt)",
    ),
    "prrt-result": (
        "nenliver.dosimetry.prrt.model",
        "PrrtResult",
        "nenliver/prrt-result@1",
        "PRRT dosimetry result (nenliver prrt --json)",
    ),
    "dose": (
        "nenliver.service.reports",
        "VoxelDoseReport",
        "nenliver/voxel-dose@1",
        "voxel dosimetry (nenliver dose voxel --json)",
    ),
    "margin": (
        "nenliver.service.reports",
        "MarginReport",
        "nenliver/ablation-margin@1",
        "ablative margin (nenliver ablation margin --json)",
    ),
    "simulation": (
        "nenliver.service.reports",
        "SimulationReport",
        "nenliver/ablation-simulation@1",
        "predicted ablation zone (nenliver ablation simulate --json)",
    ),
    "ablation-plan": (
        "nenliver.service.reports",
        "AblationPlanReport",
        "nenliver/ablation-plan@1",
        "needle plans per lesion (nenliver ablation plan --json)",
    ),
    "decision": (
        "nenliver.service.decisions",
        "DecisionInput",
        "nenliver/decision@1",
        "board decision (POST /api/cases/{id}/decision)",
    ),
    "rules": (
        "nenliver.service.rules",
        "RuleCatalogue",
        "nenliver/rules@1",
        "rule catalogue (nenliver rules list --json)",
    ),
}


def model_of(name: str) -> type[BaseModel]:
    """The pydantic model behind schema ``name``."""
    module, model, _, _ = SCHEMAS[name]
    found: type[BaseModel] = getattr(importlib.import_module(module), model)
    return found


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of format ``name``, with its ``$id`` and title."""
    if name == "case":
        from nenliver.case import case_json_schema

        return case_json_schema()
    _, _, format_id, title = SCHEMAS[name]
    schema = model_of(name).model_json_schema()
    short = format_id.split("/", 1)[1]
    schema["$id"] = f"https://nenliver.org/schema/{short}.json"
    schema["title"] = f"nenliver {title} ({format_id})"
    return schema
