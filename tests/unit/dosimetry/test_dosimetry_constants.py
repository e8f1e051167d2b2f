"""Every dosimetry datum is cited data: value, unit, source, locator and tag."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from nenliver.dosimetry import constants
from nenliver.dosimetry.constants import REQUIRED_KEYS, TAGS, _parse_file, data_files, entry, load_data
from nenliver.dosimetry.decay import half_life_h_icrp107
from nenliver.errors import KnowledgeDataError

DATA_DIR = resources.files("nenliver.dosimetry").joinpath("data")


def test_data_files_are_present() -> None:
    assert {
        "dose_constants.yaml",
        "limits.yaml",
        "devices.yaml",
        "bsa.yaml",
        "decay.yaml",
        "tissue.yaml",
    } <= set(data_files())


@pytest.mark.parametrize("file", data_files())
def test_every_entry_has_value_unit_source_locator_and_tag(file: str) -> None:
    raw = yaml.safe_load(DATA_DIR.joinpath(file).read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    assert raw
    for name, body in raw.items():
        for key in REQUIRED_KEYS:
            assert body.get(key) not in (None, ""), f"{file}: {name} lacks {key}"
        assert body["tag"] in TAGS, f"{file}: {name} has tag {body['tag']!r}"
        assert len(str(body["source"]).split()) >= 3, f"{file}: {name} source is not a citation"


def test_entry_names_are_unique_across_files() -> None:
    seen: dict[str, str] = {}
    for file in data_files():
        for name in yaml.safe_load(DATA_DIR.joinpath(file).read_text(encoding="utf-8")):
            assert name not in seen, f"{name} in {file} and {seen[name]}"
            seen[name] = file
    assert set(seen) == set(load_data())


def test_loader_refuses_an_entry_without_source() -> None:
    text = "x:\n  value: 1.0\n  unit: Gy\n  locator: p. 1\n  tag: S\n"
    with pytest.raises(KnowledgeDataError, match="lacks source"):
        _parse_file("bad.yaml", text)


def test_loader_refuses_an_unknown_tag() -> None:
    text = "x:\n  value: 1.0\n  unit: Gy\n  source: A B C\n  locator: p. 1\n  tag: Q\n"
    with pytest.raises(KnowledgeDataError, match="tag"):
        _parse_file("bad.yaml", text)


def test_loader_refuses_a_boolean_value() -> None:
    text = "x:\n  value: true\n  unit: Gy\n  source: A B C\n  locator: p. 1\n  tag: S\n"
    with pytest.raises(KnowledgeDataError, match="value"):
        _parse_file("bad.yaml", text)


def test_unknown_entry_is_an_error() -> None:
    with pytest.raises(KnowledgeDataError, match="no dosimetry data entry"):
        entry("no_such_entry")


def test_number_and_numbers_check_the_shape() -> None:
    with pytest.raises(KnowledgeDataError):
        constants.number("glass_vial_sizes")
    with pytest.raises(KnowledgeDataError):
        constants.numbers("eanm_2022")


def test_dose_constant_conventions_match_the_issue() -> None:
    assert constants.number("eanm_2022") == 49.67
    assert constants.number("therasphere_ifu") == 50.0
    assert constants.number("aapm_mppg14a") == 49.38
    assert constants.number("ho166_standard") == 15.87


@pytest.mark.parametrize("name", ["y90", "ho166", "tc99m", "lu177"])
def test_recorded_half_lives_agree_with_radioactivedecay(name: str) -> None:
    item = entry(name)
    assert half_life_h_icrp107(str(item.extra["nuclide"])) == pytest.approx(item.value, rel=1e-6)


def test_limits_declare_severity_and_comparison() -> None:
    for item in load_data().values():
        if item.file == "limits.yaml":
            assert item.extra["severity"] in ("hard", "advisory")
            assert item.extra["comparison"] in ("max", "below", "min")
