# SPDX-License-Identifier: Apache-2.0
"""Voxel dosimetry of 90Y radioembolization on MAA SPECT/CT and 90Y PET.

Local deposition (LDM) and dose-voxel-kernel convolution with a 90Y kernel derived in code from
the Graves et al. 2019 beta dose point kernel; cumulative DVHs and D/V metrics per structure.

.. warning:: Homogeneous soft-tissue physics; lung by local deposition at lung density. Decision
   support for a multidisciplinary tumour board, for clinician review.
"""

from nenliver.dosimetry.voxel.activity import (
    ActivityMaps,
    absolute_activity,
    decay_correction_to_administration,
    patient_relative_activity,
)
from nenliver.dosimetry.voxel.convolution import KernelConvolver, nonzero_bounds
from nenliver.dosimetry.voxel.dvh import DvhMetrics, cumulative_dvh, dvh_metrics
from nenliver.dosimetry.voxel.kernels import (
    DoseVoxelKernel,
    dpk_radial_energy_fractions,
    dpk_sphere_absorbed_fraction,
    y90_dose_voxel_kernel,
)
from nenliver.dosimetry.voxel.ldm import ldm_dose_gy, ldm_gy_per_gbq_voxel
from nenliver.dosimetry.voxel.pipeline import (
    ActivityMode,
    DoseMethod,
    VoxelDoseOptions,
    VoxelDoseResult,
    activity_maps_for,
    compare_results,
    dose_from_activity,
    kernel_convolver,
    voxel_dose,
)

__all__ = [
    "ActivityMaps",
    "ActivityMode",
    "DoseMethod",
    "DoseVoxelKernel",
    "DvhMetrics",
    "KernelConvolver",
    "VoxelDoseOptions",
    "VoxelDoseResult",
    "absolute_activity",
    "activity_maps_for",
    "compare_results",
    "cumulative_dvh",
    "decay_correction_to_administration",
    "dose_from_activity",
    "dpk_radial_energy_fractions",
    "dpk_sphere_absorbed_fraction",
    "dvh_metrics",
    "kernel_convolver",
    "ldm_dose_gy",
    "ldm_gy_per_gbq_voxel",
    "nonzero_bounds",
    "patient_relative_activity",
    "voxel_dose",
    "y90_dose_voxel_kernel",
]
