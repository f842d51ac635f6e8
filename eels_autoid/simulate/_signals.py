"""HyperSpy wrappers: simulated spectra and spectrum images as exspy ``EELSSpectrum``.

One call shares one energy axis and one microscope setting (drawn unless
given), stored where exspy expects them; the per-spectrum truth lives in
``metadata.Simulation`` as arrays over the navigation axes.
"""

from __future__ import annotations

import json

import numpy as np

from ..vocabulary import ELEMENTS
from ._core import simulate_batch
from ._parameters import draw, resolve_parameters
from ._window import draw_windows

# Per-spectrum truth stored as plain arrays in the metadata.
_SCALAR_TRUTH = (
    "edge_ratio",
    "main_onset",
    "main_width",
    "edge_scale",
    "background_level",
    "background_exponent",
    "lowloss_intensity",
    "instrument_shift",
    "scale_error",
    "zlp_fwhm",
    "zlp_lorentz_fraction",
    "plasmon_energy",
    "plasmon_width",
    "second_energy",
    "second_width",
    "second_weight",
    "thickness",
    "plasmon_to_background",
    "psf_gaussian_fwhm",
    "psf_lorentzian_hwhm",
    "gain_noise",
    "readout_noise",
    "dark_error",
)


def _setting_overrides(rng, params, beam_energy, collection_angle, convergence_angle, axis):
    """Pin one microscope setting and one acquisition window for a whole call."""
    win = draw_windows(rng, 1, params)
    if axis is not None:
        offset, scale, size = axis
        win.update(
            offset=np.array([float(offset)]),
            scale=np.array([float(scale)]),
            size=np.array([int(size)]),
        )
    e0 = (
        beam_energy
        if beam_energy is not None
        else float(rng.choice(np.atleast_1d(params.beam_energy)))
    )
    beta = (
        collection_angle
        if collection_angle is not None
        else float(draw(rng, "collection_angle", params, 1)[0])
    )
    alpha = (
        convergence_angle
        if convergence_angle is not None
        else float(draw(rng, "convergence_angle", params, 1)[0])
    )
    o, d, n = float(win["offset"][0]), float(win["scale"][0]), int(win["size"][0])
    return {
        "beam_energy": (float(e0),),
        "collection_angle": (beta, beta),
        "convergence_angle": (alpha, alpha),
        "dispersion": (d, d),
        "channels": (n, n),
        "window_start_mode": (0.0, 0.0, 1.0),
        "start_core": (o, o),
        "max_energy": max(params.max_energy, o + d * (n + 1)),
        "instrument_shift": (float(win["shift"][0]),) * 2,
        "scale_error": (float(win["scale_error"][0]),) * 2,
    }


def _to_signal(sim, nav_shape, seed):
    import exspy

    n = sim["counts"].shape[0]
    size = int(sim["size"][0])
    data = sim["counts"][:, :size].reshape(*nav_shape, size)
    s = exspy.signals.EELSSpectrum(data)
    ax = s.axes_manager.signal_axes[0]
    ax.name, ax.units = "Energy loss", "eV"
    ax.offset, ax.scale = float(sim["offset"][0]), float(sim["scale"][0])
    for i, nav in enumerate(s.axes_manager.navigation_axes):
        nav.name = ("x", "y", "z")[i] if len(nav_shape) > 1 else "spectrum"
    t = sim["truth"]
    s.set_microscope_parameters(
        beam_energy=float(t["beam_energy"][0]),
        convergence_angle=float(t["convergence_angle"][0]),
        collection_angle=float(t["collection_angle"][0]),
    )
    y = sim["labels"]
    present = [el for k, el in enumerate(ELEMENTS) if y[:, k].any()]
    s.metadata.General.title = "Simulated EELS (eels_autoid.simulate)"
    if present:
        s.metadata.set_item("Sample.elements", present)
    shape = (*nav_shape,)
    comp = np.zeros((n, len(ELEMENTS)))
    shift = np.full((n, len(ELEMENTS)), np.nan)
    for i, c in enumerate(t["composition"]):
        for e in c:
            comp[i, ELEMENTS.index(e["element"])] = e["fraction"]
            shift[i, ELEMENTS.index(e["element"])] = e["chemical_shift"]
    md = {
        "seed": -1 if seed is None else seed,
        "elements": list(ELEMENTS),
        "labels": y.reshape(*shape, len(ELEMENTS)),
        "composition": comp.reshape(*shape, len(ELEMENTS)),
        "chemical_shift": shift.reshape(*shape, len(ELEMENTS)),
        "main_edge": np.array(t["main_edge"]).reshape(shape),
        "negative_drawn": np.asarray(t["negative_drawn"]).reshape(shape),
        # Every edge window: onset (recorded eV), width, signal and background
        # counts, detected; one JSON list per spectrum.
        "edges": json.dumps(t["edges"]),
        "parameters": json.dumps(sim["parameters"].to_dict()),
    }
    for k in _SCALAR_TRUTH:
        md[k] = np.asarray(t[k], dtype=float).reshape(shape)
    s.metadata.set_item("Simulation", md)
    return s


