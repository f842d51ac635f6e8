"""``eels-autoid demo``: a simulated superlattice, identified and quantified end to end."""

from __future__ import annotations

import contextlib
import sys

__all__ = ["run_demo"]


def _z_order(elements):
    from .vocabulary import atomic_number

    return sorted(elements, key=atomic_number)


def run_demo(out, model=None, seed=0, shape=(24, 48)) -> int:
    """Simulate a LaMnO3/BaTiO3/SrTiO3 superlattice, identify and quantify it.

    Prints exactly two lines on standard output, ``detected: <symbols>`` and
    ``true: <symbols>`` (space-separated, Z order); progress and warnings go
    to standard error. Writes to ``out``: the simulated spectrum image,
    the probabilities, the quantified maps and ``report.png``.

    Parameters
    ----------
    out : path-like
    model : str or path-like, optional
        The identification model (default: the bundled one).
    seed : int
    shape : (int, int)
        Navigation shape of the spectrum image.

    Returns
    -------
    int
        0 on success.
    """
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from ._results_folder import ResultsFolder
    from .identification import identify_edges
    from .simulate import superlattice
    from .vocabulary import ELEMENTS

    # Progress bars go to stderr: stdout holds the answer.
    with contextlib.redirect_stdout(sys.stderr), ResultsFolder(out) as folder:
        print("Simulating a LaMnO3/BaTiO3/SrTiO3 superlattice spectrum image ...")
        s = superlattice(tuple(shape), seed=seed)
        s.save(folder.file("superlattice.hspy"), overwrite=True)
        print("Identifying the elements ...")
        result = identify_edges(s, model=model, show_progressbar=True)
        result.probabilities.save(folder.file("probabilities.hspy"), overwrite=True)
        result.summary().to_csv(folder.file("summary.csv"))
        q = folder.save_quantification(s, result) if result.elements else None
        if q is not None:
            print(q)
        folder.save_report(result, q)

    labels = np.asarray(s.metadata.Simulation.labels).reshape(-1, len(ELEMENTS))
    truth = [el for k, el in enumerate(ELEMENTS) if labels[:, k].any()]
    print(f"detected: {' '.join(_z_order(result.elements))}")
    print(f"true: {' '.join(_z_order(truth))}")
    return 0
