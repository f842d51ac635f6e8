"""Synthetic core-loss spectra built straight from the GOS cross-sections (no exspy model).

Counts per channel J(E) = sum_j LL_j * sum_el N_el sigma_el(E - e_j) dE + background,
the single-scattering edges convolved with the low loss by a direct sum, so
that quantify's model (exspy components, FFT convolution) is checked against
an independent computation.
"""

import numpy as np

from eels_autoid.gos import cross_section

BEAM_ENERGY, COLLECTION_ANGLE = 200.0, 20.0
# The same settings as the spectrum model takes them.
SETTINGS = {
    "beam_energy": BEAM_ENERGY,
    "collection_angle": COLLECTION_ANGLE,
    "convergence_angle": 0.0,
}
ATOMS_PER_NM2 = 1e10  # per barn

# Core-loss and low-loss windows (eV) and the two elements of the synthetic
# spectra: areal densities (atoms/nm^2) and the subshells exspy fits there.
ENERGY = 350.0 + np.arange(600.0)
LL_ENERGY = -20.0 + np.arange(160.0)
AMOUNTS = {"O": (300.0, ["K"]), "Ti": (100.0, ["L3", "L2", "L1"])}


def element_cross_section(element, subshells, energy):
    """Sum of the subshells' cross-sections (barn/eV) on any energy array."""
    return sum(
        cross_section(element, sub, energy, BEAM_ENERGY, COLLECTION_ANGLE) for sub in subshells
    )


def low_loss_spectrum(energy, total=1e6, thickness=0.2):
    """Zero-loss peak at 0 eV plus a plasmon at 22 eV (Poisson weights for t/lambda)."""
    zlp = np.exp(-0.5 * (energy / 0.8) ** 2)
    plasmon = np.exp(-0.5 * ((energy - 22.0) / 5.0) ** 2)
    ll = np.exp(-thickness) * zlp / zlp.sum() + thickness * np.exp(-thickness) * plasmon / (
        plasmon.sum()
    )
    return total * ll / ll.sum()


def core_loss(
    energy,
    amounts,
    *,
    ll_energy=None,
    ll=None,
    incident=1e10,
    background=(2e4, 3.0),
    seed=0,
    nav_shape=(),
    noise=True,
):
    """Core-loss counts for ``amounts`` = {element: (areal density atoms/nm^2, subshells)}.

    Without a low loss, the edges are those of ``incident`` electrons, not convolved.
    """
    step = energy[1] - energy[0]
    if ll is None:
        ll_energy, ll = np.array([0.0]), np.array([float(incident)])
    shifted = energy[:, None] - ll_energy[None, :]
    ssd = sum(
        n / ATOMS_PER_NM2 * element_cross_section(el, subs, shifted)
        for el, (n, subs) in amounts.items()
    )
    edges = (ssd * ll[None, :]).sum(axis=1) * step
    a, r = background
    clean = edges + a * (energy / energy[0]) ** -r
    clean = np.broadcast_to(clean, (*nav_shape, len(energy)))
    if not noise:
        return np.array(clean, dtype=float)
    return np.random.default_rng(seed).poisson(clean).astype(float)


def eels_signal(data, offset, scale, *, microscope=True, cls=None):
    """An exspy EELS signal with an eV axis (and the microscope settings)."""
    import exspy

    cls = cls or exspy.signals.EELSSpectrum
    s = cls(data)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units, ax.name = offset, scale, "eV", "Energy loss"
    if microscope:
        s.set_microscope_parameters(
            beam_energy=BEAM_ENERGY, convergence_angle=0.0, collection_angle=COLLECTION_ANGLE
        )
    return s
