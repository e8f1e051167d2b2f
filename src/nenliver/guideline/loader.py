"""Loading the knowledge base: every rule record, the bibliography and the KB version + hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import ValidationError

from nenliver._cited import bibliography
from nenliver._data import parse_yaml, sha256_of
from nenliver._validation import format_path
from nenliver.errors import RuleDefinitionError
from nenliver.guideline.schema import Rule

RULES_PACKAGE = "nenliver.guideline"


@dataclass(frozen=True)
class KnowledgeBase:
    """All rules (sorted by id), the bibliography, and the version stamp of the whole KB."""

    rules: tuple[Rule, ...]
    sources: dict[str, str]
    bibliography: dict[str, dict[str, Any]]
    meta: dict[str, Any]
    version: str
    sha256: str
    by_id: dict[str, Rule] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        return self.by_id[rule_id]


def _rule_files() -> list[Traversable]:
    root = resources.files(RULES_PACKAGE).joinpath("rules")
    return sorted((p for p in root.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)


def _data_files() -> list[Traversable]:
    root = resources.files(RULES_PACKAGE).joinpath("data")
    return sorted((p for p in root.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)


def parse_rule(text: str, source: str) -> Rule:
    """Parse one rule record; errors name the file and the field path."""
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise RuleDefinitionError(source, f"not valid YAML: {exc}") from None
    try:
        return Rule.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(f"{format_path(e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise RuleDefinitionError(source, details) from None


def _parse_rules(texts: list[tuple[str, str]]) -> tuple[list[Rule], dict[str, str]]:
    rules: list[Rule] = []
    sources: dict[str, str] = {}
    errors = []
    for name, text in texts:
        try:
            rule = parse_rule(text, f"rules/{name}")
        except RuleDefinitionError as exc:
            errors.append(str(exc))
            continue
        if rule.id in sources:
            errors.append(f"rules/{name}: rule id {rule.id} also defined in {sources[rule.id]}")
        sources[rule.id] = f"rules/{name}"
        rules.append(rule)
    if errors:
        raise RuleDefinitionError("guideline/rules", "\n  " + "\n  ".join(errors))
    rules.sort(key=lambda r: _id_key(r.id))
    return rules, sources


@cache
def load_knowledge_base() -> KnowledgeBase:
    """Load and validate the packaged knowledge base, once per process (kept in memory).

    Every rule record is validated at load (about 30 ms for the whole base); nothing is cached on
    disk, so an edited rule or schema can never be read stale, and no file the user can write is
    ever deserialised.
    """
    texts = [(path.name, path.read_text(encoding="utf-8")) for path in _rule_files()]
    blobs = [name.encode() + b"\0" + text.encode() for name, text in texts]
    blobs += [path.name.encode() + b"\0" + path.read_bytes() for path in _data_files()]
    references = resources.files("nenliver").joinpath("data", "bibliography.yaml")
    blobs.append(b"bibliography.yaml\0" + references.read_bytes())
    meta_text = resources.files(RULES_PACKAGE).joinpath("kb.yaml").read_bytes()
    sha256 = sha256_of(meta_text, *blobs)
    rules, sources = _parse_rules(texts)
    meta: dict[str, Any] = parse_yaml(meta_text)
    return KnowledgeBase(
        rules=tuple(rules),
        sources=sources,
        bibliography=bibliography(),
        meta=meta,
        version=str(meta["version"]),
        sha256=sha256,
        by_id={r.id: r for r in rules},
    )


def _id_key(rule_id: str) -> tuple[str, int, str]:
    prefix, _, rest = rule_id.partition("-")
    digits = "".join(ch for ch in rest if ch.isdigit())
    suffix = rest[len(digits) :]
    return prefix, int(digits), suffix
