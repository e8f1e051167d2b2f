# SPDX-License-Identifier: Apache-2.0
"""Turn a mapping into a :class:`~nenliver.dosimetry.model.SirtPlan`, or problems with field paths.

Problems name the field path (``target.dose_gy``), what was found and what was expected; the
rewriting of pydantic's messages is shared with the case format (:mod:`nenliver._validation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from nenliver._validation import problems_from_validation_error
from nenliver.dosimetry.model import SirtPlan
from nenliver.errors import DosimetryInputError, Problem

__all__ = ["plan_from_mapping", "problems_from_validation_error"]


def plan_from_mapping(data: Any, source: str = "plan") -> SirtPlan:
    """Validate a mapping (parsed YAML or JSON) as a ``nenliver/sirt@1`` plan.

    Parameters
    ----------
    data : Any
        Parsed plan; must be a mapping.
    source : str, optional
        Name of the input shown in error messages (a file path). Defaults to ``"plan"``.

    Returns
    -------
    SirtPlan
        The valid plan.

    Raises
    ------
    nenliver.errors.DosimetryInputError
        With every problem found, each naming its field path and what was expected.

    Examples
    --------
    >>> plan = plan_from_mapping({"device": "glass", "method": "mird_single",
    ...     "target": {"compartment": "perfused", "dose_gy": 120}, "perfused_volume_ml": 1000,
    ...     "lung_shunt_fraction_percent": 5})
    >>> plan.device.value
    'glass'
    """
    if not isinstance(data, Mapping):
        raise DosimetryInputError(
            source, [Problem("", f"expected a mapping, found {type(data).__name__}", "a sirt@1 plan")]
        )
    try:
        return SirtPlan.model_validate(dict(data))
    except ValidationError as exc:
        raise DosimetryInputError(source, problems_from_validation_error(exc, SirtPlan)) from None
