"""Cohort runs: the table's conventions, refused rows, what-if, and the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from nenliver._parsing import load_document
from nenliver.case import case_from_data
from nenliver.cli.main import main
from nenliver.errors import CaseValidationError
from nenliver.guideline.loader import load_knowledge_base
from nenliver.service import plan_case
from nenliver.service.cohort.run import evaluate_cohort, row_from_case
from nenliver.service.cohort.whatif import Overrides, ThresholdOverride, apply_overrides, compare

EXAMPLES = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "examples" / "cases").glob("*.yaml") if p.stem != "expected"
)


def _candidates(ages: tuple[int, ...]) -> list[dict[str, Any]]:
    """The transplant candidate of the examples at several ages (one row each)."""
    base = load_document(EXAMPLES[0].parent / "transplant-candidate.yaml", CaseValidationError, "case")
    rows = []
    for age in ages:
        document = {**base, "id": f"c{age}", "patient": {**base["patient"], "age_years": age}}
        rows.append(row_from_case(document))
    return rows


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.all().cast(pl.String))


def _decide(rows: list[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
    return evaluate_cohort(_frame(rows), **kwargs).collect().to_dicts()


def test_every_example_case_gets_its_plan_including_dosimetry_and_needle_facts():
    documents = [load_document(p, CaseValidationError, "case") for p in EXAMPLES]
    rows = _decide([row_from_case(d) for d in documents], lists=True)
    for document, row in zip(documents, rows, strict=True):
        plan = plan_case(case_from_data(document)).to_json_dict()
        for option in plan["options"]:
            assert row[f"status_{option['therapy']}"] == option["status"], (document["id"], option["therapy"])
        assert row["pathway"] == plan["pathway"]["branch"]
    large = next(r for r in rows if r["id"] == "large-lesion-no-modality")
    assert large["status_ablation"] == "caution"  # the vectorised path sees the needle planning's facts


def test_a_bad_row_is_reported_with_its_field_and_the_others_are_decided(make_case):
    good = row_from_case(make_case())
    rows = [
        good,
        {**good, "id": "b1", "patient.age_years": "sixty"},
        {**good, "id": "b2", "labs.bilirubin": "2", "labs.bilirubin.unit": "mg/L"},
        {**good, "id": "b3", "decision_date": "2021-02-30"},
        {**good, "id": "b4", "labs.date": "2030-01-01"},
        {**good, "id": "b5", "liver.lesion_count": "1"},
        {**good, "id": "b6", "liver.lesions": json.dumps([{"id": "L1"}, {"id": "L1"}])},
        {**good, "id": "b7", "tumour.primary_site": "liver"},
        {**good, "id": "b8", "patient.ecog": "2.5"},
    ]
    decided = {r["id"]: r for r in _decide(rows)}
    assert decided["base"]["errors"] == [] and decided["base"]["status_surgery"] is not None
    expected = {
        "b1": "patient.age_years: not a finite number",
        "b2": "labs.bilirubin.unit: unknown unit",
        "b3": "decision_date: not a date",
        "b4": "labs.date: after the decision date",
        "b5": "liver.lesion_count: below the number of listed lesions",
        "b6": "liver.lesions: duplicate lesion ids",
        "b7": "tumour.primary_site: not one of",
        "b8": "patient.ecog: not a whole number",
    }
    for case_id, message in expected.items():
        row = decided[case_id]
        assert any(e.startswith(message) for e in row["errors"]), (case_id, row["errors"])
        assert (
            row["status_surgery"] is None and row["row"] == rows.index(next(r for r in rows if r["id"] == case_id)) + 1
        )


def test_a_lab_in_another_unit_is_converted_as_the_case_model_converts_it(make_case):
    document = make_case(**{"labs.bilirubin": {"value": 51.3, "unit": "umol/L"}})
    (row,) = _decide([row_from_case(document)], lists=True)
    assert row["errors"] == []
    plan = plan_case(case_from_data(document)).to_json_dict()
    assert all(row[f"status_{o['therapy']}"] == o["status"] for o in plan["options"])


def test_aggregate_lesion_columns_stand_in_for_a_lesion_list(make_case):
    document = make_case(**{"liver.lesions": None})
    row = row_from_case(document)
    with_largest = {**row, "liver.lesion_count": "2", "liver.largest_lesion_mm": "19"}
    (plain, aggregated) = _decide([row, with_largest], lists=True)
    assert "liver.lesions" in ",".join(plain["missing"]) or plain["status_ablation"] != aggregated["status_ablation"]
    assert aggregated["errors"] == []


def test_what_if_reports_the_cases_whose_status_changes():
    """LT-01 (seed: transplant below 55) moved to 60: only the 57-year-old candidate changes."""
    kb = load_knowledge_base()
    rows = _candidates((50, 57, 65))
    baseline = evaluate_cohort(_frame(rows), kb).collect()
    override = ThresholdOverride(rule="LT-01", fact="age_years", value=60)
    scenario_kb = apply_overrides(kb, Overrides(thresholds=[override]))
    scenario = evaluate_cohort(_frame(rows), scenario_kb).collect()
    report = compare(baseline, scenario)
    transplant = report["therapies"]["liver_transplant"]
    assert transplant["examples"] == ["c57"] and transplant["changed"] == 1
    assert report["therapies"]["surgery"]["changed"] == 0


def test_what_if_refuses_unknown_rules_and_facts():
    from nenliver.errors import InputError

    kb = load_knowledge_base()
    with pytest.raises(InputError, match="no rule"):
        apply_overrides(kb, Overrides(disable=["XX-99"]))
    with pytest.raises(InputError, match="no threshold"):
        apply_overrides(kb, Overrides(thresholds=[ThresholdOverride(rule="LT-01", fact="albumin_g_dl", value=3)]))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_cohort_with_what_if(tmp_path: Path, capsys, suffix):
    rows = _candidates((50, 57))
    rows.append({**rows[0], "id": "bad", "patient.age_years": "x"})
    table = tmp_path / f"cohort{suffix}"
    frame = _frame(rows)
    frame.write_csv(table) if suffix == ".csv" else frame.write_parquet(table)
    overrides = tmp_path / "what-if.yaml"
    overrides.write_text("thresholds:\n  - {rule: LT-01, fact: age_years, value: 60}\n", encoding="utf-8")
    out = tmp_path / f"decisions{suffix}"
    assert main(["cohort", str(table), "--out", str(out), "--what-if", str(overrides), "--lists"]) == 0
    printed = capsys.readouterr().out
    assert "3 cases decided" in printed and "row 3: patient.age_years: not a finite number" in printed
    assert "liver_transplant" in printed and "contraindicated → " in printed
    decided = pl.read_csv(out) if suffix == ".csv" else pl.read_parquet(out)
    assert decided.height == 3 and "fired" in decided.columns and "rule_LT-01" in decided.columns
    report = json.loads(out.with_name(f"{out.stem}.what-if.json").read_text())
    assert report["therapies"]["liver_transplant"]["changed"] == 1
    assert out.with_name(f"{out.stem}.what-if.png").read_bytes().startswith(b"\x89PNG")


def test_cli_cohort_refuses_a_missing_table(tmp_path: Path, capsys):
    assert main(["cohort", str(tmp_path / "none.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
