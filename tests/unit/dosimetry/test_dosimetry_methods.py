"""Unit tests of the single-compartment, partition, BSA and holmium formulas."""

from __future__ import annotations

import pytest

from nenliver.dosimetry.bsa import bsa_activity_gbq, dubois_bsa_m2, shunt_reduction_percent
from nenliver.dosimetry.conventions import (
    dose_constant_gy_kg_per_gbq,
    effective_convention,
    nuclide_for_device,
)
from nenliver.dosimetry.enums import CompartmentKind, ConventionKind, DeviceKind
from nenliver.dosimetry.holmium import holmium_dose_gy, holmium_standard_activity_gbq
from nenliver.dosimetry.mird import (
    activity_for_lung_dose_gbq,
    lung_dose_gy,
    single_compartment_activity_gbq,
    single_compartment_dose_gy,
    vial_activity_gbq,
)
from nenliver.dosimetry.partition import partition_activity_gbq, partition_doses_gy


@pytest.mark.parametrize(
    ("convention", "expected"),
    [
        (ConventionKind.EANM_2022, 49.67),
        (ConventionKind.THERASPHERE_IFU, 50.0),
        (ConventionKind.AAPM_MPPG14A, 49.38),
        (None, 49.67),
    ],
)
def test_yttrium_dose_constant_follows_the_named_convention(convention: ConventionKind | None, expected: float) -> None:
    assert dose_constant_gy_kg_per_gbq(DeviceKind.GLASS, convention) == expected


def test_holmium_always_uses_its_own_constant() -> None:
    assert dose_constant_gy_kg_per_gbq(DeviceKind.HOLMIUM, ConventionKind.THERASPHERE_IFU) == 15.87
    assert effective_convention(DeviceKind.HOLMIUM, None) is ConventionKind.HO166_STANDARD


def test_nuclides() -> None:
    assert nuclide_for_device(DeviceKind.GLASS) == "Y-90"
    assert nuclide_for_device(DeviceKind.HOLMIUM) == "Ho-166"


def test_single_compartment_round_trip() -> None:
    activity = single_compartment_activity_gbq(120.0, 1.2, 0.08, 49.67)
    assert single_compartment_dose_gy(activity, 1.2, 0.08, 49.67) == pytest.approx(120.0)


def test_residual_reduces_the_dose_of_a_vial_activity() -> None:
    vial = vial_activity_gbq(2.0, 0.1)
    assert single_compartment_dose_gy(vial, 1.0, 0.0, 50.0, residual_fraction=0.1) == pytest.approx(100.0)


def test_lung_cap_is_infinite_without_shunt() -> None:
    assert activity_for_lung_dose_gbq(30.0, 0.0, 1.0, 50.0) == float("inf")
    assert activity_for_lung_dose_gbq(-5.0, 0.1, 1.0, 50.0) == 0.0


def test_lung_dose_scales_inversely_with_lung_mass() -> None:
    assert lung_dose_gy(2.0, 0.1, 0.5, 50.0) == pytest.approx(2 * lung_dose_gy(2.0, 0.1, 1.0, 50.0))


@pytest.mark.parametrize("compartment", list(CompartmentKind))
def test_partition_hits_the_prescribed_dose(compartment: CompartmentKind) -> None:
    args = (0.3, 0.9, 4.0, 0.07, 49.67)
    activity = partition_activity_gbq(compartment, 120.0, *args)
    doses = partition_doses_gy(activity, *args, 1.0)
    got = {
        CompartmentKind.TUMOUR: doses.tumour_gy,
        CompartmentKind.NORMAL_LIVER: doses.normal_liver_gy,
        CompartmentKind.PERFUSED: doses.perfused_mean_gy,
    }[compartment]
    assert got == pytest.approx(120.0)


def test_partition_tumour_to_normal_is_a_concentration_ratio() -> None:
    doses = partition_doses_gy(3.0, 0.2, 0.8, 5.0, 0.0, 50.0, 1.0)
    assert doses.tumour_gy / doses.normal_liver_gy == pytest.approx(5.0)
    # activity ratio A_T/A_N = (T/N)·M_T/M_N = 1.25, not 5
    assert (doses.tumour_gy * 0.2) / (doses.normal_liver_gy * 0.8) == pytest.approx(1.25)


def test_dubois_bsa_uses_metres() -> None:
    assert dubois_bsa_m2(170.0, 70.0) == pytest.approx(1.8097, abs=5e-5)


def test_bsa_activity_without_tumour() -> None:
    assert bsa_activity_gbq(170.0, 70.0, 0.0, 1500.0) == pytest.approx(1.6097, abs=5e-5)


@pytest.mark.parametrize(
    ("lsf", "reduction"),
    [(0.0, 0.0), (9.99, 0.0), (10.0, 20.0), (14.99, 20.0), (15.0, 40.0), (19.99, 40.0), (20.0, 40.0)],
)
def test_shunt_reduction_bands(lsf: float, reduction: float) -> None:
    assert shunt_reduction_percent(lsf) == reduction


@pytest.mark.parametrize("lsf", [20.01, 35.0, 99.0])
def test_shunt_above_twenty_percent_has_no_band(lsf: float) -> None:
    assert shunt_reduction_percent(lsf) is None


def test_holmium_standard_convention_gives_about_sixty_gray() -> None:
    activity = holmium_standard_activity_gbq(1.7)
    assert holmium_dose_gy(activity, 1.7) == pytest.approx(60.0, rel=1e-3)
