"""One format for cited data: every data file validated at load, every cited key in the bibliography."""

from __future__ import annotations

import pytest

from nenliver._cited import Cited, CitedNumber, Reference, bibliography, cited, cited_entries
from nenliver.errors import KnowledgeDataError
from nenliver.service import datalint
from nenliver.service.datalint import data_lint


def test_a_reference_or_a_located_text_source_is_accepted() -> None:
    by_key = cited(
        {"value": 5, "unit": "mm", "tag": "V", "source": {"key": "WANG13", "locator": "abstract"}}, "x", CitedNumber
    )
    assert isinstance(by_key.source, Reference) and by_key.key == "WANG13"
    by_text = cited(
        {"value": 30.0, "unit": "Gy", "tag": "S", "source": "Cazzato 2021", "locator": "§6.2"}, "x", CitedNumber
    )
    assert by_text.citation == "Cazzato 2021 [§6.2]"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"value": 1, "unit": "mm", "source": "x", "locator": "y"}, "tag"),
        ({"value": 1, "unit": "mm", "tag": "Q", "source": "x", "locator": "y"}, "tag"),
        ({"value": 1, "unit": "mm", "tag": "S", "source": "a text without a locator"}, "locator"),
        ({"value": 1, "tag": "S", "source": {"key": "K", "locator": "l"}}, "unit"),
        ({"tag": "S", "source": {"key": "K"}}, "locator"),
    ],
)
def test_a_malformed_entry_is_refused_naming_file_and_entry(entry: dict, words: str) -> None:
    model = CitedNumber if "value" in entry else Cited
    with pytest.raises(KnowledgeDataError, match=rf"somefile.yaml: zones\[2\].*{words}"):
        cited(entry, "somefile.yaml: zones[2]", model)


def test_cited_entries_are_found_anywhere_in_a_file() -> None:
    data = {
        "a": {"tag": "S", "source": "s"},
        "b": [{"c": {"tag": "D", "source": {"key": "k", "locator": "l"}}}],
        "d": 3,
    }
    assert [path for path, _ in cited_entries(data)] == ["a", "b[0].c"]


def test_every_data_file_loads_and_every_cited_key_is_defined() -> None:
    issues, summary = data_lint()
    assert issues == []
    assert summary.cited_entries > 100 and summary.references == len(bibliography())


def test_data_lint_reports_a_file_that_does_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise KnowledgeDataError("case/data/ranges.yaml: patient.age_years: tag: Field required")

    real = datalint._loaders
    monkeypatch.setattr(datalint, "_loaders", lambda: [(n, broken if "ranges" in n else f) for n, f in real()])
    issues, _ = data_lint()
    assert [i.rule for i in issues] == ["case/data/ranges.yaml"]
    assert issues[0].severity == "error" and "age_years" in issues[0].message
