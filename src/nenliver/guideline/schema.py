"""Schema of a knowledge-base rule record (one YAML file per rule under ``guideline/rules/``).

A condition is a structured predicate over named facts with a closed operator set; there is no
``eval`` anywhere. Conditions nest with ``all`` / ``any`` / ``not`` and are evaluated with
three-valued (Kleene) logic, so an unknown input never reads as "no contraindication".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

THERAPIES = ("surgery", "liver_transplant", "ablation", "tae", "tace", "sirt", "prrt", "ia_prrt", "ssa")
Therapy = Literal["surgery", "liver_transplant", "ablation", "tae", "tace", "sirt", "prrt", "ia_prrt", "ssa"]
Effect = Literal["support", "exclude", "caution", "require", "advise", "info", "route"]
Op = Literal["lt", "le", "gt", "ge", "eq", "ne", "in", "not_in", "known", "missing"]
UnknownPolicy = Literal["needs_data", "caution", "report"]
EvidenceTag = Literal["S", "V", "K", "D"]
#: Branches of the Figure 1 pathway (docs/formats/plan.md, ``pathway.branch``).
BRANCHES = (
    "surgery",
    "transplant_evaluation",
    "ablation",
    "endovascular",
    "systemic",
    "watchful",
    "outside_algorithm",
    "undetermined",
)
Branch = Literal[
    "surgery",
    "transplant_evaluation",
    "ablation",
    "endovascular",
    "systemic",
    "watchful",
    "outside_algorithm",
]
#: Option statuses that allow an option (the others rule it out or leave it open).
ALLOWED_STATUSES = ("indicated", "caution")

#: Default unknown policy by effect: the decision hangs on an unknown gate or indication; an unknown
#: caution keeps the caution (it can never be cleared by missing data); other effects only report.
DEFAULT_UNKNOWN_POLICY: dict[str, UnknownPolicy] = {
    "support": "needs_data",
    "exclude": "needs_data",
    "caution": "caution",
    "require": "report",
    "advise": "report",
    "info": "report",
    "route": "report",
}


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leaf(_Record):
    """``fact op value [unit]``; ``known``/``missing`` take no value and are never unknown."""

    fact: str
    op: Op
    value: float | bool | str | list[str] | list[float] | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _value_matches_op(self) -> Leaf:
        if self.op in ("known", "missing"):
            if self.value is not None:
                raise ValueError(f"operator {self.op!r} takes no value")
        elif self.op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"operator {self.op!r} needs a non-empty list value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a single value")
        if self.op in ("lt", "le", "gt", "ge") and (isinstance(self.value, bool | str)):
            raise ValueError(f"operator {self.op!r} needs a number")
        return self


class Always(_Record):
    """A condition that always holds (schedules, protocol notes, MDT requirement)."""

    always: Literal[True]


class All(_Record):
    all: list[Condition] = Field(min_length=1)


class Any_(_Record):
    any: list[Condition] = Field(min_length=1)


class Not(_Record):
    not_: Condition = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Condition = Annotated[Leaf | Always | All | Any_ | Not, Field(union_mode="smart")]
All.model_rebuild()
Any_.model_rebuild()
Not.model_rebuild()


class Citation(_Record):
    key: str
    locator: str


class Messages(_Record):
    """Clinician text for each outcome. ``{fact}`` is the patient's value with its unit and
    ``{fact.threshold}`` the threshold the condition compares it to."""

    if_true: str
    if_false: str | None = None
    if_unknown: str | None = None


class Example(_Record):
    """An executable scenario: the facts given and the expected three-valued result."""

    given: dict[str, Any]
    expect: bool | None
    note: str | None = None


class Rule(_Record):
    id: str = Field(pattern=r"^[A-Z]+-[0-9]+[a-z]?$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    status: Literal["active", "draft"]
    evidence: list[EvidenceTag] = Field(min_length=1)
    title: str
    therapy: list[Therapy] = Field(default_factory=list)
    scope: Literal["case", "lesion"] = "case"
    kind: Literal[
        "indication",
        "contraindication",
        "caution",
        "workup",
        "advice",
        "info",
        "route",
        "scope",
        "modality",
        "pathway",
    ]
    effect: Effect
    indication_group: str | None = None
    route_status: Literal["trial_only"] | None = None
    modality: list[Literal["la", "rfa", "mwa", "ire"]] | None = None
    item: str | None = None
    condition: Condition
    unknown_policy: UnknownPolicy | None = None
    message: Messages
    rationale: str
    citations: list[Citation] = Field(min_length=1)
    conflicts_with: list[str] = Field(default_factory=list)
    topic: str | None = None
    examples: list[Example] = Field(default_factory=list)
    #: Pathway rules (``kind: pathway``): the branch they place the patient on, the options that
    #: come first there (best first), and their order of evaluation (lower first).
    branch: Branch | None = None
    preferred: list[Therapy] = Field(default_factory=list)
    priority: int | None = None
    #: Ablation indication rules: ``progressing`` when the indication this rule gives covers the
    #: progressing lesions only (oligoprogression); needle plans then cover those lesions.
    targets: Literal["progressing"] | None = None
    #: The dosimetry data entry (``dosimetry/data/*.yaml``) that holds the same threshold; a test
    #: keeps both equal (one value, one source).
    dosimetry_entry: str | None = None
    #: ``require`` rules only: when the item is known to be missing (the rule is true) the option's
    #: decision waits on it (status ``needs_data``), as for an unknown gate. Default: only listed.
    blocks: bool = False

    @property
    def policy(self) -> UnknownPolicy:
        return self.unknown_policy or DEFAULT_UNKNOWN_POLICY[self.effect]

    @property
    def citation_labels(self) -> list[str]:
        return [f"{c.key}:{c.locator}" for c in self.citations]

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.effect == "route" and self.therapy and self.route_status is None:
            raise ValueError("a route rule on a therapy needs route_status")
        if self.effect in ("require", "advise") and not self.item:
            raise ValueError(f"a rule with effect {self.effect!r} needs an item key")
        if self.blocks and (self.effect != "require" or not self.therapy):
            raise ValueError("blocks: true belongs to require rules on a therapy")
        if self.scope == "lesion" and self.therapy != ["ablation"]:
            raise ValueError("lesion-scope rules belong to therapy [ablation]")
        pathway = self.kind == "pathway"
        if pathway and (self.branch is None or self.priority is None or self.effect != "route" or self.therapy):
            raise ValueError("a pathway rule needs branch and priority, effect route and no therapy")
        if not pathway and (self.branch is not None or self.preferred or self.priority is not None):
            raise ValueError("branch, preferred and priority belong to pathway rules")
        return self


def iter_leaves(condition: Any) -> list[Leaf]:
    """Every leaf of a condition tree, depth first."""
    if isinstance(condition, Leaf):
        return [condition]
    if isinstance(condition, Always):
        return []
    if isinstance(condition, All):
        return [leaf for c in condition.all for leaf in iter_leaves(c)]
    if isinstance(condition, Any_):
        return [leaf for c in condition.any for leaf in iter_leaves(c)]
    if isinstance(condition, Not):
        return iter_leaves(condition.not_)
    raise TypeError(f"not a condition: {condition!r}")
