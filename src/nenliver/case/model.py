"""Pydantic model of one tumour-board case, ``nenliver/case@1`` (see ``docs/formats/case.md``).

Absent means *unknown*, never *no*: every field but ``format`` and ``id`` defaults to ``None``.
Lab values are converted once, here at the boundary, to their canonical unit (the unit a bare
number is read in), in exact decimal arithmetic, using the conversion table
``case/data/units.yaml``; the value and unit as entered are kept (:meth:`Labs.entered`).

A case is valid once its constructor returns, however it was made (file, code, web request):
numbers are strict (no booleans, no numeric text, never NaN or infinity) and checked against
their physical ranges from ``case/data/ranges.yaml`` (which also go into the JSON Schema); dates
are ISO text or dates (never numbers); and the checks across fields (no date after the decision
date, a lesion count not below the listed lesions) raise field errors with their paths.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from nenliver._cited import Cited, cited
from nenliver._data import load_yaml
from nenliver._parsing import excerpt
from nenliver._validation import Bounded, IsoDate, field_problems_error
from nenliver.case import enums
from nenliver.errors import KnowledgeDataError, Problem

CASE_FORMAT = "nenliver/case@1"


class _Strict(BaseModel):
    """Base: unknown fields are errors (a misspelling must never be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class _Range(Cited):
    """A physical range of a case field (validated when ``ranges.yaml`` is loaded)."""

    min: float
    max: float
    unit: str
    exclusive_min: bool = False
    exclusive_max: bool = False
    integer: bool = False


@cache
def physical_ranges() -> dict[str, dict[str, Any]]:
    """``case/data/ranges.yaml``: field path (without list indices) → range, unit and source.

    Every entry is validated at load in the one cited-data format (:mod:`nenliver._cited`).
    """
    data: dict[str, dict[str, Any]] = load_yaml("nenliver.case", "data/ranges.yaml")
    for path, entry in data.items():
        spec = cited(entry, f"case/data/ranges.yaml: {path}", _Range)
        if not spec.min <= spec.max:
            raise KnowledgeDataError(f"case/data/ranges.yaml: {path}: min {spec.min} is above max {spec.max}")
    return data


class Patient(_Strict):
    age_years: Annotated[float | None, Bounded("patient.age_years", physical_ranges)] = None
    birth_date: IsoDate | None = None
    sex: enums.Sex | None = None
    height_cm: Annotated[float | None, Bounded("patient.height_cm", physical_ranges)] = None
    weight_kg: Annotated[float | None, Bounded("patient.weight_kg", physical_ranges)] = None
    ecog: Annotated[int | None, Bounded("patient.ecog", physical_ranges)] = None
    karnofsky: Annotated[int | None, Bounded("patient.karnofsky", physical_ranges)] = None
    inpatient_urgent: bool | None = Field(
        None, description="urgent (inpatient, refractory symptoms) indication for embolisation"
    )


class Tumour(_Strict):
    primary_site: enums.PrimarySite | None = None
    primary_resected: bool | None = None
    differentiation: enums.Differentiation | None = None
    ki67_percent: Annotated[float | None, Bounded("tumour.ki67_percent", physical_ranges)] = None
    mitoses_per_2mm2: Annotated[float | None, Bounded("tumour.mitoses_per_2mm2", physical_ranges)] = None
    grade: enums.Grade | None = None
    functioning_syndrome: enums.FunctioningSyndrome | None = None
    carcinoid_heart_disease: bool | None = None
    ssa_status: enums.SsaStatus | None = None
    disease_course: enums.DiseaseCourse | None = None
    stable_months: Annotated[float | None, Bounded("tumour.stable_months", physical_ranges)] = None
    extrahepatic_disease: bool | None = None
    extrahepatic_resection_planned: bool | None = Field(
        None, description="a combined extrahepatic resection is planned with a transplant"
    )


class SstrPet(_Strict):
    tracer: str | None = None
    krenning_score: Annotated[int | None, Bounded("imaging.sstr_pet.krenning_score", physical_ranges)] = None
    date: IsoDate | None = None


class PetStudy(_Strict):
    done: bool | None = None
    positive: bool | None = None
    date: IsoDate | None = None


class Imaging(_Strict):
    liver_mri_dwi: bool | None = None
    sstr_pet: SstrPet | None = None
    fdg_pet: PetStudy | None = None
    fdopa_pet: PetStudy | None = None


class Lesion(_Strict):
    id: str
    segment: enums.Segment | None = None
    diameter_mm: Annotated[float | None, Bounded("liver.lesions.diameter_mm", physical_ranges)] = None
    central: bool | None = None
    nearest_vessel_mm: Annotated[float | None, Bounded("liver.lesions.nearest_vessel_mm", physical_ranges)] = None
    visible_on: list[enums.Visibility] | None = None
    progressing: bool | None = None


class Liver(_Strict):
    tumour_burden_percent: Annotated[float | None, Bounded("liver.tumour_burden_percent", physical_ranges)] = None
    distribution: enums.Distribution | None = None
    surgical_indication: bool | None = None
    lesion_count: Annotated[int | None, Bounded("liver.lesion_count", physical_ranges)] = None
    lesions: list[Lesion] | None = None

    @model_validator(mode="after")
    def _lesions_agree(self) -> Liver:
        problems: list[Problem] = []
        seen: set[str] = set()
        for i, lesion in enumerate(self.lesions or ()):
            if lesion.id in seen:
                problems.append(
                    Problem(f"lesions[{i}].id", f"lesion id {excerpt(lesion.id)} appears twice", "a unique lesion id")
                )
            seen.add(lesion.id)
        if self.lesion_count is not None and self.lesions is not None and self.lesion_count < len(self.lesions):
            problems.append(
                Problem(
                    "lesion_count",
                    f"lesion_count {self.lesion_count} is below the {len(self.lesions)} lesions listed",
                    f"at least {len(self.lesions)}, or no lesion_count (the listed lesions are counted)",
                )
            )
        if problems:
            raise field_problems_error(problems)
        return self


class _UnitFactor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    divide_by: str | None = None
    multiply_by: str | None = None
    plausible: tuple[float, float] | None = None
    hint: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> _UnitFactor:
        if self.divide_by is not None and self.multiply_by is not None:
            raise ValueError("give divide_by or multiply_by, not both")
        factor = self.divide_by or self.multiply_by
        if factor is not None:
            if not Decimal(factor) > 0:
                raise ValueError("a conversion factor is a positive decimal")
            if not self.source:
                raise ValueError("a conversion factor needs its source")
        if self.plausible is not None and not self.hint:
            raise ValueError("a plausible range needs a hint")
        return self


class _LabUnits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    canonical: str
    units: dict[str, _UnitFactor]

    @model_validator(mode="after")
    def _canonical_listed(self) -> _LabUnits:
        if self.canonical not in self.units:
            raise ValueError(f"canonical unit {self.canonical!r} is not among the units")
        return self


@cache
def lab_units() -> dict[str, Any]:
    """``case/data/units.yaml``: per lab, its canonical unit and the units it converts from
    (validated at load: one factor per unit, as an exact decimal, with its source)."""
    table: dict[str, Any] = load_yaml("nenliver.case", "data/units.yaml")
    for lab, entry in table.items():
        try:
            _LabUnits.model_validate(entry)
        except ValueError as exc:
            raise KnowledgeDataError(f"case/data/units.yaml: {lab}: {exc}") from None
    return table


#: Significant digits kept after a unit conversion (labs report 2-4; this removes float noise only).
_CONVERSION_DIGITS = 12


def convert_lab(lab: str, value: float, unit: str) -> float:
    """``value`` in ``unit`` → the canonical unit of ``lab``, in exact decimal arithmetic.

    Examples
    --------
    >>> convert_lab("bilirubin", 51.3, "umol/L")
    3.0
    >>> convert_lab("haemoglobin", 6.206, "mmol/L")
    10.0
    """
    factor = lab_units()[lab]["units"][unit]
    exact = Decimal(str(value))
    if "divide_by" in factor:
        exact /= Decimal(str(factor["divide_by"]))
    elif "multiply_by" in factor:
        exact *= Decimal(str(factor["multiply_by"]))
    return float(format(exact, f".{_CONVERSION_DIGITS}g"))


def _to_canonical(lab: str, raw: Any) -> Any:
    """Convert ``{value, unit}`` to the canonical unit of ``lab``; bare numbers pass unchanged."""
    if not isinstance(raw, dict):
        return raw
    spec = lab_units()[lab]
    unknown = set(raw) - {"value", "unit"}
    if unknown:
        raise ValueError(f"unexpected key(s) {sorted(unknown)}; a lab value is a number or {{value, unit}}")
    if "value" not in raw:
        raise ValueError("missing 'value'")
    value = raw["value"]
    if value is None:
        return None
    unit = raw.get("unit", spec["canonical"])
    if not isinstance(unit, str) or unit not in spec["units"]:
        allowed = ", ".join(spec["units"])
        raise ValueError(f"unknown unit {excerpt(unit)}; expected one of {allowed}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"value {excerpt(value)} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"value {value} is not a finite number")
    return convert_lab(lab, value, unit)


_LAB_FIELDS = {
    "bilirubin": "bilirubin",
    "bilirubin_uln": "bilirubin",
    "albumin": "albumin",
    "inr": "inr",
    "platelets": "platelets",
    "neutrophils": "neutrophils",
    "leukocytes": "leukocytes",
    "haemoglobin": "haemoglobin",
    "creatinine": "creatinine",
    "creatinine_clearance": "creatinine_clearance",
}


@dataclass(frozen=True)
class _LabQuantity(Bounded):
    """A lab value: a number in the canonical unit, or ``{value, unit}`` (in the JSON Schema too)."""

    lab: str = ""

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        json_schema = super().__get_pydantic_json_schema__(schema, handler)
        units = list(lab_units()[self.lab]["units"])
        entered = {
            "type": "object",
            "properties": {"value": {"type": ["number", "null"]}, "unit": {"enum": units}},
            "required": ["value"],
            "additionalProperties": False,
        }
        json_schema.setdefault("anyOf", [{k: v for k, v in json_schema.items() if k not in ("description",)}])
        json_schema["anyOf"].insert(1, entered)
        json_schema["description"] += f"; a number in {lab_units()[self.lab]['canonical']} or {{value, unit}}"
        return json_schema


def _lab(name: str) -> Any:
    return _LabQuantity(f"labs.{name}", physical_ranges, lab=_LAB_FIELDS[name])


class Labs(_Strict):
    """Laboratory values in canonical units (bilirubin mg/dL, albumin g/dL, Hb g/dL, counts 10^9/L).

    Each value is a number in the canonical unit or ``{value, unit}`` converted on entry; what was
    entered is kept and given by :meth:`entered`.
    """

    bilirubin: Annotated[float | None, _lab("bilirubin")] = None
    bilirubin_uln: Annotated[float | None, _lab("bilirubin_uln")] = Field(
        None, description="laboratory upper limit of normal, mg/dL"
    )
    albumin: Annotated[float | None, _lab("albumin")] = None
    inr: Annotated[float | None, _lab("inr")] = None
    platelets: Annotated[float | None, _lab("platelets")] = None
    neutrophils: Annotated[float | None, _lab("neutrophils")] = None
    leukocytes: Annotated[float | None, _lab("leukocytes")] = None
    haemoglobin: Annotated[float | None, _lab("haemoglobin")] = None
    creatinine: Annotated[float | None, _lab("creatinine")] = None
    creatinine_clearance: Annotated[float | None, _lab("creatinine_clearance")] = None
    date: IsoDate | None = None

    _entered: dict[str, tuple[float, str]] = PrivateAttr(default_factory=dict)

    @field_validator(*_LAB_FIELDS, mode="before")
    @classmethod
    def _convert(cls, raw: Any, info: Any) -> Any:
        return _to_canonical(_LAB_FIELDS[info.field_name], raw)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_entered(cls, data: Any, handler: Any) -> Any:
        labs = handler(data)
        if isinstance(data, dict):
            for name in _LAB_FIELDS:
                raw = data.get(name)
                if isinstance(raw, dict) and raw.get("value") is not None:
                    unit = raw.get("unit", lab_units()[_LAB_FIELDS[name]]["canonical"])
                    labs._entered[name] = (raw["value"], str(unit))
        return labs

    def entered(self, name: str) -> tuple[float, str] | None:
        """The value and unit as entered for lab ``name`` (``None`` for a bare number or no value).

        Examples
        --------
        >>> Labs(bilirubin={"value": 51.3, "unit": "umol/L"}).entered("bilirubin")
        (51.3, 'umol/L')
        """
        return self._entered.get(name)


class PriorTreatment(_Strict):
    kind: enums.PriorTreatmentKind
    date: IsoDate | None = None
    target: str | None = None
    cycles: Annotated[int | None, Bounded("history.prior_treatments.cycles", physical_ranges)] = None


class PrrtCycle(_Strict):
    """One PRRT cycle given, with its post-therapy dosimetry where it was done (``nenliver prrt``).

    Kidney figures are those of the worse kidney; list every cycle given, with the doses left out
    where no dosimetry was done (the cumulative figures are then unknown, never zero).
    """

    cycle: Annotated[int, Bounded("history.prrt_cycles.cycle", physical_ranges)]
    date: IsoDate | None = None
    injected_activity_gbq: Annotated[
        float | None, Bounded("history.prrt_cycles.injected_activity_gbq", physical_ranges)
    ] = None
    kidney_dose_gy: Annotated[float | None, Bounded("history.prrt_cycles.kidney_dose_gy", physical_ranges)] = None
    kidney_bed_gy: Annotated[float | None, Bounded("history.prrt_cycles.kidney_bed_gy", physical_ranges)] = None
    marrow_dose_gy: Annotated[float | None, Bounded("history.prrt_cycles.marrow_dose_gy", physical_ranges)] = None


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
    sirt_lung_dose_gy_cumulative: Annotated[
        float | None, Bounded("history.sirt_lung_dose_gy_cumulative", physical_ranges)
    ] = None
    prrt_cycles: list[PrrtCycle] | None = Field(default=None, max_length=30)
    prrt_kidney_risk_factors: bool | None = None

    @model_validator(mode="after")
    def _prrt_cycles_once(self) -> History:
        seen: set[int] = set()
        problems = []
        for i, entry in enumerate(self.prrt_cycles or ()):
            if entry.cycle in seen:
                problems.append(
                    Problem(f"prrt_cycles[{i}].cycle", f"cycle {entry.cycle} listed twice", "one entry per cycle")
                )
            seen.add(entry.cycle)
        if problems:
            raise field_problems_error(problems)
        return self


class SirtWorkup(_Strict):
    lung_shunt_fraction_percent: Annotated[
        float | None, Bounded("sirt_workup.lung_shunt_fraction_percent", physical_ranges)
    ] = None
    uncorrectable_gi_reflux: bool | None = None
    tumour_to_normal_ratio: Annotated[float | None, Bounded("sirt_workup.tumour_to_normal_ratio", physical_ranges)] = (
        None
    )
    liver_volume_ml: Annotated[float | None, Bounded("sirt_workup.liver_volume_ml", physical_ranges)] = None
    tumour_volume_ml: Annotated[float | None, Bounded("sirt_workup.tumour_volume_ml", physical_ranges)] = None
    perfused_territory: enums.PerfusedTerritory | None = None
    maa_date: IsoDate | None = None
    maa_activity_mbq: Annotated[float | None, Bounded("sirt_workup.maa_activity_mbq", physical_ranges)] = None

    @model_validator(mode="after")
    def _tumour_within_liver(self) -> SirtWorkup:
        if (
            self.tumour_volume_ml is not None
            and self.liver_volume_ml is not None
            and self.tumour_volume_ml >= self.liver_volume_ml
        ):
            raise field_problems_error(
                [
                    Problem(
                        "tumour_volume_ml",
                        f"tumour_volume_ml {self.tumour_volume_ml:g} is not smaller than liver_volume_ml "
                        f"{self.liver_volume_ml:g} (the liver volume includes the tumour)",
                        "a tumour volume below the liver volume",
                    )
                ]
            )
        return self


class Case(_Strict):
    """One patient, one decision date: the input of ``nenliver plan``."""

    format: Literal["nenliver/case@1"]
    id: str = Field(min_length=1)
    decision_date: IsoDate | None = None
    patient: Patient = Patient()
    tumour: Tumour = Tumour()
    imaging: Imaging = Imaging()
    liver: Liver = Liver()
    labs: Labs = Labs()
    history: History = History()
    sirt_workup: SirtWorkup | None = None

    @model_validator(mode="after")
    def _nothing_after_the_decision(self) -> Case:
        """Dated information must precede the decision it informs (a later date is a data error)."""
        on = self.decision_date
        if on is None:
            return self
        problems = [
            Problem(
                path,
                f"{when.isoformat()} is after the decision date {on.isoformat()} (information from the future)",
                f"a date on or before {on.isoformat()}",
            )
            for path, when in self._dates()
            if when is not None and when > on
        ]
        if problems:
            raise field_problems_error(problems)
        return self

    def _dates(self) -> list[tuple[str, dt.date | None]]:
        """Every dated item of the case with its field path."""
        imaging = self.imaging
        dates: list[tuple[str, dt.date | None]] = [
            ("patient.birth_date", self.patient.birth_date),
            ("labs.date", self.labs.date),
            ("imaging.sstr_pet.date", imaging.sstr_pet.date if imaging.sstr_pet else None),
            ("imaging.fdg_pet.date", imaging.fdg_pet.date if imaging.fdg_pet else None),
            ("imaging.fdopa_pet.date", imaging.fdopa_pet.date if imaging.fdopa_pet else None),
            ("sirt_workup.maa_date", self.sirt_workup.maa_date if self.sirt_workup else None),
        ]
        for i, treatment in enumerate(self.history.prior_treatments or ()):
            dates.append((f"history.prior_treatments[{i}].date", treatment.date))
        for i, cycle in enumerate(self.history.prrt_cycles or ()):
            dates.append((f"history.prrt_cycles[{i}].date", cycle.date))
        return dates
