"""Terminal view of a plan: an options table with coloured status, then the why per option.

Rendered from the plan@1 object only, so it can never disagree with the JSON.
"""

from __future__ import annotations

from typing import Any

STATUS_COLOUR = {
    "indicated": "32",  # green
    "caution": "33",  # amber
    "needs_data": "90",  # grey: unknown blocks the all-clear
    "trial_only": "36",  # cyan
    "not_indicated": "35",  # magenta
    "contraindicated": "31",  # red
}
RESULT_MARK = {True: "+", False: "-", None: "?"}
EFFECT_MARK = {"exclude": "✖", "caution": "!", "support": "✔", "route": "→", "info": "i", "require": "▸", "advise": "▸"}


class _Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def bold(self, text: str) -> str:
        return self(text, "1")


def _finding_line(f: dict[str, Any], style: _Style) -> str:
    mark = EFFECT_MARK.get(f["effect"], "·") if f["result"] is True else RESULT_MARK[f["result"]]
    values = ", ".join(
        f"{c['label']} {c['patient']}" + (f" (rule {c['threshold']})" if c["threshold"] else "")
        for c in f.get("comparisons", [])
    )
    cite = "; ".join(f["citations"])
    line = f"    {mark} {f['rule']:8} {f['text']}"
    detail = f"               [{f['evidence']}] {cite}" + (f" — patient: {values}" if values else "")
    effect_colour = {"exclude": "31", "caution": "33", "support": "32"}.get(f["effect"], "0")
    code = effect_colour if f["result"] else ("90" if f["result"] is None else "0")
    return style(line, code) + "\n" + style(detail, "90")


def _relevant(option: dict[str, Any]) -> list[dict[str, Any]]:
    status = option["status"]
    out = []
    for f in option["findings"]:
        if (
            f["result"] is True
            or (f["result"] is None and f["effect"] in ("exclude", "support", "caution"))
            or (f["result"] is False and f["effect"] == "support" and status == "not_indicated")
        ):
            out.append(f)
    return out


def _lesion_lines(details: dict[str, Any], full: bool) -> list[str]:
    """One line per lesion; the planner's note too when ``full`` (ablation still an option)."""
    lines = []
    for les in details.get("lesions", []):
        size = f"{les['diameter_mm']:g} mm" if les.get("diameter_mm") is not None else "size unknown"
        if les["modality"]:
            head = (
                f"{les['id']}: {size} → {les['modality'].upper()} × {les['applicators']}, "
                f"zone {les['zone_mm']:g} mm, margin ≈ {les['margin_mm']:g} mm"
            )
        else:
            head = f"{les['id']}: {size} → no modality covers it with the margin"
        guidance = f"; {les['guidance']}" if les.get("guidance") else ""
        lines.append(f"      {head}{guidance}")
        if full or not les["modality"]:
            lines.append(f"        {les['note']}")
    return lines


def _header(plan: dict[str, Any], s: _Style) -> list[str]:
    kb = plan["knowledge_base"]
    date = f" (decision date {plan['decision_date']})" if plan.get("decision_date") else ""
    out = [
        s.bold(f"nenliver plan — case {plan['case_id']}{date}"),
        s(plan["notice"], "1;33"),
        f"nenliver {plan['software']['version']} · knowledge base {kb['version']} (sha256 {kb['sha256'][:12]}…), "
        f"{kb['rules']} rules of which {kb['draft_rules']} draft (unverified)",
        "",
        f"Grade: {plan['grade']['value'] or 'unknown'} — {plan['grade']['basis']}",
    ]
    if plan["grade"].get("discordance"):
        out.append(s(f"  ! {plan['grade']['discordance']}", "33"))
    for warning in plan.get("input_warnings", []):
        out.append(s(f"  ! check {warning['path']} = {warning['value']}: {warning['message']}", "33"))
    scope = {True: "in scope", False: "OUT OF SCOPE", None: "scope unknown"}[plan["in_scope"]]
    out.append(f"Scope: {scope} — {plan['scope_note']}")
    out += [
        _finding_line(f, s)
        for f in plan.get("findings", [])
        if f["result"] is True or (f["result"] is None and f["effect"] == "route")
    ]
    if plan["provisional"]:
        out.append(s("PROVISIONAL: some decisions depend on missing data (see 'missing').", "1;90"))
    return out


def _options_table(plan: dict[str, Any], s: _Style) -> list[str]:
    out = ["", s.bold("Options")]
    width = max(len(o["label"]) for o in plan["options"])
    for o in plan["options"]:
        status = s(o["status"].replace("_", " "), STATUS_COLOUR[o["status"]])
        out.append(f"  {o['label']:<{width}}  {status}{'  (provisional)' if o['provisional'] else ''}")
    return out


def _why(option: dict[str, Any], s: _Style) -> list[str]:
    out = [s.bold(f"  {option['label']} — {option['status'].replace('_', ' ')}")]
    out += [_finding_line(f, s) for f in _relevant(option)]
    clear = sum(1 for f in option["findings"] if f["result"] is False and f["effect"] in ("exclude", "caution"))
    if clear:
        out.append(s(f"    - {clear} contraindication/caution rule(s) checked and clear", "90"))
    if option["therapy"] == "ablation":
        out += _lesion_lines(option["details"], full=option["status"] not in ("not_indicated", "contraindicated"))
    if option["therapy"] == "sirt" and option["details"].get("summary"):
        out.append(f"      dosimetry: {option['details']['summary']}")
    for m in option["missing"]:
        out.append(s(f"    ? missing: {m['field']} ({m['label']}) — needed by {', '.join(m['rules'])}", "90"))
    return out


def _lists(plan: dict[str, Any], s: _Style) -> list[str]:
    out = []
    for key, title in (("workup", "Work-up"), ("advice", "Peri-procedural advice")):
        if plan[key]:
            out += ["", s.bold(title)]
            for item in plan[key]:
                therapies = f" [{', '.join(item['therapies'])}]" if item["therapies"] else ""
                cites = "; ".join(item["citations"])
                out.append(f"  ▸ {item['item']}{therapies}: {item['text']}  ({item['rule']}; {cites})")
    if plan["conflicts"]:
        out += ["", s.bold("Conflicting sources")]
        out += [s(f"  ⚠ {c['topic']} ({' vs '.join(c['rules'])}): {c['text']}", "33") for c in plan["conflicts"]]
    if plan.get("draft_rules_fired"):
        out += ["", s(f"Draft rules (unverified, shown for review): {', '.join(plan['draft_rules_fired'])}", "90")]
    return out


def render_plan(plan: dict[str, Any], colour: bool = False) -> str:
    """The plan as text for a terminal (ANSI colour when ``colour``)."""
    s = _Style(colour)
    out = _header(plan, s) + _options_table(plan, s) + ["", s.bold("Why")]
    for option in plan["options"]:
        out += _why(option, s)
    return "\n".join(out + _lists(plan, s))
