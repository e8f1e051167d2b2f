"""Per-lesion modality choice from the seed's zone sizes and the knowledge base's constraints."""

from __future__ import annotations

import pytest

from nenliver.ablation import ModalityConstraints, load_policy, plan_lesion
from nenliver.case.model import Lesion
from nenliver.guideline import load_knowledge_base


@pytest.mark.parametrize(
    ("diameter", "modality", "applicators"),
    [(8, "la", 1), (14, "rfa", 1), (20, "rfa", 1), (25, "mwa", 1), (33, "mwa", 3), (45, "mwa", 3)],
)
def test_modality_follows_size_with_5mm_margin(diameter, modality, applicators):
    plan = plan_lesion(Lesion(id="L", diameter_mm=diameter))
    assert (plan.modality, plan.applicators) == (modality, applicators)
    assert plan.margin_mm is not None and plan.margin_mm >= load_policy().margin_mm


def test_too_large_lesion_gets_no_modality_and_a_reason():
    plan = plan_lesion(Lesion(id="L", diameter_mm=55))
    assert plan.modality is None and "55 mm" in plan.note and "margin" in plan.note


def test_heat_sink_caution_moves_rfa_to_mwa():
    plan = plan_lesion(Lesion(id="L", diameter_mm=14), ModalityConstraints(caution={"rfa": ["ABL-05h"]}))
    assert plan.modality == "mwa" and "ABL-05h" in plan.note


def test_central_lesion_prefers_ire_unless_excluded():
    preferred = ModalityConstraints(preferred={"ire": ["ABL-07"]})
    assert plan_lesion(Lesion(id="L", diameter_mm=15), preferred).modality == "ire"
    both = ModalityConstraints(preferred={"ire": ["ABL-07"]}, excluded={"ire": ["ABL-07b"]})
    assert plan_lesion(Lesion(id="L", diameter_mm=15), both).modality != "ire"


def test_unknown_diameter_is_said_not_guessed():
    plan = plan_lesion(Lesion(id="L"))
    assert plan.modality is None and "unknown" in plan.note


@pytest.mark.parametrize(
    ("visible", "word"), [(["us"], "US"), (["mri", "pet"], "MRI"), (["pet"], "PET/CT"), ([], "re-image")]
)
def test_guidance_by_visibility(visible, word):
    assert word in (plan_lesion(Lesion(id="L", diameter_mm=10, visible_on=visible)).guidance or "")


def test_size_rules_match_device_data():
    """ABL-04..07 state the largest lesion per zone; they must equal zone - 2 x margin of devices.yaml."""
    kb, policy = load_knowledge_base(), load_policy()
    expected = {
        "ABL-04": ("la", 1),
        "ABL-05": ("rfa", 1),
        "ABL-05c": ("rfa", 3),
        "ABL-06": ("mwa", 1),
        "ABL-06c": ("mwa", 3),
        "ABL-07s": ("ire", 4),
    }
    for rule_id, (modality, applicators) in expected.items():
        config = next(c for c in policy.configurations if (c.modality, c.applicators) == (modality, applicators))
        threshold = kb.rule(rule_id).condition.value
        assert threshold == config.zone_max_mm - 2 * policy.margin_mm, rule_id


def test_heat_sink_rule_matches_device_data():
    from nenliver._data import load_yaml

    distance = load_yaml("nenliver.ablation", "data/devices.yaml")["heat_sink"]["distance_mm"]["value"]
    assert load_knowledge_base().rule("ABL-05h").condition.value == distance
