"""Pydantic model of one tumour-board case, ``nenliver/case@1`` (see ``shared/spec/case-format.md``).

Absent means *unknown*, never *no*: every field but ``format`` and ``id`` defaults to ``None``.
Lab values are converted once, here at the boundary, to their canonical unit (the unit a bare
number is read in), using the conversion table ``case/data/units.yaml``. Physical ranges are
checked by :func:`nenliver.case.io.validate_ranges` against ``case/data/ranges.yaml``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nenliver._data import load_yaml
from nenliver.case import enums

CASE_FORMAT = "nenliver/case@1"


class _Strict(BaseModel):
    """Base: unknown fields are errors (a misspelling must never be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Patient(_Strict):
    age_years: float | None = None
    birth_date: dt.date | None = None
    sex: enums.Sex | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    ecog: int | None = None
    karnofsky: int | None = None
    inpatient_urgent: bool | None = Field(
        None, description="urgent (inpatient, refractory symptoms) indication for embolisation"
    )


class Tumour(_Strict):
    primary_site: enums.PrimarySite | None = None
    primary_resected: bool | None = None
    differentiation: enums.Differentiation | None = None
    ki67_percent: float | None = None
    mitoses_per_2mm2: float | None = None
    grade: enums.Grade | None = None
    functioning_syndrome: enums.FunctioningSyndrome | None = None
    carcinoid_heart_disease: bool | None = None
    ssa_status: enums.SsaStatus | None = None
    disease_course: enums.DiseaseCourse | None = None
    stable_months: float | None = None
    extrahepatic_disease: bool | None = None
    extrahepatic_resection_planned: bool | None = Field(
        None, description="a combined extrahepatic resection is planned with a transplant"
    )


class SstrPet(_Strict):
    tracer: str | None = None
    krenning_score: int | None = None
    date: dt.date | None = None


class PetStudy(_Strict):
    done: bool | None = None
    positive: bool | None = None
    date: dt.date | None = None


class Imaging(_Strict):
    liver_mri_dwi: bool | None = None
    sstr_pet: SstrPet | None = None
    fdg_pet: PetStudy | None = None
    fdopa_pet: PetStudy | None = None


class Lesion(_Strict):
    id: str
    segment: enums.Segment | None = None
    diameter_mm: float | None = None
    central: bool | None = None
    nearest_vessel_mm: float | None = None
    visible_on: list[enums.Visibility] | None = None
    progressing: bool | None = None


class Liver(_Strict):
    tumour_burden_percent: float | None = None
    distribution: enums.Distribution | None = None
    surgical_indication: bool | None = None
    lesion_count: int | None = None
    lesions: list[Lesion] | None = None

    @field_validator("lesions")
    @classmethod
    def _unique_lesion_ids(cls, lesions: list[Lesion] | None) -> list[Lesion] | None:
        if lesions:
            seen: set[str] = set()
            for lesion in lesions:
                if lesion.id in seen:
                    raise ValueError(f"lesion id {lesion.id!r} appears twice; each lesion needs its own id")
                seen.add(lesion.id)
        return lesions


def _lab_units() -> dict[str, Any]:
    table: dict[str, Any] = load_yaml("nenliver.case", "data/units.yaml")
    return table


def _to_canonical(lab: str, raw: Any) -> Any:
    """Convert ``{value, unit}`` to the canonical unit of ``lab``; bare numbers pass unchanged."""
    if not isinstance(raw, dict):
        return raw
    spec = _lab_units()[lab]
    unknown = set(raw) - {"value", "unit"}
    if unknown:
        raise ValueError(f"unexpected key(s) {sorted(unknown)}; a lab value is a number or {{value, unit}}")
    if "value" not in raw:
        raise ValueError("missing 'value'")
    value = raw["value"]
    if value is None:
        return None
    unit = raw.get("unit", spec["canonical"])
    factor = spec["units"].get(str(unit))
    if factor is None:
        allowed = ", ".join(spec["units"])
        raise ValueError(f"unknown unit {unit!r}; expected one of {allowed}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"value {value!r} is not a number")
    return float(value) * float(factor["to_canonical"])


class Labs(_Strict):
    """Laboratory values in canonical units (bilirubin mg/dL, albumin g/dL, Hb g/dL, counts 10^9/L)."""

    bilirubin: float | None = None
    bilirubin_uln: float | None = Field(None, description="laboratory upper limit of normal, mg/dL")
    albumin: float | None = None
    inr: float | None = None
    platelets: float | None = None
    neutrophils: float | None = None
    leukocytes: float | None = None
    haemoglobin: float | None = None
    creatinine: float | None = None
    creatinine_clearance: float | None = None
    date: dt.date | None = None

    @field_validator(
        "bilirubin",
        "albumin",
        "inr",
        "platelets",
        "neutrophils",
        "leukocytes",
        "haemoglobin",
        "creatinine",
        "creatinine_clearance",
        mode="before",
    )
    @classmethod
    def _convert(cls, raw: Any, info: Any) -> Any:
        return _to_canonical(info.field_name, raw)

    @field_validator("bilirubin_uln", mode="before")
    @classmethod
    def _convert_uln(cls, raw: Any) -> Any:
        return _to_canonical("bilirubin", raw)


class PriorTreatment(_Strict):
    kind: enums.PriorTreatmentKind
    date: dt.date | None = None
    target: str | None = None
    cycles: int | None = None


class History(_Strict):
    ascites: bool | None = None
    portal_vein_thrombosis: bool | None = None
    bilioenteric_anastomosis: bool | None = None
    sphincterotomy: bool | None = None
    biliary_stent: bool | None = None
    biliary_dilatation: bool | None = None
    irreversible_coagulopathy: bool | None = None
    anaesthesia_contraindicated: bool | None = None
    cardiac_arrhythmia: bool | None = None
    heavy_cardiac_history: bool | None = None
    iodinated_contrast_allergy: bool | None = None
    pre_existing_liver_disease: bool | None = None
    prior_chemotherapy: bool | None = None
    prior_liver_radiotherapy: bool | None = None
    prior_treatments: list[PriorTreatment] | None = None
    sirt_lung_dose_gy_cumulative: float | None = None


class SirtWorkup(_Strict):
    lung_shunt_fraction_percent: float | None = None
    uncorrectable_gi_reflux: bool | None = None
    tumour_to_normal_ratio: float | None = None
    liver_volume_ml: float | None = None
    tumour_volume_ml: float | None = None
    perfused_territory: enums.PerfusedTerritory | None = None
    maa_date: dt.date | None = None
    maa_activity_mbq: float | None = None

    @model_validator(mode="after")
    def _tumour_within_liver(self) -> SirtWorkup:
        if (
            self.tumour_volume_ml is not None
            and self.liver_volume_ml is not None
            and self.tumour_volume_ml >= self.liver_volume_ml
        ):
            raise ValueError(
                f"tumour_volume_ml {self.tumour_volume_ml:g} is not smaller than liver_volume_ml "
                f"{self.liver_volume_ml:g} (the liver volume includes the tumour)"
            )
        return self


class Case(_Strict):
    """One patient, one decision date: the input of ``nenliver plan``."""

    format: Literal["nenliver/case@1"]
    id: str = Field(min_length=1)
    decision_date: dt.date | None = None
    patient: Patient = Patient()
    tumour: Tumour = Tumour()
    imaging: Imaging = Imaging()
    liver: Liver = Liver()
    labs: Labs = Labs()
    history: History = History()
    sirt_workup: SirtWorkup | None = None