def spectra(
    n,
    *,
    elements=None,
    seed=None,
    beam_energy=None,
    collection_angle=None,
    convergence_angle=None,
    axis=None,
    noise=True,
    bank=None,
    **parameters,
):
    """Simulated core-loss spectra as an exspy ``EELSSpectrum`` with a navigation axis of length n.

    Parameters
    ----------
    n : int
    elements : sequence of str or dict, optional
        A fixed composition for all spectra (``["Mn", "O"]`` or
        ``{"Mn": 1, "O": 1}``); drawn per spectrum otherwise.
    seed : int, optional
        Same seed, same spectra.
    beam_energy, collection_angle, convergence_angle : float, optional
        kV and mrad; drawn once for the call when not given.
    axis : (offset, scale, size), optional
        The recorded energy axis (eV); drawn once for the call otherwise.
    noise : bool
        False gives the noiseless expected counts.
    bank : CrossSectionBank, optional
    **parameters
        Any :class:`~eels_autoid.simulate.SimulationParameters` field.

    Returns
    -------
    exspy.signals.EELSSpectrum
        Microscope settings in ``metadata.Acquisition_instrument``, the
        labelled elements in ``metadata.Sample.elements`` and the truth per
        spectrum in ``metadata.Simulation``: ``labels`` (n, 80),
        ``composition`` (atomic fractions, n x 80), ``chemical_shift``,
        ``main_edge``, ``edge_ratio``, ``edges`` (JSON) and every drawn
        parameter.
    """
    rng = np.random.default_rng(seed)
    params = resolve_parameters(None, **parameters)
    pinned = _setting_overrides(rng, params, beam_energy, collection_angle, convergence_angle, axis)
    sim = simulate_batch(
        n, rng=rng, elements=elements, parameters=params.replace(**pinned), bank=bank, noise=noise
    )
    return _to_signal(sim, (n,), seed)


