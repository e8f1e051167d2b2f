"""Loading the knowledge base: version stamp, content hash, validation at load, nothing on disk."""

from __future__ import annotations

import pytest

from nenliver.errors import RuleDefinitionError
from nenliver.guideline import loader


def test_version_and_hash_are_stamped():
    kb = loader.load_knowledge_base()
    assert kb.version == kb.meta["version"]
    assert len(kb.sha256) == 64
    assert len(kb.rules) == len(kb.by_id)


def test_loading_writes_nothing_to_disk_and_reloads_the_same(tmp_path, monkeypatch):
    """The knowledge base lives in memory only: no cache file is written (or ever unpickled)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    loader.load_knowledge_base.cache_clear()
    try:
        first = loader.load_knowledge_base()
        loader.load_knowledge_base.cache_clear()
        second = loader.load_knowledge_base()
        assert second.rules == first.rules and second.sha256 == first.sha256
        assert list(tmp_path.rglob("*")) == []
    finally:
        loader.load_knowledge_base.cache_clear()


def test_malformed_rule_names_file_and_field():
    with pytest.raises(RuleDefinitionError, match=r"rules/X-01.yaml: .*condition"):
        loader.parse_rule("id: X-01\nversion: 1.0.0\n", "rules/X-01.yaml")
