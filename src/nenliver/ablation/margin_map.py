# SPDX-License-Identifier: Apache-2.0
"""A picture of a margin assessment: three planes through the minimal margin and the histogram.

Each plane shows the ablation zone (grey), the tumour (dark grey) and the tumour surface voxels
coloured by margin bin: red < 0 mm, orange 0 to minimum, yellow minimum to ideal, green ≥ ideal,
blue for surface voxels left out by capsule exclusion. The cross marks the voxel of the minimal
margin. Planes are drawn in array axes (i, j, k) with millimetre scales, not in radiological
orientation.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
from numpy.typing import NDArray

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.ablation.margin_result import ESTIMATOR, MarginResult

__all__ = ["BIN_COLOURS", "render_margin_map"]

#: RGB colours of the four histogram bins (< 0, 0-minimum, minimum-ideal, >= ideal), then
#: excluded surface voxels, tumour, ablation zone, liver, background.
BIN_COLOURS = ((0.84, 0.15, 0.16), (1.0, 0.5, 0.05), (0.9, 0.75, 0.0), (0.17, 0.63, 0.17))
_EXCLUDED = (0.35, 0.55, 0.85)
_TUMOUR = (0.35, 0.35, 0.4)
_ZONE = (0.8, 0.8, 0.8)
_LIVER = (0.97, 0.93, 0.85)
_BACKGROUND = (1.0, 1.0, 1.0)


def _plane(array: NDArray[np.generic], axis: int, index: int) -> NDArray[np.generic]:
    return np.take(array, index, axis=axis)


def render_margin_map(result: MarginResult, title: str | None = None) -> bytes:
    """PNG bytes of the margin map of ``result`` (computed with ``keep_maps=True``).

    Parameters
    ----------
    result : MarginResult
        A result that kept its arrays.
    title : str, optional
        First line of the figure title (default: the minimal margin and verdict).

    Returns
    -------
    bytes
        A PNG image.
    """
    maps = result.maps
    if maps is None:
        raise ValueError("the result has no arrays: compute it with keep_maps=True")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    edges = result.settings.edges_mm
    (z0, z1), (y0, y1), (x0, x1) = maps.region
    margin = np.full(maps.tumour.shape, np.nan, dtype=np.float32)
    margin[z0:z1, y0:y1, x0:x1] = maps.margin_mm
    surface = np.zeros(maps.tumour.shape, dtype=bool)
    surface[z0:z1, y0:y1, x0:x1] = maps.surface
    excluded = np.zeros(maps.tumour.shape, dtype=bool)
    excluded[z0:z1, y0:y1, x0:x1] = maps.excluded & maps.surface
    # Show the tumour box grown by the ideal margin and 5 voxels.
    grow = [int(np.ceil(edges[2] / s)) + 5 for s in maps.spacing_mm]
    view = [
        slice(max(0, lo - g), min(n, hi + g))
        for (lo, hi), g, n in zip(maps.region, grow, maps.tumour.shape, strict=True)
    ]

    fig = Figure(figsize=(12, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 0.9]})
    names = ("i", "j", "k")
    for axis, ax in enumerate(axes[:3]):
        index = maps.voxel[axis]
        others = [a for a in range(3) if a != axis]
        sub = tuple(view[a] if a != axis else slice(None) for a in range(3))
        rgb = np.empty((*_plane(maps.tumour[sub], axis, index).shape, 3), dtype=float)
        rgb[:] = _BACKGROUND
        if maps.liver is not None:
            rgb[_plane(maps.liver[sub], axis, index)] = _LIVER
        rgb[_plane(maps.ablation[sub], axis, index)] = _ZONE
        rgb[_plane(maps.tumour[sub], axis, index)] = _TUMOUR
        m = np.asarray(_plane(margin[sub], axis, index), dtype=np.float32)
        surf = np.asarray(_plane(surface[sub], axis, index), dtype=bool)
        with np.errstate(invalid="ignore"):
            classes = (
                surf & (m < edges[0]),
                surf & (m >= edges[0]) & (m < edges[1]),
                surf & (m >= edges[1]) & (m < edges[2]),
                surf & (m >= edges[2]),
            )
        for cls, colour in zip(classes, BIN_COLOURS, strict=True):
            rgb[cls] = colour
        rgb[_plane(excluded[sub], axis, index)] = _EXCLUDED
        rows, cols = rgb.shape[:2]
        sr, sc = maps.spacing_mm[others[0]], maps.spacing_mm[others[1]]
        ax.imshow(rgb, extent=(0, cols * sc, rows * sr, 0), interpolation="nearest")
        r = (maps.voxel[others[0]] - view[others[0]].start + 0.5) * sr
        c = (maps.voxel[others[1]] - view[others[1]].start + 0.5) * sc
        ax.plot([c], [r], marker="+", color="black", markersize=14, mew=2)
        ax.set_title(f"plane {names[axis]} = {result.location_index[axis]}", fontsize=9)
        ax.set_xlabel(f"{names[others[1]]} (mm)", fontsize=8)
        ax.set_ylabel(f"{names[others[0]]} (mm)", fontsize=8)
        ax.tick_params(labelsize=7)
    hist = axes[3]
    labels = [b.label for b in result.histogram]
    percents = [b.percent for b in result.histogram]
    bars = hist.bar(range(4), percents, color=BIN_COLOURS)
    for bar, pct in zip(bars, percents, strict=True):
        hist.text(bar.get_x() + bar.get_width() / 2, pct + 1, f"{pct:.0f} %", ha="center", fontsize=8)
    hist.set_xticks(range(4), labels, fontsize=8)
    hist.set_xlabel("margin (mm)", fontsize=8)
    hist.set_ylim(0, 110)
    hist.set_ylabel("tumour surface (%)", fontsize=8)
    hist.set_title("surface margin histogram", fontsize=9)
    hist.tick_params(labelsize=7)
    handles = [Patch(color=_ZONE, label="ablation zone"), Patch(color=_TUMOUR, label="tumour")]
    if maps.liver is not None:
        handles += [Patch(color=_LIVER, label="liver"), Patch(color=_EXCLUDED, label="capsule exclusion")]
    hist.legend(handles=handles, fontsize=7, loc="upper left")
    heading = title or (
        f"Minimal ablative margin {result.minimal_margin_mm:.1f} mm, lower bound "
        f"{result.minimal_margin_lower_bound_mm:.1f} mm (−{result.discretisation_uncertainty_mm:.1f} mm "
        f"discretisation): {result.verdict_code}"
    )
    fig.suptitle(
        f"{heading}\ncoverage {result.coverage_percent:.1f} %, surface ≥ {edges[1]:g} mm "
        f"{result.surface_ge_minimum_percent:.0f} %, residual tumour {result.residual_tumour_volume_ml:.2f} mL",
        fontsize=10,
    )
    footer = f"nenliver {__version__}. {ESTIMATOR}; masks compared without registration. {CLINICIAN_REVIEW_NOTICE}"
    fig.text(0.5, 0.01, "\n".join(textwrap.wrap(footer, 170)), ha="center", va="bottom", fontsize=7)
    fig.subplots_adjust(left=0.05, right=0.98, top=0.8, bottom=0.2, wspace=0.35)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
