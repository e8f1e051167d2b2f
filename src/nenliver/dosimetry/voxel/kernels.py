# SPDX-License-Identifier: Apache-2.0
"""Dose-voxel kernels derived in code from published beta dose point kernels (90Y, 177Lu).

90Y: the Graves et al. (2019) EGSnrc kernel in water, given as the energy deposited per decay in
0.1 mm spherical shells (``data/voxel.yaml``). 177Lu: Loevinger's (1956) beta point-source function
for the main beta branch (end point 0.498 MeV), evaluated in 0.01 mm shells (``data/prrt.yaml``; its
parameters are not yet checked against the primary source, so the 177Lu kernel is a *draft* and says
so: tests compare it with the Lanconelli 2012 Monte Carlo voxel S values). From either, this module
builds, for any (anisotropic) voxel size and tissue density, the *energy-fraction* dose-voxel kernel
``K(Δ)``: the fraction of the energy emitted by a uniformly distributed source in one voxel that is
absorbed in the voxel at index offset ``Δ``.

.. warning:: Homogeneous-medium kernels: they do not model tissue interfaces (liver–lung, bone,
   air). Decision support for a multidisciplinary tumour board, for clinician review.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from nenliver.dosimetry.constants import number, numbers

__all__ = [
    "KERNEL_NUCLIDES",
    "DoseVoxelKernel",
    "dose_voxel_kernel",
    "dpk_radial_energy_fractions",
    "dpk_sphere_absorbed_fraction",
    "lu177_dpk_shells",
    "y90_dose_voxel_kernel",
]

_DPK = "y90_dpk_graves2019"
#: Nuclides with a dose point kernel, and whether their kernel is a draft (unverified parameters).
KERNEL_NUCLIDES = {"Y-90": False, "Lu-177": True}
_SOURCES = {
    "Y-90": "Graves SA, Flynn RT, Hyer DE. Med Phys 2019;46:5284-5293. doi:10.1002/mp.13789 (90Y, water)",
    "Lu-177": "Loevinger R. Radiology 1956;66:55-62 (beta point-source function, 177Lu E0 0.498 MeV)",
}
#: Shell width of the evaluated Loevinger function, g/cm² (0.01 mm of water): numerical setting,
#: 1/27 of the 177Lu mean electron path (0.29 mm), convergence checked by a unit test.
_LOEVINGER_SHELL_G_CM2 = 0.001
# Quadrature of the kernel integral (numerical settings, not physics): directions on a Fibonacci
# sphere (upper hemisphere folded into the octant, the kernel symmetrised over the 8 reflections), sub-radii per
# 0.1 mm DPK shell. Unit tests check convergence (no kernel value above 0.1 % of the maximum moves by
# more than 0.3 % with 2x the directions and 3x the sub-radii).
_DIRECTIONS_ON_SPHERE = 4096
_SUB_RADII_PER_SHELL = 2


@dataclass(frozen=True)
class DoseVoxelKernel:
    """Energy-fraction dose-voxel kernel for one voxel size and density.

    Attributes
    ----------
    fractions : ndarray of float64, shape (2n0+1, 2n1+1, 2n2+1)
        Fraction of the energy emitted in the centre voxel that is absorbed in each voxel; sums to 1.
    spacing_mm : tuple of float
        Voxel edge lengths along the array axes, mm.
    density_g_per_ml : float
        Density of the homogeneous medium the kernel is scaled to, g/mL.
    range_mm : float
        Support radius in the medium (90Y range in water divided by the density), mm.
    source : str
        Citation of the dose point kernel.
    nuclide : str
        ``"Y-90"`` or ``"Lu-177"``.
    draft : bool
        True when the point kernel's parameters are not yet verified against the primary source.
    """

    fractions: NDArray[np.float64]
    spacing_mm: tuple[float, float, float]
    density_g_per_ml: float
    range_mm: float
    source: str
    nuclide: str = "Y-90"
    draft: bool = False

    @property
    def half_width(self) -> tuple[int, int, int]:
        """Kernel half-widths in voxels along each axis."""
        a, b, c = (s // 2 for s in self.fractions.shape)
        return int(a), int(b), int(c)

    @property
    def self_fraction(self) -> float:
        """Fraction of the energy absorbed in the emitting voxel itself."""
        return float(self.fractions[self.half_width])

    def s_values_mgy_per_mbq_s(self, mean_energy_mev: float | None = None) -> NDArray[np.float64]:
        """Voxel S values, mGy/(MBq·s), as tabulated by MIRD Pamphlet 17 and Lanconelli 2012.

        Parameters
        ----------
        mean_energy_mev : float, optional
            Mean energy emitted per decay, MeV; defaults to the total of the Graves 2019 90Y kernel
            (0.9336 MeV) for 90Y and to the electron energy per decay (0.1479 MeV) for 177Lu.

        Returns
        -------
        ndarray of float64
            S(Δ) for every offset of :attr:`fractions`.

        Notes
        -----
        .. math:: S(\\Delta) = K(\\Delta)\\,\\bar E\\,/\\,(\\rho V_\\mathrm{voxel})

        with :math:`\\bar E` in J, the voxel mass in kg and 10⁶ decays per MBq·s, 10³ mGy per Gy.

        References
        ----------
        Bolch WE et al. MIRD Pamphlet No. 17. J Nucl Med 1999;40:11S-36S.
        Lanconelli N et al. Phys Med Biol 2012;57:517-533. doi:10.1088/0031-9155/57/2/517
        """
        if mean_energy_mev is not None:
            energy_mev = mean_energy_mev
        elif self.nuclide == "Lu-177":
            energy_mev = number("lu177_electron_energy_per_decay")
        else:
            energy_mev = number(f"{_DPK}_total_energy")
        volume_ml = float(np.prod(self.spacing_mm)) / 1000.0
        mass_kg = self.density_g_per_ml * volume_ml / 1000.0
        gy_per_decay = self.fractions * energy_mev * number("joule_per_mev") / mass_kg
        return gy_per_decay * 1e6 * 1e3


def lu177_dpk_shells() -> tuple[float, NDArray[np.float64]]:
    """Loevinger's point-source function for the 177Lu main beta branch, as energy per water shell.

    Returns
    -------
    width_mm : float
        Shell width in water (ρ = 1 g/mL), mm.
    fractions : ndarray
        Fraction of the electron energy absorbed in each shell, cut where less than
        ``dpk_truncation_energy_fraction`` of the energy lies beyond, renormalised to sum to 1.

    Notes
    -----
    With x = ρr in g/cm², ν = a (E0 − b)^(−n) cm²/g and c from ``data/prrt.yaml``, the dose at x
    from a point source is J(x) ∝ φ(νx)/(νx)², with

    .. math:: \varphi(u) = c\\left[1 - \frac{u}{c}e^{1-u/c}\right] + u\\,e^{1-u}\\ (u < c), \\qquad
              \varphi(u) = u\\,e^{1-u}\\ (u \\ge c),

    so the energy absorbed in a shell is proportional to φ(νx)·dx (the shell mass cancels the
    1/x²). The conversion- and Auger-electron energy (14.7 keV of 147.9 keV) has sub-0.1 mm ranges
    and is folded into the same shape (it lands in the first shells either way at voxel scale).

    References
    ----------
    Loevinger R. The dosimetry of beta sources in tissue: the point-source function. Radiology
    1956;66:55-62. doi:10.1148/66.1.55

    Examples
    --------
    >>> width, f = lu177_dpk_shells()
    >>> round(float(f.sum()), 6), width
    (1.0, 0.01)
    """
    nu = number("loevinger_nu_coefficient") * (
        number("lu177_beta_max_energy") - number("loevinger_nu_energy_offset")
    ) ** (-number("loevinger_nu_exponent"))
    c = number("loevinger_c")
    cut = number("dpk_truncation_energy_fraction")
    # Evaluate far enough that the remainder (an e^-u tail) is negligible, then cut at ``cut``.
    n = int(np.ceil(40.0 / nu / _LOEVINGER_SHELL_G_CM2))
    x = (np.arange(n, dtype=np.float64) + 0.5) * _LOEVINGER_SHELL_G_CM2
    u = nu * x
    phi = np.where(u < c, c * (1.0 - (u / c) * np.exp(1.0 - u / c)) + u * np.exp(1.0 - u), u * np.exp(1.0 - u))
    frac = phi / phi.sum()
    beyond = frac[::-1].cumsum()[::-1]  # energy share from each shell outwards
    kept = frac[: int(np.argmax(beyond < cut))]
    width_mm = _LOEVINGER_SHELL_G_CM2 * 10.0  # g/cm² in water (1 g/cm³) → cm → mm
    return width_mm, kept / kept.sum()


def dpk_radial_energy_fractions(
    density_g_per_ml: float = 1.0, nuclide: str = "Y-90"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shell edges and energy fractions of a DPK, truncated at the range and renormalised.

    Parameters
    ----------
    density_g_per_ml : float
        Density of the medium, g/mL; distances scale as 1/ρ (O'Connor's theorem for a homogeneous medium).
    nuclide : str
        ``"Y-90"`` (Graves 2019) or ``"Lu-177"`` (Loevinger 1956, draft; :func:`lu177_dpk_shells`).

    Returns
    -------
    edges_mm : ndarray
        Shell edges in the medium, mm (length ``n + 1``, starting at 0).
    fractions : ndarray
        Fraction of the emitted energy absorbed in each shell; sums to 1.

    Notes
    -----
    Scaling a water kernel to density ρ: :math:`D_\\rho(r) = \\rho^2 D_w(\\rho r)`, i.e. the energy
    absorbed in a shell of the medium at radius r equals that of the water shell at ρr.

    References
    ----------
    Graves SA, Flynn RT, Hyer DE. Dose point kernels for 2,174 radionuclides. Med Phys
    2019;46:5284-5293. doi:10.1002/mp.13789
    """
    if not density_g_per_ml > 0:
        raise ValueError(f"density must be positive, got {density_g_per_ml} g/mL")
    if nuclide == "Lu-177":
        width_mm, fractions = lu177_dpk_shells()
        edges_mm = np.arange(len(fractions) + 1, dtype=np.float64) * width_mm / density_g_per_ml
        return edges_mm, fractions
    if nuclide != "Y-90":
        raise ValueError(f"no dose point kernel for {nuclide!r}; known: {', '.join(KERNEL_NUCLIDES)}")
    shell_mev = np.asarray(numbers(f"{_DPK}_shell_energy"), dtype=np.float64)
    width_mm = number(f"{_DPK}_shell_width") * number(f"{_DPK}_density")  # water-equivalent mm
    range_water_mm = number("y90_max_range_water")
    n = min(len(shell_mev), round(range_water_mm / width_mm))
    kept = shell_mev[:n]
    edges_mm = np.arange(n + 1, dtype=np.float64) * width_mm / density_g_per_ml
    return edges_mm, kept / kept.sum()


