"""A tumour board's decision beside the engine's recommendation.

The engine *recommends* the options the Figure 1 pathway puts first (``pathway.preferred``); when
the pathway names none, the options whose status is ``indicated``. A board decision **deviates**
when

* the engine recommends something and the chosen option is not among it, or
* the chosen option is ``contraindicated`` or ``not_indicated`` in the plan,

except that deferring for further work-up never deviates from a provisional plan (one that waits
on missing data). A deviation needs at least one coded reason (``service/data/board.yaml``), and the
code ``other`` needs a text. The decision keeps a snapshot of the recommendation, the statuses and
the knowledge-base version it was made against, so the minutes can show both side by side.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from nenliver._data import load_yaml
from nenliver._validation import MAX_RECORD_ID, IsoDate, problems_from_validation_error
from nenliver.errors import InputError, Problem
from nenliver.service.contracts import Plan, Status, Therapy

__all__ = [
    "BoardDecision",
    "DecisionInput",
    "EngineRecommendation",
    "board_codes",
    "decide",
    "decision_from_data",
    "engine_recommendation",
]

RULED_OUT = frozenset({Status.CONTRAINDICATED, Status.NOT_INDICATED})
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class DecisionInputError(InputError):
    """A board decision that cannot be recorded as sent."""


@cache
def board_codes() -> dict[str, dict[str, str]]:
    """``board.yaml``: the choices besides the plan's options and the coded deviation reasons."""
    data: dict[str, dict[str, str]] = load_yaml("nenliver.service", "data/board.yaml")
    return data


class DecisionInput(BaseModel):
    """What the board decided, as entered (web form or ``POST /api/cases/{id}/decision``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    chosen_option: str = Field(description="a therapy of the plan, or a choice of board.yaml (surveillance …)")
    also: list[str] = Field(default_factory=list, max_length=12, description="options combined with it")
    participants: list[_Name] = Field(min_length=1, max_length=60)
    decided_on: IsoDate
    deviation_reasons: list[str] = Field(default_factory=list, max_length=12)
    deviation_text: str = Field("", max_length=4000)
    notes: str = Field("", max_length=8000)
    revision: int | None = Field(
        None, ge=1, le=MAX_RECORD_ID, description="the revision decided on; the latest by default"
    )
    meeting_id: int | None = Field(None, ge=1, le=MAX_RECORD_ID)

    @field_validator("chosen_option")
    @classmethod
    def _known_choice(cls, value: str) -> str:
        if value not in _choices():
            raise ValueError(f"unknown option {value[:40]!r}; expected one of {', '.join(_choices())}")
        return value

    @field_validator("also")
    @classmethod
    def _known_choices(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in _choices()]
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(repr(u[:40]) for u in unknown)}")
        return values

    @field_validator("deviation_reasons")
    @classmethod
    def _known_reasons(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in board_codes()["deviation_reasons"]]
        if unknown:
            raise ValueError(
                f"unknown reason code(s) {', '.join(repr(u[:40]) for u in unknown)}; "
                f"expected {', '.join(board_codes()['deviation_reasons'])}"
            )
        return values

    @field_validator("decided_on")
    @classmethod
    def _not_in_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise ValueError(f"{value.isoformat()} is in the future")
        return value


def _choices() -> list[str]:
    return [t.value for t in Therapy] + list(board_codes()["choices"])


def decision_from_data(data: Any, source: str = "decision") -> DecisionInput:
    """Validate a decision; :class:`~nenliver.errors.InputError` with field paths otherwise."""
    if not isinstance(data, dict):
        raise DecisionInputError(source, [Problem("", f"top level is {type(data).__name__}", "a JSON object")])
    try:
        return DecisionInput.model_validate(data)
    except ValidationError as exc:
        raise DecisionInputError(source, problems_from_validation_error(exc, DecisionInput)) from None


class EngineRecommendation(BaseModel):
    """What the engine recommended for the revision decided on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recommended: list[str]
    basis: str
    branch: str | None
    statuses: dict[str, str]
    provisional: bool
    knowledge_base: str
    knowledge_base_sha256: str
    software_version: str


def engine_recommendation(plan: Plan) -> EngineRecommendation:
    """The recommendation a plan makes (see the module docstring)."""
    statuses = {o.therapy.value: o.status.value for o in plan.options}
    if plan.pathway is not None and plan.pathway.preferred:
        recommended = [t.value for t in plan.pathway.preferred]
        basis = f"pathway branch '{plan.pathway.branch.value}': what comes first"
    else:
        recommended = [o.therapy.value for o in plan.options if o.status is Status.INDICATED]
        basis = "no pathway preference: the options indicated" if recommended else "no recommendation"
    return EngineRecommendation(
        recommended=recommended,
        basis=basis,
        branch=plan.pathway.branch.value if plan.pathway is not None else None,
        statuses=statuses,
        provisional=plan.provisional,
        knowledge_base=plan.knowledge_base.version,
        knowledge_base_sha256=plan.knowledge_base.sha256,
        software_version=plan.software.version,
    )


class BoardDecision(BaseModel):
    """A decision as recorded: the input, the engine's recommendation and whether it deviates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: DecisionInput
    engine: EngineRecommendation
    deviation: bool
    deviation_basis: str


def _deviation(choice: str, engine: EngineRecommendation) -> tuple[bool, str]:
    status = engine.statuses.get(choice)
    if status in RULED_OUT:
        return True, f"the plan lists {choice} as {status.replace('_', ' ')}"
    if choice == "further_workup" and engine.provisional:
        return False, "further work-up of a provisional plan"
    if engine.recommended and choice not in engine.recommended:
        return True, f"the engine recommends {', '.join(engine.recommended)}"
    if not engine.recommended:
        return False, "the engine made no recommendation"
    return False, "the board chose what the engine recommends"


def decide(plan: Plan, decision: DecisionInput) -> BoardDecision:
    """Set the decision beside the plan's recommendation; refuse a deviation without its reason."""
    engine = engine_recommendation(plan)
    deviation, basis = _deviation(decision.chosen_option, engine)
    problems = []
    if deviation and not decision.deviation_reasons:
        problems.append(
            Problem(
                "deviation_reasons",
                f"the choice {decision.chosen_option!r} deviates from the engine ({basis})",
                "at least one coded reason: " + ", ".join(board_codes()["deviation_reasons"]),
            )
        )
    if "other" in decision.deviation_reasons and not decision.deviation_text.strip():
        problems.append(Problem("deviation_text", "reason 'other' without a text", "what the other reason is"))
    if problems:
        raise DecisionInputError("decision", problems)
    return BoardDecision(decision=decision, engine=engine, deviation=deviation, deviation_basis=basis)
