"""Loading the knowledge base: every rule record, the bibliography and the KB version + hash."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nenliver import __version__
from nenliver._data import load_yaml, parse_yaml, sha256_of
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


def _cache_path(sha256: str) -> Path | None:
    """Where the validated rules of this exact knowledge-base content are cached (or None)."""
    if os.environ.get("NENLIVER_NO_CACHE"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "nenliver" / f"kb-{__version__}-{sha256[:32]}.pickle"


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


def _load_cached(path: Path | None) -> tuple[list[Rule], dict[str, str]] | None:
    if path is None or not path.is_file():
        return None
    try:
        rules, sources = pickle.loads(path.read_bytes())  # our own cache, keyed by content hash
    except Exception:  # a stale or damaged cache is ignored and rebuilt
        return None
    return rules, sources


def _store_cached(path: Path | None, value: tuple[list[Rule], dict[str, str]]) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
    except OSError:  # a read-only home is fine: we only lose the speed-up
        return


@cache
def load_knowledge_base() -> KnowledgeBase:
    """Load and cache the packaged knowledge base.

    Rules are validated (pydantic) once per content: the validated records are cached under
    ``~/.cache/nenliver`` keyed by the SHA-256 of every rule and data file, so any edit revalidates.
    ``NENLIVER_NO_CACHE=1`` switches the cache off.
    """
    texts = [(path.name, path.read_text(encoding="utf-8")) for path in _rule_files()]
    blobs = [name.encode() + b"\0" + text.encode() for name, text in texts]
    blobs += [path.name.encode() + b"\0" + path.read_bytes() for path in _data_files()]
    meta_text = resources.files(RULES_PACKAGE).joinpath("kb.yaml").read_bytes()
    sha256 = sha256_of(meta_text, *blobs)
    cache_path = _cache_path(sha256)
    parsed = _load_cached(cache_path)
    if parsed is None:
        parsed = _parse_rules(texts)
        _store_cached(cache_path, parsed)
    rules, sources = parsed
    meta: dict[str, Any] = parse_yaml(meta_text)
    bibliography: dict[str, dict[str, Any]] = {}
    for path in _data_files():
        if path.name.startswith("bibliography"):
            bibliography.update(load_yaml(RULES_PACKAGE, f"data/{path.name}"))
    return KnowledgeBase(
        rules=tuple(rules),
        sources=sources,
        bibliography=bibliography,
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
