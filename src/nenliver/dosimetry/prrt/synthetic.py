# SPDX-License-Identifier: Apache-2.0
"""Synthetic serial SPECT phantoms of 177Lu PRRT, for tests, benchmarks and demonstrations.

Spheres ("organs") with known time-activity curves: each holds A(t) spread uniformly over its
voxels, so the curve extracted from the image is known exactly. No patient data, nothing downloaded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nenliver.imaging.synthetic import ball

__all__ = ["PhantomOrgan", "organ_activity_mbq", "series_phantom"]


@dataclass(frozen=True)
class PhantomOrgan:
    """A sphere with a bi-exponential curve A(t) = a·(e^(−λw·t) − e^(−λu·t)) (λu = inf: mono)."""

    name: str
    centre_mm: tuple[float, float, float]
    radius_mm: float
    a_mbq: float
    lambda_washout_per_h: float
    lambda_uptake_per_h: float = math.inf


def organ_activity_mbq(organ: PhantomOrgan, t_h: float) -> float:
    """Activity of the organ at ``t_h`` hours after administration, MBq."""
    uptake = 0.0 if math.isinf(organ.lambda_uptake_per_h) else math.exp(-organ.lambda_uptake_per_h * t_h)
    return organ.a_mbq * (math.exp(-organ.lambda_washout_per_h * t_h) - uptake)


def series_phantom(
    shape: tuple[int, int, int],
    spacing_mm: tuple[float, float, float],
    organs: Sequence[PhantomOrgan],
    times_h: Sequence[float],
    mbq_per_count: float = 1.0,
    background_mbq_per_ml: float = 0.0,
) -> tuple[list[NDArray[np.float32]], dict[str, NDArray[np.bool_]]]:
    """Count images at ``times_h`` and the organ masks (later organs overwrite earlier ones).

    Returns
    -------
    images : list of ndarray float32
        Counts per voxel (activity / ``mbq_per_count``), one per time.
    masks : dict of str to ndarray bool
        Voxels of each organ (as drawn: overlaps go to the later organ).

    Examples
    --------
    >>> organ = PhantomOrgan("k", (10.0, 10.0, 10.0), 6.0, 100.0, 0.01)
    >>> images, masks = series_phantom((8, 8, 8), (2.5, 2.5, 2.5), [organ], [24.0])
    >>> round(float(images[0][masks["k"]].sum()), 3) == round(organ_activity_mbq(organ, 24.0), 3)
    True
    """
    masks: dict[str, NDArray[np.bool_]] = {}
    for organ in organs:
        mask = ball(shape, spacing_mm, organ.centre_mm, organ.radius_mm)
        for other in masks.values():
            other &= ~mask
        masks[organ.name] = mask
    voxel_ml = float(np.prod(spacing_mm)) / 1000.0
    images = []
    for t in times_h:
        image = np.full(shape, background_mbq_per_ml * voxel_ml, dtype=np.float32)
        for organ in organs:
            mask = masks[organ.name]
            n = int(mask.sum())
            if n:
                image[mask] = organ_activity_mbq(organ, t) / n
        images.append(image / np.float32(mbq_per_count))
    return images, masks
