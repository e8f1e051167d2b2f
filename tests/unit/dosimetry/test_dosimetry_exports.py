"""The public API of nenliver.dosimetry is sorted, importable and documented."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import nenliver.dosimetry as dosimetry

MODULES = [
    "bsa",
    "checks",
    "constants",
    "conventions",
    "decay",
    "enums",
    "holmium",
    "inverse",
    "io",
    "logistics",
    "mird",
    "model",
    "partition",
    "planner",
    "validation",
]


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def test_all_is_sorted_and_importable() -> None:
    assert dosimetry.__all__ == sorted(dosimetry.__all__, key=_isort_key)
    for name in dosimetry.__all__:
        assert hasattr(dosimetry, name), name


@pytest.mark.parametrize("module", MODULES)
def test_module_all_is_sorted(module: str) -> None:
    mod = importlib.import_module(f"nenliver.dosimetry.{module}")
    assert mod.__all__ == sorted(mod.__all__, key=_isort_key)


@pytest.mark.parametrize("module", MODULES)
def test_doctests_pass(module: str) -> None:
    mod = importlib.import_module(f"nenliver.dosimetry.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("module", ["bsa", "mird", "partition", "holmium", "decay", "inverse", "logistics"])
def test_physics_functions_have_notes_and_references(module: str) -> None:
    mod = importlib.import_module(f"nenliver.dosimetry.{module}")
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            assert "Notes" in doc, f"{module}.{name} has no Notes"
            assert "References" in doc, f"{module}.{name} has no References"
            assert "Examples" in doc, f"{module}.{name} has no Examples"
