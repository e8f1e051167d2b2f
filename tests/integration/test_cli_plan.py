"""``nenliver plan``, ``rules`` and ``schema`` through the command-line entry point."""

from __future__ import annotations

import json
import sys
import types
import warnings
from pathlib import Path

import pytest
import yaml

from nenliver.cli.main import main


@pytest.fixture
def case_file(tmp_path: Path, make_case):
    def write(**changes) -> Path:
        path = tmp_path / "case.yaml"
        path.write_text(yaml.safe_dump(make_case(**changes)))
        return path

    return write


def _plan(capsys, path: Path) -> dict:
    assert main(["plan", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_json_follows_the_contract(capsys, case_file):
    plan = _plan(capsys, case_file())
    assert plan["format"] == "nenliver/plan@1"
    assert {
        "case_id",
        "knowledge_base",
        "grade",
        "in_scope",
        "scope_note",
        "options",
        "workup",
        "advice",
        "conflicts",
        "provisional",
    } <= set(plan)
    assert len(plan["knowledge_base"]["sha256"]) == 64
    assert [o["therapy"] for o in plan["options"]] == [
        "surgery",
        "liver_transplant",
        "ablation",
        "tae",
        "tace",
        "sirt",
        "prrt",
        "ia_prrt",
        "ssa",
    ]
    for option in plan["options"]:
        assert {"therapy", "status", "findings", "missing", "details"} <= set(option)
        for f in option["findings"]:
            assert {"rule", "effect", "result", "text", "inputs", "citations"} <= set(f)
    lesions = next(o for o in plan["options"] if o["therapy"] == "ablation")["details"]["lesions"]
    assert {"id", "modality", "applicators", "zone_mm", "margin_mm", "note"} <= set(lesions[0])


def test_invalid_case_exits_2_naming_the_field(capsys, case_file):
    assert main(["plan", str(case_file(**{"liver.lesions.1.diameter_mm": -5})), "--json"]) == 2
    err = capsys.readouterr()
    assert "liver.lesions[1].diameter_mm" in err.err and err.out == ""


def test_terminal_view_says_clinician_review_once(capsys, case_file):
    assert main(["plan", str(case_file())]) == 0
    out = capsys.readouterr().out
    assert out.count("For clinician review") == 1
    assert "Percutaneous ablation" in out and "knowledge base" in out


def test_html_report_is_written(tmp_path: Path, capsys, case_file):
    target = tmp_path / "out" / "plan.html"
    assert main(["plan", str(case_file()), "--html", str(target)]) == 0
    html = target.read_text()
    assert "<html" in html and "clinician review" in html.lower()


def test_missing_sirt_workup_names_the_shunt(capsys, case_file):
    plan = _plan(
        capsys,
        case_file(**{"liver.lesion_count": 12, "liver.distribution": "bilobar", "liver.tumour_burden_percent": 30}),
    )
    sirt = next(o for o in plan["options"] if o["therapy"] == "sirt")
    assert sirt["status"] == "needs_data"
    assert "shunt" in json.dumps(sirt["missing"]).lower()
    assert plan["provisional"] is True


def test_rules_lint_and_list(capsys):
    assert main(["rules", "lint"]) == 0
    assert main(["rules", "list"]) == 0
    assert "TAE-06" in capsys.readouterr().out


def test_rules_show_unknown_id_exits_2(capsys):
    assert main(["rules", "show", "NOPE-99"]) == 2


def test_schema_case_is_json(capsys):
    assert main(["schema", "case"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("nenliver case format")


def test_internal_error_exits_1_without_traceback(capsys, case_file, monkeypatch):
    import nenliver.cli.plan as plan_cli

    def broken(case):
        raise RuntimeError("boom")

    monkeypatch.setattr(plan_cli, "plan_case", broken)
    monkeypatch.delenv("NENLIVER_DEBUG", raising=False)
    assert main(["plan", str(case_file()), "--json"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err


def test_pdf_report_is_written(tmp_path: Path, capsys, case_file):
    target = tmp_path / "plan.pdf"
    assert main(["plan", str(case_file()), "--pdf", str(target)]) == 0
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5000


class _BrokenWeasyPrint(types.ModuleType):
    """Stands in for a WeasyPrint whose system libraries cannot be loaded."""

    def __getattr__(self, name: str):
        raise OSError("cannot load library 'libpango-1.0-0': No such file")


class _WarningWeasyPrint(types.ModuleType):
    """Stands in for a WeasyPrint that warns while rendering (as 70 does without HarfBuzz-Subset)."""

    class HTML:
        def __init__(self, string: str) -> None:
            self.string = string

        def write_pdf(self) -> bytes:
            warnings.warn("HarfBuzz-Subset will be required by future versions", DeprecationWarning, stacklevel=1)
            return b"%PDF-1.7 stand-in"


def test_pdf_missing_system_library_is_a_plain_message(tmp_path: Path, capsys, case_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", _BrokenWeasyPrint("weasyprint"))
    target = tmp_path / "plan.pdf"
    assert main(["plan", str(case_file()), "--pdf", str(target)]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert "libpango-1.0-0" in err and "apt-get install" in err and "libharfbuzz-subset0" in err
    assert not target.exists()


def test_pdf_render_warning_is_reported_not_fatal(tmp_path: Path, capsys, case_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", _WarningWeasyPrint("weasyprint"))
    target = tmp_path / "plan.pdf"
    assert main(["plan", str(case_file()), "--pdf", str(target)]) == 0
    assert target.read_bytes().startswith(b"%PDF")
    err = capsys.readouterr().err
    assert "WeasyPrint: HarfBuzz-Subset will be required" in err


def test_html_without_jinja2_names_the_extra(tmp_path: Path, capsys, case_file, monkeypatch):
    from nenliver.report import html

    html.environment.cache_clear()
    monkeypatch.setitem(sys.modules, "jinja2", None)
    try:
        assert main(["plan", str(case_file()), "--html", str(tmp_path / "p.html")]) == 1
    finally:
        html.environment.cache_clear()
    err = capsys.readouterr().err
    assert "nenliver[report]" in err and "internal error" not in err
    assert not (tmp_path / "p.html").exists()
