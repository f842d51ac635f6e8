"""Keras pieces of the denoising autoencoder. Importing this module imports Keras.

The saved model works on raw counts: a normalisation layer divides each
spectrum by its own mean count and standardises it, the encoder/decoder pair
works on that, and a rescaling layer multiplies the result back by the
spectrum's own mean count. Both custom layers are registered, so a saved
``.keras`` file loads in safe mode once :mod:`eels_autoid.denoise` has
registered them (see :func:`eels_autoid.denoise.load_autoencoder`).
"""

from __future__ import annotations

import numpy as np

from .._tensorflow import import_keras

keras = import_keras()
ops = keras.ops

_PACKAGE = "eels_autoid.denoise"
LAYER_NAMES = ("normalise", "encoder", "decoder", "rescale")


def _scale(x):
    """Per-spectrum mean count, kept positive (mirrors ``_targets.spectrum_scale``)."""
    mean = ops.mean(x, axis=-1, keepdims=True)
    absmean = ops.mean(ops.abs(x), axis=-1, keepdims=True)
    scale = ops.where(mean > 1e-6 * ops.maximum(absmean, 1e-30), mean, absmean)
    return ops.where(scale > 0, scale, ops.ones_like(scale))


class _SpectrumStatistics(keras.layers.Layer):
    """Shared state of the normalising and rescaling layers: the training
    set's mean spectrum (``center``) and spread, set after fitting."""

    def __init__(self, n_channels, **kwargs):
        super().__init__(**kwargs)
        self.n_channels = int(n_channels)
        self.center = self.add_weight(
            shape=(self.n_channels,), initializer="zeros", trainable=False, name="center"
        )
        self.spread = self.add_weight(shape=(), initializer="ones", trainable=False, name="spread")

    def get_config(self):
        return {**super().get_config(), "n_channels": self.n_channels}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SpectrumNormalisation(_SpectrumStatistics):
    """Raw spectra to standardised, count-normalised spectra (and their scales).

    Parameters
    ----------
    n_channels : int
        Length of the spectra.
    """

    def call(self, x):
        scale = _scale(x)
        return (x / scale - self.center) / self.spread, scale

    def compute_output_spec(self, x):
        return (
            keras.KerasTensor(x.shape, dtype=self.compute_dtype),
            keras.KerasTensor((x.shape[0], 1), dtype=self.compute_dtype),
        )


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SpectrumRescaling(_SpectrumStatistics):
    """Undo :class:`SpectrumNormalisation` and rescale by each spectrum's own counts.

    The decoded spectrum is renormalised to a mean of exactly one before the
    multiplication, so each denoised spectrum keeps the total counts of its
    input: thickness and intensity variations survive denoising unchanged.

    Parameters
    ----------
    n_channels : int
        Length of the spectra.
    """

    def call(self, inputs):
        y, scale = inputs
        y = y * self.spread + self.center
        mean = ops.mean(y, axis=-1, keepdims=True)
        # A decoded mean far from one means the input was unlike the training
        # data (or dark-subtracted to ~zero): then leave the shape unscaled.
        factor = ops.where(mean > 0.1, 1.0 / ops.maximum(mean, 0.1), ops.ones_like(mean))
        return y * factor * scale


def build_autoencoder(n_channels, latent_dimension, *, filters=(8, 16, 16), kernel_size=7):
    """The full autoencoder (raw counts in, denoised counts out) and its trainable core.

    The encoder is a stack of strided 1-D convolutions ending in a linear
    ``latent_dimension``-wide bottleneck (the latent space that is classified
    later). The decoder is dense, ending in a linear layer as wide as the
    spectrum: its weights form a learned basis of spectra, like PCA's
    components, so the output cannot carry channel-to-channel noise, only what
    the latent code explains.

    Parameters
    ----------
    n_channels : int
    latent_dimension : int
    filters : tuple of int
        Filters of each stride-2 convolution of the encoder.
    kernel_size : int

    Returns
    -------
    full : keras.Model
        Raw spectra ``(batch, n_channels)`` to denoised spectra.
    core : keras.Model
        Standardised spectra to standardised output; what is trained.
    """
    z_in = keras.Input((n_channels,), name="standardised")
    x = keras.layers.Reshape((n_channels, 1))(z_in)
    for f in filters:
        x = keras.layers.Conv1D(f, kernel_size, strides=2, padding="same", activation="elu")(x)
    x = keras.layers.Flatten()(x)
    latent = keras.layers.Dense(latent_dimension, name="latent")(x)
    encoder = keras.Model(z_in, latent, name="encoder")

    l_in = keras.Input((latent_dimension,), name="code")
    h = keras.layers.Dense(64, activation="elu")(l_in)
    h = keras.layers.Dense(64, activation="elu")(h)
    out = keras.layers.Dense(n_channels, name="spectrum")(h)
    decoder = keras.Model(l_in, out, name="decoder")

    core = keras.Model(z_in, decoder(encoder(z_in)), name="core")

    raw = keras.Input((n_channels,), name="spectra")
    z, scale = SpectrumNormalisation(n_channels, name="normalise")(raw)
    denoised = SpectrumRescaling(n_channels, name="rescale")([decoder(encoder(z)), scale])
    full = keras.Model(raw, denoised, name="denoising_autoencoder")
    return full, core


def set_standardisation(full, center, spread):
    """Store the training set's mean normalised spectrum and spread in the model."""
    center = np.asarray(center, dtype="float32")
    for name in ("normalise", "rescale"):
        layer = full.get_layer(name)
        layer.center.assign(center)
        layer.spread.assign(np.float32(spread))


def check_autoencoder(model):
    """Raise ``TypeError`` unless ``model`` has this module's named parts."""
    try:
        for name in LAYER_NAMES:
            model.get_layer(name)
    except (ValueError, AttributeError) as err:
        raise TypeError(
            "model is not an eels_autoid denoising autoencoder (it needs the layers "
            f"{', '.join(LAYER_NAMES)}): {err}"
        ) from None


def apply_model(full):
    """One model giving both the denoised spectra and the latent code of raw spectra."""
    check_autoencoder(full)
    n = full.get_layer("normalise").n_channels
    raw = keras.Input((n,), name="spectra")
    z, scale = full.get_layer("normalise")(raw)
    code = full.get_layer("encoder")(z)
    denoised = full.get_layer("rescale")([full.get_layer("decoder")(code), scale])
    return keras.Model(raw, [denoised, code])


class EpochProgress(keras.callbacks.Callback):
    """A HyperSpy (tqdm) progress bar over epochs, showing the losses."""

    def __init__(self, epochs, disable):
        super().__init__()
        from hyperspy.external.progressbar import progressbar

        self._bar = progressbar(total=epochs, desc="Training autoencoder", disable=disable)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._bar.set_postfix({k: f"{v:.3g}" for k, v in logs.items() if "loss" in k})
        self._bar.update(1)

    def on_train_end(self, logs=None):
        self._bar.close()
