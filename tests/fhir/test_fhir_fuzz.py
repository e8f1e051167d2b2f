"""Fuzzing the FHIR import: a mutated bundle becomes a case or is refused with a field path.

Oracle: :func:`case_from_bundle` returns (with whatever it could not map listed) or raises an
:class:`~nenliver.errors.InputError` whose problems name a path; no other exception, ever.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nenliver.case import case_from_data
from nenliver.errors import InputError
from nenliver.fhir.exporter import bundle_from_case
from nenliver.fhir.importer import case_from_bundle
from support.fuzz import FUZZ, mutated


@FUZZ
@given(data=st.data())
def test_a_fuzzed_bundle_is_read_or_refused_with_a_path(make_case: Any, data: st.DataObject) -> None:
    bundle = bundle_from_case(case_from_data(make_case()))
    hostile = data.draw(mutated([bundle]))
    outcome = _read(hostile)
    if isinstance(outcome, InputError):
        assert outcome.problems and all(isinstance(p.path, str) for p in outcome.problems)
    else:
        assert outcome.case.id


def _read(bundle: dict[str, Any]) -> Any:
    try:
        return case_from_bundle(bundle, dt.date(2026, 1, 5))
    except InputError as exc:
        return exc
