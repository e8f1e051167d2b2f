# SPDX-License-Identifier: Apache-2.0
"""Voxel-dosimetry outputs: the JSON mapping, a DVH plot and a mid-slice dose overlay (PNG bytes).

Plots are rendered off-screen (matplotlib Agg) into bytes, so that the caller writes them
atomically. Every output carries the software version and the clinician-review notice.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from nenliver import CLINICIAN_REVIEW_NOTICE, __version__
from nenliver.dosimetry.voxel.pipeline import VoxelDoseResult

__all__ = ["FORMAT", "dvh_png", "overlay_png", "result_to_dict"]

FORMAT = "nenliver/voxel-dose@1"
_DVH_POINTS = 200


def _curve(axis: np.ndarray, volume: np.ndarray) -> dict[str, list[float]]:
    step = max(1, int(np.ceil(len(axis) / _DVH_POINTS)))
    idx = np.unique(np.r_[np.arange(0, len(axis), step), len(axis) - 1])
    return {
        "dose_gy": [round(float(v), 6) for v in axis[idx]],
        "volume_percent": [round(float(v), 4) for v in volume[idx]],
    }


def result_to_dict(result: VoxelDoseResult, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """JSON-ready mapping: ``structures: {name: {mean_gy, d70_gy, v100_percent, …}}`` and provenance.

    Parameters
    ----------
    result : VoxelDoseResult
        The computed dosimetry.
    inputs : dict, optional
        File names and options as given (recorded verbatim).

    Returns
    -------
    dict
    """
    out: dict[str, Any] = {
        "format": FORMAT,
        "software_version": __version__,
        "notice": CLINICIAN_REVIEW_NOTICE,
        "method": result.method.value,
        "activity_mode": result.activity_mode.value,
        "inputs": inputs or {},
        "parameters": result.parameters,
        "structures": {name: m.as_dict() for name, m in result.structures.items()},
        "lung": {"mean_gy": result.lung_mean_gy, "basis": result.lung_basis},
        "activity_in_image_gbq": result.activity_in_image_gbq,
    }
    if result.kernel is not None:
        k = result.kernel
        out["kernel"] = {
            "source": k.source,
            "shape": list(k.fractions.shape),
            "self_fraction": k.self_fraction,
            "range_mm": k.range_mm,
            "density_g_per_ml": k.density_g_per_ml,
        }
    out["dvh"] = {name: _curve(*curve) for name, curve in result.dvh.items()}
    out["notes"] = list(result.notes)
    return out


def _figure_bytes(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _footer(fig: Any) -> None:
    fig.text(0.01, 0.01, f"nenliver {__version__} — {CLINICIAN_REVIEW_NOTICE}", fontsize=6, color="0.3")


def dvh_png(result: VoxelDoseResult, post: VoxelDoseResult | None = None) -> bytes:
    """Cumulative DVH of every structure (dashed: post-treatment, when given), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (name, (axis, vol)) in enumerate(result.dvh.items()):
        colour = f"C{i % 10}"
        ax.plot(axis, vol, color=colour, label=f"{name} (mean {result.structures[name].mean_gy:.1f} Gy)")
        if post is not None and name in post.dvh:
            pa, pv = post.dvh[name]
            ax.plot(pa, pv, color=colour, linestyle="--", label=f"{name}, post-treatment")
    ax.set_xlabel("absorbed dose (Gy)")
    ax.set_ylabel("volume (%)")
    ax.set_ylim(0, 101)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"Cumulative DVH — {result.method.value}, {result.activity_mode.value} activity")
    _footer(fig)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _figure_bytes(fig)


_DISPLAY_FLOOR_FRACTION = 1e-3


def overlay_png(
    result: VoxelDoseResult, background: np.ndarray | None = None, contours: dict[str, np.ndarray] | None = None
) -> bytes:
    """Mid-slice (through the liver centre) dose colour-wash over the image, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    dose = np.asarray(result.dose.array)
    liver = (contours or {}).get("liver")
    k = int(np.round(np.mean(np.nonzero(liver)[2]))) if liver is not None and liver.any() else dose.shape[2] // 2
    fig, ax = plt.subplots(figsize=(6, 6))
    sx, sy, _ = result.dose.spacing_mm
    extent = (0, dose.shape[0] * sx, dose.shape[1] * sy, 0)
    if background is not None:
        ax.imshow(np.asarray(background)[:, :, k].T, cmap="gray", extent=extent)
    # Presentation only: leave voxels below 0.1 % of the maximum uncoloured (FFT round-off, no dose).
    shown = np.ma.masked_less_equal(dose[:, :, k].T, _DISPLAY_FLOOR_FRACTION * float(dose.max(initial=0.0)))
    im = ax.imshow(shown, cmap="jet", alpha=0.55 if background is not None else 1.0, extent=extent)
    for i, mask in enumerate((contours or {}).values()):
        if mask[:, :, k].any():
            # contour at voxel centres in the same mm coordinates as the image (pixel edges at 0 and n·s)
            ax.contour(
                (np.arange(dose.shape[0]) + 0.5) * sx,
                (np.arange(dose.shape[1]) + 0.5) * sy,
                mask[:, :, k].T.astype(float),
                levels=[0.5],
                colors=[f"C{i % 10}"],
                linewidths=1,
            )
    fig.colorbar(im, ax=ax, label="absorbed dose (Gy)", shrink=0.8)
    ax.set_title(f"slice {k} — {result.method.value}")
    ax.set_xlabel("mm")
    _footer(fig)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _figure_bytes(fig)
