"""Shared fixtures: a complete, realistic case that tests modify one field at a time."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

# CI explores a fixed set of examples (stable results); locally Hypothesis explores at random.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

BASE_CASE: dict[str, Any] = {
    "format": "nenliver/case@1",
    "id": "base",
    "decision_date": "2021-06-01",
    "patient": {"age_years": 60, "sex": "female", "height_cm": 165, "weight_kg": 65, "ecog": 0},
    "tumour": {
        "primary_site": "small_intestine",
        "primary_resected": True,
        "differentiation": "well",
        "ki67_percent": 2,
        "functioning_syndrome": "none",
        "carcinoid_heart_disease": False,
        "ssa_status": "progressing",
        "disease_course": "progressive",
        "extrahepatic_disease": False,
    },
    "imaging": {
        "liver_mri_dwi": True,
        "sstr_pet": {"tracer": "68Ga-DOTATOC", "krenning_score": 4},
        "fdg_pet": {"done": False},
    },
    "liver": {
        "tumour_burden_percent": 10,
        "distribution": "unilobar_right",
        "surgical_indication": False,
        "lesions": [
            {
                "id": "L1",
                "segment": "V",
                "diameter_mm": 14,
                "central": False,
                "nearest_vessel_mm": 20,
                "visible_on": ["us", "ce_ct", "mri", "pet"],
                "progressing": True,
            },
            {
                "id": "L2",
                "segment": "VIII",
                "diameter_mm": 19,
                "central": False,
                "nearest_vessel_mm": 20,
                "visible_on": ["us", "ce_ct", "mri", "pet"],
                "progressing": True,
            },
        ],
    },
    "labs": {
        "bilirubin": {"value": 0.7, "unit": "mg/dL"},
        "albumin": {"value": 4.1, "unit": "g/dL"},
        "inr": 1.0,
        "platelets": {"value": 240, "unit": "10*9/L"},
        "neutrophils": {"value": 4.2, "unit": "10*9/L"},
        "leukocytes": 6.5,
        "haemoglobin": {"value": 13.2, "unit": "g/dL"},
        "creatinine_clearance": {"value": 92, "unit": "mL/min"},
        "date": "2021-05-25",
    },
    "history": {
        "ascites": False,
        "portal_vein_thrombosis": False,
        "bilioenteric_anastomosis": False,
        "sphincterotomy": False,
        "biliary_stent": False,
        "biliary_dilatation": False,
        "irreversible_coagulopathy": False,
        "anaesthesia_contraindicated": False,
        "cardiac_arrhythmia": False,
        "heavy_cardiac_history": False,
        "iodinated_contrast_allergy": False,
        "pre_existing_liver_disease": False,
        "prior_chemotherapy": False,
        "prior_liver_radiotherapy": False,
        "prior_treatments": [],
        "sirt_lung_dose_gy_cumulative": 0,
    },
}


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` (or ``liver.lesions.0.diameter_mm``) in nested dicts/lists; None deletes."""
    parts = dotted.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


@pytest.fixture
def make_case() -> Callable[..., dict[str, Any]]:
    """``make_case(**{"labs.bilirubin": 3.2})`` → a case dict (deep copy of BASE_CASE, edited)."""

    def make(**changes: Any) -> dict[str, Any]:
        data = copy.deepcopy(BASE_CASE)
        for dotted, value in changes.items():
            set_path(data, dotted, value)
        return data

    return make
