"""The per-case decision engine: rules in, a traced decision per therapy out.

For one case, every rule is evaluated with three-valued logic and recorded as a
:class:`Finding` (rule id, effect, result, text, inputs, thresholds, citations). The status of each
therapy follows from its findings with the precedence of ``docs/formats/plan.md``::

    contraindicated > not_indicated > needs_data > trial_only > caution > indicated

* an ``exclude`` rule that is true → ``contraindicated``;
* the indication (``support`` rules: OR within an ``indication_group``, AND across groups) known
  to be false → ``not_indicated``;
* an unknown that the decision hangs on (unknown policy ``needs_data``) → ``needs_data``;
* a ``route`` rule with ``route_status: trial_only`` that is true → ``trial_only``;
* a ``caution`` that is true, or unknown with policy ``caution`` → ``caution``.

The same rule data compiles to the vectorised evaluator in :mod:`nenliver.guideline.cohort`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nenliver.case.model import Case
from nenliver.guideline.explain import finding_text, format_value, thresholds
from nenliver.guideline.facts import FACTS, FactValue, case_facts, grade_from_measures, grading_summary, lesion_facts
from nenliver.guideline.loader import KnowledgeBase, load_knowledge_base
from nenliver.guideline.logic import Truth, evaluate, kleene_and, kleene_or
from nenliver.guideline.schema import ALLOWED_STATUSES, THERAPIES, Rule, iter_leaves

STATUS_PRECEDENCE = ("contraindicated", "not_indicated", "needs_data", "trial_only", "caution", "indicated")


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule on one case (or one lesion)."""

    rule: Rule
    result: Truth
    text: str
    inputs: dict[str, FactValue]
    missing: tuple[str, ...]
    lesion: str | None = None
    values: dict[str, FactValue] = field(default_factory=dict)

    def comparisons(self) -> list[dict[str, Any]]:
        """Each fact of the rule: case field, patient value as read, threshold as read."""
        limits = thresholds(self.rule)
        return [
            {
                "fact": name,
                "field": fact_key(name),
                "label": FACTS[name].label,
                "patient": format_value(value, FACTS[name].unit),
                "threshold": limits.get(name),
            }
            for name, value in self.values.items()
        ]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule.id,
            "effect": self.rule.effect,
            "result": self.result,
            "text": self.text,
            "inputs": self.inputs,
            "thresholds": thresholds(self.rule),
            "comparisons": self.comparisons(),
            "citations": self.rule.citation_labels,
            "rule_status": self.rule.status,
            "unknown_policy": self.rule.policy,
            "reported_only": self.result is None and self.rule.policy == "report",
            "evidence": "".join(self.rule.evidence),
        }
        if self.rule.status == "draft":
            out["text"] += " [draft rule: source not yet verified by a clinician]"
        if self.lesion is not None:
            out["lesion"] = self.lesion
        if self.rule.item:
            out["item"] = self.rule.item
        return out


@dataclass
class OptionDecision:
    therapy: str
    status: str
    findings: list[Finding]
    missing: list[dict[str, Any]]
    provisional: bool
    details: dict[str, Any] = field(default_factory=dict)
    #: Ids of the findings that set the status (see :func:`deciding_rules`).
    deciding: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pathway:
    """Where the patient stands on the Figure 1 pathway, and what comes first (docs/formats/plan.md)."""

    branch: str
    preferred: list[str]
    alternatives: list[str]
    rules: list[str]
    text: str
    missing: list[dict[str, Any]] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "preferred": self.preferred,
            "alternatives": self.alternatives,
            "rules": self.rules,
            "text": self.text,
            "missing": self.missing,
            "passed_over": self.passed_over,
        }


@dataclass
class Decision:
    """Everything the engine concluded for one case (the plan without rendering)."""

    case_id: str
    kb: KnowledgeBase
    facts: dict[str, FactValue]
    grade: dict[str, Any]
    in_scope: bool | None
    scope_findings: list[Finding]
    general: list[Finding]
    options: list[OptionDecision]
    workup: list[Finding]
    advice: list[Finding]
    conflicts: list[dict[str, Any]]
    lesion_findings: dict[str, list[Finding]]
    pathway: Pathway | None = None
    pathway_findings: list[Finding] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        return self.in_scope is None or any(o.provisional for o in self.options)


