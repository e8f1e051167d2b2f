"""Values a case may hold but that are implausible: likely unit slips, flagged beside the value.

A range refuses what is impossible (Ki-67 150 %). Some slips land inside the range: albumin
4.0 labelled g/L (0.4 g/dL, meant 4.0 g/dL), bilirubin 0.8 labelled µmol/L, a lung shunt
fraction of 0.25 typed as a fraction for 25 %. These are not refused (the value may be real) and
never changed; :func:`input_warnings` lists them so every output shows them beside the value.
The bounds are data: ``plausible`` in ``case/data/ranges.yaml`` and per unit in ``units.yaml``.
"""

from __future__ import annotations

from typing import Any

from nenliver._validation import InputWarning, plausibility_warning
from nenliver.case.model import Case, lab_units, physical_ranges

__all__ = ["input_warnings"]


def _value_at(case: Case, path: str) -> Any:
    node: Any = case
    for part in path.split("."):
        node = getattr(node, part, None)
        if node is None or isinstance(node, list):
            return None
    return node


def _lab_warnings(case: Case) -> list[InputWarning]:
    out = []
    units = lab_units()
    for name in type(case.labs).model_fields:
        canonical = getattr(case.labs, name)
        spec = units.get("bilirubin" if name == "bilirubin_uln" else name)
        if canonical is None or spec is None or isinstance(canonical, bool) or not isinstance(canonical, float):
            continue
        entered = case.labs.entered(name)
        value, unit = entered if entered is not None else (canonical, spec["canonical"])
        unit_spec = spec["units"].get(unit, {})
        bounds = unit_spec.get("plausible")
        if not bounds:
            continue
        rule = {"plausible": {"min": bounds[0], "max": bounds[1], "hint": unit_spec["hint"]}}
        warning = plausibility_warning(rule, float(value), f"labs.{name}", unit)
        if warning is not None:
            out.append(warning)
    return out


def input_warnings(case: Case) -> list[InputWarning]:
    """Implausible values of a case (possible, so not refused), each with its path and a hint.

    Also notes where a number was taken from elsewhere: without ``liver.lesion_count`` the count is
    the number of listed lesions.

    Examples
    --------
    >>> case = Case(format="nenliver/case@1", id="x", labs={"albumin": {"value": 4.0, "unit": "g/L"}})
    >>> [w.message for w in input_warnings(case)]
    ['4 g/L is below the plausible 5 g/L: was it entered in g/dL?']
    """
    out = []
    for path, spec in physical_ranges().items():
        if "plausible" in spec and not path.startswith("labs."):
            value = _value_at(case, path)
            if isinstance(value, int | float) and (warning := plausibility_warning(spec, float(value), path)):
                out.append(warning)
    out += _lab_warnings(case)
    lesions = case.liver.lesions
    if case.liver.lesion_count is None and lesions:
        out.append(
            InputWarning(
                "liver.lesion_count",
                f"{len(lesions)} (listed)",
                f"no lesion_count given: the count is the {len(lesions)} listed lesion(s); give lesion_count "
                "when not every lesion is listed",
            )
        )
    return out
