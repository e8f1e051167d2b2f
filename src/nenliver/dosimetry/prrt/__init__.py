# SPDX-License-Identifier: Apache-2.0
"""Post-therapy dosimetry of 177Lu-DOTATATE PRRT (``nenliver prrt``).

Per volume of interest: time-activity fit (mono-exponential, bi-exponential with uptake, trapezoid
with a named tail, or ``auto`` by an information criterion), time-integrated activity, absorbed dose
by local deposition, Gy/GBq, kidney BED; single-time-point methods (Hänscheid, Madsen); cumulative
dose and BED over the patient's cycles against cited limits, and how many more cycles they allow.
From serial quantitative SPECT/CT (:mod:`~nenliver.dosimetry.prrt.images`): the same curves from
masks, and voxel dose by kernel convolution with DVHs.

.. warning:: Local deposition (self-dose only), homogeneous soft-tissue kernel, draft limits where
   only background knowledge supports them. Decision support for a multidisciplinary tumour board,
   for clinician review.
"""

from nenliver.dosimetry.prrt.evaluate import Tac, evaluate_tacs, tacs_from_plan
from nenliver.dosimetry.prrt.fit import FitKind, TacFit, TailKind, fit_tac
from nenliver.dosimetry.prrt.io import load_prrt_plan, prrt_plan_from_mapping, prrt_result_to_json
from nenliver.dosimetry.prrt.model import (
    PLAN_FORMAT,
    RESULT_FORMAT,
    CheckState,
    OrganRole,
    PrrtCheck,
    PrrtOrganResult,
    PrrtPlan,
    PrrtResult,
)

__all__ = [
    "PLAN_FORMAT",
    "RESULT_FORMAT",
    "CheckState",
    "FitKind",
    "OrganRole",
    "PrrtCheck",
    "PrrtOrganResult",
    "PrrtPlan",
    "PrrtResult",
    "Tac",
    "TacFit",
    "TailKind",
    "evaluate_tacs",
    "fit_tac",
    "load_prrt_plan",
    "prrt_plan_from_mapping",
    "prrt_result_to_json",
    "tacs_from_plan",
]
