"""A CNN-BiLSTM after Kong, Ji and Xin (Sci. Rep. 12, 22183, 2022), for comparison.

Kong et al. read the raw spectrum with a convolutional feature extractor and
a bidirectional LSTM that follows the features along the energy axis, ending
in independent sigmoid outputs (multi-label). This module keeps that
structure: blocks of Conv1D + BatchNorm + ReLU + max-pooling shorten the
3072-channel input to a sequence of a few tens of steps, two bidirectional
LSTM layers read it (the first returning the sequence), and a dense layer
with dropout feeds 80 sigmoids. The layer sizes are configurable; the
defaults are ours (sized to train on a CPU), not the publication's, which
worked on 20 light and 3d elements.
"""

from __future__ import annotations

from .._tensorflow import import_keras
from ._common import INPUT_SHAPE, N_OUTPUTS, conv_bn_relu, model_inputs, select_channels

keras = import_keras()
layers = keras.layers

DEFAULTS = dict(
    conv_filters=(32, 64, 128),
    kernel_size=9,
    pool_size=4,
    lstm_units=(64, 64),
    dense_units=128,
    dropout=0.3,
    input_channels="both",
)


def build_cnn_bilstm(
    input_shape=INPUT_SHAPE,
    n_outputs=N_OUTPUTS,
    *,
    conv_filters=DEFAULTS["conv_filters"],
    kernel_size=DEFAULTS["kernel_size"],
    pool_size=DEFAULTS["pool_size"],
    lstm_units=DEFAULTS["lstm_units"],
    dense_units=DEFAULTS["dense_units"],
    dropout=DEFAULTS["dropout"],
    input_channels=DEFAULTS["input_channels"],
    name="cnn_bilstm",
):
    """Build the CNN-BiLSTM classifier.

    Parameters
    ----------
    input_shape : tuple of int
        (grid size, 2).
    n_outputs : int
    conv_filters : sequence of int
        Filters of each convolution block (each ends in max-pooling).
    kernel_size, pool_size : int
    lstm_units : sequence of int
        Units per direction of each bidirectional LSTM layer.
    dense_units : int
        Hidden dense layer before the outputs (0: none).
    dropout : float
    input_channels : {"both", "spectrum"}
    name : str

    Returns
    -------
    keras.Model
    """
    inputs = model_inputs(input_shape)
    x = select_channels(inputs, input_channels)
    for i, f in enumerate(conv_filters):
        x = conv_bn_relu(x, f, kernel_size, name=f"conv{i}")
        x = layers.MaxPooling1D(pool_size, name=f"conv{i}_pool")(x)
    lstm_units = tuple(int(u) for u in lstm_units)
    for i, units in enumerate(lstm_units):
        last = i == len(lstm_units) - 1
        x = layers.Bidirectional(layers.LSTM(units, return_sequences=not last), name=f"bilstm{i}")(
            x
        )
    if dense_units:
        x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(n_outputs, activation="sigmoid", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)
