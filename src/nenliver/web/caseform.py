"""The case form, generated from the case model's JSON Schema (so it can never miss a field).

Every field of ``nenliver/case@1`` becomes an input named by its path (``patient.age_years``,
``liver.lesions[2].diameter_mm``): numbers with the model's ranges as ``min``/``max`` (the browser
checks them as you type), yes/no/unknown selects for booleans (blank means *unknown*, never *no*),
selects for coded values, date inputs, checkboxes for lists of codes, value-and-unit pairs for
labs (``units.yaml``), and tables with blank rows for lesions and prior treatments.

:func:`document_from_form` turns a submitted form back into a case document without judging it:
the case model validates it, and :func:`field_errors` puts each problem beside its input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nenliver.case.model import CASE_FORMAT, Case
from nenliver.errors import Problem

__all__ = [
    "BLANK_ROWS",
    "FormField",
    "Section",
    "document_from_form",
    "field_errors",
    "form_sections",
    "values_from_document",
]

#: Blank rows offered below the filled ones of a lesion or treatment table.
BLANK_ROWS = 3
UNIT_SUFFIX = "@unit"
#: Input marking a table or a list of codes as known to be empty (``[]``), which is not unknown.
NONE_SUFFIX = "@none"
NONE_CODE = "__none__"

_UNITS = {
    "years": "years",
    "cm": "cm",
    "kg": "kg",
    "mm": "mm",
    "ml": "mL",
    "percent": "%",
    "gy": "Gy",
    "gy_cumulative": "Gy, cumulative",
    "mbq": "MBq",
    "months": "months",
    "per_2mm2": "per 2 mm²",
}
_WORDS = {
    "ecog": "ECOG",
    "inr": "INR",
    "sstr": "SSTR",
    "fdg": "FDG",
    "fdopa": "FDOPA",
    "pet": "PET",
    "mri": "MRI",
    "dwi": "DWI",
    "ki67": "Ki-67",
    "sirt": "SIRT",
    "ssa": "SSA",
    "uln": "ULN",
    "gi": "GI",
    "maa": "MAA",
    "id": "ID",
}


def humanise(name: str) -> str:
    """``age_years`` → ``Age (years)``; ``ki67_percent`` → ``Ki-67 (%)``.

    Examples
    --------
    >>> humanise("lung_shunt_fraction_percent"), humanise("sstr_pet"), humanise("mitoses_per_2mm2")
    ('Lung shunt fraction (%)', 'SSTR PET', 'Mitoses (per 2 mm²)')
    """
    unit = None
    for suffix, shown in sorted(_UNITS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith("_" + suffix):
            name, unit = name[: -len(suffix) - 1], shown
            break
    words = [_WORDS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    text = text[0].upper() + text[1:] if text else text
    return f"{text} ({unit})" if unit else text


@dataclass(frozen=True)
class FormField:
    """One input of the form."""

    path: str  # template path: list items as [#], e.g. liver.lesions[#].diameter_mm
    label: str
    kind: str  # number | integer | text | date | bool | enum | multi | lab
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    hint: str = ""
    unit_default: str | None = None

    def name(self, index: int | None = None) -> str:
        return self.path.replace("[#]", f"[{index}]") if index is not None else self.path


@dataclass
class Section:
    """A fieldset: plain fields, and tables of rows (``liver.lesions``) with their columns."""

    title: str
    fields: list[FormField] = field(default_factory=list)
    tables: list[tuple[str, str, list[FormField]]] = field(default_factory=list)  # (title, path, columns)


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    return schema["$defs"][ref.rsplit("/", 1)[1]] if ref else node


def _variants(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [v for v in node.get("anyOf", [node]) if v.get("type") != "null"]


def _leaf(schema: Mapping[str, Any], path: str, name: str, node: Mapping[str, Any], label: str) -> FormField | None:
    variants = _variants(node)
    kinds = {v.get("type") for v in variants}
    first = variants[0] if variants else node
    hint = node.get("description", "")
    if "number" in kinds and "object" in kinds:  # a lab: a number in the canonical unit, or {value, unit}
        pair = next(v for v in variants if v.get("type") == "object")
        units = tuple(pair["properties"]["unit"]["enum"])
        return FormField(path, label, "lab", units, first.get("minimum"), first.get("maximum"), hint, units[0])
    if "enum" in first:
        return FormField(path, label, "enum", tuple(first["enum"]), hint=hint)
    if first.get("type") == "array" and "enum" in first.get("items", {}):
        return FormField(path, label, "multi", tuple(first["items"]["enum"]), hint=hint)
    if first.get("type") in ("number", "integer"):
        low = first.get("minimum", first.get("exclusiveMinimum"))
        high = first.get("maximum", first.get("exclusiveMaximum"))
        return FormField(path, label, first["type"], (), low, high, hint)
    if first.get("type") == "boolean":
        return FormField(path, label, "bool", hint=hint)
    if first.get("type") == "string":
        return FormField(path, label, "date" if first.get("format") == "date" else "text", hint=hint)
    return None


def _walk(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str, label_prefix: str, section: Section) -> None:
    for name, prop in node.get("properties", {}).items():
        if prefix == "" and name == "format":
            continue
        path = f"{prefix}{name}"
        label = f"{label_prefix}{humanise(name)}"
        variants = _variants(prop)
        first = variants[0] if variants else prop
        target = _resolve(schema, first)
        if first.get("type") == "array" and "$ref" in first.get("items", {}):
            item = _resolve(schema, first["items"])
            columns = [_leaf(schema, f"{path}[#].{n}", n, p, humanise(n)) for n, p in item["properties"].items()]
            section.tables.append((humanise(name), path, [c for c in columns if c is not None]))
        elif target.get("type") == "object" and "properties" in target and "$ref" in first:
            _walk(schema, target, f"{path}.", f"{humanise(name)}: ", section)
        else:
            leaf = _leaf(schema, path, name, prop, label)
            if leaf is not None:
                section.fields.append(leaf)


@cache
def form_sections() -> tuple[Section, ...]:
    """The sections of the case form, in the case format's order."""
    schema = Case.model_json_schema()
    sections = [Section("Case")]
    for name, prop in schema["properties"].items():
        if name == "format":
            continue
        variants = _variants(prop)
        first = variants[0] if variants else prop
        if "$ref" in first:
            section = Section(humanise(name))
            _walk(schema, _resolve(schema, first), f"{name}.", "", section)
            sections.append(section)
        else:
            leaf = _leaf(schema, name, name, prop, humanise(name))
            if leaf is not None:
                sections[0].fields.append(leaf)
    return tuple(sections)


