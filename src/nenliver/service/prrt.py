"""PRRT dosimetry: a ``nenliver/prrt@1`` plan becomes a ``nenliver/prrt-result@1`` result.

Organ-level plans (activity lists) are evaluated directly; image plans first turn serial SPECT/CT
and masks into the same time-activity curves and run voxel dosimetry
(:mod:`nenliver.dosimetry.prrt.images`, loaded on first use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nenliver.dosimetry.prrt import PrrtPlan, PrrtResult, evaluate_tacs, tacs_from_plan
from nenliver.guideline.loader import load_knowledge_base

if TYPE_CHECKING:
    from nenliver.dosimetry.prrt.images import VoxelPrrt

__all__ = ["PrrtRun", "plan_prrt", "run_prrt"]


@dataclass(frozen=True)
class PrrtRun:
    """A result with the voxel maps behind it (image plans), for figures and files."""

    result: PrrtResult
    voxel: VoxelPrrt | None = None


def run_prrt(plan: PrrtPlan, *, base_dir: str | Path = ".", source: str = "plan") -> PrrtRun:
    """Evaluate a plan; image paths are read relative to ``base_dir`` (the plan file's folder).

    Raises
    ------
    nenliver.errors.DosimetryInputError, nenliver.errors.ImagingInputError
        Unreadable images or masks, times that cannot be established, grids that do not match.
    """
    kb_version = load_knowledge_base().version
    if not plan.image_mode:
        return PrrtRun(evaluate_tacs(plan, tacs_from_plan(plan), knowledge_base_version=kb_version))
    from nenliver.dosimetry.prrt.images import extract_and_dose

    voxel = extract_and_dose(plan, Path(base_dir), source=source)
    result = evaluate_tacs(
        plan, voxel.tacs, knowledge_base_version=kb_version, voxel=voxel.summary(), notes=voxel.notes
    )
    return PrrtRun(result, voxel)


def plan_prrt(plan: PrrtPlan, *, base_dir: str | Path = ".", source: str = "plan") -> PrrtResult:
    """The result only (see :func:`run_prrt`)."""
    return run_prrt(plan, base_dir=base_dir, source=source).result
