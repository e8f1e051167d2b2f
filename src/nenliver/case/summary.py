"""A case in a few lines: what the board reads first (report header, case list, search).

Only what was entered is shown, and an unknown value says so; nothing is inferred here (the grade
the rules use is the plan's, with its basis).
"""

from __future__ import annotations

from nenliver.case.model import Case, lab_units

__all__ = ["case_summary", "one_line"]


def _text(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def _lab(case: Case, name: str) -> str | None:
    """The value as entered, with its unit (``units.yaml``'s canonical one for a bare number)."""
    value = getattr(case.labs, name)
    if value is None:
        return None
    entered = case.labs.entered(name)
    value, unit = entered if entered is not None else (value, lab_units()[name]["canonical"])
    return f"{value:g}" if unit == "1" else f"{value:g} {unit}"


def case_summary(case: Case) -> list[tuple[str, str]]:
    """(label, value) rows: patient, tumour, liver, key labs and the SIRT work-up when present."""
    p, t, liver = case.patient, case.tumour, case.liver
    rows = [
        ("Patient", f"age {_text(p.age_years)}, sex {_text(p.sex)}, ECOG {_text(p.ecog)}"),
        (
            "Primary",
            f"{_text(t.primary_site)} (resected: {_text(t.primary_resected)}), "
            f"{_text(t.differentiation)} differentiated",
        ),
        ("Grade as entered", f"{_text(t.grade)}; Ki-67 {_text(t.ki67_percent)} %"),
        ("Syndrome", f"{_text(t.functioning_syndrome)}; SSA {_text(t.ssa_status)}; course {_text(t.disease_course)}"),
        ("Extrahepatic disease", _text(t.extrahepatic_disease)),
    ]
    listed = len(liver.lesions or [])
    count = liver.lesion_count if liver.lesion_count is not None else (listed or None)
    rows.append(
        (
            "Liver",
            f"burden {_text(liver.tumour_burden_percent)} %, {_text(liver.distribution)}, "
            f"{_text(count)} lesions ({listed} listed)",
        )
    )
    labs = [
        f"{label} {text}"
        for label, text in (
            ("bilirubin", _lab(case, "bilirubin")),
            ("albumin", _lab(case, "albumin")),
            ("INR", _lab(case, "inr")),
            ("platelets", _lab(case, "platelets")),
            ("creatinine", _lab(case, "creatinine")),
        )
        if text is not None
    ]
    rows.append(("Labs" + (f" ({case.labs.date})" if case.labs.date else ""), "; ".join(labs) or "none entered"))
    if case.sirt_workup is not None:
        w = case.sirt_workup
        rows.append(
            (
                "SIRT work-up",
                f"lung shunt {_text(w.lung_shunt_fraction_percent)} %, T/N {_text(w.tumour_to_normal_ratio)}, "
                f"territory {_text(w.perfused_territory)}",
            )
        )
    return rows


def one_line(case: Case) -> str:
    """One line for a case list: primary, grade, Ki-67, lesions, distribution (known parts only).

    Examples
    --------
    >>> from nenliver.case import case_from_data
    >>> one_line(case_from_data({"format": "nenliver/case@1", "id": "x", "tumour": {"primary_site": "pancreas"}}))
    'pancreas'
    """
    t, liver = case.tumour, case.liver
    parts = []
    if t.primary_site is not None:
        parts.append(_text(t.primary_site))
    if t.grade is not None:
        parts.append(t.grade)
    if t.ki67_percent is not None:
        parts.append(f"Ki-67 {t.ki67_percent:g} %")
    count = liver.lesion_count if liver.lesion_count is not None else len(liver.lesions or []) or None
    if count is not None:
        parts.append(f"{count} liver lesion{'s' if count != 1 else ''}")
    if liver.distribution is not None:
        parts.append(_text(liver.distribution))
    if t.functioning_syndrome not in (None, "none"):
        parts.append(_text(t.functioning_syndrome))
    return ", ".join(parts)
