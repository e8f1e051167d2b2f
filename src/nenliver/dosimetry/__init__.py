# SPDX-License-Identifier: Apache-2.0
"""SIRT (radioembolization) dosimetry: 90Y glass and resin, 166Ho.

Methods: MIRD single compartment, partition model (with inverse planning to the lung and
normal-liver limits), resin BSA method with the shunt-reduction table, 166Ho conventions; decay
with ICRP-107 half-lives; vial choice and sphere counts; limit checks with their sources.

Every constant, limit and device figure is cited data in ``nenliver/dosimetry/data/*.yaml``
(see :mod:`nenliver.dosimetry.constants`).

.. warning:: Decision support for a multidisciplinary tumour board, for clinician review.

Examples
--------
>>> from nenliver.dosimetry import plan_from_quantities
>>> r = plan_from_quantities(tumour_volume_ml=200.0, normal_volume_ml=800.0,
...     tumour_to_normal_ratio=3.0, lung_shunt_fraction_percent=10.0,
...     target={"compartment": "tumour", "dose_gy": 300.0})
>>> round(r.injected_activity_gbq, 4), round(r.doses_gy.normal_liver, 1)
(3.2257, 100.0)
"""

from nenliver.dosimetry.bsa import bsa_activity_gbq, dubois_bsa_m2, shunt_reduction_percent
from nenliver.dosimetry.checks import is_treatable
from nenliver.dosimetry.constants import DataEntry, entry, load_data
from nenliver.dosimetry.conventions import dose_constant_gy_kg_per_gbq, effective_convention
from nenliver.dosimetry.decay import (
    activity_at_calibration_gbq,
    activity_at_time_gbq,
    decay_factor,
    fraction_of_dose_delivered,
    half_life_h,
)
from nenliver.dosimetry.enums import (
    CheckStatus,
    CompartmentKind,
    ConventionKind,
    DeviceKind,
    MethodKind,
    Severity,
)
from nenliver.dosimetry.holmium import holmium_dose_gy, holmium_standard_activity_gbq
from nenliver.dosimetry.inverse import maximise_tumour_dose
from nenliver.dosimetry.io import load_plan, result_to_json
from nenliver.dosimetry.logistics import choose_glass_vial, resin_vial_fraction, sphere_count
from nenliver.dosimetry.mird import (
    activity_for_lung_dose_gbq,
    lung_dose_gy,
    single_compartment_activity_gbq,
    single_compartment_dose_gy,
    vial_activity_gbq,
)
from nenliver.dosimetry.model import Check, Doses, InversePlan, Schedule, SirtPlan, SirtResult, Target
from nenliver.dosimetry.partition import (
    PartitionDoses,
    activity_for_normal_liver_dose_gbq,
    partition_activity_gbq,
    partition_doses_gy,
)
from nenliver.dosimetry.planner import dosimetry_for_workup, evaluate_plan, plan_from_quantities
from nenliver.dosimetry.validation import plan_from_mapping

__all__ = [
    "Check",
    "CheckStatus",
    "CompartmentKind",
    "ConventionKind",
    "DataEntry",
    "DeviceKind",
    "Doses",
    "InversePlan",
    "MethodKind",
    "PartitionDoses",
    "Schedule",
    "Severity",
    "SirtPlan",
    "SirtResult",
    "Target",
    "activity_at_calibration_gbq",
    "activity_at_time_gbq",
    "activity_for_lung_dose_gbq",
    "activity_for_normal_liver_dose_gbq",
    "bsa_activity_gbq",
    "choose_glass_vial",
    "decay_factor",
    "dose_constant_gy_kg_per_gbq",
    "dosimetry_for_workup",
    "dubois_bsa_m2",
    "effective_convention",
    "entry",
    "evaluate_plan",
    "fraction_of_dose_delivered",
    "half_life_h",
    "holmium_dose_gy",
    "holmium_standard_activity_gbq",
    "is_treatable",
    "load_data",
    "load_plan",
    "lung_dose_gy",
    "maximise_tumour_dose",
    "partition_activity_gbq",
    "partition_doses_gy",
    "plan_from_mapping",
    "plan_from_quantities",
    "resin_vial_fraction",
    "result_to_json",
    "shunt_reduction_percent",
    "single_compartment_activity_gbq",
    "single_compartment_dose_gy",
    "sphere_count",
    "vial_activity_gbq",
]
