"""Reference values for SIRT dosimetry, each with its source and tolerance.

Sources (project reference ``sirt-dosimetry.md`` §4, tags as there):

* Tier A, numbers printed in sources: Sirtex US dosimetry page (A1); Taranis README and
  EJNMMI Phys 2021 doi:10.1186/s40658-021-00372-9 (A2); J Nucl Med 2016;57(suppl 2):199 (A3);
  TheraSphere text at radiologykey.com (A4); van Roekel thesis (A5); Taranis test of the Graves 2019
  kernel energy (A10); DuBois formula (A17). Tolerance: the printed digits.
* Tier B, formula-derived vectors ([D]): B1, B7, B8, B9 (reproduces an independent public derivation,
  case "P10"), B16-B17, decay B21/B25. Tolerance: relative 1e-4 unless the vector prints fewer digits.
* Cazzato RL, et al. Cancers 2021;13:6368 (doi:10.3390/cancers13246368) §6.2: sphere activities.

Every test names its convention (C in Gy·kg/GBq), density and lung mass.
"""

from __future__ import annotations

import math

import pytest

from nenliver.dosimetry import evaluate_plan, plan_from_mapping
from nenliver.dosimetry.bsa import bsa_activity_gbq, dubois_bsa_m2
from nenliver.dosimetry.decay import decay_factor, fraction_of_dose_delivered, half_life_h
from nenliver.dosimetry.enums import CompartmentKind, DeviceKind
from nenliver.dosimetry.holmium import holmium_dose_gy, holmium_standard_activity_gbq
from nenliver.dosimetry.logistics import sphere_count
from nenliver.dosimetry.mird import (
    activity_for_lung_dose_gbq,
    lung_dose_gy,
    single_compartment_activity_gbq,
    single_compartment_dose_gy,
    vial_activity_gbq,
)
from nenliver.dosimetry.partition import partition_activity_gbq, partition_doses_gy

pytestmark = pytest.mark.reference

C_IFU, C_EANM, C_AAPM, C_HO = 50.0, 49.67, 49.38, 15.87
RHO = 1.03  # g/mL, TheraSphere / EANM convention
REL = 1e-4  # [D] vectors: pure arithmetic, relative 1e-4 (sirt-dosimetry.md §4)
MEV_TO_J = 1.602176634e-13  # CODATA 2018 exact


# ----------------------------------------------------------------------------- Tier A (printed)


def test_a1_one_gbq_per_kg_gives_fifty_gray_therasphere_convention() -> None:
    """A1, Sirtex US dosimetry page: 1 GBq/kg ≈ 50 Gy (C = 50, F = 0). Exact."""
    assert single_compartment_dose_gy(1.0, 1.0, 0.0, C_IFU) == pytest.approx(50.0, rel=1e-12)


def test_a2_holmium_3_78_gbq_per_kg_gives_sixty_gray() -> None:
    """A2, Taranis / EJNMMI Phys 2021: 3.78 GBq/kg × 15.87 = 59.99 ≈ 60 Gy (printed to 0 dp)."""
    assert holmium_dose_gy(holmium_standard_activity_gbq(1.0), 1.0) == pytest.approx(59.99, abs=0.005)
    assert round(holmium_dose_gy(3.78, 1.0)) == 60


def test_a3_holmium_scout_dose() -> None:
    """A3, JNM 2016 suppl 199: 3.7 MBq in 15.3 mL, 15.87 mJ/MBq, 1.06 g/cm³ → 3.6 Gy (printed 1 dp)."""
    dose = holmium_dose_gy(3.7e-3, 15.3 * 1.06 / 1000)
    assert dose == pytest.approx(3.6206, abs=1e-4)
    assert round(dose, 1) == 3.6


def test_a4_glass_lung_cap_0_61_gbq_is_about_thirty_gray() -> None:
    """A4, radiologykey TheraSphere text: F·A = 0.61 GBq, C = 50, 1 kg → 30.5 Gy; 30 Gy → 0.600 GBq."""
    assert lung_dose_gy(0.61, 1.0, 1.0, C_IFU) == pytest.approx(30.5, rel=1e-12)
    assert activity_for_lung_dose_gbq(30.0, 1.0, 1.0, C_IFU) == pytest.approx(0.600, rel=1e-12)


