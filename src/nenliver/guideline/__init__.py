"""The tumour-board decision engine: facts, the cited rule base and three-valued evaluation."""

from nenliver.guideline.engine import Decision, Finding, OptionDecision, evaluate_case
from nenliver.guideline.facts import FACTS, Fact, case_facts
from nenliver.guideline.lint import Issue, lint
from nenliver.guideline.loader import KnowledgeBase, load_knowledge_base
from nenliver.guideline.schema import THERAPIES, Rule

__all__ = [
    "FACTS",
    "THERAPIES",
    "Decision",
    "Fact",
    "Finding",
    "Issue",
    "KnowledgeBase",
    "OptionDecision",
    "Rule",
    "case_facts",
    "evaluate_case",
    "lint",
    "load_knowledge_base",
]
