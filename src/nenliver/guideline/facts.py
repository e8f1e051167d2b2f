"""Named facts: the only vocabulary rule conditions may use.

Each fact is a small typed function of the :class:`~nenliver.case.model.Case` with a kind
(``number``, ``bool`` or ``category``), a unit for numbers, the case fields it reads (used to name
what is *missing*) and a human label. A fact that cannot be determined is ``None`` (*unknown*),
never ``False``: that is what keeps three-valued evaluation honest.

Three groups of facts exist:

* **case facts**, derived from the case alone;
* **lesion facts** (``scope="lesion"``), evaluated once per listed lesion;
* **external facts**, computed by another part of nenliver (SIRT dosimetry, ablation planning) and
  handed to the engine; they are unknown when that part has not run.

Thresholds used by derivations (WHO grading, portal drainage, ECOG→Karnofsky) live in
``guideline/data/derivations.yaml`` with their sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from nenliver._data import load_yaml
from nenliver.case import enums
from nenliver.case.model import Case, Lesion
from nenliver.guideline.schema import THERAPIES

FactKind = Literal["number", "bool", "category"]
FactValue = float | bool | str | None


@dataclass(frozen=True)
class Fact:
    """Definition of one named fact."""

    name: str
    kind: FactKind
    label: str
    paths: tuple[str, ...]
    unit: str | None = None
    values: tuple[str, ...] | None = None
    scope: Literal["case", "lesion", "external", "pathway"] = "case"
    derive: Callable[[Any], FactValue] | None = None
    direct: bool = False  # the value of one case field as given (not derived)

    @property
    def primary_path(self) -> str:
        return self.paths[0] if self.paths else self.name


FACTS: dict[str, Fact] = {}


def _register(fact: Fact) -> None:
    if fact.name in FACTS:
        raise ValueError(f"fact {fact.name!r} defined twice")
    FACTS[fact.name] = fact


def _derivations() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml("nenliver.guideline", "data/derivations.yaml")
    return data


def _attr(path: str) -> Callable[[Case], FactValue]:
    """A getter for a dotted case path (``labs.bilirubin``); ``None`` anywhere means unknown."""
    parts = path.split(".")

    def get(case: Case) -> FactValue:
        node: Any = case
        for part in parts:
            node = getattr(node, part, None)
            if node is None:
                return None
        if isinstance(node, int) and not isinstance(node, bool):
            return float(node)
        return node  # type: ignore[no-any-return,unused-ignore]

    return get


def _direct(
    name: str, kind: FactKind, path: str, label: str, unit: str | None = None, values: tuple[str, ...] | None = None
) -> None:
    _register(Fact(name, kind, label, (path,), unit=unit, values=values, derive=_attr(path), direct=True))


# --- direct case facts -------------------------------------------------------------------------
_direct("ecog", "number", "patient.ecog", "ECOG performance status", unit="1")
_direct("inpatient_urgent", "bool", "patient.inpatient_urgent", "urgent inpatient indication")
_direct("ki67_percent", "number", "tumour.ki67_percent", "Ki-67 index", unit="%")
_direct("mitoses_per_2mm2", "number", "tumour.mitoses_per_2mm2", "mitotic count", unit="/2mm2")
_direct(
    "stated_grade", "category", "tumour.grade", "grade stated in the pathology report", values=get_args(enums.Grade)
)
_direct(
    "differentiation", "category", "tumour.differentiation", "differentiation", values=get_args(enums.Differentiation)
)
_direct(
    "primary_site",
    "category",
    "tumour.primary_site",
    "primary tumour site",
    values=get_args(enums.PrimarySite),
)
_direct("primary_resected", "bool", "tumour.primary_resected", "primary tumour resected")
_direct(
    "functioning_syndrome",
    "category",
    "tumour.functioning_syndrome",
    "hormonal syndrome",
    values=get_args(enums.FunctioningSyndrome),
)
_direct("carcinoid_heart_disease", "bool", "tumour.carcinoid_heart_disease", "carcinoid heart disease")
_direct(
    "ssa_status",
    "category",
    "tumour.ssa_status",
    "status on somatostatin analogues",
    values=get_args(enums.SsaStatus),
)
_direct("disease_course", "category", "tumour.disease_course", "disease course", values=get_args(enums.DiseaseCourse))
_direct("stable_months", "number", "tumour.stable_months", "months of documented stable disease", unit="mo")
_direct("extrahepatic_disease", "bool", "tumour.extrahepatic_disease", "extrahepatic disease")
_direct(
    "extrahepatic_resection_planned",
    "bool",
    "tumour.extrahepatic_resection_planned",
    "combined extrahepatic resection planned",
)
_direct("liver_mri_dwi", "bool", "imaging.liver_mri_dwi", "liver MRI with DWI on file")
_direct("krenning_score", "number", "imaging.sstr_pet.krenning_score", "Krenning score on SSTR imaging", unit="1")
_direct("fdg_pet_done", "bool", "imaging.fdg_pet.done", "18F-FDG PET done")
_direct("fdg_pet_positive", "bool", "imaging.fdg_pet.positive", "18F-FDG PET positive")
_direct("fdopa_pet_done", "bool", "imaging.fdopa_pet.done", "18F-DOPA PET done")
_direct("sex", "category", "patient.sex", "sex", values=get_args(enums.Sex))
_direct("tumour_burden_percent", "number", "liver.tumour_burden_percent", "hepatic tumour burden", unit="%")
_direct(
    "distribution",
    "category",
    "liver.distribution",
    "distribution of liver metastases",
    values=get_args(enums.Distribution),
)
_direct("surgical_indication", "bool", "liver.surgical_indication", "surgical indication (liver surgeon)")
_direct("bilirubin_mg_dl", "number", "labs.bilirubin", "total bilirubin", unit="mg/dL")
_direct("albumin_g_dl", "number", "labs.albumin", "albumin", unit="g/dL")
_direct("inr", "number", "labs.inr", "INR", unit="1")
_direct("platelets_1e9_l", "number", "labs.platelets", "platelets", unit="10*9/L")
_direct("neutrophils_1e9_l", "number", "labs.neutrophils", "neutrophils", unit="10*9/L")
_direct("leukocytes_1e9_l", "number", "labs.leukocytes", "leukocytes", unit="10*9/L")
_direct("haemoglobin_g_dl", "number", "labs.haemoglobin", "haemoglobin", unit="g/dL")
_direct("creatinine_mg_dl", "number", "labs.creatinine", "serum creatinine", unit="mg/dL")
_direct("creatinine_clearance_ml_min", "number", "labs.creatinine_clearance", "creatinine clearance", unit="mL/min")
for _flag, _label in (
    ("ascites", "ascites"),
    ("portal_vein_thrombosis", "portal vein thrombosis or obstruction"),
    ("bilioenteric_anastomosis", "bilio-enteric anastomosis"),
    ("sphincterotomy", "history of sphincterotomy"),
    ("biliary_stent", "biliary stent"),
    ("biliary_dilatation", "intrahepatic biliary dilatation from strictures"),
    ("irreversible_coagulopathy", "irreversible coagulation disorder"),
    ("anaesthesia_contraindicated", "sedation or general anaesthesia contraindicated"),
    ("cardiac_arrhythmia", "cardiac arrhythmia"),
    ("heavy_cardiac_history", "heavy cardiac history"),
    ("iodinated_contrast_allergy", "allergy to iodinated contrast"),
    ("pre_existing_liver_disease", "pre-existing liver disease"),
    ("prior_chemotherapy", "prior chemotherapy"),
    ("prior_liver_radiotherapy", "prior liver radiotherapy"),
):
    _direct(_flag, "bool", f"history.{_flag}", _label)
_direct(
    "sirt_prior_lung_dose_gy",
    "number",
    "history.sirt_lung_dose_gy_cumulative",
    "lung dose from earlier SIRT",
    unit="Gy",
)
_direct(
    "lung_shunt_fraction_percent",
    "number",
    "sirt_workup.lung_shunt_fraction_percent",
    "lung shunt fraction (99mTc-MAA)",
    unit="%",
)
_direct(
    "gi_reflux_uncorrectable",
    "bool",
    "sirt_workup.uncorrectable_gi_reflux",
    "non-correctable reflux to stomach, pancreas or bowel on the work-up angiogram",
)
_direct(
    "tumour_to_normal_ratio", "number", "sirt_workup.tumour_to_normal_ratio", "tumour-to-normal ratio (MAA)", unit="1"
)
_direct(
    "perfused_territory",
    "category",
    "sirt_workup.perfused_territory",
    "planned perfused territory",
    values=get_args(enums.PerfusedTerritory),
)


# --- derived case facts ------------------------------------------------------------------------
def _derived(
    name: str,
    kind: FactKind,
    paths: tuple[str, ...],
    label: str,
    unit: str | None = None,
    values: tuple[str, ...] | None = None,
) -> Callable[[Callable[[Case], FactValue]], Callable[[Case], FactValue]]:
    def wrap(func: Callable[[Case], FactValue]) -> Callable[[Case], FactValue]:
        _register(Fact(name, kind, label, paths, unit=unit, values=values, derive=func))
        return func

    return wrap


def _band(value: float, bands: list[dict[str, Any]]) -> str:
    for band in bands:
        if "below" in band and value < band["below"]:
            return str(band["grade"])
        if "upper_inclusive" in band and value <= band["upper_inclusive"]:
            return str(band["grade"])
        if "below" not in band and "upper_inclusive" not in band:
            return str(band["grade"])
    raise ValueError("grading bands must end with an open band")


def grading_summary() -> str:
    """The grading bands as a sentence, from ``derivations.yaml`` (e.g. ``Ki-67 <3 % G1, ≤20 % G2, else G3``)."""
    table = _derivations()["grading"]

    def bands(key: str, unit: str) -> str:
        parts, previous = [], None
        for band in table[key]:
            if "below" in band:
                parts.append(f"<{band['below']:g}{unit} {band['grade']}")
                previous = band["below"]
            elif "upper_inclusive" in band:
                start = f"{previous:g}-" if previous is not None else "≤"
                parts.append(f"{start}{band['upper_inclusive']:g}{unit} {band['grade']}")
                previous = band["upper_inclusive"]
            else:
                parts.append(f">{previous:g}{unit} {band['grade']}" if previous is not None else str(band["grade"]))
        return ", ".join(parts)

    return (
        f"{table['system']}: Ki-67 {bands('ki67_percent', ' %')}; mitoses per 2 mm² {bands('mitoses_per_2mm2', '')}; "
        f"{table['rule']}"
    )


def grade_from_measures(ki67_percent: float | None, mitoses_per_2mm2: float | None) -> str | None:
    """WHO 2019 grade from Ki-67 and mitoses (the higher grade wins); ``None`` when both unknown.

    Examples
    --------
    >>> grade_from_measures(2.0, None), grade_from_measures(3.0, 1.0), grade_from_measures(2.0, 25.0)
    ('G1', 'G2', 'G3')
    """
    table = _derivations()["grading"]
    grades = []
    if ki67_percent is not None:
        grades.append(_band(ki67_percent, table["ki67_percent"]))
    if mitoses_per_2mm2 is not None:
        grades.append(_band(mitoses_per_2mm2, table["mitoses_per_2mm2"]))
    return max(grades) if grades else None


@_derived(
    "grade",
    "category",
    ("tumour.ki67_percent", "tumour.mitoses_per_2mm2", "tumour.grade"),
    "WHO 2019 grade",
    values=get_args(enums.Grade),
)
def _grade(case: Case) -> FactValue:
    measured = grade_from_measures(case.tumour.ki67_percent, case.tumour.mitoses_per_2mm2)
    return measured if measured is not None else case.tumour.grade


@_derived(
    "grade_discordant",
    "bool",
    ("tumour.grade", "tumour.ki67_percent"),
    "stated grade disagrees with the measured Ki-67/mitoses",
)
def _grade_discordant(case: Case) -> FactValue:
    measured = grade_from_measures(case.tumour.ki67_percent, case.tumour.mitoses_per_2mm2)
    if measured is None or case.tumour.grade is None:
        return None
    return measured != case.tumour.grade


@_derived("age_years", "number", ("patient.age_years", "patient.birth_date"), "age", unit="a")
def _age(case: Case) -> FactValue:
    if case.patient.age_years is not None:
        return float(case.patient.age_years)
    if case.patient.birth_date is None or case.decision_date is None:
        return None
    born, on = case.patient.birth_date, case.decision_date
    return float(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


@_derived(
    "karnofsky_percent",
    "number",
    ("patient.karnofsky", "patient.ecog"),
    "Karnofsky performance status (from ECOG when not given: lowest of the band)",
    unit="%",
)
def _karnofsky(case: Case) -> FactValue:
    if case.patient.karnofsky is not None:
        return float(case.patient.karnofsky)
    if case.patient.ecog is None:
        return None
    table = _derivations()["performance_status"]["ecog_to_karnofsky_min_percent"]
    return float(table[case.patient.ecog])


@_derived("primary_portal_drained", "bool", ("tumour.primary_site",), "primary tumour drained by the portal system")
def _portal(case: Case) -> FactValue:
    site = case.tumour.primary_site
    table = _derivations()["portal_drainage"]
    if site in table["portal"]:
        return True
    if site in table["not_portal"]:
        return False
    return None


@_derived("functioning", "bool", ("tumour.functioning_syndrome",), "functioning tumour (hormonal syndrome)")
def _functioning(case: Case) -> FactValue:
    syndrome = case.tumour.functioning_syndrome
    return None if syndrome is None else syndrome != "none"


@_derived("sstr_imaging_on_file", "bool", ("imaging.sstr_pet",), "SSTR imaging with Krenning score on file")
def _sstr_on_file(case: Case) -> FactValue:
    pet = case.imaging.sstr_pet
    return pet is not None and pet.krenning_score is not None


def _lesions(case: Case) -> list[Lesion] | None:
    return case.liver.lesions


@_derived("lesion_count", "number", ("liver.lesion_count", "liver.lesions"), "number of liver metastases", unit="1")
def _lesion_count(case: Case) -> FactValue:
    if case.liver.lesion_count is not None:
        return float(case.liver.lesion_count)
    lesions = _lesions(case)
    return None if lesions is None else float(len(lesions))


@_derived("largest_lesion_mm", "number", ("liver.lesions",), "largest lesion diameter", unit="mm")
def _largest(case: Case) -> FactValue:
    lesions = _lesions(case)
    if not lesions or any(les.diameter_mm is None for les in lesions):
        return None
    return max(float(les.diameter_mm) for les in lesions if les.diameter_mm is not None)


@_derived(
    "progressing_lesion_count",
    "number",
    ("liver.lesions", "tumour.disease_course"),
    "number of progressing liver metastases (0 in radiologically stable disease)",
    unit="1",
)
def _progressing_count(case: Case) -> FactValue:
    if case.tumour.disease_course == "stable":
        return 0.0  # radiologically stable disease: no lesion progresses, listed or not
    lesions = _lesions(case)
    if lesions is None or case.liver.lesion_count not in (None, len(lesions)):
        return None
    if any(les.progressing is None for les in lesions):
        return None
    return float(sum(bool(les.progressing) for les in lesions))


@_derived(
    "listed_progressing_lesion_count",
    "number",
    ("liver.lesions",),
    "listed lesions marked progressing (a lower bound when not every lesion is listed)",
    unit="1",
)
def _listed_progressing(case: Case) -> FactValue:
    lesions = _lesions(case)
    return None if lesions is None else float(sum(les.progressing is True for les in lesions))


@_derived(
    "maa_age_days",
    "number",
    ("sirt_workup.maa_date", "decision_date"),
    "days from the 99mTc-MAA work-up to the decision date",
    unit="d",
)
def _maa_age(case: Case) -> FactValue:
    workup = case.sirt_workup
    if workup is None or workup.maa_date is None or case.decision_date is None:
        return None
    return float((case.decision_date - workup.maa_date).days)


@_derived("any_central_lesion", "bool", ("liver.lesions",), "a lesion close to the hilum, main ducts or vessels")
def _any_central(case: Case) -> FactValue:
    lesions = _lesions(case)
    if not lesions:
        return None
    flags = [les.central for les in lesions]
    if any(flags):
        return True
    return None if any(f is None for f in flags) else False


@_derived("labs_age_days", "number", ("labs.date", "decision_date"), "age of the laboratory values", unit="d")
def _labs_age(case: Case) -> FactValue:
    if case.labs.date is None or case.decision_date is None:
        return None
    return float((case.decision_date - case.labs.date).days)


@_derived(
    "bilirubin_x_uln",
    "number",
    ("labs.bilirubin", "labs.bilirubin_uln"),
    "total bilirubin as a multiple of the upper limit of normal",
    unit="xULN",
)
def _bili_uln(case: Case) -> FactValue:
    if case.labs.bilirubin is None or not case.labs.bilirubin_uln:
        return None
    return case.labs.bilirubin / case.labs.bilirubin_uln


def _prior(kinds: tuple[str, ...]) -> Callable[[Case], FactValue]:
    def get(case: Case) -> FactValue:
        treatments = case.history.prior_treatments
        if treatments is None:
            return None
        return any(t.kind in kinds for t in treatments)

    return get


for _name, _kinds, _label in (
    ("prior_tae_tace", ("tae", "tace"), "earlier TAE/TACE"),
    ("prior_prrt", ("prrt",), "earlier PRRT"),
    ("prior_sirt", ("sirt",), "earlier SIRT"),
):
    _register(Fact(_name, "bool", _label, ("history.prior_treatments",), derive=_prior(_kinds)))


@_derived(
    "days_since_chemotherapy",
    "number",
    ("history.prior_treatments", "decision_date"),
    "days since the last systemic chemotherapy",
    unit="d",
)
def _days_since_chemo(case: Case) -> FactValue:
    treatments = case.history.prior_treatments
    if treatments is None or case.decision_date is None:
        return None
    dates = [t.date for t in treatments if t.kind == "chemotherapy"]
    if not dates or any(d is None for d in dates):
        return None
    return float(min((case.decision_date - d).days for d in dates if isinstance(d, dt.date)))


# --- PRRT dosimetry history (cumulative kidney and marrow figures over the cycles given) ----------
_direct(
    "prrt_kidney_risk_factors",
    "bool",
    "history.prrt_kidney_risk_factors",
    "renal risk factors for the PRRT kidney limits (hypertension, diabetes …)",
)
_PRRT_PATHS = ("history.prrt_cycles", "history.prior_treatments")


def _prrt_cycles_given(case: Case) -> float | None:
    """PRRT cycles the prior treatments count (None when they do not count them)."""
    treatments = case.history.prior_treatments
    if treatments is None:
        return None
    counts = [t.cycles for t in treatments if t.kind == "prrt"]
    if any(c is None for c in counts):
        return None
    return float(sum(c for c in counts if c is not None))


def _prrt_cumulative(field: str) -> Callable[[Case], FactValue]:
    """Sum of ``field`` over the listed PRRT cycles; 0 when no PRRT was given; unknown when a listed
    cycle lacks it or the prior treatments count more PRRT cycles than are listed."""

    def get(case: Case) -> FactValue:
        cycles = case.history.prrt_cycles or []
        if not cycles:
            prior = _prior(("prrt",))(case)
            return 0.0 if prior is False else None
        values = [getattr(c, field) for c in cycles]
        if any(v is None for v in values):
            return None
        given = _prrt_cycles_given(case)
        if given is not None and given > len(cycles):
            return None
        return float(sum(values))

    return get


def _prrt_projected(field: str) -> Callable[[Case], FactValue]:
    """The cumulative figure after one more cycle like the last listed one (unknown without one)."""
    cumulative = _prrt_cumulative(field)

    def get(case: Case) -> FactValue:
        total = cumulative(case)
        cycles = case.history.prrt_cycles or []
        if total is None or not cycles:
            return None
        last = max(cycles, key=lambda c: c.cycle)
        value = getattr(last, field)
        return None if value is None else float(total) + float(value)

    return get


for _field, _what in (("kidney_bed_gy", "kidney BED"), ("kidney_dose_gy", "kidney absorbed dose")):
    _register(
        Fact(
            f"prrt_{_field}_cumulative",
            "number",
            f"cumulative {_what} of the PRRT cycles given (worse kidney)",
            _PRRT_PATHS,
            unit="Gy",
            derive=_prrt_cumulative(_field),
        )
    )
    _register(
        Fact(
            f"prrt_{_field}_projected",
            "number",
            f"cumulative {_what} after one more cycle like the last one",
            _PRRT_PATHS,
            unit="Gy",
            derive=_prrt_projected(_field),
        )
    )
_register(
    Fact(
        "prrt_marrow_dose_gy_cumulative",
        "number",
        "cumulative red-marrow absorbed dose of the PRRT cycles given",
        _PRRT_PATHS,
        unit="Gy",
        derive=_prrt_cumulative("marrow_dose_gy"),
    )
)


@_derived("sirt_workup_done", "bool", ("sirt_workup",), "99mTc-MAA work-up done")
def _workup_done(case: Case) -> FactValue:
    return case.sirt_workup is not None


# --- external facts (computed elsewhere in nenliver and passed to the engine) --------------------
_register(
    Fact(
        "sirt_predicted_lung_dose_gy",
        "number",
        "predicted lung absorbed dose of the planned SIRT",
        (
            "sirt_workup.lung_shunt_fraction_percent",
            "sirt_workup.liver_volume_ml",
            "sirt_workup.tumour_volume_ml",
            "sirt_workup.tumour_to_normal_ratio",
        ),
        unit="Gy",
        scope="external",
    )
)
_register(
    Fact(
        "sirt_predicted_cumulative_lung_dose_gy",
        "number",
        "predicted cumulative lung absorbed dose (earlier SIRT included)",
        ("sirt_workup.lung_shunt_fraction_percent", "history.sirt_lung_dose_gy_cumulative"),
        unit="Gy",
        scope="external",
    )
)
_register(
    Fact(
        "sirt_achievable_tumour_dose_gy",
        "number",
        "tumour absorbed dose achievable within the lung and normal-liver limits (partition model)",
        (
            "sirt_workup.tumour_to_normal_ratio",
            "sirt_workup.tumour_volume_ml",
            "sirt_workup.liver_volume_ml",
            "sirt_workup.lung_shunt_fraction_percent",
        ),
        unit="Gy",
        scope="external",
    )
)
_register(
    Fact(
        "lesions_without_ablation_modality",
        "number",
        "lesions to treat that no ablation modality covers with the required margin",
        ("liver.lesions",),
        unit="1",
        scope="external",
    )
)
_register(
    Fact(
        "lesions_with_modality_caution",
        "number",
        "lesions to treat whose best ablation modality still carries a lesion-level caution",
        ("liver.lesions",),
        unit="1",
        scope="external",
    )
)


# --- pathway facts (from the options' statuses; only pathway rules read them) -----------------
def _allowed_label(therapy: str) -> str:
    return f"{therapy.replace('_', ' ')} allowed (status indicated or caution)"


for _therapy in THERAPIES:
    _register(
        Fact(f"allowed_{_therapy}", "bool", _allowed_label(_therapy), (f"options[{_therapy}].status",), scope="pathway")
    )


# --- lesion facts ------------------------------------------------------------------------------
def _lesion_fact(
    name: str, kind: FactKind, field: str, label: str, func: Callable[[Lesion], FactValue], unit: str | None = None
) -> None:
    _register(Fact(name, kind, label, (f"liver.lesions[].{field}",), unit=unit, scope="lesion", derive=func))


def _visible(group: str) -> Callable[[Lesion], FactValue]:
    def get(lesion: Lesion) -> FactValue:
        if lesion.visible_on is None:
            return None
        modalities = set(_derivations()["visibility"][group])
        return bool(modalities & set(lesion.visible_on))

    return get


_lesion_fact("lesion_diameter_mm", "number", "diameter_mm", "lesion diameter", lambda les: les.diameter_mm, unit="mm")
_lesion_fact(
    "lesion_central", "bool", "central", "central lesion (hilum, main bile ducts or vessels)", lambda les: les.central
)
_lesion_fact(
    "lesion_nearest_vessel_mm",
    "number",
    "nearest_vessel_mm",
    "distance to the nearest vessel >= 3 mm",
    lambda les: les.nearest_vessel_mm,
    unit="mm",
)
_lesion_fact("lesion_progressing", "bool", "progressing", "lesion progressing", lambda les: les.progressing)
_lesion_fact("lesion_visible_us_ct", "bool", "visible_on", "lesion visible on US or CT", _visible("us_ct"))
_lesion_fact("lesion_visible_mri", "bool", "visible_on", "lesion visible on MRI", _visible("mri"))
_lesion_fact("lesion_visible_pet", "bool", "visible_on", "lesion visible on PET", _visible("pet"))


def case_facts(case: Case, external: Mapping[str, FactValue] | None = None) -> dict[str, FactValue]:
    """Every case-level fact of ``case`` (external facts from ``external`` or unknown)."""
    values: dict[str, FactValue] = {}
    for fact in FACTS.values():
        if fact.scope == "case" and fact.derive is not None:
            values[fact.name] = fact.derive(case)
        elif fact.scope == "external":
            values[fact.name] = (external or {}).get(fact.name)
    return values


def lesion_facts(lesion: Lesion) -> dict[str, FactValue]:
    """The lesion-scope facts of one lesion."""
    return {f.name: f.derive(lesion) for f in FACTS.values() if f.scope == "lesion" and f.derive is not None}