@pytest.mark.parametrize(("mass_kg", "activity_mbq"), [(1.0, 3780.0), (1.5, 5670.0), (2.0, 7560.0)])
def test_a5_holmium_treatment_activity(mass_kg: float, activity_mbq: float) -> None:
    """A5, van Roekel thesis: A(MBq) = liver mass (kg) × 3780 MBq/kg. Exact."""
    assert holmium_standard_activity_gbq(mass_kg) * 1000 == pytest.approx(activity_mbq, rel=1e-12)


def test_a10_dose_constant_from_mean_energy_and_half_life() -> None:
    """A10, Taranis test: 0.9336 MeV/decay × τ(64.1 h) = 49.80 J/GBq, within 0.5 % of 49.67."""
    tau_s = half_life_h("Y-90") * 3600 / math.log(2)
    constant = 0.9336 * MEV_TO_J * 1e9 * tau_s
    assert constant == pytest.approx(49.80, abs=0.005)
    assert abs(constant / C_EANM - 1) < 0.005


def test_a17_dubois_bsa_formula() -> None:
    """A17: 175 cm, 75 kg → 1.9031 m² by the formula (the page's 1.910 disagrees; test the formula)."""
    assert dubois_bsa_m2(175.0, 75.0) == pytest.approx(1.9031, abs=5e-5)


def test_sphere_counts_from_cazzato_activities() -> None:
    """Cazzato 2021 §6.2 (50 Bq resin, 2500 Bq glass): 3 GBq → 60 × 10⁶ and 1.2 × 10⁶ spheres; exact."""
    assert sphere_count(3.0, DeviceKind.RESIN) == 60_000_000
    assert sphere_count(3.0, DeviceKind.GLASS) == 1_200_000


# ------------------------------------------------------------------------ Tier B (formula-derived)


@pytest.mark.parametrize(("constant", "activity"), [(C_IFU, 2.4720), (C_EANM, 2.4884), (C_AAPM, 2.5030)])
def test_b1_single_compartment_120_gy_1000_ml(constant: float, activity: float) -> None:
    """B1: 120 Gy, 1000 mL, ρ 1.03, LSF 0, R 0 → 2.4720 / 2.4884 / 2.5030 GBq (printed 4 dp)."""
    got = single_compartment_activity_gbq(120.0, 1000 * RHO / 1000, 0.0, constant)
    assert got == pytest.approx(activity, abs=5e-5)


@pytest.mark.parametrize(
    ("activity", "lsf", "mass", "liver_gy", "lung_gy"),
    [(3.0, 0.10, 1.545, 87.38, 15.00), (5.0, 0.05, 1.03, 230.58, 12.50), (2.0, 0.0, 0.5, 200.00, 0.0)],
)
def test_b7_forward_doses_therasphere_convention(
    activity: float, lsf: float, mass: float, liver_gy: float, lung_gy: float
) -> None:
    """B7 (C = 50, lung 1 kg): printed to 2 dp."""
    assert single_compartment_dose_gy(activity, mass, lsf, C_IFU) == pytest.approx(liver_gy, abs=0.005)
    assert lung_dose_gy(activity, lsf, 1.0, C_IFU) == pytest.approx(lung_gy, abs=0.005)


@pytest.mark.parametrize(
    ("constant", "single", "cumulative"),
    [(C_IFU, 0.6000, 1.0000), (C_EANM, 0.6040, 1.0066), (C_AAPM, 0.6075, 1.0126)],
)
def test_b8_lung_caps(constant: float, single: float, cumulative: float) -> None:
    """B8: lung activity F·A for 30 Gy and 50 Gy at 1 kg; printed 4 dp."""
    assert activity_for_lung_dose_gbq(30.0, 1.0, 1.0, constant) == pytest.approx(single, abs=5e-5)
    assert activity_for_lung_dose_gbq(50.0, 1.0, 1.0, constant) == pytest.approx(cumulative, abs=5e-5)


