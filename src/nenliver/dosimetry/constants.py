# SPDX-License-Identifier: Apache-2.0
"""Cited data for SIRT dosimetry: constants, limits, device figures, each with its source.

Every number the dosimetry code uses lives in a YAML file under ``nenliver/dosimetry/data``.
Each entry is a mapping with at least ``value``, ``unit``, ``source`` (citation text),
``locator`` (section, table or page) and ``tag`` (``S`` seen verbatim in a stored copy of the
source, ``V`` verified secondary, ``K`` domain knowledge still to be checked against the primary
document, ``D`` derived, ``R`` reproduced by running code). Extra keys (``note``, ``severity``,
``lower_percent`` ...) are kept in :attr:`DataEntry.extra`.

Entry names are unique across files and are looked up with :func:`entry`, :func:`number` or
:func:`numbers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from nenliver._cited import CitedNumber, cited
from nenliver.errors import KnowledgeDataError

__all__ = [
    "REQUIRED_KEYS",
    "TAGS",
    "DataEntry",
    "data_files",
    "entry",
    "field_ranges",
    "load_data",
    "number",
    "numbers",
]

#: Keys every data entry must carry.
REQUIRED_KEYS = ("value", "unit", "source", "locator", "tag")
#: Allowed provenance tags (see the module docstring).
TAGS = frozenset({"S", "V", "K", "D", "R"})

_PACKAGE = "nenliver.dosimetry"
_DATA_DIR = "data"


@dataclass(frozen=True)
class DataEntry:
    """One cited datum.

    Attributes
    ----------
    name : str
        Entry name, unique across the data files.
    value : float or tuple of float or str
        The number (or list of numbers) in ``unit``.
    unit : str
        Unit as written in the data file (``"Gy"``, ``"GBq"``, ``"%"``, ``"1"`` ...).
    source : str
        Citation text, with DOI where known.
    locator : str
        Section, table or page within the source.
    tag : str
        Provenance tag, one of :data:`TAGS`.
    file : str
        The data file the entry came from.
    extra : dict
        Any further keys of the entry (``note``, ``severity``, ``comparison`` ...).
    """

    name: str
    value: float | tuple[float, ...] | str
    unit: str
    source: str
    locator: str
    tag: str
    file: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def note(self) -> str | None:
        """Free-text note of the entry, if any."""
        note = self.extra.get("note")
        return str(note).strip() if note is not None else None

    @property
    def citation(self) -> str:
        """Source and locator in one line, for check messages and reports."""
        return f"{self.source} [{self.locator}]"


def data_files() -> list[str]:
    """Names of the YAML data files shipped with :mod:`nenliver.dosimetry`.

    Returns
    -------
    list of str
        File names, sorted.
    """
    root = resources.files(_PACKAGE).joinpath(_DATA_DIR)
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".yaml"))


def _coerce_value(name: str, file: str, raw: Any) -> float | tuple[float, ...] | str:
    if isinstance(raw, bool):
        raise KnowledgeDataError(f"{file}: {name}.value must be a number, a list of numbers or text")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, list) and raw and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw):
        return tuple(float(v) for v in raw)
    if isinstance(raw, str) and raw.strip():
        return raw
    raise KnowledgeDataError(f"{file}: {name}.value must be a number, a list of numbers or text")


def _parse_file(file: str, text: str) -> dict[str, DataEntry]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KnowledgeDataError(f"{file}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict):
        raise KnowledgeDataError(f"{file}: expected a mapping of entry names to entries")
    entries: dict[str, DataEntry] = {}
    for name, body in doc.items():
        if not isinstance(body, dict):
            raise KnowledgeDataError(f"{file}: {name} must be a mapping with {', '.join(REQUIRED_KEYS)}")
        missing = [k for k in REQUIRED_KEYS if body.get(k) in (None, "")]
        if missing:
            raise KnowledgeDataError(f"{file}: {name} lacks {', '.join(missing)}")
        tag = cited(body, f"{file}: {name}", CitedNumber).tag  # the one cited-data format
        extra = {k: v for k, v in body.items() if k not in REQUIRED_KEYS}
        entries[str(name)] = DataEntry(
            name=str(name),
            value=_coerce_value(str(name), file, body["value"]),
            unit=str(body["unit"]),
            source=" ".join(str(body["source"]).split()),
            locator=str(body["locator"]),
            tag=tag,
            file=file,
            extra=extra,
        )
    return entries


@lru_cache(maxsize=1)
def load_data() -> dict[str, DataEntry]:
    """Load and validate every dosimetry data file.

    Returns
    -------
    dict of str to DataEntry
        All entries, keyed by name.

    Raises
    ------
    nenliver.errors.KnowledgeDataError
        If an entry lacks ``value``, ``unit``, ``source``, ``locator`` or ``tag``, has an unknown
        tag, or a name appears in two files.

    Examples
    --------
    >>> load_data()["lung_dose_single_session"].unit
    'Gy'
    """
    root = resources.files(_PACKAGE).joinpath(_DATA_DIR)
    merged: dict[str, DataEntry] = {}
    for file in data_files():
        for name, item in _parse_file(file, root.joinpath(file).read_text(encoding="utf-8")).items():
            if name in merged:
                raise KnowledgeDataError(f"{file}: entry {name} is also defined in {merged[name].file}")
            merged[name] = item
    return merged


def entry(name: str) -> DataEntry:
    """Return the data entry called ``name``.

    Parameters
    ----------
    name : str
        Entry name, for example ``"eanm_2022"``.

    Returns
    -------
    DataEntry
        The entry with its value, unit and source.

    Raises
    ------
    nenliver.errors.KnowledgeDataError
        If there is no such entry.

    Examples
    --------
    >>> entry("eanm_2022").value
    49.67
    """
    data = load_data()
    try:
        return data[name]
    except KeyError:
        raise KnowledgeDataError(f"no dosimetry data entry named {name!r}") from None


def number(name: str) -> float:
    """Return the scalar value of entry ``name``.

    Parameters
    ----------
    name : str
        Entry name.

    Returns
    -------
    float
        The value, in the entry's unit.

    Examples
    --------
    >>> number("lung_dose_cumulative")
    50.0
    """
    value = entry(name).value
    if not isinstance(value, float):
        raise KnowledgeDataError(f"data entry {name!r} is not a single number")
    return value


def numbers(name: str) -> tuple[float, ...]:
    """Return the list value of entry ``name``.

    Parameters
    ----------
    name : str
        Entry name.

    Returns
    -------
    tuple of float
        The values, in the entry's unit.

    Examples
    --------
    >>> numbers("glass_vial_sizes")[0]
    3.0
    """
    value = entry(name).value
    if not isinstance(value, tuple):
        raise KnowledgeDataError(f"data entry {name!r} is not a list of numbers")
    return value


@lru_cache(maxsize=4)
def field_ranges(key: str) -> dict[str, dict[str, Any]]:
    """Physical ranges of input fields: entries with an ``extra`` ``key`` naming the field.

    ``key`` is ``"field"`` for the SIRT plan (``plan_ranges.yaml``) and ``"prrt_field"`` for the PRRT
    plan (``prrt.yaml``); each spec holds ``min``, ``max``, ``unit``, ``source`` and the entry's
    extras (``exclusive_min``, ``integer``, ``slips``, ``plausible`` …), as :class:`Bounded` reads them.

    Examples
    --------
    >>> field_ranges("prrt_field")["cycle"]["integer"]
    True
    """
    table: dict[str, dict[str, Any]] = {}
    for item in load_data().values():
        if key in item.extra:
            low, high = numbers(item.name)
            table[str(item.extra[key])] = {
                **item.extra,
                "min": low,
                "max": high,
                "unit": item.unit,
                "source": f"{item.source} [{item.locator}]",
            }
    return table
