"""Loading the knowledge base: version stamp, content hash, the validated-rules cache."""

from __future__ import annotations

import pytest

from nenliver.errors import RuleDefinitionError
from nenliver.guideline import loader


def test_version_and_hash_are_stamped():
    kb = loader.load_knowledge_base()
    assert kb.version == kb.meta["version"]
    assert len(kb.sha256) == 64
    assert len(kb.rules) == len(kb.by_id)


def test_cache_round_trip_gives_the_same_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NENLIVER_NO_CACHE", raising=False)
    loader.load_knowledge_base.cache_clear()
    try:
        first = loader.load_knowledge_base()
        assert list((tmp_path / "nenliver").glob("kb-*.pickle"))
        loader.load_knowledge_base.cache_clear()
        second = loader.load_knowledge_base()
        assert second.rules == first.rules and second.sha256 == first.sha256
    finally:
        loader.load_knowledge_base.cache_clear()


def test_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    loader.load_knowledge_base.cache_clear()
    try:
        kb = loader.load_knowledge_base()
        for path in (tmp_path / "nenliver").glob("kb-*.pickle"):
            path.write_bytes(b"not a pickle")
        loader.load_knowledge_base.cache_clear()
        assert loader.load_knowledge_base().rules == kb.rules
    finally:
        loader.load_knowledge_base.cache_clear()


def test_malformed_rule_names_file_and_field():
    with pytest.raises(RuleDefinitionError, match=r"rules/X-01.yaml: .*condition"):
        loader.parse_rule("id: X-01\nversion: 1.0.0\n", "rules/X-01.yaml")
