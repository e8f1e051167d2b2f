"""A cohort table (CSV or Parquet, one row per case) as typed columns, and the rows it refuses.

Columns are named by the case format's dotted paths (``patient.age_years``, ``labs.bilirubin``).
Besides them:

* ``labs.<lab>.unit``: the unit of a lab column when it is not the canonical one (``units.yaml``);
  the value is converted as the case model converts it (exact factor, 12 significant digits);
* ``liver.lesions``: the lesion list as JSON text (or a Parquet list of structs), the same objects
  as in a case file;
* ``history.prior_treatments``: the same, for prior treatments;
* ``history.prrt_cycles``: the same, for the PRRT cycles given and their dosimetry;
* ``liver.largest_lesion_mm``: the largest diameter, for tables that hold no lesion list.

Every check is a column expression, so a bad value marks its row (row number and field in the
``errors`` column) without stopping the run or slowing the good rows: a value that is not of the
field's type, out of its physical range (``ranges.yaml``), not one of its codes, an impossible or
future date, an unknown unit, a lesion count below the listed lesions, a tumour volume not below
the liver volume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

import polars as pl

from nenliver.case.enums import PriorTreatmentKind
from nenliver.case.model import Case, lab_units, physical_ranges

__all__ = [
    "COHORT_ONLY",
    "LESION",
    "LIST_COLUMNS",
    "PRRT_CYCLE",
    "TREATMENT",
    "ColumnSpec",
    "case_columns",
    "normalise",
]

#: Columns a cohort table may have that a case has not.
COHORT_ONLY = {"liver.largest_lesion_mm": "number"}
#: Significant digits after a unit conversion (as the case model, ``_CONVERSION_DIGITS``).
_DIGITS = 12

LESION = pl.Struct(
    {
        "id": pl.String,
        "segment": pl.String,
        "diameter_mm": pl.Float64,
        "central": pl.Boolean,
        "nearest_vessel_mm": pl.Float64,
        "visible_on": pl.List(pl.String),
        "progressing": pl.Boolean,
    }
)
TREATMENT = pl.Struct({"kind": pl.String, "date": pl.String, "target": pl.String, "cycles": pl.Int64})
PRRT_CYCLE = pl.Struct(
    {
        "cycle": pl.Int64,
        "date": pl.String,
        "injected_activity_gbq": pl.Float64,
        "kidney_dose_gy": pl.Float64,
        "kidney_bed_gy": pl.Float64,
        "marrow_dose_gy": pl.Float64,
    }
)
#: Columns holding lists of objects (JSON text or Parquet lists of structs), with their types.
LIST_COLUMNS = {
    "liver.lesions": pl.List(LESION),
    "history.prior_treatments": pl.List(TREATMENT),
    "history.prrt_cycles": pl.List(PRRT_CYCLE),
}


@dataclass(frozen=True)
class ColumnSpec:
    path: str
    kind: str  # number | integer | bool | enum | date | text
    values: tuple[str, ...] = ()


def _walk(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str, out: list[ColumnSpec]) -> None:
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
        first = variants[0] if variants else prop
        ref = first.get("$ref")
        if ref:
            _walk(schema, schema["$defs"][ref.rsplit("/", 1)[1]], f"{path}.", out)
            continue
        if first.get("type") == "array":
            continue  # lists of objects travel as JSON columns
        kind = "text"
        if "enum" in first:
            kind = "enum"
        elif first.get("type") in ("number", "integer"):
            kind = first["type"]
        elif first.get("type") == "boolean":
            kind = "bool"
        elif first.get("format") == "date":
            kind = "date"
        out.append(ColumnSpec(path, kind, tuple(first.get("enum", ()))))


@cache
def case_columns() -> tuple[ColumnSpec, ...]:
    """Every scalar field of the case format, with its kind (the columns a table may have)."""
    schema = Case.model_json_schema()
    out: list[ColumnSpec] = []
    _walk(schema, schema, "", out)
    return tuple(c for c in out if c.path not in ("format", "id"))


def _error(condition: pl.Expr, field: str, message: str) -> pl.Expr:
    """A nullable text: ``field: message`` where ``condition`` holds."""
    return pl.when(condition.fill_null(False)).then(pl.lit(f"{field}: {message}")).otherwise(pl.lit(None, pl.String))


def _outside(value: pl.Expr, spec: Mapping[str, Any]) -> pl.Expr:
    """True where ``value`` lies outside the range ``spec`` (null stays null)."""
    low = value < spec["min"] if not spec.get("exclusive_min") else value <= spec["min"]
    high = value > spec["max"] if not spec.get("exclusive_max") else value >= spec["max"]
    return low | high


def _out_of_range(spec: Mapping[str, Any]) -> str:
    bracket = (
        ("(" if spec.get("exclusive_min") else "[")
        + f"{spec['min']:g}, {spec['max']:g}"
        + (")" if spec.get("exclusive_max") else "]")
    )
    return f"out of range (expected a number in {bracket} {spec['unit']})"


def _range_check(path: str, column: pl.Expr) -> list[pl.Expr]:
    spec = physical_ranges().get(path)
    if spec is None:
        return []
    checks = [_error(_outside(column, spec), path, _out_of_range(spec))]
    if spec.get("integer"):
        checks.append(_error(column.round(0) != column, path, "not a whole number"))
    return checks


def _lab_conversion(lab: str, field: str, column: pl.Expr, unit: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The value in the canonical unit, and an error where the unit is unknown."""
    spec = lab_units()[lab]
    converted = column
    known = []
    for name, factor in spec["units"].items():
        known.append(name)
        if "divide_by" in factor:
            value = (column / float(factor["divide_by"])).round_sig_figs(_DIGITS)
        elif "multiply_by" in factor:
            value = (column * float(factor["multiply_by"])).round_sig_figs(_DIGITS)
        else:
            continue
        converted = pl.when(unit == name).then(value).otherwise(converted)
    bad = unit.is_not_null() & ~unit.is_in(known)
    return converted, _error(bad, f"{field}.unit", f"unknown unit (expected one of {', '.join(known)})")