def dpk_sphere_absorbed_fraction(radius_mm: float, density_g_per_ml: float = 1.0, nuclide: str = "Y-90") -> float:
    """Self-absorbed fraction of a uniform sphere from the truncated DPK (no voxels).

    Parameters
    ----------
    radius_mm : float
        Sphere radius, mm.
    density_g_per_ml : float
        Density of sphere and surroundings, g/mL.
    nuclide : str
        ``"Y-90"`` or ``"Lu-177"``.

    Returns
    -------
    float
        Fraction of the emitted energy absorbed in the sphere.

    Notes
    -----
    For a point uniformly distributed in a sphere of radius R, the probability that a point at
    distance r in a random direction is also in the sphere is (Berger 1971)

    .. math:: \\psi(r) = 1 - \\frac{3r}{4R} + \\frac{r^3}{16R^3}, \\quad r \\le 2R,

    so :math:`\\phi = \\sum_i f_i\\,\\psi(r_i)` over the DPK shells.

    References
    ----------
    Berger MJ. Distribution of absorbed dose around point sources of electrons and beta particles
    in water and other media. MIRD Pamphlet No. 7. J Nucl Med 1971;12(Suppl 5):5-23.
    """
    edges, frac = dpk_radial_energy_fractions(density_g_per_ml, nuclide)
    sub = 8
    r = edges[:-1, None] + np.diff(edges)[:, None] * ((np.arange(sub) + 0.5) / sub)[None, :]
    x = np.minimum(r / radius_mm, 2.0)
    psi = 1.0 - 0.75 * x + x**3 / 16.0
    return float((frac[:, None] * psi).sum() / sub)