def test_b9_partition_tumour_300_gy() -> None:
    """B9 (C 49.67, ρ 1.03): V_T 200, V_N 800, T/N 3, LSF 10 % → A 3.22573429076 GBq (11 sig. digits,
    tolerance 1e-10 relative), D_N 100, lung 16.02, mean 140 Gy; energy 144.2 J."""
    m_t, m_n = 200 * RHO / 1000, 800 * RHO / 1000
    activity = partition_activity_gbq(CompartmentKind.TUMOUR, 300.0, m_t, m_n, 3.0, 0.10, C_EANM)
    assert activity == pytest.approx(3.22573429076, rel=1e-10)
    doses = partition_doses_gy(activity, m_t, m_n, 3.0, 0.10, C_EANM, 1.0)
    assert doses.tumour_gy == pytest.approx(300.0, rel=REL)
    assert doses.normal_liver_gy == pytest.approx(100.0, rel=REL)
    assert doses.lung_gy == pytest.approx(16.02, abs=0.005)
    assert doses.perfused_mean_gy == pytest.approx(140.0, rel=REL)
    assert C_EANM * activity * 0.9 == pytest.approx(144.2, abs=0.05)


def test_b9_uniform_cases_of_the_same_derivation() -> None:
    """B9 companions (C 49.67, ρ 1.03, 1000 mL): 100 Gy LSF 0 → 2.07; LSF 10 % → 2.30409592197 GBq,
    lung 11.4 Gy; + 10 % residual → 2.56 GBq at treatment; T/N 1, 300 Gy → 6.91 GBq, lung 34.3 Gy."""
    mass = 1000 * RHO / 1000
    assert single_compartment_activity_gbq(100.0, mass, 0.0, C_EANM) == pytest.approx(2.07, abs=0.005)
    a10 = single_compartment_activity_gbq(100.0, mass, 0.10, C_EANM)
    assert a10 == pytest.approx(2.30409592197, rel=1e-10)
    assert lung_dose_gy(a10, 0.10, 1.0, C_EANM) == pytest.approx(11.4, abs=0.05)
    assert vial_activity_gbq(a10, 0.10) == pytest.approx(2.56, abs=0.005)
    tn1 = partition_activity_gbq(CompartmentKind.TUMOUR, 300.0, 0.2 * mass, 0.8 * mass, 1.0, 0.10, C_EANM)
    assert tn1 == pytest.approx(6.91, abs=0.005)
    assert lung_dose_gy(tn1, 0.10, 1.0, C_EANM) == pytest.approx(34.3, abs=0.05)


@pytest.mark.parametrize(
    ("height", "weight", "v_t", "v_n", "bsa", "activity"),
    [(175.0, 75.0, 250.0, 1250.0, 1.9031, 1.8698), (170.0, 70.0, 0.0, 1500.0, 1.8097, 1.6097)],
)
def test_b16_b17_resin_bsa(height: float, weight: float, v_t: float, v_n: float, bsa: float, activity: float) -> None:
    """B16-B17 (DuBois SI form, involvement fraction): printed 4 dp."""
    assert dubois_bsa_m2(height, weight) == pytest.approx(bsa, abs=5e-5)
    assert bsa_activity_gbq(height, weight, v_t, v_n) == pytest.approx(activity, abs=5e-5)


def _bsa_plan(**changes: object) -> dict:
    plan = {
        "device": "resin",
        "method": "bsa",
        "patient": {"height_cm": 175.0, "weight_kg": 75.0},
        "tumour_volume_ml": 250.0,
        "normal_volume_ml": 1250.0,
        "lung_shunt_fraction_percent": 5.0,
    }
    plan.update(changes)
    return plan


@pytest.mark.parametrize(("share", "activity"), [(1.0, 1.8698), (0.65, 1.2154)])
def test_b16_lobar_bsa_scales_by_the_perfused_share(share: float, activity: float) -> None:
    """B16 lobar: right lobe 65 % of the liver → 1.8698 × 0.65 = 1.2154 GBq ([D], lobar rule [K]); 4 dp.

    The volumes stay whole-liver figures; only the activity (and the perfused masses) scale.
    """
    result = evaluate_plan(plan_from_mapping(_bsa_plan(perfused_fraction_of_liver=share)))
    assert result.injected_activity_gbq == pytest.approx(activity, abs=5e-5)
    assert result.masses_kg.perfused == pytest.approx(share * 1500.0 * RHO / 1000.0)