_LABS = {
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


def _as_number(name: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    raw = pl.col(name)
    if dtype.is_numeric():
        value = raw.cast(pl.Float64)
        bad = value.is_nan() | value.is_infinite()
    else:
        value = raw.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
        bad = (raw.is_not_null() & (raw.cast(pl.String).str.strip_chars() != "") & value.is_null()) | value.is_nan()
        bad = bad | value.is_infinite()
    clean = pl.when(bad.fill_null(False)).then(pl.lit(None, pl.Float64)).otherwise(value)
    return clean, _error(bad, name, "not a finite number")


def _as_bool(name: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    raw = pl.col(name)
    if dtype == pl.Boolean:
        return raw, pl.lit(None, pl.String)
    text = raw.cast(pl.String).str.strip_chars().str.to_lowercase()
    value = pl.when(text.is_in(["true", "yes", "1"])).then(True).when(text.is_in(["false", "no", "0"])).then(False)
    bad = text.is_not_null() & (text != "") & ~text.is_in(["true", "yes", "1", "false", "no", "0"])
    return value.otherwise(pl.lit(None, pl.Boolean)), _error(bad, name, "not true/false")


def _as_date(name: str) -> tuple[pl.Expr, pl.Expr]:
    raw = pl.col(name).cast(pl.String).str.strip_chars()
    value = raw.str.to_date("%Y-%m-%d", strict=False)
    bad = raw.is_not_null() & (raw != "") & value.is_null()
    return value, _error(bad, name, "not a date (YYYY-MM-DD)")


def _as_enum(spec: ColumnSpec) -> tuple[pl.Expr, pl.Expr]:
    raw = pl.col(spec.path).cast(pl.String).str.strip_chars()
    value = pl.when(raw == "").then(pl.lit(None, pl.String)).otherwise(raw)
    bad = value.is_not_null() & ~value.is_in(list(spec.values))
    clean = pl.when(bad).then(pl.lit(None, pl.String)).otherwise(value)
    return clean, _error(bad, spec.path, f"not one of {', '.join(spec.values)}")


def _lists(frame: pl.LazyFrame, schema: Mapping[str, pl.DataType]) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Lesion and treatment list columns (JSON text or lists of structs) and their errors."""
    columns, errors = [], []
    for name, dtype in LIST_COLUMNS.items():
        if name not in schema:
            columns.append(pl.lit(None, dtype).alias(name))
            continue
        if schema[name] == pl.String:
            text = pl.col(name).str.strip_chars()
            parsed = pl.when(text == "").then(pl.lit(None, pl.String)).otherwise(text).str.json_decode(dtype)
        else:
            parsed = pl.col(name).cast(dtype)
        columns.append(parsed.alias(name))
    lesions = pl.col("liver.lesions")
    diameters = lesions.list.eval(pl.element().struct.field("diameter_mm"))
    vessels = lesions.list.eval(pl.element().struct.field("nearest_vessel_mm"))
    ids = lesions.list.eval(pl.element().struct.field("id"))
    d_spec = physical_ranges()["liver.lesions.diameter_mm"]
    v_spec = physical_ranges()["liver.lesions.nearest_vessel_mm"]
    errors += [
        _error(ids.list.eval(pl.element().is_null()).list.any(), "liver.lesions", "a lesion without id"),
        _error(ids.list.n_unique() != ids.list.len(), "liver.lesions", "duplicate lesion ids"),
        _error(
            diameters.list.eval((pl.element() <= d_spec["min"]) | (pl.element() > d_spec["max"])).list.any(),
            "liver.lesions.diameter_mm",
            f"out of range (expected a number in ({d_spec['min']:g}, {d_spec['max']:g}] mm)",
        ),
        _error(
            vessels.list.eval((pl.element() < v_spec["min"]) | (pl.element() > v_spec["max"])).list.any(),
            "liver.lesions.nearest_vessel_mm",
            f"out of range (expected a number in [{v_spec['min']:g}, {v_spec['max']:g}] mm)",
        ),
    ]
    errors += _prrt_cycle_errors()
    return columns, errors


def _prrt_cycle_errors() -> list[pl.Expr]:
    """Range and uniqueness checks of the PRRT cycle list (as the case model's)."""
    cycles = pl.col("history.prrt_cycles")
    errors = []
    for field in ("cycle", "injected_activity_gbq", "kidney_dose_gy", "kidney_bed_gy", "marrow_dose_gy"):
        path = f"history.prrt_cycles.{field}"
        spec = physical_ranges()[path]
        values = cycles.list.eval(pl.element().struct.field(field))
        errors.append(_error(values.list.eval(_outside(pl.element(), spec)).list.any(), path, _out_of_range(spec)))
    numbers = cycles.list.eval(pl.element().struct.field("cycle"))
    errors.append(_error(numbers.list.eval(pl.element().is_null()).list.any(), "history.prrt_cycles.cycle", "missing"))
    errors.append(
        _error(numbers.list.n_unique() != numbers.list.len(), "history.prrt_cycles.cycle", "a cycle listed twice")
    )
    return errors


def normalise(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Typed case columns (absent ones as nulls), ``row`` (1-based) and ``errors`` (list of text)."""
    schema = frame.collect_schema()
    typed: list[pl.Expr] = []
    errors: list[pl.Expr] = []
    specs = [*case_columns(), *(ColumnSpec(p, k) for p, k in COHORT_ONLY.items())]
    for spec in specs:
        if spec.path not in schema:
            dtype = {"number": pl.Float64, "integer": pl.Float64, "bool": pl.Boolean, "date": pl.Date}.get(
                spec.kind, pl.String
            )
            typed.append(pl.lit(None, dtype).alias(spec.path))
            continue
        source_dtype = schema[spec.path]
        if spec.kind in ("number", "integer"):
            value, error = _as_number(spec.path, source_dtype)
            lab = spec.path.removeprefix("labs.")
            if spec.path.startswith("labs.") and lab in _LABS and f"{spec.path}.unit" in schema:
                unit = pl.col(f"{spec.path}.unit").cast(pl.String).str.strip_chars()
                value, unit_error = _lab_conversion(_LABS[lab], spec.path, value, unit)
                errors.append(unit_error)
            errors += [error, *_range_check(spec.path, value)]
        elif spec.kind == "bool":
            value, error = _as_bool(spec.path, source_dtype)
            errors.append(error)
        elif spec.kind == "date":
            value, error = _as_date(spec.path)
            errors.append(error)
        elif spec.kind == "enum":
            value, error = _as_enum(spec)
            errors.append(error)
        else:
            value = pl.col(spec.path).cast(pl.String)
        typed.append(value.alias(spec.path))
    list_columns, list_errors = _lists(frame, schema)
    ident = pl.col("id").cast(pl.String) if "id" in schema else pl.lit(None, pl.String)
    raw_errors = pl.concat_list(errors) if errors else pl.lit([], pl.List(pl.String))
    # Checks of the raw text are made in the same pass as the typing; the checks of lists and
    # across fields read the typed columns, in the next one.
    stage = frame.with_row_index("row", offset=1).select(
        pl.col("row"), ident.alias("id"), *typed, *list_columns, raw_errors.alias("_raw_errors")
    )
    return stage.with_columns(
        pl.concat_list([pl.col("_raw_errors"), *list_errors, *_cross_field_errors()]).list.drop_nulls().alias("errors"),
        pl.coalesce(pl.col("id"), pl.concat_str(pl.lit("row-"), pl.col("row").cast(pl.String))).alias("id"),
    ).drop("_raw_errors")


def _cross_field_errors() -> list[pl.Expr]:
    on = pl.col("decision_date")
    errors = []
    for path in (
        "patient.birth_date",
        "labs.date",
        "imaging.sstr_pet.date",
        "imaging.fdg_pet.date",
        "imaging.fdopa_pet.date",
        "sirt_workup.maa_date",
    ):
        errors.append(_error(pl.col(path) > on, path, "after the decision date (information from the future)"))
    treatments = pl.col("history.prior_treatments")
    texts = treatments.list.eval(pl.element().struct.field("date"))
    dates = texts.list.eval(pl.element().str.to_date("%Y-%m-%d", strict=False))
    errors.append(
        _error(
            texts.list.eval(pl.element().is_not_null()).list.sum()
            != dates.list.eval(pl.element().is_not_null()).list.sum(),
            "history.prior_treatments.date",
            "not a date (YYYY-MM-DD)",
        )
    )
    errors.append(_error(dates.list.max() > on, "history.prior_treatments.date", "after the decision date"))
    prrt_texts = pl.col("history.prrt_cycles").list.eval(pl.element().struct.field("date"))
    prrt_dates = prrt_texts.list.eval(pl.element().str.to_date("%Y-%m-%d", strict=False))
    errors.append(
        _error(
            prrt_texts.list.eval(pl.element().is_not_null()).list.sum()
            != prrt_dates.list.eval(pl.element().is_not_null()).list.sum(),
            "history.prrt_cycles.date",
            "not a date (YYYY-MM-DD)",
        )
    )
    errors.append(_error(prrt_dates.list.max() > on, "history.prrt_cycles.date", "after the decision date"))
    kinds = list(get_args(PriorTreatmentKind))
    errors.append(
        _error(
            treatments.list.eval(~pl.element().struct.field("kind").is_in(kinds)).list.any(),
            "history.prior_treatments.kind",
            f"not one of {', '.join(kinds)}",
        )
    )
    listed = pl.col("liver.lesions").list.len()
    errors.append(
        _error(pl.col("liver.lesion_count") < listed, "liver.lesion_count", "below the number of listed lesions")
    )
    errors.append(
        _error(
            pl.col("sirt_workup.tumour_volume_ml") >= pl.col("sirt_workup.liver_volume_ml"),
            "sirt_workup.tumour_volume_ml",
            "not smaller than liver_volume_ml",
        )
    )
    return errors
