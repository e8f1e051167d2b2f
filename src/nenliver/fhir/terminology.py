"""The codes the FHIR adapter reads and writes (``nenliver/data/fhir.yaml``), validated at load.

Every code carries its evidence tag and source (the one cited-data format of
:mod:`nenliver._cited`). Codes tagged ``K`` (from background knowledge, not yet checked) are
recognised when a bundle uses them, but the exporter never writes them: where no checked standard
code exists it writes the local CodeSystem ``case-item`` (one code per case field path).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict

from nenliver._cited import Cited, cited
from nenliver._data import parse_yaml
from nenliver.errors import KnowledgeDataError

__all__ = ["Coding", "Terminology", "terminology"]

_WHERE = "data/fhir.yaml"


class _CodeEntry(Cited):
    model_config = ConfigDict(extra="forbid")

    system: str | None = None
    code: str | None = None
    codes: list[str] | None = None
    prefix: str | None = None


@dataclass(frozen=True)
class Coding:
    """A code (or a code prefix, for ATC classes) of a named system, with its evidence tag."""

    system: str  # the URI
    code: str
    tag: str
    prefix: bool = False

    def matches(self, system: str | None, code: str | None) -> bool:
        if system != self.system or code is None:
            return False
        return code.startswith(self.code) if self.prefix else code == self.code


class _Lab(BaseModel):
    model_config = ConfigDict(extra="forbid")

    loinc: dict[str, Any]
    units: dict[str, str]


@dataclass(frozen=True)
class Terminology:
    """The validated contents of ``fhir.yaml``."""

    systems: Mapping[str, str]
    lab_codes: Mapping[str, tuple[Coding, ...]]  # lab → LOINC codings (first written)
    lab_units: Mapping[str, Mapping[str, str]]  # lab → UCUM code → case unit
    observation_codes: Mapping[str, Coding]  # case path → standard coding
    ecog_answers: Mapping[str, int]
    primary_sites: Mapping[tuple[str, str], str]  # (system URI, code) → primary_site
    morphology: Mapping[str, str]  # ICD-O-3 morphology → differentiation
    liver_metastases: tuple[Coding, ...]
    flags: Mapping[str, tuple[str, tuple[Coding, ...]]]  # case path → (resource type, codings)
    syndromes: Mapping[str, tuple[Coding, ...]]
    procedure_treatments: tuple[str, ...]
    medication_treatments: Mapping[str, tuple[Coding, ...]]
    suffix_units: Mapping[str, str]

    def system(self, name: str) -> str:
        return self.systems[name]

    def lab_for(self, system: str | None, code: str | None) -> str | None:
        """The case lab a LOINC coding measures."""
        for lab, codings in self.lab_codes.items():
            if any(c.matches(system, code) for c in codings):
                return lab
        return None

    def observation_for(self, system: str | None, code: str | None) -> str | None:
        """The case path a standard observation coding fills."""
        return next((path for path, c in self.observation_codes.items() if c.matches(system, code)), None)

    def flag_for(self, resource: str, codings: Iterable[tuple[str | None, str | None]]) -> str | None:
        """The case flag a Condition/Procedure/… with these codings states (standard or local code)."""
        pairs = list(codings)
        item = self.system("item")
        for path, (kind, standard) in self.flags.items():
            if kind != resource:
                continue
            if any(s == item and c == path for s, c in pairs):
                return path
            if any(coding.matches(s, c) for coding in standard for s, c in pairs):
                return path
        return None

    def unit_of(self, field: str) -> str:
        """The UCUM unit of a local quantity from its field name (``diameter_mm`` → ``mm``; none → ``1``)."""
        for suffix, unit in sorted(self.suffix_units.items(), key=lambda kv: -len(kv[0])):
            if field.endswith("_" + suffix):
                return unit
        for token in reversed(field.split("_")):
            if token in self.suffix_units:
                return self.suffix_units[token]
        return "1"


def _codings(entries: Iterable[Mapping[str, Any]], systems: Mapping[str, str], where: str) -> tuple[Coding, ...]:
    out = []
    for i, raw in enumerate(entries):
        entry = cited(raw, f"{_WHERE}: {where}[{i}]", _CodeEntry)
        if entry.system is None or entry.system not in systems:
            raise KnowledgeDataError(f"{_WHERE}: {where}[{i}]: unknown system {entry.system!r}")
        code = entry.code or entry.prefix
        if not code:
            raise KnowledgeDataError(f"{_WHERE}: {where}[{i}]: a code or a prefix is needed")
        out.append(Coding(systems[entry.system], code, entry.tag, prefix=entry.prefix is not None))
    return tuple(out)


@cache
def terminology() -> Terminology:
    """Load and check ``nenliver/data/fhir.yaml``."""
    text = resources.files("nenliver").joinpath("data", "fhir.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = parse_yaml(text)
    systems: dict[str, str] = data["systems"]
    lab_codes, lab_units = {}, {}
    for lab, raw in data["labs"].items():
        spec = _Lab.model_validate(raw)
        entry = cited(spec.loinc, f"{_WHERE}: labs.{lab}", _CodeEntry)
        lab_codes[lab] = tuple(Coding(systems["loinc"], c, entry.tag) for c in entry.codes or [])
        lab_units[lab] = spec.units
    for unit, raw in data.get("unit_identities", {}).items():
        cited(raw, f"{_WHERE}: unit_identities.{unit}", Cited)
    observation_codes, ecog = {}, {}
    for path, raw in data["observations"].items():
        coding = _codings([raw["code"]], systems, f"observations.{path}.code")[0]
        observation_codes[path] = coding
        if "answers" in raw:
            cited({k: v for k, v in raw["answers"].items() if k != "codes"}, f"{_WHERE}: {path}.answers", Cited)
            ecog = {str(k): int(v) for k, v in raw["answers"]["codes"].items()}
    primary_sites: dict[tuple[str, str], str] = {}
    for system_name, key in (("icd10cm", "icd10cm"), ("icdo3", "icdo3_topography")):
        for code, raw in data["primary"][key].items():
            cited({k: v for k, v in raw.items() if k != "site"}, f"{_WHERE}: primary.{key}.{code}", Cited)
            primary_sites[(systems[system_name], code)] = raw["site"]
    morphology = {}
    for code, raw in data["primary"]["icdo3_morphology"].items():
        cited({k: v for k, v in raw.items() if k != "differentiation"}, f"{_WHERE}: morphology.{code}", Cited)
        morphology[code] = raw["differentiation"]
    flags = {
        path: (raw["resource"], _codings(raw.get("codes", []), systems, f"flags.{path}"))
        for path, raw in data["flags"].items()
    }
    syndromes = {name: _codings(raw, systems, f"syndromes.{name}") for name, raw in data["syndromes"].items()}
    medication = {
        name: _codings(raw, systems, f"treatments.medication.{name}")
        for name, raw in data["treatments"]["medication"].items()
    }
    return Terminology(
        systems=systems,
        lab_codes=lab_codes,
        lab_units=lab_units,
        observation_codes=observation_codes,
        ecog_answers=ecog,
        primary_sites=primary_sites,
        morphology=morphology,
        liver_metastases=_codings(data["liver_metastases"], systems, "liver_metastases"),
        flags=flags,
        syndromes=syndromes,
        procedure_treatments=tuple(data["treatments"]["procedure"]),
        medication_treatments=medication,
        suffix_units=data["suffix_units"],
    )