def _octant_directions(count: int) -> NDArray[np.float64]:
    """Unit vectors of a Fibonacci sphere with ``count`` points, those with all components ≥ 0."""
    i = np.arange(count, dtype=np.float64) + 0.5
    polar = np.arccos(1.0 - 2.0 * i / count)
    azimuth = np.pi * (1.0 + np.sqrt(5.0)) * i
    d = np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)], axis=1)
    return np.abs(d[d[:, 2] >= 0.0])  # upper hemisphere folded into the octant: still uniform


def _deposit(
    points_vox: NDArray[np.float64], weights: NDArray[np.float64], half: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Spread weights of points (voxel units, origin at the kernel centre) trilinearly to voxels."""
    shape = 2 * half + 2  # one spare plane so corner + 1 never leaves the array
    base = np.floor(points_vox).astype(np.int64)
    frac = points_vox - base
    base += half
    strides = np.array([shape[1] * shape[2], shape[2], 1], dtype=np.int64)
    flat = base @ strides
    out = np.zeros(int(np.prod(shape)), dtype=np.float64)
    for corner in range(8):
        bits = np.array([(corner >> 2) & 1, (corner >> 1) & 1, corner & 1])
        w = weights * np.prod(np.where(bits == 1, frac, 1.0 - frac), axis=1)
        out += np.bincount(flat + int(bits @ strides), weights=w, minlength=out.size)
    return out.reshape(tuple(int(s) for s in shape))[: 2 * half[0] + 1, : 2 * half[1] + 1, : 2 * half[2] + 1]


@lru_cache(maxsize=16)
def _kernel_cached(
    spacing_mm: tuple[float, float, float], density_g_per_ml: float, directions: int, sub_radii: int, nuclide: str
) -> DoseVoxelKernel:
    spacing = np.asarray(spacing_mm, dtype=np.float64)
    edges, shell_frac = dpk_radial_energy_fractions(density_g_per_ml, nuclide)
    range_mm = float(edges[-1])
    half = np.ceil(range_mm / spacing - 1e-9).astype(np.int64)
    offsets = (np.arange(sub_radii, dtype=np.float64) + 0.5) / sub_radii
    radii = (edges[:-1, None] + np.diff(edges)[:, None] * offsets[None, :]).ravel()
    radius_weights = np.repeat(shell_frac / sub_radii, sub_radii)
    dirs = _octant_directions(directions)
    points = (radii[:, None, None] * dirs[None, :, :] / spacing).reshape(-1, 3)
    weights = np.repeat(radius_weights / len(dirs), len(dirs))
    octant = _deposit(points, weights, half)
    # The octant directions stand for all eight reflections: average them into a symmetric kernel.
    kernel = octant.copy()
    for axes in ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)):
        kernel += np.flip(octant, axis=axes)
    kernel /= kernel.sum()
    kernel.setflags(write=False)
    return DoseVoxelKernel(
        fractions=kernel,
        spacing_mm=(float(spacing[0]), float(spacing[1]), float(spacing[2])),
        density_g_per_ml=float(density_g_per_ml),
        range_mm=range_mm,
        source=_SOURCES[nuclide],
        nuclide=nuclide,
        draft=KERNEL_NUCLIDES[nuclide],
    )


def y90_dose_voxel_kernel(
    spacing_mm: tuple[float, float, float],
    density_g_per_ml: float,
    *,
    directions: int = _DIRECTIONS_ON_SPHERE,
    sub_radii: int = _SUB_RADII_PER_SHELL,
) -> DoseVoxelKernel:
    """The 90Y energy-fraction dose-voxel kernel for a voxel size and a homogeneous density.

    Parameters
    ----------
    spacing_mm : tuple of float
        Voxel edge lengths along the three array axes, mm (anisotropic voxels allowed).
    density_g_per_ml : float
        Density of the medium, g/mL (liver 1.03 by the project's convention).
    directions, sub_radii : int, optional
        Quadrature settings (number of directions on the sphere, sub-radii per 0.1 mm shell).

    Returns
    -------
    DoseVoxelKernel
        Kernel of odd shape ``2·ceil(R/Δx)+1`` per axis, R the range in the medium; sums to 1.
        Results are cached per (spacing, density).

    Notes
    -----
    With f(r) the DPK energy fraction per shell (truncated at the 90Y range in water, 11 mm, and
    renormalised so that all emitted energy is absorbed), the fraction absorbed in the target
    voxel at offset Δ from a uniform source voxel is

    .. math:: K(\\Delta) = \\int_0^R f(r) \\frac{1}{4\\pi}\\oint
              \\Lambda\\!\\left(\\frac{r\\,\\omega}{h} - \\Delta\\right) d\\omega\\, dr,
              \\qquad \\Lambda(u) = \\prod_{a}\\max(0, 1-|u_a|),

    Λ being the overlap of a voxel with its copy shifted by u (the auto-correlation of the voxel
    box). Λ is the trilinear interpolation weight, so the integral is evaluated by spreading
    points r·ω (sub-radii × Fibonacci directions) trilinearly onto the voxel lattice.
    Density scaling: distances are divided by ρ (:func:`dpk_radial_energy_fractions`).

    References
    ----------
    Graves SA, Flynn RT, Hyer DE. Dose point kernels for 2,174 radionuclides. Med Phys
    2019;46:5284-5293. doi:10.1002/mp.13789
    Bolch WE et al. MIRD Pamphlet No. 17: the dosimetry of nonuniform activity distributions:
    radionuclide S values at the voxel level. J Nucl Med 1999;40:11S-36S.

    Examples
    --------
    >>> k = y90_dose_voxel_kernel((4.42, 4.42, 4.42), 1.0)
    >>> k.fractions.shape, round(k.self_fraction, 2)
    ((7, 7, 7), 0.4)
    """
    return dose_voxel_kernel(spacing_mm, density_g_per_ml, "Y-90", directions=directions, sub_radii=sub_radii)


def dose_voxel_kernel(
    spacing_mm: tuple[float, float, float],
    density_g_per_ml: float,
    nuclide: str,
    *,
    directions: int = _DIRECTIONS_ON_SPHERE,
    sub_radii: int = _SUB_RADII_PER_SHELL,
) -> DoseVoxelKernel:
    """The energy-fraction dose-voxel kernel of ``nuclide`` (see :func:`y90_dose_voxel_kernel`).

    Parameters
    ----------
    spacing_mm : tuple of float
        Voxel edge lengths, mm.
    density_g_per_ml : float
        Density of the homogeneous medium, g/mL.
    nuclide : str
        A key of :data:`KERNEL_NUCLIDES` (``"Y-90"``, ``"Lu-177"``).
    directions, sub_radii : int, optional
        Quadrature settings.

    Returns
    -------
    DoseVoxelKernel
        Sums to 1; ``draft`` is set for 177Lu (Loevinger parameters unverified).

    Examples
    --------
    >>> k = dose_voxel_kernel((4.8, 4.8, 4.8), 1.04, "Lu-177")
    >>> k.fractions.shape, k.draft
    ((3, 3, 3), True)
    """
    if len(spacing_mm) != 3 or not all(s > 0 for s in spacing_mm):
        raise ValueError(f"spacing must be three positive lengths in mm, got {spacing_mm}")
    if nuclide not in KERNEL_NUCLIDES:
        raise ValueError(f"no dose point kernel for {nuclide!r}; known: {', '.join(KERNEL_NUCLIDES)}")
    key = tuple(round(float(s), 6) for s in spacing_mm)
    return _kernel_cached((key[0], key[1], key[2]), round(float(density_g_per_ml), 6), directions, sub_radii, nuclide)
