"""Fit the combined probability of the identification check on simulated spectra.

Usage: python docs/scripts/fit_check.py [N_CALLS] [SPECTRA_PER_CALL]

Simulates spectra of drawn compositions, windows and instruments
(eels_autoid.simulate.spectra, default parameters), identifies each with the
check, and fits the logistic in the network's logit and the square root of
the evidence (eels_autoid.identification._check.COMBINE) to whether each
checked candidate is in the spectrum. Prints the coefficients, their log-loss
against the network's probability alone, and the reliability of both; writes
docs/tables/simulated_check_reliability.csv.
"""

import sys
import warnings

import numpy as np
from scipy.optimize import minimize

from eels_autoid import identify_edges
from eels_autoid.simulate import spectra
from eels_autoid.vocabulary import element_index


def rows(n_calls, per_call, seed=20261206):
    out = []
    for call in range(n_calls):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = spectra(per_call, seed=seed + call)
            labels = np.asarray(s.metadata.Simulation.labels)
            for i in range(per_call):
                result = identify_edges(s.inav[i])
                for el, c in result.check.checks.items():
                    if np.isfinite(c.evidence):
                        out.append(
                            (c.network_probability, c.evidence, labels[i, element_index(el)])
                        )
        print(f"{call + 1}/{n_calls}: {len(out)} checked candidates", flush=True)
    return np.array(out, dtype=float)


def features(p, evidence):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.column_stack([np.ones_like(p), np.log(p / (1 - p)), np.log1p(evidence)])


def log_loss(q, y):
    q = np.clip(q, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def reliability(q, y, bins=5):
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(q, edges) - 1, 0, bins - 1)
    return [
        (f"{edges[b]:.1f}-{edges[b + 1]:.1f}", int((idx == b).sum()), float(y[idx == b].mean()))
        for b in range(bins)
        if (idx == b).any()
    ]


def main(n_calls=40, per_call=8):
    data = rows(n_calls, per_call)
    p, evidence, y = data.T
    x = features(p, evidence)

    def loss(b):
        return log_loss(1 / (1 + np.exp(-(x @ b))), y)

    best = minimize(loss, np.array([0.0, 1.0, 0.1]), method="Nelder-Mead").x
    q = 1 / (1 + np.exp(-(x @ best)))
    print(f"COMBINE = ({best[0]:.3f}, {best[1]:.3f}, {best[2]:.3f})")
    print(f"log-loss: network {log_loss(p, y):.4f}, combined {log_loss(q, y):.4f}")
    print("reliability (bin, candidates, share present), network:", reliability(p, y))
    print("reliability, combined:", reliability(q, y))
    import csv
    from pathlib import Path

    table = Path(__file__).resolve().parents[1] / "tables" / "simulated_check_reliability.csv"
    with open(table, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["data", "combined probability", "candidates", "share present"])
        for lo, hi in zip(np.linspace(0, 0.8, 5), np.linspace(0.2, 1.0, 5), strict=True):
            inside = (q >= lo) & ((q < hi) if hi < 1 else (q <= hi))
            if inside.any():
                share = f"{y[inside].mean():.2f}"
                writer.writerow(["simulated", f"{lo:.1f}..{hi:.1f}", int(inside.sum()), share])


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
