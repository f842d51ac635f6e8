"""Self-supervised convolutional-autoencoder denoising of spectrum images (RapidEELS)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._computing import is_lazy
from .._tensorflow import import_keras
from ._maps import map_axes, stack_signal
from ._targets import default_block, held_out_mask, neighbour_mean, spectrum_scale

__all__ = ["AutoencoderResult", "autoencoder", "load_autoencoder"]

# Spectra seen in training when ``epochs`` is None: enough for the small
# network to converge on maps of a few thousand spectra, bounded for big ones.
_DEFAULT_SPECTRA_SEEN = 60_000
_MIN_EPOCHS, _MAX_EPOCHS = 10, 200
# Spectra per dask block when applying to a lazy spectrum image: a few MB per
# block with 2048 channels, large enough for efficient network calls.
_LAZY_BLOCK_SPECTRA = 4096


@dataclass
class AutoencoderResult:
    """What :func:`autoencoder` returns.

    Attributes
    ----------
    denoised : EELSSpectrum (or the input's class)
        The denoised spectrum image: the input's class, navigation axes and
        (windowed) signal axis. Lazy when the input is lazy.
    latent : Signal2D or Signal1D
        ``latent_dimension`` maps over the input's navigation axes (navigation
        axis ``"latent"``).
    model : keras.Model
        The trained autoencoder, raw counts in and denoised counts out;
        ``model.save("ae.keras")``, reload with :func:`load_autoencoder`.
    block : tuple of int
        Neighbourhood used for the targets, HyperSpy navigation order.
    held_out : ndarray of bool
        Pixels kept out of training (NumPy navigation order, like ``data``).
    history : dict
        Keras training history (``loss`` and ``val_loss`` per epoch, in
        standardised units); empty when a trained model was given.
    mse : dict or None
        With ``compare_pca``: mean squared error against the held-out targets of
        ``"raw"``, ``"autoencoder"`` and ``"pca_<k>"``, in units of
        count-normalised spectra (mean one per channel).
    pca_models : dict or None
        With ``compare_pca``: ``{k: signal}``, HyperSpy's decomposition model
        with ``k`` components, same axes as ``denoised``.
    timings : dict
        ``train_s``, ``apply_s`` (seconds), ``spectra_trained`` (spectra seen in
        training, all epochs) and ``spectra_applied``.
    """

    denoised: object
    latent: object
    model: object
    block: tuple
    held_out: np.ndarray
    history: dict = field(default_factory=dict)
    mse: dict | None = None
    pca_models: dict | None = None
    timings: dict = field(default_factory=dict)

    def classify(self, labels, **kwargs):
        """Classify every pixel from its latent code, given a few labelled pixels.

        See :func:`eels_autoid.denoise.classify_latent` for the parameters.
        """
        from ._classify import classify_latent

        return classify_latent(self.latent, labels, **kwargs)

    def mse_table(self):
        """The PCA comparison as text, best first (``compare_pca`` must have been set)."""
        if not self.mse:
            raise ValueError("no comparison was made: call autoencoder(..., compare_pca=True)")
        raw = self.mse["raw"]
        lines = [f"{'method':<14}{'MSE':>12}{'raw / MSE':>12}"]
        for name, value in sorted(self.mse.items(), key=lambda kv: kv[1]):
            lines.append(f"{name:<14}{value:12.4g}{raw / value:12.1f}")
        return "\n".join(lines)


def load_autoencoder(path):
    """Load a denoising autoencoder saved with ``result.model.save(path)``.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.keras`` file.

    Returns
    -------
    keras.Model

    Notes
    -----
    Loads in Keras' safe mode: no code from the file runs. The two custom
    layers are registered by importing this package's network module first.
    """
    keras = import_keras()

    from . import _network  # noqa: F401  (registers the custom layers)

    model = keras.saving.load_model(path, safe_mode=True)
    _network.check_autoencoder(model)
    return model


def autoencoder(
    signal,
    *,
    block=None,
    latent_dimension=5,
    signal_range=None,
    epochs=None,
    seed=None,
    targets=None,
    model=None,
    compare_pca=None,
    held_out_fraction=0.15,
    max_count_ratio=1.5,
    batch_size=64,
    learning_rate=2e-3,
    max_training_spectra=100_000,
    apply_batch_size=1024,
    show_progressbar=None,
):
    """Denoise a spectrum image with a self-trained convolutional autoencoder.

    Following RapidEELS (Pate, Hart & Taheri, Sci. Rep. 2021), a small 1-D
    convolutional autoencoder is trained on the user's own spectrum image.
    Each input is a spectrum divided by its own mean count; its target is the
    average of the equally normalised spectra of its neighbours (a centred
    ``block`` of pixels, the pixel itself left out, and so are neighbours of
    very different counts), or the matching spectrum of
    a longer-exposure companion spectrum image. The output is multiplied back
    by the pixel's own mean count, so that each denoised spectrum keeps its
    total counts (thickness and intensity variations survive).

    Parameters
    ----------
    signal : EELSSpectrum or any Signal1D
        Spectrum image or line scan (lazy or not), counts per channel.
    block : int or tuple of int, optional
        Neighbourhood size per navigation axis in HyperSpy order (x, y).
        Default: 5 x 5 for maps, 25 for line scans, capped at a quarter of each
        navigation axis. RapidEELS used 10 x 40 on homogeneous time series;
        larger blocks mix neighbouring phases into the targets.
    latent_dimension : int, default 5
        Width of the bottleneck, i.e. the number of latent maps.
    signal_range : tuple, optional
        ``(start, end)`` energy window, as in ``signal.isig[start:end]`` (floats
        in axis units, integers as indices). Only the window is denoised and
        returned.
    epochs : int, optional
        Training epochs. Default: about 60 000 spectra seen, 10 to 200 epochs.
    seed : int, optional
        Seeds NumPy, Python and TensorFlow (``keras.utils.set_random_seed``,
        global state) and the held-out split, for reproducible results.
    targets : signal, optional
        A longer-exposure companion spectrum image of the same area, same shape
        (after ``signal_range``): its normalised spectra are the targets instead
        of neighbourhood averages.
    model : keras.Model, optional
        A trained autoencoder (``result.model`` or :func:`load_autoencoder`) to
        apply without training; it must match the number of channels.
    compare_pca : bool or sequence of int, optional
        Also compute HyperSpy's PCA (``decomposition`` then
        ``get_decomposition_model``) with these numbers of components (``True``:
        3, 5 and 7) and report in ``result.mse`` the mean squared error of raw,
        autoencoder and PCA against the targets of the held-out pixels. Loads a
        lazy signal's window into memory.
    max_count_ratio : float or None, default 1.5
        A neighbour enters a pixel's target only if their mean counts differ by
        less than this factor (vacuum, holes and thickness steps have another
        spectral shape); ``None``: all neighbours.
    held_out_fraction : float, default 0.15
        Fraction of ``block``-sized tiles kept out of training, used for the
        validation loss and the comparison.
    batch_size : int, default 64
        Training batch size.
    learning_rate : float, default 2e-3
        Initial Adam learning rate (cosine decay to 5 % of it).
    max_training_spectra : int, default 100000
        Training uses a random subset of at most this many spectra.
    apply_batch_size : int, default 1024
        Spectra per network call when applying the model.
    show_progressbar : bool, optional
        Default: HyperSpy's ``preferences.General.show_progressbar``.

    Returns
    -------
    AutoencoderResult
        ``.denoised``, ``.latent``, ``.model``, and ``.mse`` /
        ``.pca_models`` with ``compare_pca``; ``.classify(labels)`` classifies
        pixels from the latent maps.

    Raises
    ------
    TypeError
        ``signal`` or ``targets`` is not a HyperSpy signal, or ``model`` is not a
        denoising autoencoder.
    ValueError
        Signal dimension other than 1, a single spectrum, NaN or inf in the
        data, a bad ``block``, a window with too few channels, or mismatching
        ``targets``/``model``.

    Notes
    -----
    Lazy input gives a lazy ``denoised`` (applied block by block with
    ``dask.array.map_blocks`` when computed); the latent maps are computed at
    once. TensorFlow runs on a GPU when it sees one. Importing
    :mod:`eels_autoid` does not import TensorFlow; this function does.

    Examples
    --------
    >>> result = autoencoder(s, seed=0, compare_pca=True)  # doctest: +SKIP
    >>> result.denoised.plot()  # doctest: +SKIP
    >>> print(result.mse_table())  # doctest: +SKIP
    >>> classes = result.classify({"A": mask_a, "B": mask_b})  # doctest: +SKIP
    """
    window, block = _checked_input(signal, signal_range, block, latent_dimension)
    show = _show(show_progressbar)
    rng = np.random.default_rng(seed)

    keras = import_keras()

    from . import _network

    if seed is not None:
        keras.utils.set_random_seed(int(seed))

    training = _prepare_targets(
        window,
        block,
        rng,
        targets=targets,
        signal_range=signal_range,
        max_count_ratio=max_count_ratio,
        held_out_fraction=held_out_fraction,
        compare=bool(compare_pca),
    )

    history, seen = {}, 0
    t0 = time.perf_counter()
    if model is None:
        full, core = _network.build_autoencoder(training.n_channels, int(latent_dimension))
        train_idx, val_idx = _training_pixels(training, rng, max_training_spectra)
        if epochs is None:
            epochs = _default_epochs(len(train_idx))
        history, seen = _train(
            full,
            core,
            training,
            train_idx,
            val_idx,
            epochs=int(epochs),
            batch_size=int(batch_size),
            learning_rate=float(learning_rate),
            show=show,
        )
    else:
        full = _checked_model(model, training.n_channels)
    t_train = time.perf_counter() - t0

    net = _network.apply_model(full)
    t0 = time.perf_counter()
    den_data, lat = _apply(net, window.data, int(apply_batch_size), show)
    t_apply = time.perf_counter() - t0
    denoised, latent = _result_signals(window, den_data, lat, block)

    mse = pca_models = None
    if compare_pca:
        mse, pca_models = _compare_pca(window, compare_pca, den_data, training)

    return AutoencoderResult(
        denoised=denoised,
        latent=latent,
        model=full,
        block=block,
        held_out=training.held,
        history=history,
        mse=mse,
        pca_models=pca_models,
        timings={
            "train_s": t_train,
            "apply_s": t_apply,
            "spectra_trained": int(seen),
            "spectra_applied": int(np.prod(window.data.shape[:-1])),
        },
    )


# --- checks of the input


def _show(show_progressbar):
    if show_progressbar is None:
        from hyperspy.defaults_parser import preferences

        return bool(preferences.General.show_progressbar)
    return bool(show_progressbar)


def _check_signal(signal):
    from hyperspy.signal import BaseSignal

    if not isinstance(signal, BaseSignal):
        raise TypeError(f"signal must be a HyperSpy signal, not {type(signal).__name__}")
    if signal.axes_manager.signal_dimension != 1:
        raise ValueError(
            "the autoencoder denoises spectra: the signal dimension must be 1, not "
            f"{signal.axes_manager.signal_dimension}"
        )
    if signal.axes_manager.navigation_dimension < 1 or signal.axes_manager.navigation_size < 2:
        raise ValueError(
            "self-supervised denoising needs a spectrum image or line scan (its targets are "
            "averages over neighbouring pixels); got a single spectrum"
        )


def _window(signal, signal_range):
    if signal_range is None:
        return signal
    try:
        start, end = signal_range
    except (TypeError, ValueError):
        raise ValueError("signal_range must be (start, end)") from None
    return signal.isig[start:end]


def _check_block(block, nav_shape):
    if block is None:
        return default_block(nav_shape)
    if np.isscalar(block):
        block = (int(block),) * len(nav_shape)
    block = tuple(int(b) for b in block)
    if len(block) != len(nav_shape) or min(block) < 1:
        raise ValueError(
            f"block must give a positive size for each of the {len(nav_shape)} navigation "
            f"axes (HyperSpy order), got {block}"
        )
    return tuple(min(b, n) for b, n in zip(block, nav_shape, strict=True))


def _checked_input(signal, signal_range, block, latent_dimension):
    """The windowed signal and the neighbourhood block, once both are known to be usable."""
    _check_signal(signal)
    window = _window(signal, signal_range)
    data = window.data
    n_channels = data.shape[-1]
    if n_channels < 16:
        raise ValueError(f"the energy window holds {n_channels} channels; at least 16 are needed")
    if not hasattr(data, "dask") and not np.isfinite(data).all():
        raise ValueError("the spectrum image contains NaN or inf; replace them before denoising")
    if int(latent_dimension) < 1:
        raise ValueError("latent_dimension must be at least 1")
    return window, _check_block(block, window.axes_manager.navigation_shape)


# --- targets


@dataclass
class _TrainingData:
    """Count-normalised spectra, their targets and which pixels may train.

    Arrays in NumPy navigation order, with the spectra last; NumPy or dask
    like the input.
    """

    spectra: object  # count-normalised spectra
    scale: object  # each spectrum's mean count, shape (..., 1)
    targets: object  # count-normalised targets
    usable: np.ndarray  # pixels with a target other than themselves
    held: np.ndarray  # pixels kept out of training

    @property
    def n_channels(self):
        return self.spectra.shape[-1]


def _prepare_targets(
    window, block, rng, *, targets, signal_range, max_count_ratio, held_out_fraction, compare
):
    """Normalise the spectra, form their targets and hold out tiles of pixels."""
    data = window.data
    nav_np = tuple(data.shape[:-1])
    block_np = block[::-1]
    spectra, scale = _normalised(data)
    usable = np.ones(nav_np, dtype=bool)
    if targets is not None:
        target_norm = _companion_targets(targets, signal_range, data.shape)
    else:
        target_norm, n_neighbours = neighbour_mean(
            spectra, scale, block_np, max_count_ratio=max_count_ratio
        )
        # Pixels without a similar neighbour have only themselves as target:
        # training on them would teach the network the identity.
        usable = n_neighbours > 0
    held = held_out_mask(nav_np, block_np, held_out_fraction, rng)
    if not held.any() and compare:
        warnings.warn(
            "the map is too small to hold out pixels; the comparison uses all pixels",
            UserWarning,
            stacklevel=3,
        )
        held = np.ones(nav_np, dtype=bool)
    return _TrainingData(
        spectra=spectra, scale=scale, targets=target_norm, usable=usable, held=held
    )


def _normalised(data):
    """Count-normalised spectra (NumPy or lazily with dask) and their scales."""
    if hasattr(data, "dask"):
        import dask.array as da

        data = data.rechunk({data.ndim - 1: -1}).astype(np.float32)
        scale = da.map_blocks(spectrum_scale, data, dtype=np.float64, chunks=(*data.chunks[:-1], 1))
        return (data / scale).astype(np.float32), scale
    scale = spectrum_scale(data)
    return (np.asarray(data, dtype=np.float64) / scale).astype(np.float32), scale


def _companion_targets(targets, signal_range, shape):
    from hyperspy.signal import BaseSignal

    if not isinstance(targets, BaseSignal):
        raise TypeError("targets must be a HyperSpy signal (a longer-exposure companion SI)")
    t = _window(targets, signal_range)
    if tuple(t.data.shape) != tuple(shape):
        raise ValueError(
            f"targets must have the same navigation and (windowed) signal shape as the "
            f"signal: {tuple(t.data.shape)} != {tuple(shape)}"
        )
    return _normalised(t.data)[0]


# --- training


def _training_pixels(training, rng, max_training_spectra):
    """Flat indices of the training and validation pixels."""
    train_idx = np.flatnonzero((~training.held & training.usable).ravel())
    if len(train_idx) == 0:  # tiny map, everything held out for the comparison
        train_idx = np.flatnonzero(training.usable.ravel())
    if len(train_idx) == 0:
        raise ValueError(
            "no pixel has a neighbour of similar counts to form a target: use a larger "
            "block, a larger max_count_ratio, or companion targets"
        )
    if len(train_idx) > max_training_spectra:
        train_idx = rng.choice(train_idx, max_training_spectra, replace=False)
    val_idx = np.flatnonzero((training.held & training.usable).ravel())
    if len(val_idx) > 10_000:
        val_idx = rng.choice(val_idx, 10_000, replace=False)
    return train_idx, val_idx


def _default_epochs(n_train):
    """About _DEFAULT_SPECTRA_SEEN spectra seen, within the epoch bounds."""
    return int(np.clip(np.ceil(_DEFAULT_SPECTRA_SEEN / n_train), _MIN_EPOCHS, _MAX_EPOCHS))


def _rows(array, flat_index):
    """Spectra at the given flat navigation indices, as a float32 NumPy array."""
    n = array.shape[-1]
    flat = array.reshape(-1, n)
    rows = flat[np.sort(flat_index)] if hasattr(array, "dask") else flat[flat_index]
    if is_lazy(rows):
        rows = rows.compute()
    return np.asarray(rows, dtype=np.float32)


def _train(full, core, training, train_idx, val_idx, *, epochs, batch_size, learning_rate, show):
    """Fit the core network on standardised spectra; returns (history, spectra seen)."""
    keras = import_keras()

    from ._network import EpochProgress, set_standardisation

    x = _rows(training.spectra, train_idx)
    y = _rows(training.targets, train_idx)
    center = x.mean(axis=0)
    # One scalar spread (not per channel) keeps the relative weight of channels
    # in the loss as in count-normalised spectra: edges are not inflated.
    spread = float(np.std(x - center)) or 1.0
    set_standardisation(full, center, spread)
    standard = lambda a: (a - center) / spread  # noqa: E731
    validation = None
    if len(val_idx):
        x_val, y_val = _rows(training.spectra, val_idx), _rows(training.targets, val_idx)
        validation = (standard(x_val), standard(y_val))
    steps = int(np.ceil(len(x) / batch_size)) * epochs
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(1, steps), alpha=0.05)
    core.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    hist = core.fit(
        standard(x),
        standard(y),
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        validation_data=validation,
        verbose=0,
        callbacks=[EpochProgress(epochs, disable=not show)],
    )
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}, len(x) * epochs


def _checked_model(model, n_channels):
    """A given trained autoencoder, checked against the (windowed) signal."""
    from . import _network

    _network.check_autoencoder(model)
    n_model = model.get_layer("normalise").n_channels
    if n_model != n_channels:
        raise ValueError(
            f"the model was trained on {n_model} channels, the (windowed) signal has {n_channels}"
        )
    return model


# --- denoising


def _apply(net, data, batch_size, show):
    """Denoised spectra (shape of ``data``, lazy if it is) and latent codes (pixels, latent)."""
    if hasattr(data, "dask"):
        denoised, latent = _apply_lazy(net, data, batch_size, show)
        return denoised, latent.reshape(-1, latent.shape[-1])
    spectra = np.asarray(data, dtype=np.float32).reshape(-1, data.shape[-1])
    denoised, latent = _apply_numpy(net, spectra, batch_size, show)
    return denoised.reshape(data.shape), latent


def _apply_numpy(net, spectra, batch_size, show):
    from hyperspy.external.progressbar import progressbar

    n_pix = spectra.shape[0]
    n_lat = net.outputs[1].shape[-1]
    denoised = np.empty(spectra.shape, dtype=np.float32)
    latent = np.empty((n_pix, n_lat), dtype=np.float32)
    starts = range(0, n_pix, batch_size)
    for start in progressbar(starts, desc="Denoising", disable=not show):
        rows = slice(start, start + batch_size)
        d, z = net.predict_on_batch(np.ascontiguousarray(spectra[rows], dtype=np.float32))
        denoised[rows] = np.asarray(d)
        latent[rows] = np.asarray(z)
    return denoised, latent


def _apply_block(block, *, net, batch_size, part):
    nav = block.shape[:-1]
    spectra = np.asarray(block, dtype=np.float32).reshape(-1, block.shape[-1])
    den, lat = _apply_numpy(net, spectra, batch_size, show=False)
    out = den if part == "denoised" else lat
    return out.reshape(*nav, out.shape[-1])


def _apply_lazy(net, data, batch_size, show):
    """Denoised (lazy) and latent (computed now: it is small) of a dask array."""
    import dask.array as da

    nav = data.shape[:-1]
    # Whole spectra in each block, about _LAZY_BLOCK_SPECTRA spectra per block.
    per_row = int(np.prod(nav[1:])) if len(nav) > 1 else 1
    rows = max(1, _LAZY_BLOCK_SPECTRA // max(1, per_row))
    data = data.rechunk({0: rows, **{i: -1 for i in range(1, data.ndim)}})
    n_lat = net.outputs[1].shape[-1]
    denoised = da.map_blocks(
        _apply_block, data, dtype=np.float32, net=net, batch_size=batch_size, part="denoised"
    )
    latent = da.map_blocks(
        _apply_block,
        data,
        dtype=np.float32,
        chunks=(*data.chunks[:-1], (n_lat,)),
        net=net,
        batch_size=batch_size,
        part="latent",
    )
    if show:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            latent = latent.compute()
    else:
        latent = latent.compute()
    return denoised, latent


def _result_signals(window, denoised_data, latent_codes, block):
    """The denoised spectrum image and the latent maps as HyperSpy signals."""
    denoised = window._deepcopy_with_new_data(denoised_data)
    denoised.metadata.General.title = f"{window.metadata.General.title} (denoised)".strip()
    if denoised.metadata.has_item("Signal.Noise_properties.variance"):
        # The variance described the raw counts, not the denoised ones.
        del denoised.metadata.Signal.Noise_properties.variance
    n_latent = latent_codes.shape[-1]
    denoised.metadata.set_item(
        "Signal.denoising",
        {"method": "autoencoder", "block": list(block), "latent_dimension": n_latent},
    )
    nav_np = tuple(window.data.shape[:-1])
    latent = stack_signal(
        np.moveaxis(latent_codes.reshape(*nav_np, n_latent), -1, 0),
        map_axes(window),
        stack_name="latent",
        title=f"{window.metadata.General.title} (latent maps)".strip(),
    )
    return denoised, latent


# --- comparison with PCA


def _compare_pca(window, compare_pca, denoised_data, training):
    """MSE against held-out targets for raw, autoencoder and PCA with k components."""
    components = (3, 5, 7) if compare_pca is True else tuple(int(k) for k in compare_pca)
    target_norm, scale, denoised = (
        a.compute() if is_lazy(a) else a for a in (training.targets, training.scale, denoised_data)
    )
    denoised_norm = denoised / scale
    held = training.held & training.usable
    data = window.data.compute() if window._lazy else np.asarray(window.data)
    s = window._deepcopy_with_new_data(np.asarray(data, dtype=np.float64))
    poisson = bool(np.min(data) >= 0)
    s.decomposition(
        normalize_poissonian_noise=poisson,
        algorithm="SVD",
        output_dimension=max(components),
        print_info=False,
    )
    t = target_norm[held]
    sc = scale[held]
    mse = {
        "raw": float(np.mean((data[held] / sc - t) ** 2)),
        "autoencoder": float(np.mean((denoised_norm[held] - t) ** 2)),
    }
    models = {}
    for k in components:
        m = s.get_decomposition_model(int(k))
        m.metadata.General.title = f"{window.metadata.General.title} (PCA, {k} components)"
        models[int(k)] = m
        mse[f"pca_{int(k)}"] = float(np.mean((m.data[held] / sc - t) ** 2))
    return mse, models