def _all_fields() -> Iterable[tuple[FormField, str | None]]:
    """Every field with the path of its table (``None`` for plain fields)."""
    for section in form_sections():
        for f in section.fields:
            yield f, None
        for _title, path, columns in section.tables:
            for column in columns:
                yield column, path


# ---------------------------------------------------------------------------------------------
# form → document


def _number(text: str, integer: bool) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text  # the model refuses it with the field's path and the expected form
    if integer and value.is_integer():
        return int(value)
    return value


def _value(f: FormField, form: Mapping[str, Sequence[str]], name: str) -> Any:
    values = [v for v in form.get(name, []) if v is not None]
    if f.kind == "multi":
        chosen = [v for v in values if v and v != NONE_CODE]
        if chosen:
            return chosen
        return [] if NONE_CODE in values else None
    text = (values[-1] if values else "").strip()
    if text == "":
        return None
    if f.kind == "bool":
        return {"yes": True, "no": False}.get(text, text)
    if f.kind in ("number", "integer"):
        return _number(text, f.kind == "integer")
    if f.kind == "lab":
        number = _number(text, False)
        units = [u for u in form.get(name + UNIT_SUFFIX, []) if u]
        unit = units[-1] if units else f.unit_default
        return number if unit == f.unit_default else {"value": number, "unit": unit}
    return text


