"""Figure for docs/gos.rst: bundled GOS cross-sections and an optical-limit check.

Top row: d sigma / dE (barn/eV, 200 kV, 20 mrad) of Fe L2,3, Ba M4,5 and
Au M4,5 from eels_autoid's tables, beside exspy's hydrogenic GOS where it
exists (Fe L2,3). Bottom row: the optical limit df/dE(q -> 0) of the same
tables against photoabsorption from xraydb (Elam tables): the subshell part
of the photoabsorption cross-section, sigma(E) (1 - 1/J) with J the product
of the partners' jump ratios, converted with
``sigma_photo [Mb] = 109.76 df/dE [1/eV]``.

Run from the repository root::

    python docs/scripts/plot_gos_cross_sections.py

It writes ``docs/_static/gos_cross_sections.png`` and prints the ratios it
plots.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from eels_autoid import vocabulary  # noqa: E402
from eels_autoid.gos import cross_section, gosh_file, subshell_table  # noqa: E402
from eels_autoid.gos._gosh import read_table  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "_static" / "gos_cross_sections.png"
MB_PER_DFDE = 109.7617  # Mb per (1/eV)
EDGES = [("Fe", ("L3", "L2")), ("Ba", ("M5", "M4")), ("Au", ("M5", "M4"))]
E0, BETA = 200.0, 20.0


def hydrogenic(element, subshells, E):
    """exspy's hydrogenic cross-section (barn/eV), or None where it has none.

    exspy's hydrogenic L GOS (Egerton's SIGMAL) describes the whole L shell
    from the L3 onset: only the first subshell's component is used.
    """
    try:
        from exspy.components import EELSCLEdge
    except ImportError:
        return None
    logging.disable(logging.WARNING)
    try:
        c = EELSCLEdge(f"{element}_{subshells[0]}", GOS="hydrogenic")
        c.set_microscope_parameters(E0=E0, alpha=0.0, beta=BETA, energy_scale=1.0)
        return c.function(E)
    except (ValueError, KeyError, NotImplementedError):
        return None
    finally:
        logging.disable(logging.NOTSET)


def optical_ours(element, subshells, E):
    """df/dE (1/eV) of the tables at the smallest q, partners at their onsets."""
    onsets = vocabulary.subshell_onsets(element)
    total = np.zeros_like(E)
    for sub in subshells:
        name, ratio = subshell_table(sub)
        t = read_table(gosh_file(), element, name)
        rel = E - onsets[sub]
        total += np.where(rel >= 0, ratio * np.interp(rel, t.rel_energies, t.gos[:, 0]), 0.0)
    return total


def _photo_mb(element, E):
    import xraydb

    mu = xraydb.mu_elam(element, np.asarray(E, dtype=float), kind="photo")  # cm^2/g
    return mu * xraydb.atomic_mass(element) / 6.02214076e23 * 1e18


def optical_xraydb(element, subshells, E):
    """Subshell photoabsorption (as df/dE, 1/eV) from xraydb's Elam tables.

    The total photoabsorption cross-section minus a power law fitted over
    the 150 eV below the first partner's onset and extrapolated (the shells
    bound less tightly), converted with sigma [Mb] = 109.76 df/dE [1/eV].
    """
    onsets = vocabulary.subshell_onsets(element)
    lo = min(onsets[s] for s in subshells)
    pre = np.linspace(lo - 150.0, lo - 5.0, 30)
    slope, icpt = np.polyfit(np.log(pre), np.log(_photo_mb(element, pre)), 1)
    background = np.exp(icpt + slope * np.log(E))
    return (_photo_mb(element, E) - background) / MB_PER_DFDE


def main():
    warnings.filterwarnings("ignore")
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), constrained_layout=True)
    for col, (element, subs) in enumerate(EDGES):
        onsets = vocabulary.subshell_onsets(element)
        lo = min(onsets[s] for s in subs)
        E = np.arange(lo - 30.0, lo + 600.0, 1.0)
        ours = sum(cross_section(element, s, E, E0, BETA) for s in subs)
        ax = axes[0, col]
        ax.plot(E, ours, label="eels_autoid (LDA)")
        hyd = hydrogenic(element, subs, E)
        if hyd is not None:
            ax.plot(E, hyd, "--", label="exspy hydrogenic")
            w = (E >= lo) & (E < lo + 100)
            print(f"{element}: hydrogenic / ours over 100 eV = {hyd[w].sum() / ours[w].sum():.3f}")
        ax.set_title(
            f"{element} {subs[1][0]}{subs[1][1:]},{subs[0][1:]}  ({E0:.0f} kV, {BETA:.0f} mrad)"
        )
        ax.set_xlabel("energy loss (eV)")
        ax.set_ylabel("dσ/dE (barn/eV)")
        ax.legend(fontsize=8)

        # up to the next deeper subshell (its absorption would be counted too)
        hi = min(
            [e for e in onsets.values() if e > max(onsets[s] for s in subs) + 5],
            default=lo + 2500.0,
        )
        E2 = np.geomspace(max(onsets[s] for s in subs) + 10.0, min(hi - 5.0, lo + 2500.0), 60)
        opt = optical_ours(element, subs, E2)
        ax = axes[1, col]
        ax.plot(E2, opt, label="eels_autoid, q → 0")
        try:
            xr = optical_xraydb(element, subs, E2)
            ax.plot(E2, xr, "--", label="xraydb photoabsorption (edge part)")
            r = opt / xr
            picks = np.unique(np.linspace(0, E2.size - 1, 5).astype(int))
            print(
                f"{element}: optical ours/xraydb at "
                + ", ".join(f"{E2[i]:.0f} eV: {r[i]:.2f}" for i in picks)
            )
        except ImportError:
            pass
        ax.set_xlabel("energy loss (eV)")
        ax.set_ylabel("df/dE (1/eV)")
        ax.set_ylim(bottom=0)
        ax.set_title("optical limit", fontsize=9)
        ax.legend(fontsize=8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=70)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
