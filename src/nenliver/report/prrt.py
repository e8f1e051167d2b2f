"""Pictures and files of a PRRT dosimetry run (``nenliver prrt --out DIR``).

* ``prrt-result.json`` — the ``nenliver/prrt-result@1`` result;
* ``tac_<organ>.png`` — measured activities, the fitted curve (or the trapezoids and tail) and the
  residuals below, with the TIA, effective half-life and dose in the title;
* image plans: ``dvh.png`` (cumulative DVH per structure), ``dose_gy.nii.gz`` and ``tia_mbq_h.nii.gz``
  on the grid of the first scan.

:func:`render_prrt_html` (and ``--pdf`` through WeasyPrint) is the printable report of the cycle: the
answer and deciding figures, the organ table, every check with its source, the time-activity
pictures and, for image plans, the DVH. Every number drawn is in the result. Output files are
written whole or not at all.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nenliver.dosimetry.prrt import PrrtOrganResult, prrt_result_to_json

if TYPE_CHECKING:
    from nenliver.service.prrt import PrrtRun

__all__ = ["dvh_png", "render_prrt_html", "tac_png", "write_prrt_outputs"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _curve(organ: PrrtOrganResult, half_life_h: float) -> tuple[np.ndarray, np.ndarray, str]:
    """Points of the model curve from 0 to 1.5 × the last scan (as the integral sees it)."""
    t_end = max(organ.times_h) * 1.5
    t = np.linspace(0.0, t_end, 400)
    p = organ.parameters
    if organ.model == "mono_exp":
        return t, p["a_mbq"] * np.exp(-p["lambda_per_h"] * t), "mono-exponential fit"
    if organ.model == "biexp_uptake":
        a = p["a_mbq"] * (np.exp(-p["lambda_washout_per_h"] * t) - np.exp(-p["lambda_uptake_per_h"] * t))
        return t, a, "bi-exponential fit (uptake, washout)"
    times = [0.0, *organ.times_h]
    values = [0.0, *organ.activity_mbq]
    if organ.model == "trapezoid":
        lam = p["lambda_tail_per_h"]
        start = p["tail_start_h"]
        tail_t = np.linspace(start, t_end, 100)
        a0 = p.get("tail_a_mbq")
        tail = a0 * np.exp(-lam * tail_t) if a0 is not None else values[-1] * np.exp(-lam * (tail_t - start))
        return np.concatenate([times, tail_t]), np.concatenate([values, tail]), "trapezoids and tail"
    lam = math.log(2.0) / organ.effective_half_life_h  # single time point: the assumed mono-exponential
    a0 = organ.activity_mbq[0] * math.exp(lam * organ.times_h[0])
    return t, a0 * np.exp(-lam * t), f"{organ.model}: assumed mono-exponential through the scan"


def tac_png(name: str, organ: PrrtOrganResult, half_life_h: float) -> bytes:
    """Time-activity curve of one volume of interest with its fit and residuals (PNG bytes)."""
    plt = _pyplot()
    has_residuals = bool(organ.residuals_mbq) and any(r != 0 for r in organ.residuals_mbq)
    rows = 2 if has_residuals else 1
    fig, axes = plt.subplots(
        rows,
        1,
        figsize=(6.4, 4.6 if rows == 2 else 3.6),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": [3, 1] if rows == 2 else [1]},
    )
    try:
        ax = axes[0][0]
        t, a, label = _curve(organ, half_life_h)
        ax.plot(t, a, color="#3a6ea5", linewidth=1.6, label=label)
        ax.plot(organ.times_h, organ.activity_mbq, "o", color="#1d2433", label="measured")
        ax.set_ylabel("activity (MBq)")
        ax.set_ylim(bottom=0)
        ax.set_title(
            f"{name} ({organ.role.value}): TIA {organ.tia_mbq_h:.0f} MBq·h, T_eff {organ.effective_half_life_h:.1f} h, "
            f"{organ.dose_gy:.2f} Gy ({organ.gy_per_gbq:.3f} Gy/GBq)",
            fontsize=9,
        )
        ax.legend(fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        if rows == 2:
            rx = axes[1][0]
            rx.axhline(0.0, color="#5b6475", linewidth=0.8)
            rx.plot(organ.times_h, organ.residuals_mbq, "s", color="#b7791f")
            rx.set_ylabel("residual (MBq)")
            rx.spines[["top", "right"]].set_visible(False)
        axes[-1][0].set_xlabel("time after administration (h)")
        return _png(fig)
    finally:
        plt.close(fig)


def dvh_png(dvh: dict[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    """Cumulative DVH per structure (PNG bytes)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    try:
        styles = ["-", "--", "-.", ":"]
        for i, (name, (dose, volume)) in enumerate(dvh.items()):
            ax.plot(dose, volume, styles[i % len(styles)], linewidth=1.5, label=name)
        ax.set_xlabel("absorbed dose this cycle (Gy)")
        ax.set_ylabel("volume receiving at least this dose (%)")
        ax.set_ylim(0, 102)
        ax.set_xlim(left=0)
        ax.legend(fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)
    finally:
        plt.close(fig)


def write_prrt_outputs(run: PrrtRun, out_dir: Path, *, write: Callable[[Path, str | bytes], None]) -> list[Path]:
    """Write the result, pictures and (image plans) maps into ``out_dir``; returns the paths.

    Everything is rendered in memory first, then written file by file with ``write`` (atomic).
    """
    result = run.result
    files: dict[str, str | bytes] = {"prrt-result.json": prrt_result_to_json(result)}
    for name, organ in result.organs.items():
        files[f"tac_{name}.png"] = tac_png(name, organ, result.half_life_h)
    voxel = run.voxel
    maps: list[tuple[str, Any]] = []
    if voxel is not None and voxel.dose_gy is not None:
        files["dvh.png"] = dvh_png(voxel.dvh)
        maps.append(("dose_gy.nii.gz", voxel.reference.with_array(voxel.dose_gy, "Gy")))
        if voxel.tia_mbq_h is not None:
            maps.append(("tia_mbq_h.nii.gz", voxel.reference.with_array(voxel.tia_mbq_h, "MBq.h")))
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        write(out_dir / name, content)
        written.append(out_dir / name)
    if maps:
        import tempfile

        from nenliver.imaging.volume import write_nifti

        for name, volume in maps:
            with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
                path = Path(tmp) / name
                write_nifti(volume, path)
                write(out_dir / name, path.read_bytes())
            written.append(out_dir / name)
    return written


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def answer_line(result: Any) -> str:
    """The cycle-level answer in words (the terminal, HTML and PDF views share it)."""
    if result.treatable_next_cycle is True:
        return "Another cycle like this one: within every hard limit"
    if result.treatable_next_cycle is False:
        return "Another cycle like this one: NO — it would pass a hard limit"
    return "Another cycle like this one: CANNOT TELL — a hard limit could not be checked"


def render_prrt_html(run: PrrtRun) -> str:
    """The printable report of one cycle (self-contained HTML: inline CSS, PNG figures as data URIs)."""
    from nenliver.report.html import environment, format_gy

    result = run.result
    tacs = {name: _data_uri(tac_png(name, organ, result.half_life_h)) for name, organ in result.organs.items()}
    dvh = None
    if run.voxel is not None and run.voxel.dose_gy is not None:
        dvh = _data_uri(dvh_png(run.voxel.dvh))
    text: str = (
        environment()
        .get_template("prrt.html.j2")
        .render(r=result, answer=answer_line(result), tacs=tacs, dvh=dvh, fmt_gy=format_gy)
    )
    return text
