"""Dependencies point one way: case → guideline/dosimetry/ablation → service → report → cli/web.

The case store (``store``) is persistence only: it depends on nothing but the base modules; the
web app is a face over the service layer, the reports and the store.

Checked on the source text (imports of ``nenliver.<subpackage>``), so a stray import fails CI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "nenliver"
BASE = {"nenliver", "errors", "_data", "_version", "_validation", "_parsing", "_cited"}
ALLOWED = {
    "case": BASE | {"case"},
    "imaging": BASE | {"imaging"},
    "guideline": BASE | {"case", "guideline"},
    "dosimetry": BASE | {"case", "imaging", "dosimetry"},
    "ablation": BASE | {"case", "imaging", "ablation"},
    "service": BASE | {"case", "imaging", "guideline", "dosimetry", "ablation", "service"},
    "report": BASE | {"case", "imaging", "dosimetry", "ablation", "service", "report"},
    "store": BASE | {"store"},
    "fhir": BASE | {"case", "guideline", "service", "fhir"},
    "web": BASE | {"case", "guideline", "service", "report", "store", "fhir", "web"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "nenliver":
                found.add(parts[1] if len(parts) > 1 else "nenliver")
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependencies_point_one_way(package):
    for path in sorted((SRC / package).rglob("*.py")):
        bad = _imports(path) - ALLOWED[package]
        assert not bad, f"{path.relative_to(SRC)} imports nenliver.{sorted(bad)}"


def test_subpackages_declare_sorted_exports():
    import importlib

    for name in ("case", "guideline", "ablation", "dosimetry", "imaging"):
        module = importlib.import_module(f"nenliver.{name}")
        exported = list(module.__all__)
        assert all(hasattr(module, n) for n in exported), name