def fact_key(name: str) -> str:
    """Key under which a fact appears in ``inputs``: its case path when it maps to one field."""
    fact = FACTS[name]
    return fact.paths[0] if fact.direct else name


def evaluate_rule(rule: Rule, facts: Mapping[str, FactValue], lesion: str | None = None) -> Finding:
    result = evaluate(rule.condition, facts)
    names = list(dict.fromkeys(leaf.fact for leaf in iter_leaves(rule.condition)))
    inputs = {fact_key(n): facts.get(n) for n in names}
    missing = tuple(n for n in names if facts.get(n) is None) if result is None else ()
    values = {n: facts.get(n) for n in names}
    return Finding(rule, result, finding_text(rule, result, facts), inputs, missing, lesion, values)


def indication(findings: list[Finding]) -> Truth:
    """OR within each indication group, AND across groups; no support rule means indicated."""
    groups: dict[str, list[Truth]] = {}
    for f in findings:
        if f.rule.effect == "support":
            groups.setdefault(f.rule.indication_group or f.rule.id, []).append(f.result)
    return kleene_and([kleene_or(results) for results in groups.values()])


def decide_status(findings: list[Finding]) -> tuple[str, bool]:
    """Status of one therapy from its findings, and whether it hangs on unknown inputs."""
    indicated = indication(findings)
    if any(f.rule.effect == "exclude" and f.result is True for f in findings):
        return "contraindicated", False
    if indicated is False:
        return "not_indicated", False
    hangs = indicated is None or any(
        (f.result is None and f.rule.policy == "needs_data" and f.rule.effect != "support")
        or (f.rule.blocks and f.result is True)
        for f in findings
    )
    if hangs:
        return "needs_data", True
    if any(f.rule.effect == "route" and f.rule.route_status == "trial_only" and f.result is True for f in findings):
        return "trial_only", False
    known_caution = any(f.rule.effect in ("caution", "exclude") and f.result is True for f in findings)
    unknown_caution = any(f.result is None and f.rule.policy == "caution" for f in findings)
    if known_caution or unknown_caution:
        return "caution", unknown_caution and not known_caution
    return "indicated", False


def deciding_rules(findings: list[Finding], status: str) -> list[str]:
    """Ids of the findings that set ``status`` (what a board reads first for the option).

    ``contraindicated``: the exclusions that fired; ``not_indicated``: the indication rules of the
    groups known to be false; ``needs_data``: the rules waiting on data; ``trial_only``: the routing
    rule; ``caution``: the cautions that fired (or stay open on unknown data); ``indicated``: the
    indication rules that hold.
    """

    def ids(selected: list[Finding]) -> list[str]:
        return list(dict.fromkeys(f.rule.id for f in selected))

    if status == "contraindicated":
        return ids([f for f in findings if f.rule.effect == "exclude" and f.result is True])
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        if f.rule.effect == "support":
            groups.setdefault(f.rule.indication_group or f.rule.id, []).append(f)
    if status == "not_indicated":
        failed = [g for g in groups.values() if kleene_or([f.result for f in g]) is False]
        return ids([f for g in failed for f in g])
    if status == "needs_data":
        open_groups = [g for g in groups.values() if kleene_or([f.result for f in g]) is None]
        waiting = [f for g in open_groups for f in g if f.result is None]
        waiting += [
            f for f in findings if f.result is None and f.rule.policy == "needs_data" and f.rule.effect != "support"
        ]
        waiting += [f for f in findings if f.rule.blocks and f.result is True]
        return ids(waiting)
    if status == "trial_only":
        return ids(
            [f for f in findings if f.rule.effect == "route" and f.rule.route_status == "trial_only" and f.result]
        )
    if status == "caution":
        known = [f for f in findings if f.rule.effect == "caution" and f.result is True]
        return ids(known or [f for f in findings if f.result is None and f.rule.policy == "caution"])
    return ids([f for f in findings if f.rule.effect == "support" and f.result is True])


