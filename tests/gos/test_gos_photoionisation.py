"""Cross-sections in the dipole limit against independent photoionisation cross-sections.

At small scattering angles the energy-differential cross-section follows from
the optical oscillator strength (Bethe):

    dsigma/dE = 4 pi a0^2 R^2 / (E T) * df/dE * ln(1 + beta^2 / theta_E^2),

with T = m0 v^2 / 2 and theta_E = E / (gamma m0 v^2), and df/dE is what
photoabsorption measures: sigma_photo = (pi e^2 hbar / (2 eps0 m0 c)) df/dE
(109.8 Mb eV).
Relative quantification lives on the ratios between edges of different
families, so every family (K, L2,3 and M4,5, light to heavy elements) must
land on the same absolute scale.

Reference: subshell photoionisation cross-sections of the RTAB tables
(relativistic Hartree-Fock-Slater, Kissel), as xraylib 4.3 returns them
(``CS_Photo_Partial``), converted to barn per atom; independent of this
package's LDA atom and GOS integration.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import constants as c

from eels_autoid.gos import cross_section

# (element, subshells, energy loss eV, summed photoionisation cross-section barn/atom);
# each energy lies 100..500 eV above the onset, clear of delayed maxima.
PHOTOIONISATION = [
    ("O", ("K",), 700.0, 2.8128e5),
    ("Al", ("K",), 1800.0, 1.2118e5),
    ("Ti", ("L3", "L2"), 600.0, 7.9781e5 + 4.0451e5),
    ("Fe", ("L3", "L2"), 850.0, 6.2700e5 + 3.2011e5),
    ("Zr", ("M5", "M4"), 400.0, 1.7950e6 + 1.2091e6),
    ("Pd", ("M5", "M4"), 600.0, 1.3593e6 + 9.1902e5),
    ("La", ("M5", "M4"), 1050.0, 9.1041e5 + 6.2182e5),
    ("Ir", ("M5", "M4"), 2500.0, 3.5924e5 + 2.5387e5),
]
BEAM_ENERGY = 200.0  # kV
# Small enough for the dipole limit (q well below the inverse orbital radius).
COLLECTION_ANGLE = 1.0  # mrad


def _kinematics():
    """(T = m0 v^2 / 2 in eV, gamma m0 v^2 in eV) of the beam."""
    m0c2 = c.m_e * c.c**2 / c.e  # eV
    gamma = 1.0 + BEAM_ENERGY * 1e3 / m0c2
    v2 = 1.0 - 1.0 / gamma**2  # (v / c)^2
    return 0.5 * m0c2 * v2, gamma * m0c2 * v2


def _dipole_cross_section(energy, photo_barn):
    """Bethe's small-angle cross-section (barn/eV) from a photoionisation cross-section."""
    t, gmv2 = _kinematics()
    theta_e = energy / gmv2  # rad
    a0_barn = c.physical_constants["Bohr radius"][0] ** 2 / 1e-28
    rydberg = c.physical_constants["Rydberg constant times hc in eV"][0]
    # sigma_photo per unit df/dE (barn eV): pi e^2 hbar / (2 eps0 m0 c).
    photo_per_oscillator = np.pi * c.e**2 * c.hbar / (2 * c.epsilon_0 * c.m_e * c.c) / 1e-28 / c.e
    df_de = photo_barn / photo_per_oscillator
    angle = COLLECTION_ANGLE * 1e-3
    return (
        4.0 * np.pi * a0_barn * rydberg**2 / (energy * t) * df_de * np.log1p((angle / theta_e) ** 2)
    )


def _ratios():
    out = {}
    for element, subshells, energy, photo in PHOTOIONISATION:
        ours = sum(
            float(cross_section(element, sub, np.array([energy]), BEAM_ENERGY, COLLECTION_ANGLE)[0])
            for sub in subshells
        )
        out[f"{element} {'+'.join(subshells)}"] = ours / _dipole_cross_section(energy, photo)
    return out


def test_every_edge_family_on_the_photoionisation_scale():
    """Absolute: each edge within 10 % of the photoionisation prediction."""
    ratios = _ratios()
    off = {k: round(v, 3) for k, v in ratios.items() if abs(v - 1.0) > 0.10}
    assert not off, off


def test_edge_ratios_between_families_agree_with_photoionisation():
    """Relative (what quantification uses): every edge within 7 % of the others' median."""
    ratios = _ratios()
    median = float(np.median(list(ratios.values())))
    off = {k: round(v / median, 3) for k, v in ratios.items() if abs(v / median - 1.0) > 0.07}
    assert not off, off


@pytest.mark.parametrize("angle", [0.5, 2.0])
def test_dipole_limit_holds_at_small_angles(angle):
    """The comparison is in the dipole regime: the ratio to the Bethe form does not move."""
    element, subshells, energy, _ = PHOTOIONISATION[0]
    at = {
        a: float(cross_section(element, subshells[0], np.array([energy]), BEAM_ENERGY, a)[0])
        for a in (angle, COLLECTION_ANGLE)
    }
    theta_e = energy / _kinematics()[1] * 1e3  # mrad
    bethe = np.log1p((angle / theta_e) ** 2) / np.log1p((COLLECTION_ANGLE / theta_e) ** 2)
    assert at[angle] / at[COLLECTION_ANGLE] == pytest.approx(bethe, rel=0.03)
