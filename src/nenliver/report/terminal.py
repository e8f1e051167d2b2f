"""Terminal view of a plan.

The default is the board view, one screen for a typical case: header, the Figure 1 pathway (what
first), the options with the deciding reason of each, the needle plans and SIRT activity of options
still allowed, missing data, work-up and advice, and the source conflicts that change a status.
``full=True`` adds the whole trace: every finding of every option and every conflict.

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
    if details.get("not_targeted"):
        lines.append(f"      not targeted ({details.get('targets', '')}): {', '.join(details['not_targeted'])}")
    return lines


def _header(plan: dict[str, Any], s: _Style, full: bool = True) -> list[str]:
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
        if (f["result"] is True and (full or f["effect"] == "route"))
        or (f["result"] is None and f["effect"] == "route")
    ]
    if plan["provisional"]:
        out.append(s("PROVISIONAL: some decisions depend on missing data (see 'missing').", "1;90"))
    return out


_RULED_OUT = ("contraindicated", "not_indicated")
#: Longest deciding-reason text shown per option in the board view (the full trace has it all).
_REASON_CHARS = 150


def _short(text: str, limit: int = _REASON_CHARS) -> str:
    """The first sentence of ``text``, cut to ``limit`` characters."""
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _pathway(plan: dict[str, Any], s: _Style) -> list[str]:
    path = plan.get("pathway")
    if not path:
        return []
    labels = path.get("labels", {})
    out = [
        "",
        s.bold(f"Pathway: {path['branch'].replace('_', ' ').upper()}") + s(f"  ({', '.join(path['rules'])})", "90"),
    ]
    out.append(f"  {path['text']}")
    first = ", ".join(labels.get(t, t) for t in path["preferred"]) or "none"
    others = ", ".join(labels.get(t, t) for t in path["alternatives"]) or "none"
    out.append(f"  First: {s.bold(first)}")
    out.append(f"  Alternatives: {others}")
    for m in path.get("missing", []):
        out.append(s(f"  ? waiting on: {m['field']} ({m['label']})", "90"))
    return out


def _deciding(option: dict[str, Any]) -> list[dict[str, Any]]:
    by_id = {f["rule"]: f for f in option["findings"]}
    return [by_id[r] for r in option.get("deciding", []) if r in by_id]


def _board_options(plan: dict[str, Any], s: _Style) -> list[str]:
    out = ["", s.bold("Options (deciding reason; the full trace with --full)")]
    width = max(len(o["label"]) for o in plan["options"])
    for o in plan["options"]:
        status = o["status"].replace("_", " ")
        line = f"  {o['label']:<{width}}  {s(f'{status:<15}', STATUS_COLOUR[o['status']])}"
        reasons = _deciding(o)
        if reasons:
            more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
            line += f" {reasons[0]['rule']}: {_short(reasons[0]['text'])}{more}"
        out.append(line)
        if o["therapy"] == "ablation" and o["status"] not in _RULED_OUT:
            out += _lesion_lines(o["details"], full=False)
        if o["therapy"] == "sirt" and o["status"] not in _RULED_OUT and o["details"].get("summary"):
            out.append(f"      dosimetry: {o['details']['summary']}")
        if o["therapy"] == "prrt" and o["details"].get("dosimetry_history"):
            out.append(f"      {_prrt_history_line(o['details']['dosimetry_history'])}")
    return out


def _prrt_history_line(history: dict[str, Any]) -> str:
    def gy(value: float | None) -> str:
        return "unknown" if value is None else f"{value:.1f} Gy"

    cumulative = history["cumulative"]
    line = (
        f"PRRT so far ({len(history['cycles'])} cycle(s)): kidney BED {gy(cumulative['kidney_bed_gy'])} of "
        f"{history['kidney_bed_limit_gy']:g} Gy ({history['kidney_bed_limit_basis']}), kidney dose "
        f"{gy(cumulative['kidney_dose_gy'])}, marrow {gy(cumulative['marrow_dose_gy'])}"
    )
    if history.get("cycles_remaining_within_bed_limit") is not None:
        line += f"; {history['cycles_remaining_within_bed_limit']} more cycle(s) like the last within the BED limit"
    return line


def _missing_summary(plan: dict[str, Any], s: _Style) -> list[str]:
    seen: dict[str, tuple[str, list[str]]] = {}
    for o in plan["options"]:
        for m in o["missing"]:
            _, therapies = seen.setdefault(m["field"], (m["label"], []))
            therapies.append(o["therapy"])
    if not seen:
        return []
    out = ["", s.bold("Missing data")]
    out += [s(f"  ? {field} ({label}) — for {', '.join(ts)}", "90") for field, (label, ts) in seen.items()]
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
    if option["details"].get("withheld"):
        out.append(s(f"      {option['details']['withheld']}", "90"))
    if option["therapy"] == "ablation":
        out += _lesion_lines(option["details"], full=True)
    if option["therapy"] == "sirt" and option["details"].get("summary"):
        out.append(f"      dosimetry: {option['details']['summary']}")
    for m in option["missing"]:
        out.append(s(f"    ? missing: {m['field']} ({m['label']}) — needed by {', '.join(m['rules'])}", "90"))
    return out


def _lists(plan: dict[str, Any], s: _Style, full: bool) -> list[str]:
    out = []
    for key, title in (("workup", "Work-up"), ("advice", "Peri-procedural advice")):
        if plan[key]:
            out += ["", s.bold(title)]
            for item in plan[key]:
                therapies = f" [{', '.join(item['therapies'])}]" if item["therapies"] else ""
                if full:
                    cites = "; ".join(item["citations"])
                    out.append(f"  ▸ {item['item']}{therapies}: {item['text']}  ({item['rule']}; {cites})")
                else:
                    out.append(f"  ▸ {item['item']}{therapies}: {_short(item['text'], 200)} ({item['rule']})")
    conflicts = [c for c in plan["conflicts"] if full or c.get("changes_status")]
    if conflicts:
        out += ["", s.bold("Conflicting sources" if full else "Conflicting sources that change a status")]
        out += [s(f"  ⚠ {c['topic']} ({' vs '.join(c['rules'])}): {c['text']}", "33") for c in conflicts]
    hidden = len(plan["conflicts"]) - len(conflicts)
    if hidden:
        out.append(s(f"  ({hidden} further source conflict(s) that change no status: --full)", "90"))
    if plan.get("draft_rules_fired"):
        out += ["", s(f"Draft rules (unverified, shown for review): {', '.join(plan['draft_rules_fired'])}", "90")]
    return out


def render_plan(plan: dict[str, Any], colour: bool = False, full: bool = False) -> str:
    """The plan as text for a terminal (ANSI colour when ``colour``): the board view, or with
    ``full`` the whole trace (every finding of every option)."""
    s = _Style(colour)
    out = _header(plan, s, full) + _pathway(plan, s)
    if full:
        out += [*_options_table(plan, s), "", s.bold("Why")]
        for option in plan["options"]:
            out += _why(option, s)
    else:
        out += _board_options(plan, s) + _missing_summary(plan, s)
    return "\n".join(out + _lists(plan, s, full))
