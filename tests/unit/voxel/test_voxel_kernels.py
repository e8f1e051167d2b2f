"""The 90Y dose-voxel kernel: normalisation, symmetry, density scaling, anisotropy, quadrature."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nenliver.dosimetry.constants import number, numbers
from nenliver.dosimetry.voxel.kernels import (
    dpk_radial_energy_fractions,
    dpk_sphere_absorbed_fraction,
    y90_dose_voxel_kernel,
)


def test_kernel_sums_to_one_and_is_symmetric() -> None:
    k = y90_dose_voxel_kernel((4.42, 4.42, 4.42), 1.03).fractions
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert k.shape == (7, 7, 7)
    for axis in range(3):
        np.testing.assert_allclose(k, np.flip(k, axis=axis), atol=1e-15)
    assert (k >= 0).all()


def test_kernel_support_is_the_range_in_voxels() -> None:
    k = y90_dose_voxel_kernel((2.0, 2.0, 5.0), 1.0)
    # 11 mm range: ceil(11/2) = 6, ceil(11/5) = 3 voxels each side.
    assert k.fractions.shape == (13, 13, 7)
    assert k.range_mm == pytest.approx(11.0)


def test_s_values_times_mass_sum_to_the_emitted_energy() -> None:
    k = y90_dose_voxel_kernel((3.0, 3.0, 3.0), 1.04)
    s_gy_per_decay = k.s_values_mgy_per_mbq_s() * 1e-3 * 1e-6
    mass_kg = 1.04 * 27.0 / 1000.0 / 1000.0
    energy_mev = (s_gy_per_decay * mass_kg).sum() / number("joule_per_mev")
    assert energy_mev == pytest.approx(number("y90_dpk_graves2019_total_energy"), rel=1e-9)


def test_truncation_keeps_the_published_energy_fraction_within_11_mm() -> None:
    # Graves 2019 via Taranis (A9): 110 shells to 11 mm hold 99.5-99.7 % of 0.9336 MeV.
    shells = np.asarray(numbers("y90_dpk_graves2019_shell_energy"))
    assert 0.995 < shells.sum() / number("y90_dpk_graves2019_total_energy") < 0.997
    edges, frac = dpk_radial_energy_fractions(1.0)
    assert frac.sum() == pytest.approx(1.0)
    assert edges[-1] == pytest.approx(11.0)


def test_density_scaling_equals_a_water_kernel_for_larger_voxels() -> None:
    # D_rho(r) = rho^2 D_w(rho r): energy fractions for voxel h at rho equal those for rho*h in water.
    a = y90_dose_voxel_kernel((4.0, 4.0, 4.0), 1.25).fractions
    b = y90_dose_voxel_kernel((5.0, 5.0, 5.0), 1.0).fractions
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_denser_tissue_keeps_more_energy_in_the_voxel() -> None:
    low = y90_dose_voxel_kernel((4.42,) * 3, 1.0).self_fraction
    high = y90_dose_voxel_kernel((4.42,) * 3, 1.05).self_fraction
    assert high > low


def test_anisotropic_kernel_permutes_with_its_spacing() -> None:
    a = y90_dose_voxel_kernel((2.0, 3.0, 4.5), 1.03).fractions
    b = y90_dose_voxel_kernel((4.5, 2.0, 3.0), 1.03).fractions
    np.testing.assert_allclose(a, np.transpose(b, (1, 2, 0)), atol=5e-4 * a.max())


def test_quadrature_has_converged() -> None:
    for spacing in ((4.8, 4.8, 4.8), (2.0, 3.0, 4.5)):
        coarse = y90_dose_voxel_kernel(spacing, 1.03).fractions
        fine = y90_dose_voxel_kernel(spacing, 1.03, directions=8192, sub_radii=6).fractions
        big = fine > 1e-3 * fine.max()
        np.testing.assert_allclose(coarse[big], fine[big], rtol=3e-3)


def test_sphere_absorbed_fraction_grows_with_radius() -> None:
    values = [dpk_sphere_absorbed_fraction(r) for r in (2.0, 5.0, 10.0, 30.0, 100.0)]
    assert all(a < b for a, b in itertools.pairwise(values))
    assert 0 < values[0] < 0.5 < values[-1] < 1


@pytest.mark.parametrize("spacing", [(0.0, 1.0, 1.0), (1.0, 1.0)])
def test_rejects_bad_spacing(spacing: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="spacing"):
        y90_dose_voxel_kernel(spacing, 1.0)  # type: ignore[arg-type]


def test_rejects_non_positive_density() -> None:
    with pytest.raises(ValueError, match="density"):
        dpk_radial_energy_fractions(0.0)


# --- 177Lu kernel (Loevinger point-source function, draft) ------------------------------------------


def test_lu177_kernel_is_normalised_symmetric_and_marked_draft() -> None:
    from nenliver.dosimetry.voxel.kernels import dose_voxel_kernel

    kernel = dose_voxel_kernel((4.42, 4.42, 4.42), 1.04, "Lu-177")
    assert kernel.fractions.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(kernel.fractions, kernel.fractions[::-1, ::-1, ::-1])
    assert kernel.draft and kernel.nuclide == "Lu-177" and "Loevinger" in kernel.source
    assert kernel.fractions.shape == (3, 3, 3)  # range about 2 mm: one neighbour each side
    assert 0.85 < kernel.self_fraction < 0.95


def test_lu177_quadrature_has_converged() -> None:
    from nenliver.dosimetry.voxel.kernels import dose_voxel_kernel

    for spacing in ((4.8, 4.8, 4.8), (2.2, 2.2, 3.0)):
        coarse = dose_voxel_kernel(spacing, 1.04, "Lu-177").fractions
        fine = dose_voxel_kernel(spacing, 1.04, "Lu-177", directions=8192, sub_radii=6).fractions
        big = fine > 1e-3 * fine.max()
        np.testing.assert_allclose(coarse[big], fine[big], rtol=3e-3)


def test_lu177_s_values_use_the_electron_energy() -> None:
    from nenliver.dosimetry.constants import number
    from nenliver.dosimetry.voxel.kernels import dose_voxel_kernel

    kernel = dose_voxel_kernel((4.0, 4.0, 4.0), 1.04, "Lu-177")
    mass_kg = 1.04 * 0.064 / 1000.0
    total = kernel.s_values_mgy_per_mbq_s().sum() * mass_kg
    expected = number("lu177_electron_energy_per_decay") * number("joule_per_mev") * 1e6 * 1e3
    assert total == pytest.approx(expected, rel=1e-9)


def test_unknown_nuclide_is_refused() -> None:
    from nenliver.dosimetry.voxel.kernels import dose_voxel_kernel

    with pytest.raises(ValueError, match="no dose point kernel"):
        dose_voxel_kernel((4.0, 4.0, 4.0), 1.0, "I-131")
    with pytest.raises(ValueError, match="no dose point kernel"):
        dpk_radial_energy_fractions(1.0, "I-131")
