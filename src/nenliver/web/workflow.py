"""What the board app does with a case, once the request is parsed and its user authorised.

Shared by the JSON API and the pages, so both do exactly the same thing.

* Writes (a case, a revision, a decision, a meeting) run in the caller's writing transaction and
  append their audit entry there: the entry is kept only if the write is, and an acknowledged write
  always has its entry.
* Reads run in a read-only transaction (no lock); the caller then records the read with
  :func:`audited` in its own short writing transaction *before* it answers, so nothing is shown
  that the trail does not hold (if the entry cannot be written, the request fails).

Plans come from :func:`nenliver.service.plan_case`, kept in memory per case document, knowledge
base and software version (:func:`plan_json`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver._parsing import parse_document
from nenliver.case import Case, case_from_data
from nenliver.case.summary import one_line
from nenliver.errors import CaseValidationError
from nenliver.guideline.loader import load_knowledge_base
from nenliver.service import Plan, plan_case
from nenliver.service.decisions import BoardDecision, DecisionInput, board_codes, decide, engine_recommendation
from nenliver.store import Store, audit, cases, meetings
from nenliver.store.tables import CaseRecord, CaseRevision, DecisionRecord, Meeting
from nenliver.web.auth import Principal

__all__ = [
    "PlanView",
    "add_to_agenda",
    "audited",
    "create_case",
    "create_meeting",
    "decision_dict",
    "minutes_data",
    "parse_case",
    "plan_json",
    "plan_of",
    "read_case",
    "record_decision",
    "revise_case",
    "therapy_labels",
]

_CASE_WHAT = "a nenliver/case@1 case (JSON or YAML mapping)"


def parse_case(text: str, source: str = "request body") -> tuple[Case, dict[str, Any]]:
    """Parse and validate a case document (same reader and model as ``nenliver plan``)."""
    data = parse_document(text, source, CaseValidationError, _CASE_WHAT)
    return case_from_data(data, source), data


def _case_of(revision: CaseRevision) -> Case:
    return case_from_data(cases.document_of(revision), f"case {revision.case_id} revision {revision.revision}")


def create_case(db: Session, who: Principal, case: Case, data: dict[str, Any], comment: str = "") -> CaseRevision:
    revision = cases.create_case(
        db, data, case_ref=case.id, summary=one_line(case), username=who.username, comment=comment
    )
    audit.append(db, who.username, "case.create", case_id=revision.case_id, revision=1, detail={"case_ref": case.id})
    return revision


def revise_case(
    db: Session,
    who: Principal,
    case_id: int,
    case: Case,
    data: dict[str, Any],
    comment: str = "",
    expected_revision: int | None = None,
) -> CaseRevision:
    revision = cases.add_revision(
        db,
        case_id,
        data,
        case_ref=case.id,
        summary=one_line(case),
        username=who.username,
        comment=comment,
        expected_revision=expected_revision,
    )
    audit.append(db, who.username, "case.revise", case_id=case_id, revision=revision.revision)
    return revision


def read_case(db: Session, case_id: int, revision: int | None = None) -> tuple[CaseRecord, CaseRevision]:
    """A case and one of its revisions (the latest by default)."""
    return cases.get_case(db, case_id), cases.get_revision(db, case_id, revision)


def audited(
    store: Store,
    who: Principal,
    action: str,
    *,
    case_id: int | None = None,
    revision: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a read in the audit trail, in its own short transaction."""
    with store.transaction() as db:
        audit.append(db, who.username, action, case_id=case_id, revision=revision, detail=detail)


@dataclass(frozen=True)
class PlanView:
    """A revision with its case and plan (as JSON text, the plan@1 contract)."""

    record: CaseRecord
    revision: CaseRevision
    case: Case
    plan_json: str

    @property
    def plan_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.plan_json)
        return data

    @property
    def plan(self) -> Plan:
        return Plan.model_validate_json(self.plan_json)


