"""Every case fact as a polars expression over the typed case columns (:mod:`.table`).

Each expression mirrors the per-case derivation of :mod:`nenliver.guideline.facts` (same data
files, same order of operations, same three-valued result: null = unknown); a property test holds
them equal on random cases. Direct facts are their column; derived facts are written out below,
one function per fact of ``facts.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from nenliver.guideline.facts import FACTS, _derivations

__all__ = ["case_fact_columns", "lesion_fact_columns"]

_NULL_NUMBER = pl.lit(None, pl.Float64)
_NULL_BOOL = pl.lit(None, pl.Boolean)
_GRADES = ("G1", "G2", "G3")


def _col(path: str) -> pl.Expr:
    return pl.col(path)


def _band(value: pl.Expr, bands: list[dict[str, float | str]]) -> pl.Expr:
    """The grade number (1-3) of a measure, null when it is null."""
    chain: Any = None
    for band in bands:
        grade = _GRADES.index(str(band["grade"])) + 1
        if "below" in band:
            cond = value < float(band["below"])
        elif "upper_inclusive" in band:
            cond = value <= float(band["upper_inclusive"])
        else:
            cond = value.is_not_null()
        chain = pl.when(cond).then(pl.lit(grade)) if chain is None else chain.when(cond).then(pl.lit(grade))
    assert chain is not None
    return chain.otherwise(pl.lit(None, pl.Int32))


def _measured_grade() -> pl.Expr:
    table = _derivations()["grading"]
    ki = _band(_col("tumour.ki67_percent"), table["ki67_percent"])
    mitoses = _band(_col("tumour.mitoses_per_2mm2"), table["mitoses_per_2mm2"])
    number = pl.max_horizontal(ki, mitoses)
    return (
        pl.when(number == 1)
        .then(pl.lit("G1"))
        .when(number == 2)
        .then(pl.lit("G2"))
        .when(number == 3)
        .then(pl.lit("G3"))
        .otherwise(pl.lit(None, pl.String))
    )


def _grade() -> pl.Expr:
    return pl.coalesce(_measured_grade(), _col("tumour.grade"))


def _grade_discordant() -> pl.Expr:
    measured, stated = _measured_grade(), _col("tumour.grade")
    return pl.when(measured.is_null() | stated.is_null()).then(_NULL_BOOL).otherwise(measured != stated)


def _age() -> pl.Expr:
    born, on = _col("patient.birth_date"), _col("decision_date")
    earlier = (on.dt.month() < born.dt.month()) | ((on.dt.month() == born.dt.month()) & (on.dt.day() < born.dt.day()))
    computed = (on.dt.year() - born.dt.year() - earlier.cast(pl.Int32)).cast(pl.Float64)
    return pl.coalesce(_col("patient.age_years"), computed)


def _karnofsky() -> pl.Expr:
    table = _derivations()["performance_status"]["ecog_to_karnofsky_min_percent"]
    ecog = _col("patient.ecog")
    chain: Any = pl.when(ecog == float(next(iter(table)))).then(pl.lit(float(table[next(iter(table))])))
    for grade, percent in list(table.items())[1:]:
        chain = chain.when(ecog == float(grade)).then(pl.lit(float(percent)))
    return pl.coalesce(_col("patient.karnofsky"), chain.otherwise(_NULL_NUMBER))


def _portal() -> pl.Expr:
    table = _derivations()["portal_drainage"]
    site = _col("tumour.primary_site")
    return (
        pl.when(site.is_in(table["portal"]))
        .then(pl.lit(True))
        .when(site.is_in(table["not_portal"]))
        .then(pl.lit(False))
        .otherwise(_NULL_BOOL)
    )


def _functioning() -> pl.Expr:
    syndrome = _col("tumour.functioning_syndrome")
    return pl.when(syndrome.is_null()).then(_NULL_BOOL).otherwise(syndrome != "none")


def _lesions() -> pl.Expr:
    return _col("liver.lesions")


def _lesion_field(name: str) -> pl.Expr:
    return _lesions().list.eval(pl.element().struct.field(name))


def _lesion_count() -> pl.Expr:
    return pl.coalesce(_col("liver.lesion_count"), _lesions().list.len().cast(pl.Float64))


def _largest() -> pl.Expr:
    diameters = _lesion_field("diameter_mm")
    empty = _lesions().is_null() | (_lesions().list.len() == 0)
    unknown = diameters.list.eval(pl.element().is_null()).list.any()
    listed = pl.when(empty | unknown).then(_NULL_NUMBER).otherwise(diameters.list.max())
    return pl.when(_lesions().is_null()).then(_col("liver.largest_lesion_mm")).otherwise(listed)


def _progressing_count() -> pl.Expr:
    progressing = _lesion_field("progressing")
    count = _col("liver.lesion_count")
    listed = _lesions().list.len().cast(pl.Float64)
    unknown = (
        _lesions().is_null()
        | (count.is_not_null() & (count != listed))
        | progressing.list.eval(pl.element().is_null()).list.any()
    )
    summed = progressing.list.eval(pl.element().cast(pl.Int32)).list.sum().cast(pl.Float64)
    return (
        pl.when(_col("tumour.disease_course") == "stable")
        .then(pl.lit(0.0))
        .when(unknown)
        .then(_NULL_NUMBER)
        .otherwise(summed)
    )


def _listed_progressing() -> pl.Expr:
    progressing = _lesion_field("progressing")
    true_count = progressing.list.eval((pl.element() == True).fill_null(False).cast(pl.Int32)).list.sum()  # noqa: E712
    return pl.when(_lesions().is_null()).then(_NULL_NUMBER).otherwise(true_count.cast(pl.Float64))


def _days(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_days().cast(pl.Float64)


def _maa_age() -> pl.Expr:
    return _days(_col("decision_date"), _col("sirt_workup.maa_date"))


def _any_central() -> pl.Expr:
    central = _lesion_field("central")
    empty = _lesions().is_null() | (_lesions().list.len() == 0)
    any_true = central.list.eval(pl.element().fill_null(False)).list.any()
    any_null = central.list.eval(pl.element().is_null()).list.any()
    return (
        pl.when(empty)
        .then(_NULL_BOOL)
        .when(any_true)
        .then(pl.lit(True))
        .when(any_null)
        .then(_NULL_BOOL)
        .otherwise(pl.lit(False))
    )


def _labs_age() -> pl.Expr:
    return _days(_col("decision_date"), _col("labs.date"))


def _bili_uln() -> pl.Expr:
    bili, uln = _col("labs.bilirubin"), _col("labs.bilirubin_uln")
    return pl.when(bili.is_null() | uln.is_null() | (uln == 0)).then(_NULL_NUMBER).otherwise(bili / uln)


def _kinds() -> pl.Expr:
    return _col("history.prior_treatments").list.eval(pl.element().struct.field("kind"))


def _prior(kinds: tuple[str, ...]) -> Callable[[], pl.Expr]:
    def expr() -> pl.Expr:
        treatments = _col("history.prior_treatments")
        found = _kinds().list.eval(pl.element().is_in(list(kinds))).list.any()
        return pl.when(treatments.is_null()).then(_NULL_BOOL).otherwise(found)

    return expr


def _days_since_chemo() -> pl.Expr:
    treatments = _col("history.prior_treatments")
    chemo = treatments.list.eval(
        pl.element().filter(pl.element().struct.field("kind") == "chemotherapy").struct.field("date")
    )
    dates = chemo.list.eval(pl.element().str.to_date("%Y-%m-%d", strict=False))
    unknown = (
        treatments.is_null()
        | _col("decision_date").is_null()
        | (chemo.list.len() == 0)
        | dates.list.eval(pl.element().is_null()).list.any()
    )
    return pl.when(unknown).then(_NULL_NUMBER).otherwise(_days(_col("decision_date"), dates.list.max()))


def _prrt_cycles_given() -> pl.Expr:
    """PRRT cycles counted by the prior treatments (null when a PRRT entry has no count)."""
    treatments = _col("history.prior_treatments")
    prrt = treatments.list.eval(pl.element().filter(pl.element().struct.field("kind") == "prrt").struct.field("cycles"))
    unknown = treatments.is_null() | prrt.list.eval(pl.element().is_null()).list.any()
    return pl.when(unknown).then(_NULL_NUMBER).otherwise(prrt.list.sum().cast(pl.Float64))


def _prrt_cumulative(field: str) -> Callable[[], pl.Expr]:
    def expr() -> pl.Expr:
        cycles = _col("history.prrt_cycles")
        values = cycles.list.eval(pl.element().struct.field(field))
        listed = cycles.list.len().fill_null(0)
        given = _prrt_cycles_given()
        none_listed = pl.when(_prior(("prrt",))() == False).then(pl.lit(0.0)).otherwise(_NULL_NUMBER)  # noqa: E712
        unknown = values.list.eval(pl.element().is_null()).list.any() | (given.is_not_null() & (given > listed))
        return (
            pl.when(listed == 0)
            .then(none_listed)
            .when(unknown)
            .then(_NULL_NUMBER)
            .otherwise(values.list.sum().cast(pl.Float64))
        )

    return expr


def _prrt_projected(field: str) -> Callable[[], pl.Expr]:
    def expr() -> pl.Expr:
        cycles = _col("history.prrt_cycles")
        last = cycles.list.eval(
            pl.element().sort_by(pl.element().struct.field("cycle")).last().struct.field(field)
        ).list.first()
        total = _prrt_cumulative(field)()
        listed = cycles.list.len().fill_null(0)
        return pl.when((listed == 0) | total.is_null() | last.is_null()).then(_NULL_NUMBER).otherwise(total + last)

    return expr


def _workup_done() -> pl.Expr:
    from nenliver.service.cohort.table import case_columns

    fields = [pl.col(c.path).is_not_null() for c in case_columns() if c.path.startswith("sirt_workup.")]
    return pl.any_horizontal(fields)


_DERIVED: dict[str, Callable[[], pl.Expr]] = {
    "grade": _grade,
    "grade_discordant": _grade_discordant,
    "age_years": _age,
    "karnofsky_percent": _karnofsky,
    "primary_portal_drained": _portal,
    "functioning": _functioning,
    "sstr_imaging_on_file": lambda: _col("imaging.sstr_pet.krenning_score").is_not_null(),
    "lesion_count": _lesion_count,
    "largest_lesion_mm": _largest,
    "progressing_lesion_count": _progressing_count,
    "listed_progressing_lesion_count": _listed_progressing,
    "maa_age_days": _maa_age,
    "any_central_lesion": _any_central,
    "labs_age_days": _labs_age,
    "bilirubin_x_uln": _bili_uln,
    "prior_tae_tace": _prior(("tae", "tace")),
    "prior_prrt": _prior(("prrt",)),
    "prior_sirt": _prior(("sirt",)),
    "days_since_chemotherapy": _days_since_chemo,
    "sirt_workup_done": _workup_done,
    "prrt_kidney_bed_gy_cumulative": _prrt_cumulative("kidney_bed_gy"),
    "prrt_kidney_bed_gy_projected": _prrt_projected("kidney_bed_gy"),
    "prrt_kidney_dose_gy_cumulative": _prrt_cumulative("kidney_dose_gy"),
    "prrt_kidney_dose_gy_projected": _prrt_projected("kidney_dose_gy"),
    "prrt_marrow_dose_gy_cumulative": _prrt_cumulative("marrow_dose_gy"),
}


def case_fact_columns() -> list[pl.Expr]:
    """One expression per case-scope fact, aliased by the fact's name (external facts excluded)."""
    out = []
    for fact in FACTS.values():
        if fact.scope != "case":
            continue
        if fact.direct:
            expr = _col(fact.paths[0])
            if fact.kind == "number":
                expr = expr.cast(pl.Float64)
        elif fact.name in _DERIVED:
            expr = _DERIVED[fact.name]()
        else:  # a new derived fact without its expression: refuse rather than read it as unknown
            raise NotImplementedError(f"cohort: no polars expression for the derived fact {fact.name!r}")
        out.append(expr.alias(fact.name))
    return out


def lesion_fact_columns() -> list[pl.Expr]:
    """The lesion-scope facts over an exploded lesion frame (columns ``lesion.<field>``)."""
    groups = _derivations()["visibility"]

    def visible(group: str) -> pl.Expr:
        seen = pl.col("lesion.visible_on")
        hit = seen.list.eval(pl.element().is_in(groups[group])).list.any()
        return pl.when(seen.is_null()).then(_NULL_BOOL).otherwise(hit)

    expressions = {
        "lesion_diameter_mm": pl.col("lesion.diameter_mm"),
        "lesion_central": pl.col("lesion.central"),
        "lesion_nearest_vessel_mm": pl.col("lesion.nearest_vessel_mm"),
        "lesion_progressing": pl.col("lesion.progressing"),
        "lesion_visible_us_ct": visible("us_ct"),
        "lesion_visible_mri": visible("mri"),
        "lesion_visible_pet": visible("pet"),
    }
    names = [f.name for f in FACTS.values() if f.scope == "lesion"]
    missing = set(names) - set(expressions)
    if missing:
        raise NotImplementedError(f"cohort: no polars expression for the lesion facts {sorted(missing)}")
    return [expressions[n].alias(n) for n in names]