def _put(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


_ROW = re.compile(r"^(?P<table>.+)\[(?P<index>\d+)\]\.")


def document_from_form(form: Mapping[str, Sequence[str]]) -> tuple[dict[str, Any], dict[str, dict[int, int]]]:
    """A case document from a submitted form, and for each table the map document row → form row.

    Blank inputs are left out (unknown); blank table rows are dropped.
    """
    doc: dict[str, Any] = {"format": CASE_FORMAT}
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    for f, table in _all_fields():
        if table is None:
            value = _value(f, form, f.name())
            if value is not None:
                _put(doc, f.path, value)
            continue
        indices = {int(m.group("index")) for key in form if (m := _ROW.match(key)) and m.group("table") == table}
        for index in indices:
            value = _value(f, form, f.name(index))
            if value is not None:
                rows.setdefault(table, {}).setdefault(index, {})[f.path.rsplit(".", 1)[1]] = value
    index_maps: dict[str, dict[int, int]] = {}
    for table, by_index in rows.items():
        ordered = sorted(i for i, row in by_index.items() if row)
        _put(doc, table, [by_index[i] for i in ordered])
        index_maps[table] = dict(enumerate(ordered))
    for table in _tables():
        if table not in rows and _first_value(form, table + NONE_SUFFIX) == "yes":
            _put(doc, table, [])  # known to be none, which is not unknown
    return doc, index_maps


def _tables() -> list[str]:
    return [path for section in form_sections() for _title, path, _columns in section.tables]


def _first_value(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[-1]


# ---------------------------------------------------------------------------------------------
# document → form values


def _shown(f: FormField, value: Any) -> Any:
    if f.kind == "bool":
        return {True: "yes", False: "no"}.get(value, "" if value is None else str(value))
    if f.kind == "multi":
        if isinstance(value, list):
            return [str(v) for v in value] if value else [NONE_CODE]
        return []
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _get(doc: Mapping[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def values_from_document(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """Input values by name for a case document, and the number of rows each table shows."""
    values: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for f, table in _all_fields():
        if table is None:
            raw = _get(doc, f.path)
            if f.kind == "lab" and isinstance(raw, Mapping):
                values[f.name()] = _shown(f, raw.get("value"))
                values[f.name() + UNIT_SUFFIX] = str(raw.get("unit", f.unit_default))
            else:
                values[f.name()] = _shown(f, raw)
                if f.kind == "lab":
                    values[f.name() + UNIT_SUFFIX] = f.unit_default
            continue
        items = _get(doc, table)
        if items == []:
            values[table + NONE_SUFFIX] = "yes"
        items = items if isinstance(items, list) else []
        counts[table] = len(items) + BLANK_ROWS
        column = f.path.rsplit(".", 1)[1]
        for index, item in enumerate(items):
            values[f.name(index)] = _shown(f, item.get(column) if isinstance(item, Mapping) else None)
    return values, counts


def field_errors(
    problems: Sequence[Problem], index_maps: Mapping[str, Mapping[int, int]] | None = None
) -> tuple[dict[str, list[str]], list[str]]:
    """Problems beside their inputs (by input name), and those that belong to no single input."""
    names = {f.path for f, _ in _all_fields()}
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        path = problem.path
        template = re.sub(r"\[(\d+)\]", "[#]", path)
        match = _ROW.match(path)
        index = None
        if match:
            table = match.group("table")
            doc_index = int(match.group("index"))
            index = (index_maps or {}).get(table, {}).get(doc_index, doc_index)
        target = None
        candidate = template
        while candidate:
            if candidate in names:
                target = candidate
                break
            candidate = candidate.rsplit(".", 1)[0] if "." in candidate else ""
        message = problem.message + (f" (expected {problem.expected})" if problem.expected else "")
        if target is None:
            general.append(f"{path or '(case)'}: {message}")
        else:
            name = target.replace("[#]", f"[{index}]") if index is not None else target
            by_field.setdefault(name, []).append(message)
    return by_field, general
