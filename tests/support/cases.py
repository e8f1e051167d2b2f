"""Random whole cases (Hypothesis strategies) for the property tests."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

maybe_bool = st.sampled_from([None, True, False])


def _optional(**fields):
    """A dict strategy where every field may be absent (absent = unknown)."""
    return st.fixed_dictionaries({}, optional=fields)


lesion = st.builds(
    lambda i, d, c, v, vis, p: {
        "id": f"L{i}",
        "diameter_mm": d,
        "central": c,
        "nearest_vessel_mm": v,
        "visible_on": vis,
        "progressing": p,
    },
    st.integers(0, 10_000),
    st.one_of(st.none(), st.floats(1, 90)),
    maybe_bool,
    st.one_of(st.none(), st.floats(0, 40)),
    st.one_of(st.none(), st.lists(st.sampled_from(["us", "ct", "ce_ct", "mri", "pet"]), unique=True)),
    maybe_bool,
)

CASES = st.builds(
    lambda patient, tumour, imaging, liver, lesions, labs, history, workup: {
        "format": "nenliver/case@1",
        "id": "random",
        "decision_date": "2024-01-15",
        "patient": patient,
        "tumour": tumour,
        "imaging": imaging,
        "liver": {**liver, **({"lesions": lesions} if lesions is not None else {})},
        "labs": labs,
        "history": history,
        **({"sirt_workup": workup} if workup else {}),
    },
    _optional(age_years=st.integers(18, 90), ecog=st.integers(0, 4)),
    _optional(
        primary_site=st.sampled_from(["small_intestine", "pancreas", "lung", "unknown", "rectum"]),
        primary_resected=st.booleans(),
        differentiation=st.sampled_from(["well", "poor"]),
        ki67_percent=st.floats(0, 80),
        functioning_syndrome=st.sampled_from(["none", "carcinoid_syndrome"]),
        ssa_status=st.sampled_from(["naive", "responding", "progressing", "symptomatic_despite_ssa"]),
        disease_course=st.sampled_from(["stable", "progressive"]),
        stable_months=st.floats(0, 48),
        extrahepatic_disease=st.booleans(),
    ),
    _optional(liver_mri_dwi=st.booleans(), sstr_pet=st.builds(lambda k: {"krenning_score": k}, st.integers(0, 4))),
    _optional(
        tumour_burden_percent=st.floats(0, 95),
        distribution=st.sampled_from(["bilobar", "unilobar_left"]),
        surgical_indication=st.booleans(),
    ),
    st.one_of(st.none(), st.lists(lesion, max_size=7, unique_by=lambda les: les["id"])),
    _optional(
        bilirubin=st.floats(0.1, 6),
        albumin=st.floats(1.5, 5.5),
        inr=st.floats(0.8, 3),
        platelets=st.floats(20, 500),
        neutrophils=st.floats(0.2, 12),
        haemoglobin=st.floats(6, 17),
        creatinine_clearance=st.floats(10, 140),
    ),
    _optional(
        ascites=st.booleans(),
        portal_vein_thrombosis=st.booleans(),
        bilioenteric_anastomosis=st.booleans(),
        irreversible_coagulopathy=st.booleans(),
        cardiac_arrhythmia=st.booleans(),
        iodinated_contrast_allergy=st.booleans(),
        prior_chemotherapy=st.booleans(),
    ),
    st.one_of(
        st.none(),
        _optional(
            lung_shunt_fraction_percent=st.floats(0, 35),
            uncorrectable_gi_reflux=st.booleans(),
            tumour_to_normal_ratio=st.floats(0.5, 10),
            liver_volume_ml=st.floats(1200, 2500),
            tumour_volume_ml=st.floats(10, 1000),
        ),
    ),
)


def _with_units(value: st.SearchStrategy, units: list[tuple[str, float]]) -> st.SearchStrategy:
    """A lab as a bare number (canonical unit) or ``{value, unit}`` in another unit (value scaled)."""
    return st.one_of(
        value,
        st.builds(lambda v, u: {"value": round(v * u[1], 3), "unit": u[0]}, value, st.sampled_from(units)),
    )


treatment = st.builds(
    lambda kind, date, cycles: {
        "kind": kind,
        **({"date": date} if date else {}),
        **({"cycles": cycles} if cycles is not None else {}),
    },
    st.sampled_from(["resection", "ablation", "tae", "tace", "sirt", "prrt", "ssa", "chemotherapy", "everolimus"]),
    st.one_of(
        st.none(),
        st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2024, 1, 15)).map(str),
    ),
    st.one_of(st.none(), st.integers(1, 8)),
)

prrt_cycle = st.builds(
    lambda cycle, date, doses: {"cycle": cycle, **({"date": date} if date else {}), **doses},
    st.integers(1, 8),
    st.one_of(st.none(), st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2024, 1, 15)).map(str)),
    _optional(
        injected_activity_gbq=st.floats(3.7, 7.4),
        kidney_dose_gy=st.floats(0, 12),
        kidney_bed_gy=st.floats(0, 14),
        marrow_dose_gy=st.floats(0, 1),
    ),
)

#: Whole cases with every kind of field the facts read: dates, units, treatments, counts.
WHOLE_CASES = st.builds(
    lambda base, extra_patient, extra_tumour, extra_liver, extra_labs, treatments, extra_history, extra_workup: {
        **base,
        "patient": {**base["patient"], **extra_patient},
        "tumour": {**base["tumour"], **extra_tumour},
        "liver": {**base["liver"], **extra_liver},
        "labs": {**base["labs"], **extra_labs},
        "history": {
            **base["history"],
            **extra_history,
            **({"prior_treatments": treatments} if treatments is not None else {}),
        },
        **({"sirt_workup": {**base["sirt_workup"], **extra_workup}} if "sirt_workup" in base else {}),
    },
    CASES,
    _optional(
        karnofsky=st.integers(0, 100),
        birth_date=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2005, 1, 1)).map(str),
    ),
    _optional(mitoses_per_2mm2=st.floats(0, 40), grade=st.sampled_from(["G1", "G2", "G3"])),
    _optional(lesion_count=st.integers(7, 30)),
    _optional(
        bilirubin=_with_units(st.floats(0.1, 6), [("umol/L", 17.1)]),
        bilirubin_uln=st.floats(0.8, 1.4),
        albumin=_with_units(st.floats(1.5, 5.5), [("g/L", 10.0)]),
        haemoglobin=_with_units(st.floats(6, 17), [("g/L", 10.0), ("mmol/L", 0.6206)]),
        creatinine=_with_units(st.floats(0.4, 4), [("umol/L", 88.4)]),
        date=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2024, 1, 15)).map(str),
    ),
    st.one_of(st.none(), st.lists(treatment, max_size=4)),
    _optional(
        sirt_lung_dose_gy_cumulative=st.floats(0, 60),
        prrt_kidney_risk_factors=st.booleans(),
        prrt_cycles=st.lists(prrt_cycle, max_size=5, unique_by=lambda c: c["cycle"]),
    ),
    _optional(
        maa_date=st.dates(min_value=dt.date(2023, 6, 1), max_value=dt.date(2024, 1, 15)).map(str),
        perfused_territory=st.sampled_from(["whole_liver", "right_lobe"]),
    ),
)
