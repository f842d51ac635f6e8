"""Edge ratios of the shared compounds integrated by hand, against the bundled tables.

Usage: python docs/scripts/hand_integration.py [FOLDER]   (default ../shared/real_spectra)

Writes docs/tables/real_hand_integration.csv: for each labelled compound of
two elements (carbon aside) whose main edges (K, L2,3 or M4,5) both lie in
the window, the two edges are integrated the way a microscopist does by
hand (Egerton's method): a power law fitted 5..45 eV below each onset and
extrapolated under the edge, the counts above it summed over 30, 50 and 80
eV from the onset, each divided by the bundled cross-section integrated
over the same range (the file's microscope settings, else 200 kV and 20
mrad). The ratio of the two amounts is given over the formula's: 1 where
the tables and the spectrum agree. Blank: the first edge's window reaches
the second onset, or a pre-edge fit is no background (a power-law
exponent outside 1..7: an edge rising early, a roll-off). Where another
edge of the first element (its L1, M2,3 ...) lies under the second
element's pre-edge range or window, the column ``under`` names it: its
intensity is counted as the second element's.

The column ``spectrum model`` gives the same ratio from ``quantify`` with
the labelled elements, as ``eels-autoid evaluate --quantify`` fits them
(the whole window, the same tables, channel by channel): how much of its
error on a compound the tables' intensity near the onset already holds.
"""

import csv
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from eels_autoid import quantify, vocabulary
from eels_autoid._microscope import recorded_settings
from eels_autoid.spectrum_model import DEFAULT_MICROSCOPE
from eels_autoid.spectrum_model._edges import element_cross_section

TABLES = Path(__file__).resolve().parents[1] / "tables"
WIDTHS = (30.0, 50.0, 80.0)
# Pre-edge range (eV below the onset) of the power-law fit.
PRE_EDGE = (45.0, 5.0)
# Background exponents of real spectra: a pre-edge fit outside this range has
# caught an edge's rise or a roll-off, not a background.
EXPONENTS = (1.0, 7.0)
MAIN = {"K": ("K",), "L2,3": ("L3", "L2"), "M4,5": ("M5", "M4")}


def _main_edge(element, start, end):
    """(family, onset, subshells) of the element's first main edge the window holds, or None."""
    onsets = vocabulary.subshell_onsets(element)
    for family, subshells in MAIN.items():
        if not all(s in onsets for s in subshells):
            continue
        onset = min(onsets[s] for s in subshells)
        if start + PRE_EDGE[0] <= onset <= end - max(WIDTHS):
            return family, onset, subshells
    return None


def _edge_counts(energy, counts, onset, width):
    """Counts above a power law fitted below ``onset``, summed over ``width`` eV."""
    pre = (energy >= onset - PRE_EDGE[0]) & (energy <= onset - PRE_EDGE[1])
    if pre.sum() < 5 or np.any(counts[pre] <= 0):
        return np.nan
    slope, intercept = np.polyfit(np.log(energy[pre]), np.log(counts[pre]), 1)
    if not EXPONENTS[0] <= -slope <= EXPONENTS[1]:
        return np.nan
    inside = (energy >= onset) & (energy < onset + width)
    background = np.exp(intercept + slope * np.log(energy[inside]))
    return float((counts[inside] - background).sum() * (energy[1] - energy[0]))


def _table_integral(element, subshells, onset, width, settings):
    """The tables' cross-section (barn) of ``subshells`` summed over ``width`` eV from ``onset``."""
    step = 0.1
    e = np.arange(onset, onset + width, step)
    return float(element_cross_section(element, subshells, e, settings).sum() * step)


def _rows(folder):
    import hyperspy.api as hs

    labels = json.loads((folder / "labels.json").read_text())
    rows = []
    for name, entry in sorted(labels.items()):
        composition = {k: v for k, v in entry.get("composition", {}).items() if k != "C"}
        if len(composition) != 2 or not (folder / name).exists():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = hs.load(folder / name)
        if s.axes_manager.navigation_dimension:
            s = s.sum(s.axes_manager.navigation_axes)
        axis = s.axes_manager.signal_axes[0]
        energy = axis.offset + axis.scale * np.arange(axis.size)
        counts = np.asarray(s.data, dtype=float)
        edges = {el: _main_edge(el, energy[0], energy[-1]) for el in composition}
        if any(v is None for v in edges.values()):
            continue
        first, second = sorted(composition, key=lambda el: edges[el][1])
        settings = recorded_settings(s, DEFAULT_MICROSCOPE)
        row = {
            "file": name,
            "ratio": f"{first}/{second}",
            "edges": f"{first} {edges[first][0]}, {second} {edges[second][0]}",
        }
        onset2 = edges[second][1]
        formula = composition[first] / composition[second]
        for width in WIDTHS:
            amounts = {}
            for el in (first, second):
                _, onset, subshells = edges[el]
                if el == first and onset + width > onset2 - PRE_EDGE[1]:
                    amounts = None
                    break
                measured = _edge_counts(energy, counts, onset, width)
                amounts[el] = measured / _table_integral(el, subshells, onset, width, settings)
            ratio = np.nan if amounts is None else amounts[first] / amounts[second] / formula
            row[f"{width:g} eV"] = f"{ratio:.2f}" if np.isfinite(ratio) and ratio > 0 else ""
        under = [
            f"{first} {sub} ({onset:.0f} eV)"
            for sub, onset in vocabulary.subshell_onsets(first).items()
            if sub not in edges[first][2] and onset2 - PRE_EDGE[0] <= onset < onset2 + max(WIDTHS)
        ]
        row["under"] = "; ".join(under)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fractions = {
                r.element: r.atomic_fraction
                for r in quantify(s, elements=entry["elements"]).summary()
            }
        model = fractions[first] / fractions[second] / formula if fractions[second] > 0 else np.nan
        row["spectrum model"] = f"{model:.2f}" if np.isfinite(model) else ""
        rows.append(row)
    return rows


def main(argv):
    folder = Path(argv[1]) if len(argv) > 1 else Path("../shared/real_spectra")
    rows = _rows(folder)
    if not rows:
        raise SystemExit(f"No two-element compound with both main edges in its window in {folder}.")
    path = TABLES / "real_hand_integration.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        print(row)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv)