def spectrum_image(
    phases,
    shape,
    *,
    layout=None,
    seed=None,
    beam_energy=None,
    collection_angle=None,
    convergence_angle=None,
    axis=None,
    noise=True,
    bank=None,
    **parameters,
):
    """A simulated spectrum image with per-pixel truth.

    Parameters
    ----------
    phases : sequence of (sequence of str or dict)
        The compositions, e.g. ``[{"La": 1, "Mn": 1, "O": 3}, {"Sr": 1, "Ti": 1, "O": 3}]``.
    shape : (int, int) or int
        Navigation shape (rows, columns), or a length for a line scan.
    layout : array_like of int, optional
        Phase index per pixel, of ``shape``; by default vertical stripes of
        equal width, one per phase, repeated (a superlattice).
    seed : int, optional
    beam_energy, collection_angle, convergence_angle, axis, noise, bank, **parameters
        As in :func:`spectra`. The background level, thickness and edge
        ratio of each phase are drawn once and vary by +-10 % from pixel to
        pixel, as in a real map; the background exponent, the energy offset
        and scale error and the resolution (zero-loss peak, PSF) are the
        same in every pixel.

    Returns
    -------
    exspy.signals.EELSSpectrum
    """
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    rng = np.random.default_rng(seed)
    params = resolve_parameters(None, **parameters)
    pinned = _setting_overrides(rng, params, beam_energy, collection_angle, convergence_angle, axis)
    if layout is None:
        cols = np.arange(shape[-1])
        width = max(1, shape[-1] // (2 * len(phases)))
        layout = np.broadcast_to((cols // width) % len(phases), shape)
    layout = np.asarray(layout).reshape(-1)
    n = layout.size
    # Drawn once per map: one specimen (background, thickness; level and
    # thickness are jittered per pixel below) seen through one resolution (the
    # energy axis, offset and scale error are pinned with the setting).
    common = {}
    for name in (
        "background_level",
        "background_exponent",
        "thickness",
        "zlp_fwhm",
        "psf_gaussian_fwhm",
        "psf_lorentzian_hwhm",
    ):
        v = float(draw(rng, name, params, 1)[0])
        common[name] = (v, v)
    p = params.replace(**pinned, **common)
    level = float(p.background_level[0])
    t_lambda = float(p.thickness[0])
    ratios = draw(rng, "edge_ratio", params, len(phases))
    sims = []
    for k in range(len(phases)):
        idx = np.nonzero(layout == k)[0]
        if not len(idx):
            continue
        r = ratios[k]
        sim = simulate_batch(
            len(idx),
            rng=rng,
            elements=phases[k],
            parameters=p.replace(
                edge_ratio=(0.9 * r, 1.1 * r),
                background_level=(0.9 * level, 1.1 * level),
                thickness=(0.9 * t_lambda, 1.1 * t_lambda),
            ),
            bank=bank,
            noise=noise,
        )
        sims.append((idx, sim))
    merged = _merge(sims, n)
    return _to_signal(merged, shape, seed)


def superlattice(shape=(24, 48), *, seed=None, period=8, **parameters):
    """A LaMnO3 / BaTiO3 / SrTiO3 superlattice map like Fig. 7 of Annys et al. (2023).

    Layers of ``period`` columns each repeat LaMnO3, BaTiO3, SrTiO3 across the
    map; by default 400..1000 eV at 0.5 eV/channel (Ti L2,3, O K, Mn L2,3,
    Ba M4,5 and La M4,5; Sr has no edge there and is not a label), with the
    dose of a typical core-loss map: 2,000..20,000 counts per channel at
    400 eV (the simulator's full range, 1e2..1e7, includes maps in which no
    La M4,5 edge could be seen in a single pixel). Any simulation parameter
    can be overridden by keyword.
    """
    phases = [{"La": 1, "Mn": 1, "O": 3}, {"Ba": 1, "Ti": 1, "O": 3}, {"Sr": 1, "Ti": 1, "O": 3}]
    cols = np.arange(shape[-1])
    layout = np.broadcast_to((cols // period) % 3, shape)
    parameters.setdefault("axis", (400.0, 0.5, 1200))
    parameters.setdefault("edge_ratio", (0.3, 1.0))
    parameters.setdefault("background_level", (2e3, 2e4))
    return spectrum_image(phases, shape, layout=layout, seed=seed, **parameters)


def _merge(sims, n):
    """Put per-phase simulations back in pixel order."""
    size = max(int(s["size"][0]) for _, s in sims)
    counts = np.zeros((n, size), dtype=np.float32)
    labels = np.zeros((n, len(ELEMENTS)), dtype=np.uint8)
    truth = {}
    for idx, s in sims:
        counts[idx, : s["counts"].shape[1]] = s["counts"]
        labels[idx] = s["labels"]
        for k, v in s["truth"].items():
            if isinstance(v, list):
                truth.setdefault(k, [None] * n)
                for j, i in enumerate(idx):
                    truth[k][i] = v[j]
            else:
                truth.setdefault(k, np.zeros(n, dtype=np.asarray(v).dtype))
                truth[k][idx] = v
    first = sims[0][1]
    return {
        "counts": counts,
        "labels": labels,
        "truth": truth,
        "offset": first["offset"],
        "scale": first["scale"],
        "size": first["size"],
        "parameters": first["parameters"],
    }
