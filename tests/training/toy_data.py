"""A tiny stand-in for eels_autoid.simulate: step edges on power laws.

Each element of a small set has one edge at its tabulated onset; a spectrum
holds 0..2 of them on an A E^-r background with Poisson noise, in a random
window, run through the package's real preprocessing.
"""

import numpy as np

from eels_autoid.preprocessing import model_input
from eels_autoid.vocabulary import ELEMENTS, element_index

TOY_EDGES = {"B": 188.0, "C": 284.0, "N": 401.0, "O": 532.0, "Ti": 456.0, "Fe": 708.0}


def toy_spectra(n, rng):
    """(x, y): model input (n, 3072, 2) float32 and labels (n, 80) float32."""
    energy = np.arange(3072.0)
    y = np.zeros((n, len(ELEMENTS)), dtype=np.float32)
    start = rng.uniform(100.0, 150.0)
    end = rng.uniform(800.0, 1200.0)
    window = (energy >= start) & (energy <= end)
    e = energy[window]
    counts = np.empty((n, e.size))
    names = list(TOY_EDGES)
    for i in range(n):
        bkg = rng.uniform(1e4, 1e5) * (e / start) ** -rng.uniform(2.5, 4.0)
        sig = np.zeros_like(e)
        for el in rng.choice(names, size=rng.integers(0, 3), replace=False):
            onset = TOY_EDGES[el]
            step = np.clip((e - onset) / 3.0, 0.0, 1.0)
            sig += rng.uniform(0.3, 1.0) * bkg * step * (e / onset) ** -0.5
            y[i, element_index(el)] = 1.0
        counts[i] = rng.poisson(bkg + sig)
    x = model_input(counts, e[0], 1.0)
    return x, y


def toy_batches(batch_size, *, seed=None, **parameters):
    """Endless (x, y) batches, like eels_autoid.simulate.training_batches."""
    rng = np.random.default_rng(seed)
    while True:
        yield toy_spectra(batch_size, rng)


def tiny_specialist_config():
    """The bundled lanthanide specialist's configuration, shrunk to train in seconds."""
    from pathlib import Path

    import eels_autoid
    from eels_autoid.training import load_config

    config = load_config(
        Path(eels_autoid.__file__).parent / "training" / "configs" / "lanthanides.toml"
    )
    config["model"]["config"].update(filters=[4, 8], dense_units=8)
    config["training"].update(batch_size=8, steps_per_epoch=2, epochs=1, verbose=0)
    config["validation"]["size"] = 16
    config["data"]["workers"] = 0
    return config
