"""Per-lesion choice of ablation modality and applicators from the seed's zone sizes.

A configuration (modality, applicator count, zone diameter range) *fits* a lesion when

.. math:: d_\\text{lesion} + 2\\,m \\le Z

with :math:`m` the minimum margin (5 mm) and :math:`Z` the upper end of the zone range; it fits
*robustly* when this holds at the lower end. Context from the knowledge base (heat sink near a
vessel ≥ 3 mm, central location, arrhythmia) arrives as :class:`ModalityConstraints`: modalities
that are excluded, that carry a caution, or that are preferred, each with the rule ids that said so.

Ranking among fitting configurations: preferred first, then the fewest cautions (a central lesion
near a vessel: RFA carries both the heat-sink and the central caution, MWA only the central one),
then robust fit, then fewer applicators, then the smallest zone that covers the lesion (least normal
liver ablated), then the tie-break order of ``devices.yaml``.

.. warning:: Zone sizes are the review's nominal values, not manufacturer charts; clinical zones are
   commonly smaller (``docs/ablation.md`` §1). For clinician review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nenliver.ablation._devices import devices
from nenliver.case.model import Lesion


@dataclass(frozen=True)
class Configuration:
    modality: str
    applicators: int
    zone_min_mm: float
    zone_max_mm: float
    label: str
    citation: str


@dataclass(frozen=True)
class Policy:
    margin_mm: float
    ideal_margin_mm: float
    preference: tuple[str, ...]
    configurations: tuple[Configuration, ...]
    guidance: tuple[tuple[str, frozenset[str], str], ...]


@dataclass
class ModalityConstraints:
    """What the knowledge base says about each modality for one lesion (modality → rule ids)."""

    excluded: dict[str, list[str]] = field(default_factory=dict)
    caution: dict[str, list[str]] = field(default_factory=dict)
    preferred: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LesionPlan:
    """The plan for one lesion (``options[ablation].details.lesions[]`` of plan@1)."""

    id: str
    modality: str | None
    applicators: int | None
    zone_mm: float | None
    margin_mm: float | None
    note: str
    guidance: str | None
    diameter_mm: float | None
    rules: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    #: Rule ids of the cautions that apply to the chosen modality (heat sink, central location …).
    cautions: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "modality": self.modality,
            "applicators": self.applicators,
            "zone_mm": self.zone_mm,
            "margin_mm": self.margin_mm,
            "note": self.note,
            "guidance": self.guidance,
            "diameter_mm": self.diameter_mm,
            "rules": list(self.rules),
            "alternatives": list(self.alternatives),
            "cautions": list(self.cautions),
        }


@cache
def load_policy() -> Policy:
    """The device and margin data of ``ablation/data/devices.yaml``."""
    data = devices()
    configs = tuple(
        Configuration(
            c["modality"],
            int(c["applicators"]),
            float(c["zone_mm"][0]),
            float(c["zone_mm"][1]),
            c["label"],
            f"{c['source']['key']}:{c['source']['locator']}",
        )
        for c in data["configurations"]
    )
    guidance = tuple((g["name"], frozenset(g["visible_on"]), g["text"]) for g in data["guidance"])
    return Policy(
        margin_mm=float(data["margin"]["minimum_mm"]["value"]),
        ideal_margin_mm=float(data["margin"]["ideal_mm"]["value"]),
        preference=tuple(data["preference"]),
        configurations=configs,
        guidance=guidance,
    )


def guidance_for(visible_on: Iterable[str] | None, policy: Policy | None = None) -> str | None:
    """Imaging guidance by visibility: US/CT, else MRI, else PET/CT (seed section 4)."""
    if visible_on is None:
        return None
    seen = set(visible_on)
    for _name, modalities, text in (policy or load_policy()).guidance:
        if seen & modalities:
            return text
    return "lesion not visible on any listed imaging: re-image before planning"


def _fmt(value: float) -> str:
    return f"{value:g}"


def plan_lesion(
    lesion: Lesion, constraints: ModalityConstraints | None = None, policy: Policy | None = None
) -> LesionPlan:
    """Choose modality and applicators for one lesion.

    Parameters
    ----------
    lesion
        The lesion (diameter in mm; unknown diameter gives no modality and says why).
    constraints
        Modalities excluded / cautioned / preferred by the knowledge base for this lesion.
    policy
        Device and margin data; the packaged ``devices.yaml`` by default.

    Examples
    --------
    >>> plan_lesion(Lesion(id="L1", diameter_mm=14)).modality
    'rfa'
    >>> plan_lesion(Lesion(id="L2", diameter_mm=45)).applicators
    3
    """
    policy = policy or load_policy()
    constraints = constraints or ModalityConstraints()
    guidance = guidance_for(lesion.visible_on, policy)
    rules = tuple(
        sorted(
            {
                r
                for d in (constraints.excluded, constraints.caution, constraints.preferred)
                for ids in d.values()
                for r in ids
            }
        )
    )
    if lesion.diameter_mm is None:
        return LesionPlan(
            lesion.id, None, None, None, None, "diameter unknown: no modality can be sized", guidance, None, rules
        )
    d, m = float(lesion.diameter_mm), policy.margin_mm
    needed = d + 2 * m
    candidates = [
        c for c in policy.configurations if c.modality not in constraints.excluded and needed <= c.zone_max_mm
    ]
    if not candidates:
        largest = max(policy.configurations, key=lambda c: c.zone_max_mm)
        reason = (
            f"no modality covers a {_fmt(d)} mm lesion with a {_fmt(m)} mm margin on each side "
            f"(needs a {_fmt(needed)} mm zone; largest nominal zone {_fmt(largest.zone_max_mm)} mm, "
            f"{largest.label})"
        )
        excluded = [f"{mod} excluded ({', '.join(ids)})" for mod, ids in constraints.excluded.items()]
        note = "; ".join([reason, *excluded, *constraints.notes])
        return LesionPlan(lesion.id, None, None, None, None, note, guidance, d, rules)

    def rank(c: Configuration) -> tuple[int, int, int, int, float, int]:
        return (
            0 if c.modality in constraints.preferred else 1,
            len(constraints.caution.get(c.modality, [])),
            0 if needed <= c.zone_min_mm else 1,
            c.applicators,
            c.zone_min_mm,
            policy.preference.index(c.modality) if c.modality in policy.preference else len(policy.preference),
        )

    best = min(candidates, key=rank)
    robust = needed <= best.zone_min_mm
    zone = best.zone_min_mm if robust else best.zone_max_mm
    margin = (zone - d) / 2
    notes = [
        f"{best.label}: nominal zone {_fmt(zone)} mm gives about {_fmt(margin)} mm margin around a {_fmt(d)} mm lesion"
    ]
    if not robust:
        notes.append(f"relies on the upper end of the {_fmt(best.zone_min_mm)}-{_fmt(best.zone_max_mm)} mm zone range")
    if margin < policy.ideal_margin_mm:
        notes.append(f"below the ideal {_fmt(policy.ideal_margin_mm)} mm margin")
    for mod, ids in constraints.preferred.items():
        if mod == best.modality:
            notes.append(f"{mod} preferred ({', '.join(ids)})")
    for mod, ids in constraints.caution.items():
        notes.append(f"{mod}: caution ({', '.join(ids)})")
    for mod, ids in constraints.excluded.items():
        notes.append(f"{mod} excluded ({', '.join(ids)})")
    notes.extend(constraints.notes)
    alternatives = tuple(
        dict.fromkeys(f"{c.modality} x{c.applicators}" for c in sorted(candidates, key=rank) if c is not best)
    )
    return LesionPlan(
        lesion.id,
        best.modality,
        best.applicators,
        zone,
        margin,
        "; ".join(notes),
        guidance,
        d,
        rules,
        alternatives,
        tuple(constraints.caution.get(best.modality, ())),
    )


def plan_lesions(
    lesions: Iterable[Lesion],
    constraints: Mapping[str, ModalityConstraints] | None = None,
    policy: Policy | None = None,
) -> list[LesionPlan]:
    """Plan every lesion; ``constraints`` maps lesion id → :class:`ModalityConstraints`."""
    constraints = constraints or {}
    return [plan_lesion(les, constraints.get(les.id), policy) for les in lesions]