def pathway_facts(statuses: Mapping[str, str]) -> dict[str, FactValue]:
    """``allowed_<therapy>``: true when the option is indicated or caution, false when it is ruled
    out (contraindicated, not indicated, trial only), unknown while it needs data."""
    out: dict[str, FactValue] = {}
    for therapy, status in statuses.items():
        out[f"allowed_{therapy}"] = None if status == "needs_data" else status in ALLOWED_STATUSES
    return out


def _rank(therapies: list[str], statuses: Mapping[str, str]) -> list[str]:
    """Allowed options only, indicated before caution, otherwise in the given order."""
    allowed = [t for t in therapies if statuses.get(t) in ALLOWED_STATUSES]
    return sorted(allowed, key=lambda t: ALLOWED_STATUSES.index(statuses[t]))


def decide_pathway(findings: list[Finding], statuses: Mapping[str, str], labels: Mapping[str, str]) -> Pathway:
    """The Figure 1 branch from the pathway rules (lowest priority first) and the options' statuses.

    The first rule that holds places the patient, unless none of its options is allowed (all ruled
    out): then it is passed over and said so. A rule whose result is unknown before any holds
    leaves the branch ``undetermined``, naming the inputs it waits on. ``preferred`` never holds a
    contraindicated, not indicated or needs-data option.
    """
    passed: list[str] = []
    notes: list[str] = []
    for f in sorted(findings, key=lambda f: f.rule.priority or 0):
        if f.result is False:
            continue
        if f.result is None:
            missing = _missing([f])
            text = f"Pathway undetermined: {f.text}"
            return Pathway(
                "undetermined", [], _rank(list(THERAPIES), statuses), [*passed, f.rule.id], text, missing, passed
            )
        preferred = _rank(list(f.rule.preferred), statuses)
        if f.rule.preferred and not preferred:
            passed.append(f.rule.id)
            ruled = ", ".join(f"{labels.get(t, t)} {statuses[t].replace('_', ' ')}" for t in f.rule.preferred)
            notes.append(f"{f.rule.branch.replace('_', ' ') if f.rule.branch else ''} passed over ({ruled})")
            continue
        alternatives = [t for t in _rank(list(THERAPIES), statuses) if t not in preferred]
        text = f.text + (f" ({'; '.join(notes)})" if notes else "")
        return Pathway(str(f.rule.branch), preferred, alternatives, [*passed, f.rule.id], text, [], passed)
    text = "No pathway rule places this patient" + (f" ({'; '.join(notes)})" if notes else "")
    return Pathway("undetermined", [], _rank(list(THERAPIES), statuses), passed, text, [], passed)