class _PlanCache:
    """Plans (JSON text) by case document, knowledge base and software version; least recently used go."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            text = self._plans.get(key)
            if text is not None:
                self._plans.move_to_end(key)
            return text

    def put(self, key: tuple[str, str, str], text: str) -> None:
        with self._lock:
            self._plans[key] = text
            self._plans.move_to_end(key)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)


#: A plan is about 0.2 MB of JSON: 128 of them stay in memory.
_PLANS = _PlanCache(128)


def plan_json(case: Case, document_sha256: str) -> str:
    """The plan@1 JSON of a case, computed once per document, knowledge base and software version."""
    kb = load_knowledge_base()
    key = (document_sha256, kb.sha256, __version__)
    text = _PLANS.get(key)
    if text is None:
        text = plan_case(case, kb).model_dump_json()
        _PLANS.put(key, text)
    return text


def plan_of(db: Session, case_id: int, revision: int | None = None) -> PlanView:
    """A revision (the latest by default) with its case and plan."""
    record = cases.get_case(db, case_id)
    row = cases.get_revision(db, case_id, revision)
    case = _case_of(row)
    return PlanView(record, row, case, plan_json(case, row.document_sha256))


def record_decision(
    db: Session, who: Principal, view: PlanView, decision: DecisionInput
) -> tuple[DecisionRecord, BoardDecision]:
    """Record what the board decided for the revision of ``view``, beside the engine's recommendation."""
    if decision.meeting_id is not None:
        meetings.get_meeting(db, decision.meeting_id)
    board = decide(view.plan, decision)
    record = cases.add_decision(
        db,
        view.record.id,
        view.revision.revision,
        decided_on=decision.decided_on.isoformat(),
        chosen_option=decision.chosen_option,
        document=board.model_dump(mode="json"),
        deviation=board.deviation,
        username=who.username,
        meeting_id=decision.meeting_id,
    )
    audit.append(
        db,
        who.username,
        "decision.record",
        case_id=view.record.id,
        revision=view.revision.revision,
        detail={"decision_id": record.id, "chosen": decision.chosen_option, "deviation": board.deviation},
    )
    return record, board


def therapy_labels() -> dict[str, str]:
    """Every choice a board can record, with its label (the plan's therapies first)."""
    labels: dict[str, str] = dict(load_knowledge_base().meta["therapy_labels"])
    labels.update(board_codes()["choices"])
    return labels


def decision_dict(record: DecisionRecord) -> dict[str, Any]:
    """A stored decision as the API returns it (with labels for people)."""
    stored = json.loads(record.document)
    labels = therapy_labels()
    reasons = board_codes()["deviation_reasons"]
    decision = stored["decision"]
    return {
        "id": record.id,
        "case_id": record.case_id,
        "revision": record.revision,
        "meeting_id": record.meeting_id,
        "decided_on": record.decided_on,
        "chosen_option": record.chosen_option,
        "chosen_label": labels.get(record.chosen_option, record.chosen_option),
        "also": decision.get("also", []),
        "also_labels": [labels.get(a, a) for a in decision.get("also", [])],
        "participants": decision["participants"],
        "deviation": record.deviation,
        "deviation_basis": stored["deviation_basis"],
        "deviation_reasons": decision.get("deviation_reasons", []),
        "reason_labels": [reasons.get(r, r) for r in decision.get("deviation_reasons", [])],
        "deviation_text": decision.get("deviation_text", ""),
        "notes": decision.get("notes", ""),
        "engine": stored["engine"],
        "recorded_by": record.created_by,
        "recorded_at": record.created_at,
    }


def create_meeting(db: Session, who: Principal, *, date: str, title: str, participants: list[str]) -> Meeting:
    meeting = meetings.create_meeting(db, date=date, title=title, participants=participants, username=who.username)
    audit.append(db, who.username, "meeting.create", detail={"meeting_id": meeting.id, "date": date})
    return meeting


def add_to_agenda(db: Session, who: Principal, meeting_id: int, case_id: int) -> None:
    item = meetings.add_to_agenda(db, meeting_id, case_id, username=who.username)
    audit.append(
        db,
        who.username,
        "meeting.agenda",
        case_id=case_id,
        detail={"meeting_id": meeting_id, "position": item.position},
    )


def minutes_data(db: Session, who: Principal, meeting_id: int) -> dict[str, Any]:
    """Everything the minutes show (``docs/web.md``, section Minutes); the caller audits the read."""
    meeting = meetings.get_meeting(db, meeting_id)
    labels = therapy_labels()
    kb = load_knowledge_base()
    items = []
    for _item, record in meetings.agenda(db, meeting_id):
        all_decisions = [decision_dict(d) for d in cases.decisions(db, record.id)]
        here = [d for d in all_decisions if d["meeting_id"] == meeting_id]
        decision = here[-1] if here else None
        engine = decision["engine"] if decision else None
        engine_revision = decision["revision"] if decision else record.latest_revision
        if engine is None:
            engine = engine_recommendation(plan_of(db, record.id).plan).model_dump()
        engine = {**engine, "recommended_labels": [labels.get(t, t) for t in engine["recommended"]]}
        history = [
            {**d, "meeting": d["meeting_id"]}
            for d in all_decisions
            if d is not decision and (d["meeting_id"] != meeting_id)
        ]
        items.append(
            {
                "case_id": record.id,
                "case_ref": record.case_ref,
                "summary": record.summary,
                "latest_revision": record.latest_revision,
                "engine": engine,
                "engine_revision": engine_revision,
                "decision": decision,
                "history": history,
                "labels": labels,
            }
        )
    chain = audit.verify(db)
    return {
        "meeting": meetings.as_dict(meeting),
        "items": items,
        "notice": CLINICIAN_REVIEW_NOTICE,
        "software_version": __version__,
        "knowledge_base": {"version": kb.version, "sha256": kb.sha256},
        "audit": chain.as_dict(),
        "generated_at": audit.utc_now(),
        "generated_by": who.username,
    }