def test_bsa_plans_get_the_normal_liver_check() -> None:
    """With T/N the BSA plan gets the partition normal-liver dose; without, the perfused mean stands in."""
    with_tn = evaluate_plan(plan_from_mapping(_bsa_plan(tumour_to_normal_ratio=3.0)))
    liver = next(c for c in with_tn.checks if c.id == "normal-liver")
    assert liver.value_gy == pytest.approx(with_tn.doses_gy.normal_liver)
    assert liver.severity.value == "hard"
    without = evaluate_plan(plan_from_mapping(_bsa_plan(perfused_fraction_of_liver=0.65)))
    stand_in = next(c for c in without.checks if c.id == "normal-liver")
    assert stand_in.value_gy == pytest.approx(without.doses_gy.perfused_mean)
    # 1.2154 GBq x 49.67 x 0.95 / (0.65 x 1.545 kg) = 57 Gy > 40 Gy: flagged, advisory (T/N unknown).
    assert stand_in.status.value == "warn" and stand_in.severity.value == "advisory"
    assert "T/N not given" in stand_in.text


B21 = [
    (1, 0.98924),
    (6, 0.93718),
    (12, 0.87830),
    (24, 0.77142),
    (48, 0.59509),
    (64.1, 0.50000),
    (72, 0.45906),
    (96, 0.35413),
    (120, 0.27318),
    (144, 0.21074),
    (168, 0.16257),
    (288, 0.04441),
]


@pytest.mark.parametrize(("hours", "factor"), B21)
def test_b21_y90_decay_factors(hours: float, factor: float) -> None:
    """B21 (T½ 64.1 h, ICRP-107 via radioactivedecay): printed 5 dp."""
    assert decay_factor(hours, "Y-90") == pytest.approx(factor, abs=5e-6)


def test_b25_holmium_decay_24_h() -> None:
    """B25 (Ho-166, T½ 26.8 h): 24 h → 0.53755 (5 dp)."""
    assert decay_factor(24.0, "Ho-166") == pytest.approx(0.53755, abs=5e-6)


@pytest.mark.parametrize(("hours", "mbq"), [(1, 133.67), (2, 119.12), (4, 94.60), (6, 75.13)])
def test_maa_150_mbq_decay(hours: float, mbq: float) -> None:
    """§1.5: 150 MBq 99mTc-MAA (T½ 6.015 h); printed 2 dp."""
    assert 150.0 * decay_factor(hours, "Tc-99m") == pytest.approx(mbq, abs=0.005)


@pytest.mark.parametrize(("hours", "percent"), [(24, 22.9), (64.1, 50.0), (72, 54.1), (168, 83.7), (264, 94.2)])
def test_fraction_of_dose_delivered(hours: float, percent: float) -> None:
    """§2.5: fraction of the Y-90 dose delivered by t, 1 − 2^(−t/T½); printed 1 dp."""
    assert 100 * fraction_of_dose_delivered(hours, "Y-90") == pytest.approx(percent, abs=0.05)


def test_b9_through_the_plan_api() -> None:
    """B9 end to end through evaluate_plan (the acceptance vector), relative 1e-10."""
    result = evaluate_plan(
        plan_from_mapping(
            {
                "device": "glass",
                "method": "partition",
                "convention": "eanm_2022",
                "target": {"compartment": "tumour", "dose_gy": 300},
                "tumour_volume_ml": 200,
                "normal_volume_ml": 800,
                "tumour_to_normal_ratio": 3,
                "lung_shunt_fraction_percent": 10,
                "density_g_ml": 1.03,
            }
        )
    )
    assert result.injected_activity_gbq == pytest.approx(3.22573429076, rel=1e-10)
    assert result.doses_gy.lung == pytest.approx(16.0222, abs=5e-5)
