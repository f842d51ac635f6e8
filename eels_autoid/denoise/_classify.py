"""A small classifier on the autoencoder's latent maps (RapidEELS' phase classifier)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._tensorflow import import_keras
from ._maps import stack_signal

__all__ = ["LatentClassification", "classify_latent"]


@dataclass
class LatentClassification:
    """What :func:`classify_latent` returns.

    Attributes
    ----------
    classes : list of str
        Class names, in the order of the probability maps.
    class_map : Signal2D or Signal1D
        Index (into ``classes``) of the most probable class of each pixel.
    probabilities : Signal2D or Signal1D
        One probability map per class (navigation axis ``"class"``).
    model : keras.Model
        The classifier: latent codes in, class probabilities out.
    training_accuracy : float
        Fraction of the labelled pixels classified as labelled.
    """

    classes: list
    class_map: object
    probabilities: object
    model: object
    training_accuracy: float


def _latent_array(latent):
    """(codes (n_pix, k), map shape in NumPy order, template map signal or None)."""
    from hyperspy.signal import BaseSignal

    if isinstance(latent, BaseSignal):
        data = np.asarray(latent.data)
        return data.reshape(data.shape[0], -1).T, data.shape[1:], latent.inav[0]
    data = np.asarray(latent)
    return data.reshape(-1, data.shape[-1]), data.shape[:-1], None


def _region_mask(region, shape, template):
    """A boolean mask over the map from a mask, a HyperSpy ROI or a list of them."""
    if isinstance(region, (list, tuple)) and region and not np.isscalar(region[0]):
        mask = np.zeros(shape, dtype=bool)
        for r in region:
            mask |= _region_mask(r, shape, template)
        return mask
    if callable(region) and hasattr(region, "interactive"):  # a HyperSpy ROI
        if template is None:
            raise TypeError("ROIs need the latent maps as a HyperSpy signal")
        index = template._deepcopy_with_new_data(np.arange(int(np.prod(shape))).reshape(shape))
        mask = np.zeros(int(np.prod(shape)), dtype=bool)
        mask[np.asarray(region(index).data, dtype=int).ravel()] = True
        return mask.reshape(shape)
    mask = np.asarray(region, dtype=bool)
    if mask.shape != tuple(shape):
        raise ValueError(
            f"a region mask must have the map's shape {tuple(shape)}, not {mask.shape}"
        )
    return mask


def _labels_array(labels, shape, template):
    """Integer labels over the map (-1 = unlabelled) and the class names."""
    if isinstance(labels, dict):
        names = [str(k) for k in labels]
        out = np.full(shape, -1, dtype=int)
        for i, region in enumerate(labels.values()):
            mask = _region_mask(region, shape, template)
            if (out[mask] >= 0).any():
                raise ValueError(f"class {names[i]!r} overlaps another class's region")
            out[mask] = i
        return out, names
    out = np.asarray(getattr(labels, "data", labels))
    if out.shape != tuple(shape) or not np.issubdtype(out.dtype, np.integer):
        raise ValueError(
            f"labels must be a dict of regions or an integer array of the map's shape "
            f"{tuple(shape)} with -1 for unlabelled pixels"
        )
    values = np.unique(out[out >= 0])
    remap = np.full(out.shape, -1, dtype=int)
    for i, v in enumerate(values):
        remap[out == v] = i
    return remap, [str(v) for v in values]


def classify_latent(latent, labels, *, hidden_units=0, epochs=300, learning_rate=0.02, seed=None):
    """Classify every pixel of a map from its latent code, given a few labelled pixels.

    RapidEELS separated two oxidation states with a one-layer classifier on a
    five-dimensional latent space; this trains such a classifier (softmax
    regression on standardised latent codes, optionally with one hidden layer)
    on the labelled pixels and applies it to all.

    Parameters
    ----------
    latent : signal or ndarray
        ``result.latent`` from :func:`autoencoder`, or an array
        ``(*map_shape, k)`` of latent codes.
    labels : dict or ndarray
        ``{name: region}``, a region being a boolean mask of the map's shape
        (NumPy order, like ``latent.data[0]``), a HyperSpy ROI in the map's
        calibrated units (e.g. ``hs.roi.RectangularROI``), or a list of those;
        or an integer array of the map's shape, ``-1`` where unlabelled.
    hidden_units : int, default 0
        0: one softmax layer (as RapidEELS); otherwise one hidden ReLU layer.
    epochs : int, default 300
        Full-batch gradient steps over the labelled pixels.
    learning_rate : float, default 0.02
    seed : int, optional
        Seeds Keras (global state) for a reproducible classifier.

    Returns
    -------
    LatentClassification

    Raises
    ------
    ValueError
        Fewer than two classes, a class without labelled pixels, overlapping
        regions, or labels of the wrong shape.
    """
    keras = import_keras()

    codes, shape, template = _latent_array(latent)
    lab, names = _labels_array(labels, shape, template)
    flat = lab.ravel()
    n_classes = len(names)
    if n_classes < 2:
        raise ValueError("at least two classes with labelled pixels are needed")
    counts = np.bincount(flat[flat >= 0], minlength=n_classes)
    if (counts == 0).any():
        empty = [n for n, c in zip(names, counts, strict=True) if c == 0]
        raise ValueError(f"no labelled pixels for class(es) {empty}")
    if seed is not None:
        keras.utils.set_random_seed(int(seed))

    x_all = codes.astype(np.float32)
    norm = keras.layers.Normalization()
    # Standardise with all pixels (labelled or not): unsupervised statistics of
    # the latent space, so a few labels do not set the scale.
    norm.adapt(x_all)
    inp = keras.Input((codes.shape[1],))
    h = norm(inp)
    if hidden_units:
        h = keras.layers.Dense(int(hidden_units), activation="relu")(h)
    out = keras.layers.Dense(n_classes, activation="softmax")(h)
    clf = keras.Model(inp, out, name="latent_classifier")
    clf.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
    )
    sel = flat >= 0
    x, y = x_all[sel], flat[sel]
    # Balanced class weights: a big region of one phase must not drown a small one.
    weights = (len(y) / (n_classes * counts))[y].astype(np.float32)
    # Keras' per-epoch overhead dominates for a few labelled pixels, so the
    # full-batch steps run as one epoch over the labelled set repeated
    # ``epochs`` times (bounded in memory), one batch per repeat.
    repeats = int(max(1, min(int(epochs), 2_000_000 // max(1, len(x)))))
    clf.fit(
        np.tile(x, (repeats, 1)),
        np.tile(y, repeats),
        sample_weight=np.tile(weights, repeats),
        batch_size=len(x),
        epochs=max(1, int(epochs) // repeats),
        shuffle=False,
        verbose=0,
    )

    probs = np.asarray(clf.predict_on_batch(x_all))
    best = probs.argmax(axis=1)
    accuracy = float(np.mean(best[sel] == y))
    prob_maps = np.moveaxis(probs.reshape(*shape, n_classes), -1, 0)
    if template is not None:
        axes = []
        for ax in template.axes_manager.signal_axes[::-1]:
            d = ax.get_axis_dictionary()
            d["navigate"] = False
            axes.append(d)
        class_map = template._deepcopy_with_new_data(best.reshape(shape).astype(np.int16))
        class_map.metadata.General.title = "Latent-space classes"
        class_map.metadata.set_item("Signal.class_names", names)
    else:
        axes = [{"name": f"axis{i}", "size": n, "navigate": False} for i, n in enumerate(shape)]
        class_map = best.reshape(shape)
    probabilities = stack_signal(
        prob_maps, axes, stack_name="class", title="Class probabilities", names=names
    )
    return LatentClassification(names, class_map, probabilities, clf, accuracy)
