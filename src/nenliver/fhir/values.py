"""Case values ↔ FHIR ``value[x]`` for the local items, and the small FHIR shapes both directions use.

A case value is written as ``valueBoolean`` (yes/no), ``valueInteger`` (counts, scores),
``valueQuantity`` with its UCUM unit (measurements: the unit comes from the field name,
``diameter_mm`` → ``mm``), ``valueDateTime`` (fields named ``…date``) or ``valueString``. Reading
checks the same: a quantity in another unit than the field's is refused, never converted silently.
"""

from __future__ import annotations

import uuid
from typing import Any

from nenliver.fhir.terminology import terminology

__all__ = [
    "NAMESPACE",
    "UnreadableValue",
    "codeable",
    "codings_of",
    "field_name",
    "is_date_field",
    "read_value",
    "reference",
    "stable_url",
    "write_value",
]

#: Namespace of the stable ``urn:uuid`` full URLs of exported resources (same case → same URLs).
NAMESPACE = uuid.UUID("6f1c2a57-8c1e-4a8e-9d3b-2b7f0b3c9e41")


def stable_url(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '|'.join(parts))}"


def reference(url: str) -> dict[str, str]:
    return {"reference": url}


def codeable(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, str] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], "text": display or code}


def codings_of(concept: Any) -> list[tuple[str | None, str | None]]:
    """(system, code) pairs of a CodeableConcept (or a list of them)."""
    concepts = concept if isinstance(concept, list) else [concept]
    pairs: list[tuple[str | None, str | None]] = []
    for item in concepts:
        if isinstance(item, dict):
            pairs += [(c.get("system"), c.get("code")) for c in (item.get("coding") or []) if isinstance(c, dict)]
    return pairs


def field_name(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def is_date_field(path: str) -> bool:
    return field_name(path).endswith("date")


def write_value(path: str, value: Any) -> dict[str, Any]:
    """The ``value[x]`` of a case value (keys without the ``value`` prefix's owner)."""
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        unit = terminology().unit_of(field_name(path))
        return {"valueQuantity": {"value": value, "unit": unit, "system": terminology().system("ucum"), "code": unit}}
    if is_date_field(path):
        return {"valueDateTime": str(value)}
    return {"valueString": str(value)}


class UnreadableValue(Exception):
    """A FHIR value that cannot become the case value (the importer lists it, with the reason)."""


def read_value(path: str, element: dict[str, Any]) -> Any:
    """The case value in a resource or component holding ``value[x]``; :class:`UnreadableValue` if unusable."""
    if "valueBoolean" in element:
        return element["valueBoolean"]
    if "valueInteger" in element:
        return element["valueInteger"]
    if "valueQuantity" in element:
        quantity = element["valueQuantity"]
        expected = terminology().unit_of(field_name(path))
        unit = quantity.get("code") or quantity.get("unit")
        if unit != expected:
            raise UnreadableValue(f"unit {unit!r} where {path} is in {expected!r}")
        return quantity.get("value")
    if "valueDateTime" in element:
        return str(element["valueDateTime"])[:10]
    if "valueString" in element:
        return element["valueString"]
    if "valueCodeableConcept" in element:
        pairs = codings_of(element["valueCodeableConcept"])
        if pairs and pairs[0][1]:
            return pairs[0][1]
        text = element["valueCodeableConcept"].get("text")
        if text:
            return text
    raise UnreadableValue(f"no value this adapter reads for {path}")
