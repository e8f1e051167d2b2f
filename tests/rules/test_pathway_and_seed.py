"""The Figure 1 pathway per branch (with the review's Figure 2–5 patients) and the rules brought
back to the seed's words. Each scenario is a whole case through ``plan_case``.

Sources: Cazzato RL, et al. Cancers 2021;13:6368 — Table 1, sections 2, 3, 5, 6 and the captions of
Figures 2–5; guideline-rules.md §3 for the reconstructed algorithm.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nenliver.case import Case
from nenliver.guideline.engine import decide_from_facts
from nenliver.guideline.facts import FACTS
from nenliver.guideline.loader import load_knowledge_base
from nenliver.guideline.schema import iter_leaves
from nenliver.service import plan_case

LIVER_DIRECTED = ("ablation", "tae", "tace", "sirt", "ia_prrt")
KB = load_knowledge_base()


def _lesion(lid: str, segment: str, mm: float, progressing: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "id": lid,
        "segment": segment,
        "diameter_mm": mm,
        "central": False,
        "nearest_vessel_mm": 20,
        "visible_on": ["us", "ce_ct", "mri", "pet"],
        "progressing": progressing,
        **extra,
    }


def _plan(data: dict[str, Any]) -> dict[str, Any]:
    return plan_case(Case.model_validate(data)).to_json_dict()


def _status(plan: dict[str, Any]) -> dict[str, str]:
    return {o["therapy"]: o["status"] for o in plan["options"]}


def _option(plan: dict[str, Any], therapy: str) -> dict[str, Any]:
    return next(o for o in plan["options"] if o["therapy"] == therapy)


# --- the review's own patients ---------------------------------------------------------------------


def test_figure_2_patient_single_10mm_lesion_goes_to_ablation_first(make_case: Any) -> None:
    """Figure 2: 55-year-old woman, G1 ileal NEN, a new 10 mm metastasis of segment IV → RFA."""
    data = make_case(**{"patient.age_years": 55, "tumour.ki67_percent": 1, "liver.lesions": [_lesion("L1", "IVa", 10)]})
    plan = _plan(data)
    assert plan["pathway"]["branch"] == "ablation"
    assert plan["pathway"]["preferred"] == ["ablation"]
    # TAE/TACE stay allowed (no surgical indication) but only as alternatives.
    assert {"tae", "tace"} <= set(plan["pathway"]["alternatives"])
    lesion = _option(plan, "ablation")["details"]["lesions"][0]
    assert lesion["modality"] in ("la", "rfa")


def test_figure_3_patient_65mm_progressing_lesion_is_not_ablatable_with_margins(make_case: Any) -> None:
    """Figure 3: 39-year-old, multiple G2 metastases after systemic treatment, one 6.5 cm lesion not
    responding; the board chose multi-antenna MWA. With the review's nominal zones (MWA 3 antennas
    5–6 cm) no modality covers 65 mm with 5 mm margins, so the pathway puts endovascular first and
    keeps ablation among the alternatives (caution, ABL-15) for the board to weigh."""
    lesions = [_lesion("L1", "VI", 65)] + [_lesion(f"L{i}", "VII", 8, progressing=False) for i in range(2, 7)]
    data = make_case(
        **{
            "patient.age_years": 39,
            "tumour.ki67_percent": 8,
            "liver.lesions": lesions,
            "liver.distribution": "unilobar_right",
        }
    )
    plan = _plan(data)
    ablation = _option(plan, "ablation")
    assert ablation["status"] == "caution"
    assert ablation["details"]["targets"].startswith("progressing")
    assert [le["id"] for le in ablation["details"]["lesions"]] == ["L1"]  # oligoprogression: the progressing lesion
    assert ablation["details"]["lesions"][0]["modality"] is None
    assert plan["pathway"]["branch"] == "endovascular"
    assert "ablation" in plan["pathway"]["alternatives"]


def test_figure_4_patient_bilateral_carcinoid_syndrome_despite_ssa_goes_endovascular(make_case: Any) -> None:
    """Figure 4: 66-year-old, hepatic-only metastases of unknown origin, carcinoid syndrome and pain
    despite cold SSA, bilateral hypervascular lesions → TACE lobe by lobe."""
    lesions = [_lesion(f"L{i}", seg, 25) for i, seg in enumerate(["II", "III", "V", "VI", "VII", "VIII"], 1)]
    data = make_case(
        **{
            "patient.age_years": 66,
            "tumour.primary_site": "unknown",
            "tumour.functioning_syndrome": "carcinoid_syndrome",
            "tumour.ssa_status": "symptomatic_despite_ssa",
            "liver.distribution": "bilobar",
            "liver.lesions": lesions,
        }
    )
    plan = _plan(data)
    assert plan["pathway"]["branch"] == "endovascular"
    assert "tace" in plan["pathway"]["preferred"]
    items = {a["item"] for a in plan["advice"]}
    assert "octreotide_cover" in items and "insulinoma_glucose" not in items


def test_figure_5_patient_sirt_is_a_first_choice(capsys: Any) -> None:
    """Figure 5: 77-year-old, resected pancreatic G1 NEN (Ki-67 1 %), hepatic relapse → SIRT."""
    from pathlib import Path

    from nenliver.case import load_case

    plan = plan_case(load_case(Path("examples/cases/fig5-sirt-workup.yaml"))).to_json_dict()
    assert plan["pathway"]["branch"] == "endovascular"
    assert "sirt" in plan["pathway"]["preferred"]
    assert _status(plan)["liver_transplant"] == "contraindicated"  # 77 years


# --- every branch -----------------------------------------------------------------------------------


def test_surgical_candidate_is_referred_first(make_case: Any) -> None:
    plan = _plan(make_case(**{"liver.surgical_indication": True}))
    assert plan["pathway"]["branch"] == "surgery"
    assert plan["pathway"]["preferred"] == ["surgery"]
    assert _status(plan)["surgery"] == "indicated"
    for therapy in LIVER_DIRECTED:
        assert _status(plan)[therapy] != "indicated"
    assert "SCP-02" in _option(plan, "ablation")["deciding"]


def test_stable_disease_on_ssa_is_watchful(make_case: Any) -> None:
    lesions = [_lesion(f"L{i}", "VII", 12, progressing=False) for i in range(1, 8)]
    data = make_case(**{"tumour.ssa_status": "responding", "tumour.disease_course": "stable", "liver.lesions": lesions})
    plan = _plan(data)
    assert plan["pathway"]["branch"] == "watchful"
    assert plan["pathway"]["preferred"] == ["ssa"]


def test_sstr_positive_progression_with_every_liver_option_ruled_out_goes_systemic(make_case: Any) -> None:
    lesions = [_lesion(f"L{i}", "VII", 12) for i in range(1, 8)]
    data = make_case(**{"history.ascites": True, "liver.lesions": lesions, "liver.distribution": "bilobar"})
    plan = _plan(data)
    assert plan["pathway"]["branch"] == "systemic"
    assert plan["pathway"]["preferred"] == ["prrt"]
    assert "PATH-05" in plan["pathway"]["passed_over"]  # endovascular fits the disease but is ruled out


def test_g3_is_outside_the_algorithm_and_nothing_liver_directed_is_green(make_case: Any) -> None:
    plan = _plan(make_case(**{"tumour.ki67_percent": 25}))
    assert plan["pathway"]["branch"] == "outside_algorithm"
    assert plan["pathway"]["preferred"] == []
    assert _status(plan)["ablation"] == "caution"
    assert "SCP-02" in _option(plan, "ablation")["deciding"]


def test_unknown_surgical_indication_leaves_the_pathway_undetermined(make_case: Any) -> None:
    plan = _plan(make_case(**{"liver.surgical_indication": None}))
    assert plan["pathway"]["branch"] == "undetermined"
    assert plan["pathway"]["preferred"] == []
    assert any(m["field"] == "liver.surgical_indication" for m in plan["pathway"]["missing"])


def test_preferred_never_holds_an_option_that_is_not_allowed(make_case: Any) -> None:
    for changes in ({}, {"history.iodinated_contrast_allergy": True}, {"tumour.ki67_percent": 30}):
        plan = _plan(make_case(**changes))
        statuses = _status(plan)
        assert all(statuses[t] in ("indicated", "caution") for t in plan["pathway"]["preferred"])


# --- rules corrected to the seed's words ------------------------------------------------------------


def test_transplant_at_56_does_not_meet_the_seed_criteria_and_shows_the_conflict(make_case: Any) -> None:
    data = make_case(
        **{
            "patient.age_years": 56,
            "tumour.disease_course": "stable",
            "tumour.stable_months": 12,
            "tumour.primary_site": "pancreas",
            "tumour.ssa_status": "responding",
        }
    )
    plan = _plan(data)
    option = _option(plan, "liver_transplant")
    assert option["status"] == "contraindicated"
    assert option["deciding"] == ["LT-01"]
    conflict = next(c for c in plan["conflicts"] if set(c["rules"]) == {"LT-01", "LT-01b"})
    assert conflict["changes_status"] is True


@pytest.mark.parametrize(
    ("count", "ablation", "borderline"),
    [(2, "indicated", False), (3, "caution", True), (4, "caution", True), (5, "not_indicated", False)],
)
def test_oligometastatic_band_less_than_3_to_5(make_case: Any, count: int, ablation: str, borderline: bool) -> None:
    lesions = [_lesion(f"L{i}", "VII", 12, progressing=False) for i in range(1, count + 1)]
    data = make_case(**{"liver.lesions": lesions, "tumour.ssa_status": "responding"})
    option = _option(_plan(data), "ablation")
    assert option["status"] == ablation
    assert ("ABL-01b" in option["deciding"]) is borderline


def test_five_lesions_meet_the_tae_disease_indication_even_when_resectable(make_case: Any) -> None:
    lesions = [_lesion(f"L{i}", "VII", 12) for i in range(1, 6)]
    plan = _plan(make_case(**{"liver.lesions": lesions, "liver.surgical_indication": True}))
    tae = next(f for f in _option(plan, "tae")["findings"] if f["rule"] == "TAE-01")
    assert tae["result"] is True


def test_contrast_allergy_contraindicates_every_endovascular_option(make_case: Any) -> None:
    data = make_case(**{"history.iodinated_contrast_allergy": True})
    data["sirt_workup"] = {
        "lung_shunt_fraction_percent": 5,
        "tumour_to_normal_ratio": 3,
        "liver_volume_ml": 1600,
        "tumour_volume_ml": 200,
    }
    statuses = _status(_plan(data))
    assert statuses["tae"] == statuses["tace"] == statuses["sirt"] == "contraindicated"


def test_irreversible_coagulopathy_with_a_finished_workup_contraindicates_sirt(make_case: Any) -> None:
    data = make_case(**{"history.irreversible_coagulopathy": True})
    data["sirt_workup"] = {
        "lung_shunt_fraction_percent": 5,
        "tumour_to_normal_ratio": 3,
        "liver_volume_ml": 1600,
        "tumour_volume_ml": 200,
    }
    plan = _plan(data)
    sirt = _option(plan, "sirt")
    assert sirt["status"] == "contraindicated" and "SIRT-17" in sirt["deciding"]
    assert "withheld" in sirt["details"] and "summary" not in sirt["details"]  # no activity for a contraindicated SIRT


def test_a_biliary_stent_is_a_caution_for_embolisation_not_a_hard_stop(make_case: Any) -> None:
    statuses = _status(_plan(make_case(**{"history.biliary_stent": True})))
    assert statuses["tae"] == "caution"


def test_ssa_is_not_ruled_out_at_ki67_15_on_ssa(make_case: Any) -> None:
    plan = _plan(
        make_case(**{"tumour.ki67_percent": 15, "tumour.ssa_status": "responding", "tumour.disease_course": "stable"})
    )
    assert _status(plan)["ssa"] in ("indicated", "caution")
    assert any(f["rule"] == "SYS-01b" and f["result"] is True for f in _option(plan, "ssa")["findings"])


def test_insulinoma_gets_glucose_advice_not_octreotide_cover(make_case: Any) -> None:
    plan = _plan(make_case(**{"tumour.functioning_syndrome": "insulinoma", "tumour.primary_site": "pancreas"}))
    items = {a["item"] for a in plan["advice"]}
    assert "insulinoma_glucose" in items and "octreotide_cover" not in items
    assert "SSA-03" in {f["rule"] for f in _option(plan, "ssa")["findings"] if f["result"] is True}


def test_carcinoid_syndrome_prompts_18f_dopa_pet(make_case: Any) -> None:
    plan = _plan(make_case(**{"tumour.functioning_syndrome": "carcinoid_syndrome"}))
    assert "fdopa_pet" in {w["item"] for w in plan["workup"]}


def test_stable_disease_with_a_partial_lesion_list_counts_no_progressing_lesions(make_case: Any) -> None:
    lesions = [_lesion(f"L{i}", "VII", 12, progressing=None) for i in range(1, 9)]
    data = make_case(
        **{
            "liver.lesions": lesions,
            "liver.lesion_count": 15,
            "tumour.disease_course": "stable",
            "tumour.ssa_status": "responding",
        }
    )
    assert _status(_plan(data))["ablation"] == "not_indicated"


def test_oligoprogression_plans_needles_for_the_progressing_lesions_only(make_case: Any) -> None:
    lesions = [_lesion("L1", "VII", 12)] + [_lesion(f"L{i}", "VI", 9, progressing=False) for i in range(2, 8)]
    plan = _plan(make_case(**{"liver.lesions": lesions}))
    details = _option(plan, "ablation")["details"]
    assert [le["id"] for le in details["lesions"]] == ["L1"]
    assert details["not_targeted"] == [f"L{i}" for i in range(2, 8)]


def test_central_lesion_near_a_vessel_avoids_rfa(make_case: Any) -> None:
    """A central 25 mm lesion 3 mm from a vessel: IRE cannot cover it (2–3 cm zone with margin), RFA
    carries two cautions (heat sink, central) and MWA one, so MWA, and ablation reads caution."""
    lesion = _lesion("L1", "IVa", 25, central=True, nearest_vessel_mm=3)
    plan = _plan(make_case(**{"liver.lesions": [lesion]}))
    option = _option(plan, "ablation")
    assert option["details"]["lesions"][0]["modality"] == "mwa"
    assert option["status"] == "caution" and "ABL-16" in option["deciding"]


def test_lung_shunt_12_percent_reads_the_same_in_rules_and_dosimetry(make_case: Any) -> None:
    data = make_case()
    data["sirt_workup"] = {
        "lung_shunt_fraction_percent": 12,
        "tumour_to_normal_ratio": 3,
        "liver_volume_ml": 1600,
        "tumour_volume_ml": 200,
    }
    plan = _plan(data)
    sirt = _option(plan, "sirt")
    assert any(f["rule"] == "SIRT-03b" and f["result"] is True for f in sirt["findings"])
    checks = {c["id"]: c["status"] for c in sirt["details"]["dosimetry"]["checks"]}
    assert checks["lung-shunt-caution"] == "warn"


# --- invariants -------------------------------------------------------------------------------------


def test_rules_and_dosimetry_share_every_threshold() -> None:
    """One value, one source: a rule that names a dosimetry entry compares against exactly its value."""
    from nenliver.dosimetry.constants import number

    linked = [r for r in KB.rules if r.dosimetry_entry]
    assert {r.id for r in linked} >= {"SIRT-03", "SIRT-03b", "SIRT-04", "SIRT-04b", "SIRT-12b", "SIRT-16"}
    for rule in linked:
        value = number(rule.dosimetry_entry or "")
        thresholds = [leaf.value for leaf in iter_leaves(rule.condition) if isinstance(leaf.value, int | float)]
        assert (thresholds and min(thresholds) == value) or value in thresholds, (rule.id, thresholds, value)


SCOPE_FACTS = [f.name for f in FACTS.values() if f.scope in ("case", "external")]


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "grade": st.sampled_from(["G1", "G2", "G3", None]),
            "differentiation": st.sampled_from(["well", "poor", None]),
            "surgical_indication": st.sampled_from([True, False, None]),
            "lesion_count": st.sampled_from([1.0, 3.0, 6.0, None]),
            "ssa_status": st.sampled_from(["naive", "responding", "progressing", "symptomatic_despite_ssa", None]),
            "krenning_score": st.sampled_from([1.0, 3.0, None]),
            "functioning_syndrome": st.sampled_from(["none", "carcinoid_syndrome", None]),
            "tumour_burden_percent": st.sampled_from([10.0, 60.0, None]),
        }
    ),
    st.dictionaries(st.sampled_from(SCOPE_FACTS), st.sampled_from([None, True, False, 0.0, 2.0]), max_size=6),
)
def test_no_liver_directed_option_is_indicated_outside_scope(core: dict[str, Any], noise: dict[str, Any]) -> None:
    facts = {**{k: v for k, v in noise.items() if FACTS[k].kind != "category"}, **core}
    statuses, in_scope, _ = decide_from_facts(copy.deepcopy(facts), KB)
    if in_scope is False:
        for therapy in LIVER_DIRECTED:
            assert statuses[therapy] != "indicated", (therapy, facts)
