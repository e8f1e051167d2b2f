"""Derived facts: grading, age, counts, portal drainage, performance status."""

from __future__ import annotations

import pytest

from nenliver.case import case_from_data
from nenliver.guideline.facts import FACTS, case_facts, grade_from_measures


@pytest.mark.reference
@pytest.mark.parametrize(
    ("ki67", "mitoses", "grade"),
    [  # WHO 2019: Ki-67 <3 % G1, 3-20 % G2, >20 % G3; mitoses <2, 2-20, >20 per 2 mm2; higher wins
        (2.9, None, "G1"),
        (3.0, None, "G2"),
        (20.0, None, "G2"),
        (20.1, None, "G3"),
        (None, 1.0, "G1"),
        (None, 2.0, "G2"),
        (None, 21.0, "G3"),
        (1.0, 5.0, "G2"),
        (30.0, 1.0, "G3"),
        (None, None, None),
    ],
)
def test_who_2019_grade(ki67, mitoses, grade):
    assert grade_from_measures(ki67, mitoses) == grade


def test_measured_grade_wins_and_discordance_is_reported(make_case):
    facts = case_facts(case_from_data(make_case(**{"tumour.grade": "G2", "tumour.ki67_percent": 1})))
    assert facts["grade"] == "G1" and facts["grade_discordant"] is True


def test_stated_grade_used_when_nothing_measured(make_case):
    facts = case_facts(case_from_data(make_case(**{"tumour.grade": "G2", "tumour.ki67_percent": None})))
    assert facts["grade"] == "G2" and facts["grade_discordant"] is None


def test_age_from_birth_date_at_decision_date(make_case):
    data = make_case(**{"patient.age_years": None, "patient.birth_date": "1966-06-02"})
    assert case_facts(case_from_data(data))["age_years"] == 54.0


def test_lesion_count_prefers_explicit_count(make_case):
    assert case_facts(case_from_data(make_case()))["lesion_count"] == 2.0
    assert case_facts(case_from_data(make_case(**{"liver.lesion_count": 14})))["lesion_count"] == 14.0


def test_largest_lesion_unknown_if_any_diameter_unknown(make_case):
    facts = case_facts(case_from_data(make_case(**{"liver.lesions.0.diameter_mm": None})))
    assert facts["largest_lesion_mm"] is None


def test_portal_drainage_from_primary_site(make_case):
    def portal(site):
        return case_facts(case_from_data(make_case(**{"tumour.primary_site": site})))["primary_portal_drained"]

    assert portal("pancreas") is True and portal("lung") is False and portal("unknown") is None


def test_karnofsky_from_ecog_is_the_lowest_of_the_band(make_case):
    assert case_facts(case_from_data(make_case(**{"patient.ecog": 2})))["karnofsky_percent"] == 60.0


def test_prior_treatment_facts_unknown_without_history(make_case):
    facts = case_facts(case_from_data(make_case(**{"history.prior_treatments": None})))
    assert facts["prior_tae_tace"] is None
    facts = case_facts(case_from_data(make_case(**{"history.prior_treatments": [{"kind": "tace"}]})))
    assert facts["prior_tae_tace"] is True and facts["prior_prrt"] is False


def test_every_fact_has_label_kind_and_unit_when_numeric():
    for fact in FACTS.values():
        assert fact.label and fact.paths
        assert (fact.unit is not None) == (fact.kind == "number"), fact.name
        assert (fact.values is not None) == (fact.kind == "category"), fact.name
