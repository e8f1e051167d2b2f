"""The machine contracts of nenliver's outputs as pydantic models, and their enums.

``plan@1`` (:class:`Plan`) is what ``nenliver plan --json`` prints and what the web app, the FHIR
adapter and the cohort runner consume; ``sirt-result@1`` is :class:`~nenliver.dosimetry.SirtResult`;
``voxel-dose@1`` is :class:`VoxelDoseReport`; ``ablation-margin@1`` is :class:`MarginReport`. The
JSON Schemas under ``docs/formats/schemas/`` are generated from these models (``nenliver schema``)
and a test keeps them in sync. Every model is strict about its keys (``extra="forbid"``), so a key
the contract does not define cannot slip into an output.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from nenliver.dosimetry.model import SirtResult

__all__ = [
    "PLAN_FORMAT",
    "AblationDetails",
    "Branch",
    "Comparison",
    "Conflict",
    "Effect",
    "EmptyDetails",
    "Finding",
    "Grade",
    "InputWarning",
    "KnowledgeBaseStamp",
    "LesionPlan",
    "ListedItem",
    "MarginPolicy",
    "MissingInput",
    "Modality",
    "Option",
    "Outcome",
    "Pathway",
    "Plan",
    "PrrtDetails",
    "PrrtHistory",
    "SirtDetails",
    "Software",
    "Status",
    "Therapy",
    "WithheldDetails",
]

PLAN_FORMAT: Literal["nenliver/plan@1"] = "nenliver/plan@1"


class Therapy(StrEnum):
    """Every option of a plan, in the order plans list them."""

    SURGERY = "surgery"
    LIVER_TRANSPLANT = "liver_transplant"
    ABLATION = "ablation"
    TAE = "tae"
    TACE = "tace"
    SIRT = "sirt"
    PRRT = "prrt"
    IA_PRRT = "ia_prrt"
    SSA = "ssa"


class Status(StrEnum):
    """Status of an option.

    Precedence: contraindicated > not_indicated > needs_data > trial_only > caution > indicated.
    """

    CONTRAINDICATED = "contraindicated"
    NOT_INDICATED = "not_indicated"
    NEEDS_DATA = "needs_data"
    TRIAL_ONLY = "trial_only"
    CAUTION = "caution"
    INDICATED = "indicated"


class Effect(StrEnum):
    """What a rule does when its condition holds."""

    SUPPORT = "support"
    EXCLUDE = "exclude"
    CAUTION = "caution"
    REQUIRE = "require"
    ADVISE = "advise"
    INFO = "info"
    ROUTE = "route"


class Modality(StrEnum):
    """Percutaneous ablation modalities."""

    LA = "la"
    RFA = "rfa"
    MWA = "mwa"
    IRE = "ire"


class Branch(StrEnum):
    """Branches of the Figure 1 pathway."""

    SURGERY = "surgery"
    TRANSPLANT_EVALUATION = "transplant_evaluation"
    ABLATION = "ablation"
    ENDOVASCULAR = "endovascular"
    SYSTEMIC = "systemic"
    WATCHFUL = "watchful"
    OUTSIDE_ALGORITHM = "outside_algorithm"
    UNDETERMINED = "undetermined"


FactValue = float | bool | str | None


class _Out(BaseModel):
    """Base of every output model: frozen, no unknown keys; keys in ``omit_if_none`` are left out
    of the JSON when they hold ``None`` (optional per-item details such as a finding's lesion)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    omit_if_none: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in self.omit_if_none:
            if data.get(key) is None:
                data.pop(key, None)
        return data


class Comparison(_Out):
    """One fact of a rule: the case field, the patient's value as read and the rule's threshold."""

    fact: str
    field: str
    label: str
    patient: str
    threshold: str | None


class Finding(_Out):
    """The outcome of one rule on the case (or on one lesion)."""

    omit_if_none: ClassVar[tuple[str, ...]] = ("lesion", "item")

    rule: str
    effect: Effect
    result: bool | None
    text: str
    inputs: dict[str, FactValue]
    thresholds: dict[str, str]
    comparisons: list[Comparison]
    citations: list[str]
    rule_status: Literal["active", "draft"]
    unknown_policy: Literal["needs_data", "caution", "report"]
    reported_only: bool
    evidence: str
    lesion: str | None = None
    item: str | None = None


class MissingInput(_Out):
    """A case input the decision waits on, and the rules that need it."""

    field: str
    label: str
    rules: list[str]


class Outcome(_Out):
    """An outcome figure a report can cite (guideline data ``outcomes.yaml``)."""

    label: str
    figure: str
    population: str
    source_key: str
    locator: str
    evidence: list[str]


class LesionPlan(_Out):
    """Modality, applicators and expected zone for one lesion to treat."""

    id: str
    modality: Modality | None
    applicators: int | None
    zone_mm: float | None
    margin_mm: float | None
    note: str
    guidance: str | None
    diameter_mm: float | None
    rules: list[str]
    alternatives: list[str]
    cautions: list[str]
    findings: list[Finding]


class MarginPolicy(_Out):
    minimum_mm: float
    ideal_mm: float


class AblationDetails(_Out):
    """Needle plans of an ablation option that is still allowed."""

    omit_if_none: ClassVar[tuple[str, ...]] = ("not_targeted", "targets")

    lesions: list[LesionPlan]
    margin_policy: MarginPolicy
    not_targeted: list[str] | None = None
    targets: str | None = None


class SirtDetails(_Out):
    """The SIRT dosimetry of the case's MAA work-up (``dosimetry`` null when it could not be computed)."""

    omit_if_none: ClassVar[tuple[str, ...]] = ("notes",)

    summary: str
    dosimetry: SirtResult | None
    notes: list[str] | None = None


class PrrtHistory(_Out):
    """The patient's PRRT cycles with their dosimetry and the cumulative kidney and marrow figures."""

    cycles: list[dict[str, Any]]
    cumulative: dict[str, float | None]
    after_one_more_cycle: dict[str, float | None]
    kidney_bed_limit_gy: float
    kidney_bed_limit_basis: str
    kidney_bed_limit_source: str
    cycles_remaining_within_bed_limit: int | None
    note: str


class PrrtDetails(_Out):
    """PRRT option details: the dosimetry history of earlier cycles (``nenliver prrt`` per cycle)."""

    dosimetry_history: PrrtHistory


class WithheldDetails(_Out):
    """Prescription-like details withheld because the option is contraindicated or not indicated."""

    withheld: str


class EmptyDetails(_Out):
    """No details for this option."""


class Option(_Out):
    """One therapy of the plan: status, deciding rules, the whole trace, missing inputs and details."""

    therapy: Therapy
    label: str
    status: Status
    provisional: bool
    deciding: list[str]
    findings: list[Finding]
    missing: list[MissingInput]
    details: AblationDetails | SirtDetails | PrrtDetails | WithheldDetails | EmptyDetails
    outcomes: list[Outcome]


class Pathway(_Out):
    """Where the patient stands on the Figure 1 pathway (reconstructed) and what comes first."""

    branch: Branch
    preferred: list[Therapy]
    alternatives: list[Therapy]
    rules: list[str]
    text: str
    missing: list[MissingInput]
    passed_over: list[str]
    labels: dict[str, str]
    findings: list[Finding]


class ListedItem(_Out):
    """A work-up item or a piece of peri-procedural advice."""

    item: str | None
    rule: str
    text: str
    result: bool | None
    therapies: list[Therapy]
    citations: list[str]


class Conflict(_Out):
    """Two cited sources that disagree for this patient."""

    topic: str
    rules: list[str]
    text: str
    citations: list[str]
    therapies: list[Therapy]
    changes_status: bool
    statuses_by_source: dict[str, dict[str, Status]]


class Grade(_Out):
    omit_if_none: ClassVar[tuple[str, ...]] = ("discordance",)

    value: Literal["G1", "G2", "G3"] | None
    basis: str
    discordance: str | None = None


class KnowledgeBaseStamp(_Out):
    version: str
    sha256: str
    rules: int
    draft_rules: int


class Software(_Out):
    name: Literal["nenliver"]
    version: str


class InputWarning(_Out):
    """A possible but implausible input value (a likely unit slip), shown beside it."""

    path: str
    value: str
    message: str


class Plan(_Out):
    """The decision for one case (``nenliver/plan@1``). For clinician review."""

    format: Literal["nenliver/plan@1"] = PLAN_FORMAT
    case_id: str
    decision_date: str | None
    notice: str
    software: Software
    knowledge_base: KnowledgeBaseStamp
    grade: Grade
    in_scope: bool | None
    scope_note: str
    pathway: Pathway | None
    input_warnings: list[InputWarning]
    findings: list[Finding]
    options: list[Option]
    workup: list[ListedItem]
    advice: list[ListedItem]
    conflicts: list[Conflict]
    draft_rules_fired: list[str]
    provisional: bool

    def option(self, therapy: Therapy | str) -> Option:
        """The option of ``therapy``."""
        return next(o for o in self.options if o.therapy == therapy)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON contract as plain Python data."""
        data: dict[str, Any] = self.model_dump(mode="json")
        return data
