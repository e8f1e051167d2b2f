"""Each row of a cohort run gets exactly what ``nenliver plan`` gives that case (random whole cases).

The cohort path derives every fact, the SIRT dosimetry and the ablation planning as column
expressions (no per-case Python); the plan path runs the service layer case by case. Statuses,
provisional flags, the pathway and what it puts first, the fired rules and the missing inputs must
be the same for every case, including those whose facts come from dosimetry and needle planning.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nenliver.case import case_from_data
from nenliver.errors import CaseValidationError
from nenliver.guideline.loader import load_knowledge_base
from nenliver.guideline.schema import THERAPIES
from nenliver.service import plan_case
from nenliver.service.cohort.run import evaluate_cohort, row_from_case
from support.cases import WHOLE_CASES


def _valid(document: dict[str, Any]) -> bool:
    try:
        case_from_data(document)
    except CaseValidationError:
        return False
    return True


#: Work-up and advice rules: the plan lists them only for options still open, so compare the others.
LISTED = {r.id for r in load_knowledge_base().rules if r.effect in ("require", "advise")}


def _expected(document: dict[str, Any]) -> dict[str, Any]:
    plan = plan_case(case_from_data(document)).to_json_dict()
    fired = {f["rule"] for o in plan["options"] for f in o["findings"] if f["result"] is True}
    fired |= {f["rule"] for f in plan["findings"] if f["result"] is True}
    missing = {m["field"] for o in plan["options"] for m in o["missing"]}
    return {
        **{f"status_{o['therapy']}": o["status"] for o in plan["options"]},
        **{f"provisional_{o['therapy']}": o["provisional"] for o in plan["options"]},
        "pathway": plan["pathway"]["branch"],
        "pathway_preferred": plan["pathway"]["preferred"],
        "in_scope": plan["in_scope"],
        "fired": fired - LISTED,
        "missing": missing,
    }


def _got(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in (*(f"status_{t}" for t in THERAPIES), *(f"provisional_{t}" for t in THERAPIES))}
    out.update(
        pathway=row["pathway"],
        pathway_preferred=row["pathway_preferred"],
        in_scope=row["in_scope"],
        fired=set(row["fired"]) - LISTED,
        missing=set(row["missing"]),
    )
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(WHOLE_CASES, min_size=1, max_size=6))
def test_cohort_rows_equal_the_plans(documents: list[dict[str, Any]]) -> None:
    documents = [d for d in documents if _valid(d)]
    assume(documents)
    frame = pl.DataFrame([row_from_case(d) for d in documents], infer_schema_length=None)
    rows = evaluate_cohort(frame.with_columns(pl.all().cast(pl.String)), lists=True).collect().to_dicts()
    for document, row in zip(documents, rows, strict=True):
        assert row["errors"] == [], row["errors"]
        assert _got(row) == _expected(document), __import__("json").dumps(document, default=str)
