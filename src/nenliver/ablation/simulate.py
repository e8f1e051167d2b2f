# SPDX-License-Identifier: Apache-2.0
"""Predicted ablation zones at applicator poses, judged by the margin engine.

Several applicators make the union of their ellipsoids (:mod:`nenliver.ablation.zones`; no synergy
between them is modelled). The predicted zone is rasterised on the tumour's grid and judged by the
same margin engine as a real ablation zone (:func:`~nenliver.ablation.margin.margin_from_masks`).
:func:`~nenliver.ablation.optimise.optimise_applicators` places the applicators.

.. warning:: Nominal zones: heat sink, perfusion, access path, vessels and organs at risk are not
   modelled. Decision support for clinician review.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.ablation._grid import box_slices, crop_volume, grow_box, mask_on_grid, union_box
from nenliver.ablation.distance import Box, bounding_box
from nenliver.ablation.margin import (
    MarginResult,
    MarginSettings,
    grid_spacing_mm,
    load_margin_settings,
    margin_from_masks,
)
from nenliver.ablation.zones import (
    ApplicatorPose,
    ZoneShape,
    get_zone_shape,
    load_zone_shapes,
    max_applicators,
    spheroid_box,
    spheroid_signed_distance_mm,
    zone_mask,
)
from nenliver.errors import InputError, Problem
from nenliver.imaging.volume import Volume, as_mask, check_same_frame

__all__ = [
    "ApplicatorPose",
    "SimulationResult",
    "ZoneShape",
    "get_zone_shape",
    "load_zone_shapes",
    "max_applicators",
    "simulate_zone",
    "spheroid_signed_distance_mm",
    "zone_mask",
]


@dataclass(frozen=True)
class SimulationResult:
    """A predicted zone and its margin judged by the margin engine."""

    shape: ZoneShape
    poses: tuple[ApplicatorPose, ...]
    margin: MarginResult
    optimised: bool
    notes: tuple[str, ...] = ()
    objective_mm: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of ``nenliver ablation simulate --json`` (without inputs)."""
        m = self.margin.as_dict()
        return {
            "setting": self.shape.as_dict(),
            "applicators": [
                {
                    "tip_mm": [round(v, 3) for v in p.tip_mm],
                    "direction": [round(v, 5) for v in p.direction],
                    "zone_centre_mm": [round(float(v), 3) for v in p.centre_mm(self.shape)],
                }
                for p in self.poses
            ],
            "optimised": self.optimised,
            "optimiser_objective_mm": None if self.objective_mm is None else round(self.objective_mm, 3),
            "predicted": {k: v for k, v in m.items() if k not in ("software_version", "notice", "notes")},
            "notes": [*self.notes, *m["notes"]],
            "frame": "LPS (DICOM patient coordinates), mm",
            "software_version": __version__,
            "notice": CLINICIAN_REVIEW_NOTICE,
        }


def _shape_notes(shape: ZoneShape) -> list[str]:
    notes = [
        f"nominal zone {shape.long_axis_mm:g} x {shape.short_axis_mm:g} mm ({shape.label}): charts come from "
        "normal animal liver and over-predict clinical zones; heat sink, perfusion, access path and organs at risk "
        "are not modelled"
    ]
    if shape.unverified:
        notes.append(
            f"[unverified] placeholder values in {shape.id}: {', '.join(shape.unverified)} "
            "(see docs/ablation.md §1): replace them from the device's instructions for use"
        )
    return notes


def prepare_tumour_grid(
    tumour: Volume, liver: Volume | None
) -> tuple[tuple[float, float, float], NDArray[np.bool_], Box, NDArray[np.bool_] | None]:
    spacing = grid_spacing_mm(tumour)
    t_mask = as_mask(tumour, "tumour")
    l_mask = None
    if liver is not None:
        check_same_frame(tumour, liver)
        l_mask = mask_on_grid(liver, as_mask(liver, "liver"), tumour)
    t_box = bounding_box(t_mask)
    assert t_box is not None  # as_mask refuses empty masks
    return spacing, t_mask, t_box, l_mask


def simulate_zone(
    tumour: Volume,
    shape: ZoneShape,
    poses: Sequence[ApplicatorPose],
    liver: Volume | None = None,
    *,
    settings: MarginSettings | None = None,
    keep_maps: bool = False,
) -> SimulationResult:
    """Predicted coverage and margin of the zones of ``poses`` around a tumour mask.

    Parameters
    ----------
    tumour : Volume
        Binary tumour mask; its grid carries the simulation.
    shape : ZoneShape
        Zone of one applicator (device setting).
    poses : sequence of ApplicatorPose
        One to a few applicators, LPS mm.
    liver : Volume, optional
        Liver mask (capsule exclusion, tissue at risk).
    settings : MarginSettings, optional
        Margin thresholds.
    keep_maps : bool
        Keep arrays for the margin map picture.

    Returns
    -------
    SimulationResult
    """
    if not poses:
        raise InputError("--applicator", [Problem("applicator", "no applicator given", "at least one pose")])
    spacing, t_mask, t_box, l_mask = prepare_tumour_grid(tumour, liver)
    s = settings or load_margin_settings()
    pad = [math.ceil(max(s.tissue_at_risk_shell_mm, s.capsule_exclusion_mm) / v) + 2 for v in spacing]
    boxes = [grow_box(t_box, pad, tumour.shape)]
    clipped = False
    for pose in poses:
        sbox = spheroid_box(tumour, pose.centre_mm(shape), np.asarray(pose.direction), shape)
        if sbox is not None:
            boxes.append(grow_box(sbox, (1, 1, 1), tumour.shape))
    work_box = union_box(boxes)
    zone = zone_mask(tumour, shape, poses, work_box)
    if not zone.any():
        raise InputError(
            "--applicator",
            [
                Problem(
                    "applicator", "the predicted zone does not reach the tumour image", "poses near the tumour (LPS mm)"
                )
            ],
        )
    edge = [(lo, hi) for lo, hi in work_box]
    for axis, (lo, hi) in enumerate(edge):
        if (lo == 0 and zone.take(0, axis=axis).any()) or (hi == tumour.shape[axis] and zone.take(-1, axis=axis).any()):
            clipped = True
    work = crop_volume(tumour, work_box)
    margin = margin_from_masks(
        t_mask[box_slices(work_box)],
        zone,
        spacing,
        None if l_mask is None else l_mask[box_slices(work_box)],
        affine=work.affine,
        origin_index=[b[0] for b in work_box],
        settings=s,
        keep_maps=keep_maps,
    )
    notes = _shape_notes(shape)
    notes.append(f"{len(poses)} applicator(s): union of independent ellipsoids, no synergy modelled")
    if clipped:
        notes.append("the predicted zone reaches beyond the tumour image and is clipped there")
    return SimulationResult(shape, tuple(poses), margin, optimised=False, notes=tuple(notes))
