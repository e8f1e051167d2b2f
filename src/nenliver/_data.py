"""Loading of the package's knowledge data files (YAML), cached, with a content hash."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

import yaml

try:  # the C loader is several times faster; the pure-Python one gives identical results
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]


@cache
def load_yaml(package: str, name: str) -> Any:
    """Read ``name`` from the data folder of ``package`` (e.g. ``nenliver.case``, ``data/units.yaml``)."""
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return parse_yaml(text)


def parse_yaml(text: str | bytes) -> Any:
    """``yaml.safe_load`` with the C loader when available."""
    return yaml.load(text, Loader=SafeLoader)


def sha256_of(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
