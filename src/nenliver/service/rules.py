"""The knowledge base as a service: one summary per rule, with the version stamp."""

from __future__ import annotations

from nenliver.guideline.loader import KnowledgeBase, load_knowledge_base
from nenliver.service.contracts import Effect, Therapy, _Out

__all__ = ["RuleCatalogue", "RuleSummary", "rule_catalogue"]


class RuleSummary(_Out):
    id: str
    status: str
    evidence: list[str]
    effect: Effect
    therapy: list[Therapy]
    title: str
    citations: list[str]
    conflicts_with: list[str]


class KnowledgeBaseId(_Out):
    version: str
    sha256: str


class RuleCatalogue(_Out):
    """Every rule of the knowledge base (``nenliver rules list --json``)."""

    knowledge_base: KnowledgeBaseId
    rules: list[RuleSummary]


def rule_catalogue(kb: KnowledgeBase | None = None) -> RuleCatalogue:
    """Every rule with its status, evidence, effect, therapies, title, citations and conflicts."""
    kb = kb or load_knowledge_base()
    return RuleCatalogue.model_validate(
        {
            "knowledge_base": {"version": kb.version, "sha256": kb.sha256},
            "rules": [
                {
                    "id": r.id,
                    "status": r.status,
                    "evidence": r.evidence,
                    "effect": r.effect,
                    "therapy": r.therapy,
                    "title": r.title,
                    "citations": r.citation_labels,
                    "conflicts_with": r.conflicts_with,
                }
                for r in kb.rules
            ],
        }
    )
