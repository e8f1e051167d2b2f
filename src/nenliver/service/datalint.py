"""The data lint: every data file loads in the one cited-data format, and every bibliography key
cited anywhere is defined (``nenliver rules lint`` runs it after the rule lint)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nenliver._cited import Cited, bibliography, cited, cited_entries
from nenliver._data import load_yaml
from nenliver.errors import KnowledgeDataError
from nenliver.guideline.lint import Issue

__all__ = ["DataSummary", "data_lint"]


@dataclass(frozen=True)
class DataSummary:
    files: int
    cited_entries: int
    references: int


def _loaders() -> list[tuple[str, Callable[[], Any]]]:
    from nenliver.ablation._devices import devices
    from nenliver.case.model import lab_units, physical_ranges
    from nenliver.dosimetry.constants import load_data

    return [
        ("data/bibliography.yaml", bibliography),
        ("data/fhir.yaml", _fhir_terminology),
        ("case/data/ranges.yaml", physical_ranges),
        ("case/data/units.yaml", lab_units),
        ("dosimetry/data/*.yaml", load_data),
        ("ablation/data/devices.yaml", devices),
    ]


def _fhir_terminology() -> Any:
    """``data/fhir.yaml``, every cited entry checked in the one cited format (the FHIR adapter loads
    the same file into its own structure, :func:`nenliver.fhir.terminology.terminology`)."""
    data = load_yaml("nenliver", "data/fhir.yaml")
    for path, entry in cited_entries(data):
        cited({k: v for k, v in entry.items() if k in ("tag", "source", "locator")}, f"data/fhir.yaml: {path}", Cited)
    return data


def _keys_cited(data: Any) -> list[tuple[str, str]]:
    """(path, key) of every bibliography reference in a loaded data file."""
    out = []
    for path, entry in cited_entries(data):
        source = entry.get("source")
        if isinstance(source, Mapping) and "key" in source:
            out.append((path, str(source["key"])))
    return out


def data_lint() -> tuple[list[Issue], DataSummary]:
    """Load and validate every data file; check every cited bibliography key.

    Returns
    -------
    issues : list of Issue
        ``error`` for a file that does not load or a key the bibliography lacks; ``warning`` for a
        bibliography entry without an identifier.
    summary : DataSummary
    """
    issues: list[Issue] = []
    loaded: dict[str, Any] = {}
    for name, loader in _loaders():
        try:
            loaded[name] = loader()
        except KnowledgeDataError as exc:
            issues.append(Issue(name, "error", str(exc)))
    references = bibliography() if "data/bibliography.yaml" in loaded else {}
    for key, entry in references.items():
        if not any(k in entry for k in ("doi", "url", "pmid", "isbn", "identifier_missing")):
            issues.append(Issue(key, "error", "bibliography entry without DOI, URL, PMID or ISBN"))
    citations: list[tuple[str, str, str]] = []
    for name in ("ablation/data/devices.yaml", "data/fhir.yaml"):
        data = loaded.get(name)
        if data is not None:
            citations += [(name, path, key) for path, key in _keys_cited(data)]
    outcomes = load_yaml("nenliver.guideline", "data/outcomes.yaml")
    for i, entry in enumerate(outcomes.get("outcomes", [])):
        citations.append(("guideline/data/outcomes.yaml", f"outcomes[{i}]", str(entry.get("source_key"))))
    derivations = load_yaml("nenliver.guideline", "data/derivations.yaml")
    for name, section in derivations.items():
        if isinstance(section, Mapping) and isinstance(section.get("citation"), Mapping):
            citations.append(("guideline/data/derivations.yaml", str(name), str(section["citation"].get("key"))))
    for file, path, key in citations:
        if references and key not in references:
            issues.append(Issue(file, "error", f"{path}: citation key {key!r} is not in the bibliography"))
    entries = sum(len(list(cited_entries(data))) for data in loaded.values() if isinstance(data, Mapping))
    dosimetry = loaded.get("dosimetry/data/*.yaml")
    entries += len(dosimetry) if isinstance(dosimetry, Mapping) else 0
    return issues, DataSummary(files=len(loaded) + 2, cited_entries=entries, references=len(references))
