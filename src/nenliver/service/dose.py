"""Voxel dosimetry as a service: an activity image and masks in, doses, DVHs and the
``voxel-dose@1`` report out (files are written by the faces)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

from nenliver.dosimetry.voxel import VoxelDoseOptions, VoxelDoseResult, compare_results, voxel_dose
from nenliver.dosimetry.voxel.report import result_to_dict
from nenliver.imaging import Volume
from nenliver.service.reports import VoxelDoseReport

__all__ = ["VoxelDoseOptions", "voxel_dose_report", "voxel_dose_study"]


def voxel_dose_study(
    image: Volume,
    masks: Mapping[str, NDArray[np.bool_]],
    options: VoxelDoseOptions,
    progress: Callable[[str, float], None] | None = None,
) -> VoxelDoseResult:
    """Dose map, DVH metrics and curves of one activity image (see :func:`~nenliver.dosimetry.voxel.voxel_dose`)."""
    return voxel_dose(image, masks, options, progress)


def voxel_dose_report(
    result: VoxelDoseResult,
    inputs: Mapping[str, str | list[str] | None],
    notes: list[str] | None = None,
    post: VoxelDoseResult | None = None,
) -> VoxelDoseReport:
    """The ``voxel-dose@1`` report of a study, with the predicted-vs-post comparison when ``post`` is given."""
    payload = result_to_dict(result, {k: v for k, v in inputs.items() if v})
    payload["notes"] = [*(notes or []), *payload["notes"]]
    if post is not None:
        payload["comparison"] = compare_results(result, post)
        payload["post_treatment"] = {
            "activity_mode": post.activity_mode.value,
            "structures": {n: m.as_dict() for n, m in post.structures.items()},
            "notes": list(post.notes),
        }
    return VoxelDoseReport.model_validate(payload)
