"""Choose the residual search's rise threshold on simulated spectra, and measure it.

Usage:
    python docs/scripts/fit_search.py [N_CALLS] [SPECTRA_PER_CALL] [--save PREFIX]
    python docs/scripts/fit_search.py --real DIR [--save PREFIX]

Simulates spectra of drawn compositions, windows and instruments
(eels_autoid.simulate.spectra, default parameters), identifies each with the
check, then runs the search's statistics (eels_autoid.identification._search)
with the confirmed elements: per element tried, the rise correlation at its
onset, its evidence and its rivals'. Prints each element that passes the
look-elsewhere corrected evidence, and, per rise threshold, how many of
those the search would suggest that are labelled, present below the labels'
detection rule, or absent. With --real DIR, the same on a labelled folder,
per half (eels_autoid.evaluation.folder_half). Writes the counts at the
chosen threshold (MIN_RISE) into docs/tables/search_suggestions.csv; --save
also writes the rows as PREFIX_<set>.npy.
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np

from eels_autoid import identify_edges
from eels_autoid.identification._search import MIN_RISE, search_statistics, search_threshold
from eels_autoid.simulate import spectra
from eels_autoid.vocabulary import ELEMENTS, element_index

RISES = (0.4, 0.5, 0.6, 0.7, 0.8)


def _statistics(s, present):
    """(rise, evidence, rivals, threshold, network probability, presence) per element tried."""
    from eels_autoid._microscope import recorded_settings
    from eels_autoid.spectrum_model import DEFAULT_MICROSCOPE

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_edges(s, search=False)
    check = result.check
    if check is None or check.fallback:
        return []
    ax = s.axes_manager.signal_axes[0]
    energy = ax.offset + ax.scale * np.arange(ax.size)
    data = np.asarray(s.data, dtype=float)
    if data.ndim > 1:
        data = data.reshape(-1, data.shape[-1]).sum(axis=0)
    n, families, stats = search_statistics(
        energy,
        data,
        check.elements,
        recorded_settings(s, DEFAULT_MICROSCOPE),
        check.offset,
        min_rise=min(RISES),
        max_fitted=99,
    )
    t = search_threshold(n)
    prob = np.asarray(result.probabilities.data, dtype=float).reshape(-1, len(ELEMENTS)).max(axis=0)
    for el, (r, ev, rivals) in stats.items():
        if np.isfinite(ev) and ev >= t:
            onsets = sorted({round(v) for (e, _), o in families.items() if e == el for v in o})
            truth = [e for e in ELEMENTS if present(e)]
            print(
                f"    {el} at {onsets} eV (true {truth}, {energy[0]:.0f}..{energy[-1]:.0f} eV) "
                f"with {check.elements}: rise {r:.2f}, evidence {ev:.0f} (rivals {rivals:.0f}), "
                f"network {prob[element_index(el)]:.3f}, present {present(el)}"
            )
    return [
        (r, ev, rivals, t, prob[element_index(el)], present(el))
        for el, (r, ev, rivals) in stats.items()
    ]


def _presence(el, labels, composition):
    """1: labelled; 0.5: in the sample, below the labels' detection rule; 0: absent."""
    k = element_index(el)
    return 1.0 if labels[k] else (0.5 if composition[k] > 0 else 0.0)


def simulated(n_calls, per_call, seed=20261207):
    rows, n = [], 0
    for call in range(n_calls):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = spectra(per_call, seed=seed + call)
        labels = np.asarray(s.metadata.Simulation.labels)
        composition = np.asarray(s.metadata.Simulation.composition)
        for i in range(per_call):
            n += 1
            rows += _statistics(
                s.inav[i], lambda el, a=labels[i], c=composition[i]: _presence(el, a, c)
            )
        print(f"{call + 1}/{n_calls}: {len(rows)} elements tried", flush=True)
    return rows, n


def real(directory):
    import hyperspy.api as hs

    from eels_autoid.evaluation import folder_half

    directory = Path(directory)
    table = json.loads((directory / "labels.json").read_text())
    rows, n = {1: [], 2: []}, {1: 0, 2: 0}
    for name, entry in sorted(table.items()):
        if not (directory / name).exists():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = hs.load(directory / name)
        if isinstance(s, list):
            s = next(x for x in s if x.axes_manager.signal_dimension == 1)
        if s.axes_manager.navigation_dimension:
            s = s.sum(s.axes_manager.navigation_axes)
        labels = set(entry["elements"]) - {"C"}
        print(name)
        got = _statistics(s, lambda el, labels=labels: el in labels)
        rows[folder_half(name)] += got
        n[folder_half(name)] += 1
    return rows, n


def table(rows, label, n_spectra, save=None):
    """Print the suggestions per rise threshold; the row of the chosen one for the CSV."""
    a = np.array(rows, dtype=float).reshape(-1, 6)
    if save:
        np.save(f"{save}_{label.replace(' ', '_')}.npy", a)
    rise, ev, rivals, t, _, present = a.T
    ev = np.nan_to_num(ev, nan=-1.0)
    print(f"{label}: {n_spectra} spectra, {len(a)} elements tried")
    out = None
    for r in RISES:
        found = (rise >= r) & (ev >= t) & (ev > rivals)
        counts = [int((found & (present == v)).sum()) for v in (1.0, 0.5, 0.0)]
        print(
            f"  rise >= {r:.1f}: suggested {int(found.sum())}: labelled {counts[0]}, "
            f"present below the labels' rule {counts[1]}, absent {counts[2]}"
        )
        if abs(r - MIN_RISE) < 1e-9:
            out = [label, n_spectra, len(a), int(found.sum()), *counts]
    return out


def write(rows):
    """Replace these data sets' rows of docs/tables/search_suggestions.csv."""
    import csv

    path = Path(__file__).resolve().parents[1] / "tables" / "search_suggestions.csv"
    header = [
        "data",
        "spectra",
        "elements tried",
        "suggested",
        "labelled",
        "present below the labels' rule",
        "absent",
    ]
    kept = []
    if path.exists():
        with open(path, newline="") as f:
            kept = [r for r in list(csv.reader(f))[1:] if r[0] not in {x[0] for x in rows}]
    order = {"simulated": 0, "shared, half 1": 1, "shared, half 2": 2}
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in sorted(kept + rows, key=lambda r: order.get(r[0], 9)):
            w.writerow(r)


def main(argv):
    save = None
    if "--save" in argv:
        i = argv.index("--save")
        save, argv = argv[i + 1], argv[:i] + argv[i + 2 :]
    if "--real" in argv:
        rows, n = real(argv[argv.index("--real") + 1])
        write([table(rows[h], f"shared, half {h}", n[h], save) for h in (1, 2)])
        return
    n_calls, per_call = (int(a) for a in (argv + ["40", "8"])[:2])
    rows, n = simulated(n_calls, per_call)
    write([table(rows, "simulated", n, save)])


if __name__ == "__main__":
    main(sys.argv[1:])
