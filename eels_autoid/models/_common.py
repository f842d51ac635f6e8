"""Building blocks shared by the architectures.

Everything here is made of built-in Keras layers and ``keras.ops`` calls, never
custom layer classes or ``Lambda`` layers: a ``.keras`` file of any of our
networks then loads with ``safe_mode=True`` in a process that has not imported
this package (``eels_autoid.load_model`` needs no registration), and the same
graph runs on the TensorFlow and the JAX backends.
"""

from __future__ import annotations

from .._tensorflow import import_keras
from ..energy_grid import DEFAULT_GRID
from ..preprocessing import N_CHANNELS
from ..vocabulary import ELEMENTS

keras = import_keras()
layers = keras.layers
ops = keras.ops

INPUT_SHAPE = (DEFAULT_GRID.size, N_CHANNELS)
N_OUTPUTS = len(ELEMENTS)


def model_inputs(input_shape=INPUT_SHAPE):
    """The network input: (channels, 2) = normalised spectrum and measured mask."""
    input_shape = tuple(int(v) for v in input_shape)
    if len(input_shape) != 2 or input_shape[1] != N_CHANNELS:
        raise ValueError(f"input_shape must be (channels, {N_CHANNELS}), got {input_shape}.")
    return keras.Input(shape=input_shape, name="spectrum_and_mask")


def split_channels(inputs):
    """(spectrum, mask), each of shape (batch, length, 1)."""
    return inputs[:, :, 0:1], inputs[:, :, 1:2]


def select_channels(inputs, which: str):
    """The input a reimplemented network reads.

    ``"both"`` feeds spectrum and mask as two convolution channels (our
    default); ``"spectrum"`` feeds channel 0 alone, which is what the
    published networks saw (zero outside the measured range, no mask).
    """
    if which == "both":
        return inputs
    if which == "spectrum":
        return inputs[:, :, 0:1]
    raise ValueError(f"input_channels must be 'both' or 'spectrum', got {which!r}.")


def energy_coordinate(reference):
    """Relative position along the energy axis, (batch, length, 1) in (0, 1].

    Computed from the input's own shape so that no constant array is stored
    in the model file and any grid length works.
    """
    ones = ops.ones_like(reference[:, :, 0:1])
    return ops.cumsum(ones, axis=1) / ops.cast(ops.shape(reference)[1], reference.dtype)


def position_indices(reference):
    """Integer positions 0..length-1, shape (batch, length), for an Embedding."""
    ones = ops.ones_like(reference[:, :, 0])
    return ops.cast(ops.cumsum(ones, axis=1) - 1.0, "int32")


def conv_bn_relu(x, filters, kernel_size, *, name, strides=1, dilation_rate=1, use_bias=True):
    """Conv1D (He-normal, 'same') + BatchNorm + ReLU.

    The bias is redundant before BatchNorm but kept by default, as in the
    published networks (it changes their parameter counts).
    """
    x = layers.Conv1D(
        filters,
        kernel_size,
        strides=strides,
        dilation_rate=dilation_rate,
        padding="same",
        use_bias=use_bias,
        kernel_initializer="he_normal",
        name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def dense_bn_relu(x, units, *, name):
    """Dense (He-normal) + BatchNorm + ReLU, the block of the EELS_ID heads."""
    x = layers.Dense(int(units), kernel_initializer="he_normal", name=f"{name}_dense")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def sigmoid_output(x, n_outputs, *, kernel_initializer="glorot_uniform"):
    """The (n_outputs,) sigmoid probabilities, named ``probabilities``."""
    return layers.Dense(
        n_outputs,
        activation="sigmoid",
        kernel_initializer=kernel_initializer,
        name="probabilities",
    )(x)