def _missing(findings: list[Finding]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for f in findings:
        if f.result is not None or f.rule.policy == "report":
            continue
        for name in f.missing:
            fact = FACTS[name]
            entry = seen.setdefault(name, {"field": ", ".join(fact.paths), "label": fact.label, "rules": []})
            entry["rules"].append(f.rule.id)
    return list(seen.values())


def _grade(case: Case, facts: Mapping[str, FactValue]) -> dict[str, Any]:
    value = facts.get("grade")
    ki67, mitoses = case.tumour.ki67_percent, case.tumour.mitoses_per_2mm2
    measured = grade_from_measures(ki67, mitoses)
    parts = []
    if ki67 is not None:
        parts.append(f"ki67_percent={ki67:g}")
    if mitoses is not None:
        parts.append(f"mitoses_per_2mm2={mitoses:g}")
    if measured is not None:
        basis = f"{', '.join(parts)} ({grading_summary()})"
    elif value is not None:
        basis = "grade as stated (no Ki-67 or mitotic count given)"
    else:
        basis = "unknown: no Ki-67, mitotic count or stated grade"
    out: dict[str, Any] = {"value": value, "basis": basis}
    if facts.get("grade_discordant"):
        out["discordance"] = (
            f"stated grade {case.tumour.grade} differs from the measured {measured}; the measured grade is used"
        )
    return out


def _conflicts(kb: KnowledgeBase, results: Mapping[str, Finding]) -> list[dict[str, Any]]:
    """Conflicts between cited sources that matter for this case: the rules disagree or one is unknown."""
    out, done = [], set()
    for rule in kb.rules:
        for other_id in rule.conflicts_with:
            pair = tuple(sorted((rule.id, other_id)))
            if pair in done or rule.id not in results or other_id not in results:
                continue
            done.add(pair)
            a, b = results[pair[0]], results[pair[1]]
            if a.result == b.result and a.result is not None:
                continue
            topic = rule.topic or kb.rule(other_id).topic or "threshold"
            changed = _status_hangs_on_source(kb, results, a.rule, b.rule)
            out.append(
                {
                    "topic": topic,
                    "rules": list(pair),
                    "text": f"Sources disagree on {topic}: {pair[0]} ({a.text}) vs {pair[1]} ({b.text}). "
                    "Local policy decides; both are shown.",
                    "citations": a.rule.citation_labels + b.rule.citation_labels,
                    "therapies": sorted(set(a.rule.therapy) | set(b.rule.therapy)),
                    "changes_status": bool(changed),
                    "statuses_by_source": changed,
                }
            )
    return out


def _status_hangs_on_source(
    kb: KnowledgeBase, results: Mapping[str, Finding], a: Rule, b: Rule
) -> dict[str, dict[str, str]]:
    """Therapies whose status differs depending on which of two conflicting sources is followed.

    Following source ``a`` means leaving ``b`` out of the decision, and the other way round; a
    conflict that changes no status (the option is ruled out by other rules either way) is only
    information. Returns therapy → {rule id → status when that rule is followed}.
    """
    out: dict[str, dict[str, str]] = {}
    for therapy in sorted(set(a.therapy) | set(b.therapy)):
        findings = [results[r.id] for r in kb.rules if therapy in r.therapy and r.id in results]
        follow_a = decide_status([f for f in findings if f.rule.id != b.id])[0]
        follow_b = decide_status([f for f in findings if f.rule.id != a.id])[0]
        if follow_a != follow_b:
            out[therapy] = {a.id: follow_a, b.id: follow_b}
    return out


def evaluate_lesions(
    case: Case, facts: Mapping[str, FactValue] | None = None, kb: KnowledgeBase | None = None
) -> dict[str, list[Finding]]:
    """Evaluate the lesion-scope rules for every listed lesion (lesion id → findings)."""
    kb = kb or load_knowledge_base()
    facts = case_facts(case) if facts is None else facts
    out = {}
    for lesion in case.liver.lesions or []:
        env = {**facts, **lesion_facts(lesion)}
        out[lesion.id] = [evaluate_rule(rule, env, lesion=lesion.id) for rule in kb.rules if rule.scope == "lesion"]
    return out


def ablation_targets(
    case: Case, facts: Mapping[str, FactValue], kb: KnowledgeBase | None = None
) -> frozenset[str] | None:
    """The lesions needle plans should cover: ``None`` for every listed lesion.

    When the ablation indication holds only through rules marked ``targets: progressing``
    (oligoprogression, ABL-02), only the progressing lesions are ablation targets; otherwise (few
    lesions, or the indication not settled) every listed lesion is.
    """
    kb = kb or load_knowledge_base()
    support = [r for r in kb.rules if r.scope == "case" and r.effect == "support" and "ablation" in r.therapy]
    results = [(r, evaluate(r.condition, facts)) for r in support]
    if any(result is True and r.targets is None for r, result in results):
        return None
    if any(result is True and r.targets == "progressing" for r, result in results):
        return frozenset(les.id for les in case.liver.lesions or [] if les.progressing is True)
    return None


def decide_from_facts(
    facts: Mapping[str, FactValue], kb: KnowledgeBase | None = None
) -> tuple[dict[str, str], bool | None, dict[str, list[str]]]:
    """Statuses, scope and fired rule ids from case-level facts alone (no lesion rules).

    This is the per-case counterpart of :func:`nenliver.guideline.cohort.evaluate_frame`.
    """
    kb = kb or load_knowledge_base()
    results = {r.id: evaluate_rule(r, facts) for r in kb.rules if r.scope == "case" and r.kind != "pathway"}
    statuses, fired = {}, {}
    for therapy in THERAPIES:
        findings = [results[r.id] for r in kb.rules if r.scope == "case" and therapy in r.therapy]
        statuses[therapy] = decide_status(findings)[0]
        fired[therapy] = [f.rule.id for f in findings if f.result is True]
    scope = [f.result for f in results.values() if f.rule.kind == "scope"]
    in_scope = kleene_or(scope)
    return statuses, None if in_scope is None else not in_scope, fired


def evaluate_case(
    case: Case,
    external: Mapping[str, FactValue] | None = None,
    kb: KnowledgeBase | None = None,
    lesion_findings: dict[str, list[Finding]] | None = None,
) -> Decision:
    """Evaluate every rule of the knowledge base on ``case`` and decide each therapy's status.

    Parameters
    ----------
    case
        A validated case.
    external
        Facts computed outside the guideline package (e.g. ``sirt_predicted_lung_dose_gy`` from
        SIRT dosimetry, ``lesions_without_ablation_modality`` from ablation planning).
    kb
        The knowledge base; the packaged one by default.
    lesion_findings
        Lesion-rule findings already evaluated (by the ablation planning step); evaluated here
        when not given. Lesion rules use no external facts, so the result is the same.
    """
    kb = kb or load_knowledge_base()
    facts = case_facts(case, external)
    results: dict[str, Finding] = {}
    for rule in kb.rules:
        if rule.scope == "case" and rule.kind != "pathway":
            results[rule.id] = evaluate_rule(rule, facts)
    if lesion_findings is None:
        lesion_findings = evaluate_lesions(case, facts, kb)
    options = []
    for therapy in THERAPIES:
        findings = [results[r.id] for r in kb.rules if r.scope == "case" and therapy in r.therapy]
        status, hangs = decide_status(findings)
        option = OptionDecision(therapy, status, findings, _missing(findings), hangs)
        option.deciding = deciding_rules(findings, status)
        options.append(option)
    statuses = {o.therapy: o.status for o in options}
    path_env = {**facts, **pathway_facts(statuses)}
    pathway_findings = [evaluate_rule(r, path_env) for r in kb.rules if r.kind == "pathway"]
    pathway = decide_pathway(pathway_findings, statuses, kb.meta["therapy_labels"])
    scope = [f for f in results.values() if f.rule.kind == "scope"]
    out_of_scope = kleene_or([f.result for f in scope])
    in_scope = None if out_of_scope is None else not out_of_scope
    ruled_out = {o.therapy for o in options if o.status in ("contraindicated", "not_indicated")}

    def relevant(f: Finding) -> bool:
        """A work-up or advice item tied only to therapies that are ruled out is not listed."""
        return not f.rule.therapy or not set(f.rule.therapy) <= ruled_out

    workup = [f for f in results.values() if f.rule.effect == "require" and f.result is not False and relevant(f)]
    advice = [f for f in results.values() if f.rule.effect == "advise" and f.result is True and relevant(f)]
    return Decision(
        case_id=case.id,
        kb=kb,
        facts=facts,
        grade=_grade(case, facts),
        in_scope=in_scope,
        scope_findings=scope,
        general=[f for f in results.values() if not f.rule.therapy and f.rule.effect not in ("require", "advise")],
        options=options,
        workup=workup,
        advice=advice,
        conflicts=_conflicts(kb, results),
        lesion_findings=lesion_findings,
        pathway=pathway,
        pathway_findings=pathway_findings,
    )
