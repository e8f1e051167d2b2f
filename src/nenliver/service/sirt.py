"""SIRT dosimetry as a service: a ``nenliver/sirt@1`` plan in, a ``sirt-result@1`` out."""

from __future__ import annotations

from nenliver.dosimetry import SirtPlan, SirtResult, evaluate_plan, plan_from_mapping
from nenliver.dosimetry.enums import MethodKind
from nenliver.errors import DosimetryInputError, Problem

__all__ = ["plan_sirt"]


def plan_sirt(plan: SirtPlan, *, maximise: bool = False, source: str = "plan") -> SirtResult:
    """Activity, compartment doses, checks and logistics of a SIRT plan.

    Parameters
    ----------
    plan : SirtPlan
        A valid plan.
    maximise : bool, optional
        Replace the plan's target by inverse planning (the largest activity within every hard limit);
        partition plans only.
    source : str, optional
        Name of the plan in error messages (a file path).

    Returns
    -------
    SirtResult
        For clinician review; every computed figure is shown even when a check fails.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        ``maximise`` for a plan that is not a partition plan.
    """
    if maximise:
        if plan.method is not MethodKind.PARTITION:
            raise DosimetryInputError(
                source, [Problem("method", "--maximise needs partition inputs", "method partition")]
            )
        data = plan.model_dump(mode="python", exclude_none=True)
        data["target"] = {"maximise": "tumour"}
        plan = plan_from_mapping(data, source)
    return evaluate_plan(plan)
