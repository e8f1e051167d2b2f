"""nenliver: liver-directed therapy planning for neuroendocrine liver metastases.

Every output of this package is decision *support* for a multidisciplinary tumour board and is
meant for clinician review; see :data:`CLINICIAN_REVIEW_NOTICE`.

The service functions are the public API (they load their dependencies on first use)::

    >>> import nenliver
    >>> sorted(nenliver.__all__)[:3]
    ['CLINICIAN_REVIEW_NOTICE', 'Plan', '__version__']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nenliver._version import __version__

if TYPE_CHECKING:
    from nenliver.service import (
        Plan,
        ablation_plan,
        assess_ablation_margin,
        plan_case,
        plan_sirt,
        rule_catalogue,
        simulate_ablation,
        voxel_dose_report,
        voxel_dose_study,
    )

CLINICIAN_REVIEW_NOTICE = (
    "For clinician review: decision support for a multidisciplinary tumour board, "
    "not a substitute for clinical judgement."
)

__all__ = [
    "CLINICIAN_REVIEW_NOTICE",
    "Plan",
    "__version__",
    "ablation_plan",
    "assess_ablation_margin",
    "plan_case",
    "plan_sirt",
    "rule_catalogue",
    "simulate_ablation",
    "voxel_dose_report",
    "voxel_dose_study",
]

_SERVICE = frozenset(__all__) - {"CLINICIAN_REVIEW_NOTICE", "__version__"}


def __getattr__(name: str) -> Any:
    if name in _SERVICE:
        return getattr(importlib.import_module("nenliver.service"), name)
    raise AttributeError(f"module 'nenliver' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
