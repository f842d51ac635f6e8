"""The EELS_ID U-Net of Annys, Jannis and Verbeeck (Sci. Rep. 13, 13724, 2023), in Keras 3.

A 1-D U-Net used as a classifier: five resolution levels of Conv1D (kernel 32)
+ BatchNorm + ReLU with 16, 32, 64, 128 and 256 filters, max-pooling by 2 on
the way down, upsampling by 2 followed by a convolution on the way up, skip
concatenations at each level; the 3072 x 32 output is reduced to one value
per energy channel by a 1x1 convolution (the published "1x1conv" reduction;
"flatten" and "GAP" are options as in their code) and read by a dense head
of 3072, 1536, 768 and 384 units (Dense + BatchNorm + ReLU, dropout 0.3)
before 80 sigmoid outputs. With the defaults this is about 19.7 M parameters.

What differs from the original, and why: the input has two channels (our
preprocessing's normalised spectrum and measured mask). By default both are
convolution input channels; ``input_channels="spectrum"`` reads channel 0 only,
which is exactly the original's single zero-padded channel.
"""

from __future__ import annotations

from .._tensorflow import import_keras
from ._common import (
    INPUT_SHAPE,
    N_OUTPUTS,
    conv_bn_relu,
    dense_bn_relu,
    model_inputs,
    select_channels,
)

keras = import_keras()
layers = keras.layers

DEFAULTS = dict(
    filters=(16, 32, 64, 128, 256),
    kernel_size=32,
    reduction="1x1conv",
    dense_units=(3072, 1536, 768, 384),
    dropout=0.3,
    input_channels="both",
)


def build_unet(
    input_shape=INPUT_SHAPE,
    n_outputs=N_OUTPUTS,
    *,
    filters=DEFAULTS["filters"],
    kernel_size=DEFAULTS["kernel_size"],
    reduction=DEFAULTS["reduction"],
    dense_units=DEFAULTS["dense_units"],
    dropout=DEFAULTS["dropout"],
    input_channels=DEFAULTS["input_channels"],
    name="unet",
):
    """Build the EELS_ID U-Net classifier.

    Parameters
    ----------
    input_shape : tuple of int
        (grid size, 2). The grid size must be divisible by ``2 ** (len(filters) - 1)``.
    n_outputs : int
        Number of sigmoid outputs.
    filters : sequence of int
        Filters per level, top to bottom (the published 16..256).
    kernel_size : int
        Convolution kernel size (32 in the publication).
    reduction : {"1x1conv", "flatten", "gap"}
        How the top-level feature map becomes a vector for the dense head.
        "flatten" is large (3072 x 32 inputs to the first dense layer).
    dense_units : sequence of int
        Units of the dense head (the publication: length, /2, /4, /8).
    dropout : float
        Dropout after each dense block but the last.
    input_channels : {"both", "spectrum"}
        See the module documentation.
    name : str

    Returns
    -------
    keras.Model
    """
    filters = tuple(int(f) for f in filters)
    if input_shape[0] % 2 ** (len(filters) - 1):
        raise ValueError(f"Grid size {input_shape[0]} not divisible by 2**{len(filters) - 1}.")
    inputs = model_inputs(input_shape)
    x = select_channels(inputs, input_channels)

    # Encoder: keep each level's output for the skip connections.
    skips = []
    for level, f in enumerate(filters[:-1]):
        if level > 0:
            x = layers.MaxPooling1D(2, name=f"down{level}_pool")(x)
        x = conv_bn_relu(x, f, kernel_size, name=f"down{level}")
        skips.append(x)
    x = layers.MaxPooling1D(2, name="bottom_pool")(x)
    x = conv_bn_relu(x, filters[-1], kernel_size, name="bottom")

    # Decoder: upsample, convolve to the level's width, concatenate the skip,
    # convolve again (the original's order of operations).
    for level in range(len(filters) - 2, -1, -1):
        x = layers.UpSampling1D(2, name=f"up{level}_upsample")(x)
        x = conv_bn_relu(x, filters[level], kernel_size, name=f"up{level}_a")
        if level == 0:
            # The top level concatenates (skip, decoder) and goes straight to
            # the reduction, as published.
            x = layers.Concatenate(name="up0_concat")([skips[0], x])
            break
        x = layers.Concatenate(name=f"up{level}_concat")([x, skips[level]])
        x = conv_bn_relu(x, filters[level], kernel_size, name=f"up{level}_b")

    reduction = reduction.lower()
    if reduction == "1x1conv":
        x = layers.Conv1D(
            1, 1, activation="relu", kernel_initializer="he_normal", name="reduce_conv"
        )(x)
        x = layers.Flatten(name="reduce_flatten")(x)
    elif reduction == "flatten":
        x = layers.Flatten(name="reduce_flatten")(x)
    elif reduction == "gap":
        x = layers.GlobalAveragePooling1D(name="reduce_gap")(x)
    else:
        raise ValueError(f"reduction must be '1x1conv', 'flatten' or 'gap', got {reduction!r}.")

    for i, units in enumerate(dense_units):
        x = dense_bn_relu(x, units, name=f"head{i}")
        if dropout and i < len(dense_units) - 1:
            x = layers.Dropout(dropout, name=f"head{i}_dropout")(x)
    outputs = layers.Dense(
        n_outputs, activation="sigmoid", kernel_initializer="he_normal", name="probabilities"
    )(x)
    return keras.Model(inputs, outputs, name=name)
