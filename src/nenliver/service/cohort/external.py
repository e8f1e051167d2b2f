"""The facts a plan gets from SIRT dosimetry and ablation planning, as column expressions.

* SIRT (:func:`sirt_fact_columns`): the partition model planned inversely to the lung and
  normal-liver limits, in closed form, as :func:`nenliver.service.sirt_attachment.sirt_for_case`
  does through :func:`nenliver.dosimetry.maximise_tumour_dose` (glass, EANM 2022 convention; the
  constants and limits are read from the same data, and the arithmetic is done in the same order, so
  the doses agree to the last bit).
* Ablation (:func:`ablation_fact_frame`): the lesion rules on an exploded lesion frame, the
  modality constraints they give, and the planner's choice as a table lookup (lesions × device
  configurations, ranked as :func:`nenliver.ablation.plan_lesion` ranks them), restricted to the
  lesions to treat (all, or the progressing ones in oligoprogression); then the two counts per case.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from nenliver.ablation import load_policy
from nenliver.dosimetry.checks import liver_limit
from nenliver.dosimetry.constants import number
from nenliver.dosimetry.conventions import effective_convention
from nenliver.dosimetry.enums import ConventionKind, DeviceKind
from nenliver.guideline.cohort import compile_condition
from nenliver.guideline.loader import KnowledgeBase
from nenliver.service.cohort.facts import lesion_fact_columns
from nenliver.service.sirt_attachment import FACT_DECIMALS

__all__ = ["MODALITIES", "ablation_fact_frame", "sirt_fact_columns"]

MODALITIES = ("la", "rfa", "mwa", "ire")
_INF = float("inf")


def sirt_fact_columns() -> list[pl.Expr]:
    """``sirt_predicted_lung_dose_gy``, ``sirt_predicted_cumulative_lung_dose_gy``,
    ``sirt_achievable_tumour_dose_gy`` (null when the work-up lacks an input)."""
    device = DeviceKind.GLASS
    c = number(effective_convention(device, ConventionKind.EANM_2022).value)
    density, lung_mass = number("liver_density"), number("lung_mass")
    single, cumulative = number("lung_dose_single_session"), number("lung_dose_cumulative")
    liver_limit_gy = liver_limit(device).limit_gy
    liver, tumour = pl.col("sirt_workup.liver_volume_ml"), pl.col("sirt_workup.tumour_volume_ml")
    tn, lsf = pl.col("sirt_workup.tumour_to_normal_ratio"), pl.col("sirt_workup.lung_shunt_fraction_percent")
    known = liver.is_not_null() & tumour.is_not_null() & tn.is_not_null() & lsf.is_not_null()
    # prior lung dose: as given; 0 when the history is known to hold no SIRT; else unknown
    kinds = pl.col("history.prior_treatments").list.eval(pl.element().struct.field("kind"))
    no_sirt = pl.col("history.prior_treatments").is_not_null() & ~kinds.list.eval(pl.element() == "sirt").list.any()
    prior = pl.coalesce(
        pl.col("history.sirt_lung_dose_gy_cumulative"),
        pl.when(no_sirt).then(pl.lit(0.0)).otherwise(pl.lit(None, pl.Float64)),
    )
    prior_used = prior.fill_null(0.0)
    f = lsf / 100.0
    normal = liver - tumour
    m_t = 1.0 * (tumour * density / 1000.0)
    m_n = 1.0 * (normal * density / 1000.0)
    weighted = tn * m_t + m_n
    liver_cap = liver_limit_gy * weighted / (c * (1.0 - f))

    def lung_cap(limit: pl.Expr) -> pl.Expr:
        allowed = pl.when(limit > 0.0).then(limit).otherwise(pl.lit(0.0))
        return pl.when(f <= 0.0).then(pl.lit(None, pl.Float64)).otherwise(allowed * lung_mass / (c * f))

    activity = pl.min_horizontal(lung_cap(pl.lit(single)), lung_cap(pl.lit(cumulative) - prior_used), liver_cap)
    liver_energy = c * activity * (1.0 - f)
    normal_gy = liver_energy / weighted
    lung = c * activity * f / lung_mass
    valid = known & (normal > 0.0)

    def only(expr: pl.Expr) -> pl.Expr:
        return pl.when(valid).then(expr).otherwise(pl.lit(None, pl.Float64))

    # Rounded as sirt_for_case rounds them: a dose on a limit by construction stays on it.
    return [
        only(lung).round(FACT_DECIMALS).alias("sirt_predicted_lung_dose_gy"),
        only(pl.when(prior.is_null()).then(pl.lit(None, pl.Float64)).otherwise(lung + prior))
        .round(FACT_DECIMALS)
        .alias("sirt_predicted_cumulative_lung_dose_gy"),
        only(tn * normal_gy).round(FACT_DECIMALS).alias("sirt_achievable_tumour_dose_gy"),
    ]


def _configurations() -> pl.DataFrame:
    policy = load_policy()
    rows = []
    for order, config in enumerate(policy.configurations):
        preference = (
            policy.preference.index(config.modality) if config.modality in policy.preference else len(policy.preference)
        )
        rows.append(
            {
                "config": order,
                "modality": config.modality,
                "applicators": config.applicators,
                "zone_min_mm": config.zone_min_mm,
                "zone_max_mm": config.zone_max_mm,
                "preference": preference,
            }
        )
    return pl.DataFrame(rows)


def _by_modality(values: dict[str, pl.Expr], default: pl.Expr) -> pl.Expr:
    chain: Any = None
    for modality, expr in values.items():
        cond = pl.col("modality") == modality
        chain = pl.when(cond).then(expr) if chain is None else chain.when(cond).then(expr)
    return default if chain is None else chain.otherwise(default)


def ablation_fact_frame(facts: pl.LazyFrame, kb: KnowledgeBase) -> pl.LazyFrame:
    """``row``, ``lesions_without_ablation_modality``, ``lesions_with_modality_caution`` for every
    case with at least one listed lesion (other cases: no row, i.e. unknown).

    ``facts`` holds ``row``, ``liver.lesions`` and the case facts (lesion rules may read them).
    """
    policy = load_policy()
    lesion_rules = [r for r in kb.rules if r.scope == "lesion"]
    support = [r for r in kb.rules if r.scope == "case" and r.effect == "support" and "ablation" in r.therapy]
    full = pl.any_horizontal([compile_condition(r.condition).fill_null(False) for r in support if r.targets is None])
    partial = pl.any_horizontal(
        [compile_condition(r.condition).fill_null(False) for r in support if r.targets == "progressing"]
    )
    lesions = (
        facts.with_columns((~full & partial).alias("_progressing_only"))
        .filter(pl.col("liver.lesions").list.len() > 0)
        .explode("liver.lesions")
        .with_columns(pl.col("liver.lesions").struct.unnest().name.prefix("lesion."))
        .with_columns(lesion_fact_columns())
    )
    per_rule = {r.id: compile_condition(r.condition) for r in lesion_rules}
    constraints: list[pl.Expr] = []
    for modality in MODALITIES:
        excluded, cautions, preferred = [], [], []
        for r in lesion_rules:
            if modality not in (r.modality or []):
                continue
            result = per_rule[r.id]
            if r.effect == "exclude":
                excluded.append(result.fill_null(False))
                cautions.append(result.is_null())
            elif r.effect == "caution":
                fired = result.fill_null(False) | (result.is_null() & pl.lit(r.policy == "caution"))
                cautions.append(fired)
            elif r.effect == "support":
                preferred.append(result.fill_null(False))
        constraints += [
            (pl.any_horizontal(excluded) if excluded else pl.lit(False)).alias(f"_excluded_{modality}"),
            (pl.sum_horizontal([c.cast(pl.Int32) for c in cautions]) if cautions else pl.lit(0)).alias(
                f"_cautions_{modality}"
            ),
            (pl.any_horizontal(preferred) if preferred else pl.lit(False)).alias(f"_preferred_{modality}"),
        ]
    treated = (
        lesions.with_columns(constraints)
        .with_columns(
            (~pl.col("_progressing_only") | (pl.col("lesion.progressing") == True).fill_null(False)).alias(  # noqa: E712
                "_treated"
            )
        )
        .filter(pl.col("_treated"))
        .with_row_index("_lesion")
        .with_columns((pl.col("lesion.diameter_mm") + 2 * policy.margin_mm).alias("_needed"))
    )
    configs = _configurations().lazy()
    candidates = (
        treated.select("row", "_lesion", "_needed", *[c.meta.output_name() for c in constraints])
        .join(configs, how="cross")
        .with_columns(
            _by_modality({m: pl.col(f"_excluded_{m}") for m in MODALITIES}, pl.lit(False)).alias("_excluded"),
            _by_modality({m: pl.col(f"_cautions_{m}") for m in MODALITIES}, pl.lit(0)).alias("_cautions"),
            _by_modality({m: pl.col(f"_preferred_{m}") for m in MODALITIES}, pl.lit(False)).alias("_preferred"),
        )
        .filter(pl.col("_needed").is_not_null() & ~pl.col("_excluded") & (pl.col("_needed") <= pl.col("zone_max_mm")))
        .with_columns(
            pl.when(pl.col("_preferred")).then(0).otherwise(1).alias("_k1"),
            pl.when(pl.col("_needed") <= pl.col("zone_min_mm")).then(0).otherwise(1).alias("_k3"),
        )
        .group_by("_lesion")
        .agg(
            pl.col("_cautions")
            .sort_by(["_k1", "_cautions", "_k3", "applicators", "zone_min_mm", "preference", "config"])
            .first()
            .alias("_chosen_cautions")
        )
    )
    planned = treated.select("row", "_lesion").join(candidates, on="_lesion", how="left")
    counts = planned.group_by("row").agg(
        pl.col("_chosen_cautions").is_null().sum().cast(pl.Float64).alias("lesions_without_ablation_modality"),
        (pl.col("_chosen_cautions") > 0).fill_null(False).sum().cast(pl.Float64).alias("lesions_with_modality_caution"),
    )
    with_lesions = facts.filter(pl.col("liver.lesions").list.len() > 0).select("row")
    return with_lesions.join(counts, on="row", how="left").with_columns(
        pl.col("lesions_without_ablation_modality").fill_null(0.0),
        pl.col("lesions_with_modality_caution").fill_null(0.0),
    )
