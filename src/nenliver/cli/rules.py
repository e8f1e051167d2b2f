"""``nenliver rules list | show ID | lint``: the knowledge base as people read it."""

from __future__ import annotations

import argparse

import yaml

from nenliver.cli._output import print_json
from nenliver.errors import InputError, Problem
from nenliver.guideline import lint, load_knowledge_base
from nenliver.guideline.catalogue import catalogue_markdown, facts_markdown
from nenliver.guideline.explain import thresholds
from nenliver.service import rule_catalogue


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rules", help="list, show or lint the knowledge base")
    rsub = parser.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    p_list = rsub.add_parser("list", help="every rule with status, effect, therapies and source")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_list.add_argument("--markdown", action="store_true", help="the rule catalogue as Markdown (docs/rules.md)")
    p_list.set_defaults(func=_list)
    p_show = rsub.add_parser("show", help="one rule in full")
    p_show.add_argument("rule_id", metavar="ID")
    p_show.set_defaults(func=_show)
    p_facts = rsub.add_parser("facts", help="the facts rule conditions may use (Markdown)")
    p_facts.set_defaults(func=_facts)
    p_lint = rsub.add_parser(
        "lint", help="check every rule (sources, units, examples, facts) and every data file (cited format, references)"
    )
    p_lint.set_defaults(func=_lint)


def _list(args: argparse.Namespace) -> int:
    kb = load_knowledge_base()
    if args.markdown:
        print(catalogue_markdown(kb), end="")
        return 0
    if args.json:
        print_json(rule_catalogue(kb).model_dump(mode="json"))
        return 0
    print(f"knowledge base {kb.version} (sha256 {kb.sha256[:16]}…), {len(kb.rules)} rules")
    for r in kb.rules:
        therapies = ",".join(r.therapy) or "-"
        flag = "" if r.status == "active" else " [draft]"
        print(f"{r.id:9} {r.effect:8} {therapies:24} {r.title}{flag}  ({'; '.join(r.citation_labels)})")
    return 0


def _show(args: argparse.Namespace) -> int:
    kb = load_knowledge_base()
    if args.rule_id not in kb.by_id:
        raise InputError("rules show", [Problem("ID", f"no rule {args.rule_id!r}", "an id from `nenliver rules list`")])
    rule = kb.rule(args.rule_id)
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["thresholds"] = thresholds(rule)
    data["source_file"] = kb.sources[rule.id]
    data["references"] = {c.key: kb.bibliography.get(c.key) for c in rule.citations}
    print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return 0


def _facts(args: argparse.Namespace) -> int:
    print(facts_markdown(), end="")
    return 0


def _lint(args: argparse.Namespace) -> int:
    from nenliver.service.datalint import data_lint

    kb = load_knowledge_base()
    issues = lint(kb)
    data_issues, summary = data_lint()
    for issue in [*issues, *data_issues]:
        print(issue)
    errors = sum(i.severity == "error" for i in issues)
    drafts = sum(r.status == "draft" for r in kb.rules)
    print(f"{len(kb.rules)} rules ({drafts} draft), {errors} error(s), {len(issues) - errors} warning(s)")
    data_errors = sum(i.severity == "error" for i in data_issues)
    print(
        f"data: {summary.files} files, {summary.cited_entries} cited entries, {summary.references} references, "
        f"{data_errors} error(s), {len(data_issues) - data_errors} warning(s)"
    )
    return 1 if errors or data_errors else 0
