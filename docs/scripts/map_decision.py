"""Which elements does a map hold? Measure the map-level decision rule.

Usage (from the repository root)::

    python docs/scripts/map_decision.py [--maps 60] [--seed 11]
        [--real ../shared/real_spectra] [--model default]

``identify_edges`` decides per pixel; a spectrum image or line scan reports
an element when it is found in at least ``min_area_fraction`` of the pixels.
This script scores that rule, for several fractions, on three kinds of map
(micro F1 and exact match over the maps' observable elements, carbon
excluded):

- simulated maps (16 x 24 pixels) of 2 or 3 phases of 1 or 2 random elements
  (plus oxygen in 60 %), a matrix with discs covering 5..50 % of the map
  each, random windows of 1024 or 2048 channels at 0.25..2 eV/channel;
- the LaMnO3/BaTiO3/SrTiO3 superlattice of ``eels-autoid demo`` (seeds 0..2);
- the labelled maps and line scans of ``--real`` (labels of the whole map).

For reference it also scores the identification of the summed spectrum of
the whole map (spikes replaced by the median of the 3 x 3 neighbours first).
"""

import argparse
import json
import warnings
from pathlib import Path

import numpy as np

FRACTIONS = (0.01, 0.02, 0.05, 0.1, 0.2)
SHAPE = (16, 24)


def _despiked(data):
    from scipy.ndimage import median_filter

    size = (3,) * (data.ndim - 1) + (1,)
    med = median_filter(data, size=size, mode="nearest")
    spike = data - med > 8 * np.sqrt(np.maximum(med, 1)) + 0.2 * np.abs(med)
    return np.where(spike, med, data)


def decisions(signal, model):
    """Map-level decisions of each rule, and the observable elements."""
    import eels_autoid
    from eels_autoid import ELEMENTS

    r = eels_autoid.identify_edges(signal, model=model, show_progressbar=False)
    area = np.array([r.area_fraction(el) for el in ELEMENTS])
    out = {f"area >= {f:g}": (area >= f) & (area > 0) for f in FRACTIONS}
    summed = signal.inav[(0,) * signal.axes_manager.navigation_dimension].deepcopy()
    data = _despiked(np.asarray(signal.data, dtype=np.float64))
    summed.data = data.reshape(-1, data.shape[-1]).sum(axis=0)
    rs = eels_autoid.identify_edges(summed, model=model, show_progressbar=False)
    out["summed spectrum"] = np.isin(ELEMENTS, rs.elements)
    return out, np.isin(ELEMENTS, r.observable)


def score(rows):
    """Micro F1, exact match, false alarms and misses of each rule over maps."""
    from eels_autoid import ELEMENTS

    carbon = ELEMENTS.index("C")
    table = {}
    for rule in rows[0][0]:
        tp = fp = fn = exact = 0
        for dec, observable, truth in rows:
            d, t = dec[rule] & observable, truth & observable
            d[carbon] = t[carbon] = False
            tp += int((d & t).sum())
            fp += int((d & ~t).sum())
            fn += int((~d & t).sum())
            exact += bool((d == t).all())
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        table[rule] = (f1, exact / len(rows), fp, fn)
    return table


def simulated_maps(n, seed):
    """Maps of a matrix and discs of other phases, with their true elements."""
    from eels_autoid.simulate import spectrum_image
    from eels_autoid.vocabulary import observable_elements

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]]
    for _ in range(n):
        scale = float(rng.choice([0.25, 0.5, 1.0, 2.0]))
        size = int(rng.choice([1024, 2048]))
        offset = float(rng.uniform(100, max(150, 2800 - scale * size)))
        pool = [e for e in observable_elements(offset, offset + scale * size) if e != "C"]
        phases = []
        for _ in range(int(rng.integers(2, 4))):
            els = [str(e) for e in rng.choice(pool, int(rng.integers(1, 3)), replace=False)]
            if rng.random() < 0.6 and "O" not in els:
                els.append("O")
            phases.append(els)
        layout = np.zeros(SHAPE, dtype=int)
        for k in range(1, len(phases)):
            radius = np.sqrt(rng.uniform(0.05, 0.5) * layout.size / np.pi)
            cy, cx = rng.uniform(0, SHAPE[0]), rng.uniform(0, SHAPE[1])
            layout[(yy - cy) ** 2 + (xx - cx) ** 2 < radius**2] = k
        s = spectrum_image(
            phases, SHAPE, layout=layout, seed=int(rng.integers(2**31)), axis=(offset, scale, size)
        )
        yield s, _truth(s)


def _truth(s):
    labels = np.asarray(s.metadata.Simulation.labels)
    return labels.reshape(-1, labels.shape[-1]).any(axis=0)


def _print(title, table, n):
    print(f"\n{title} ({n} maps)")
    print(f"{'rule':18s} {'F1':>6s} {'exact':>6s} {'false':>6s} {'missed':>6s}")
    for rule, (f1, exact, fp, fn) in table.items():
        print(f"{rule:18s} {f1:6.3f} {exact:6.3f} {fp:6d} {fn:6d}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--maps", type=int, default=60, help="simulated maps (default 60)")
    parser.add_argument("--seed", type=int, default=11, help="seed of the simulated maps")
    parser.add_argument("--real", type=Path, help="folder of labelled real spectra")
    parser.add_argument("--model", default=None, help="model (default: the bundled one)")
    args = parser.parse_args(argv)

    import hyperspy.api as hs

    from eels_autoid import ELEMENTS, load_model
    from eels_autoid.simulate import superlattice

    warnings.simplefilter("ignore")
    model = load_model(args.model)
    rows = [(*decisions(s, model), t) for s, t in simulated_maps(args.maps, args.seed)]
    _print("Simulated maps", score(rows), len(rows))
    demo = []
    for seed in range(3):
        s = superlattice(seed=seed)
        demo.append((*decisions(s, model), _truth(s)))
    _print("Demo superlattice", score(demo), len(demo))
    if args.real is not None:
        labels = json.loads((args.real / "labels.json").read_text())
        real = []
        for name, entry in labels.items():
            if not entry.get("nav_shape"):
                continue
            s = hs.load(args.real / name)
            real.append((*decisions(s, model), np.isin(ELEMENTS, entry["elements"])))
        _print(f"Real maps and line scans of {args.real}", score(real), len(real))


if __name__ == "__main__":
    main()
