"""Small test helpers shared by the top-level tests (imported by name)."""

import numpy as np

# The microscope the check's tests are read with ...
CHECK_SETTINGS = {"beam_energy": 200.0, "collection_angle": 20.0, "convergence_angle": 10.0}
# ... and the simulator's arguments for the same, calibrated instrument, so that
# what those tests exercise is the check, not the axis.
CALIBRATED_INSTRUMENT = dict(
    beam_energy=200.0,
    collection_angle=20.0,
    convergence_angle=10.0,
    instrument_shift=(0.0, 0.0),
    scale_error=(0.0, 0.0),
    chemical_shift=(0.0, 0.0),
    calibrated_fraction=1.0,
)


def make_spectrum(offset=300.0, scale=1.0, size=1024, nav_shape=(), seed=0, edges=(532.0,)):
    """Poisson spectra: a power-law background with step edges (counts per channel)."""
    rng = np.random.default_rng(seed)
    e = offset + scale * np.arange(size)
    clean = 1e4 * scale * (e / offset) ** -3
    for onset in edges:
        clean = clean + 0.3 * 1e4 * scale * (e >= onset) * (np.maximum(e, onset) / offset) ** -3
    return rng.poisson(np.broadcast_to(clean, (*nav_shape, size))).astype(np.float32)


def build_tiny_network(seed=0, n_out=80, grid_size=3072):
    """A small, untrained but deterministic 1-D CNN with the model's input contract."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((grid_size, 2))
    x = keras.layers.Conv1D(4, 16, strides=8, activation="relu")(inp)
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(n_out, activation="sigmoid")(x)
    return keras.Model(inp, out)
