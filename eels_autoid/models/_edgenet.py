"""EdgeNet: our network for element identification per FLOP on a laptop CPU.

Design, and why:

* **Learned downsampling first.** The stem folds each run of 8 channels
  into the feature axis (space-to-depth) and convolves, taking the 3072
  channels at 1 eV to 384 positions at once as one dense matrix product. Edges are
  steps and white lines a few eV wide: a kernel wider than the stride keeps
  their sub-stride shape in the channels, so little is lost, and every later
  layer costs ``stem_stride`` times less than at full resolution (the EELS_ID
  U-Net spends almost all its time in 32-wide convolutions at 3072 and 1536
  positions).
* **Depthwise-separable, dilated residual blocks.** A depthwise convolution
  looks along energy, a pointwise one mixes features; with dilations the
  receptive field reaches the 50..100 eV rise of delayed M4,5 and N4,5 edges
  and the L3/L2 or M5/M4 pairs, at a cost linear in the width.
* **The mask is read explicitly.** The measured-range mask is read by the
  stem, is concatenated (max-pooled: a position counts as
  measured if any of its channels was) to the input of every stage so that
  the network always knows where the window ends (a window edge is a step
  too, but not an element), and gates the pooling of the head: positions
  outside the window can neither raise nor lower a probability.
* **Absolute energy stays available.** Which element an edge belongs to
  depends on where it sits, which convolutions alone do not know. A relative
  energy coordinate is concatenated to the input of every stage, and the
  head adds a learned embedding per output position.
* **A multiple-instance head.** Per position, a small MLP turns (features,
  position embedding, global context) into 80 logits, "evidence for element
  e here"; the probability of e is the sigmoid of its largest evidence over
  the measured positions. An element is present if one of its edges is seen
  somewhere, and the same detector serves every position.

The default configuration is the architecture of the bundled default
network, 236,020 parameters (0.9 MB as float32), so a 3-member ensemble fits
easily in the 20 MB the package allows.
"""

from __future__ import annotations

from .._tensorflow import import_keras
from ._common import (
    INPUT_SHAPE,
    N_OUTPUTS,
    energy_coordinate,
    model_inputs,
    position_indices,
    split_channels,
)

keras = import_keras()
layers = keras.layers
ops = keras.ops

# The bundled default network's architecture: "edgenet" without arguments
# builds it. training/configs/default.toml spells out the same values.
DEFAULTS = dict(
    stem_mode="space_to_depth",
    stem_filters=64,
    stem_kernel=5,
    stem_stride=8,
    widths=(64, 96, 128),
    blocks=(2, 3, 4),
    kernel_size=9,
    dilations=(1, 2, 4),
    head_units=256,
    position_dim=16,
    global_context=True,
    dropout=0.1,
)

# Logit given to unmeasured positions before the max: low enough that any
# measured position wins, small enough to stay finite in float16.
_MASKED_LOGIT = 1.0e4


def _separable_block(x, width, kernel_size, dilation, *, name):
    """Residual depthwise-separable block: DW conv -> BN -> PW conv -> BN -> +x -> ReLU."""
    y = layers.DepthwiseConv1D(
        kernel_size,
        dilation_rate=dilation,
        padding="same",
        use_bias=False,
        name=f"{name}_dw",
    )(x)
    y = layers.BatchNormalization(name=f"{name}_dw_bn")(y)
    y = layers.ReLU(name=f"{name}_dw_relu")(y)
    y = layers.Conv1D(width, 1, use_bias=False, kernel_initializer="he_normal", name=f"{name}_pw")(
        y
    )
    # Zero-initialised scale: each block starts as the identity, which keeps
    # deep stacks trainable from the first step.
    y = layers.BatchNormalization(gamma_initializer="zeros", name=f"{name}_pw_bn")(y)
    x = layers.Add(name=f"{name}_add")([x, y])
    return layers.ReLU(name=f"{name}_relu")(x)


def _downsample(x, mask, coord, width, kernel_size, *, name, stride=2):
    """Strided separable conv to a new width, reading mask and coordinate too."""
    x = layers.Concatenate(name=f"{name}_concat")([x, mask, coord])
    x = layers.SeparableConv1D(
        width,
        kernel_size,
        strides=stride,
        padding="same",
        use_bias=False,
        pointwise_initializer="he_normal",
        name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_edgenet(
    input_shape=INPUT_SHAPE,
    n_outputs=N_OUTPUTS,
    *,
    stem_mode=DEFAULTS["stem_mode"],
    stem_filters=DEFAULTS["stem_filters"],
    stem_kernel=DEFAULTS["stem_kernel"],
    stem_stride=DEFAULTS["stem_stride"],
    widths=DEFAULTS["widths"],
    blocks=DEFAULTS["blocks"],
    kernel_size=DEFAULTS["kernel_size"],
    dilations=DEFAULTS["dilations"],
    head_units=DEFAULTS["head_units"],
    position_dim=DEFAULTS["position_dim"],
    global_context=DEFAULTS["global_context"],
    dropout=DEFAULTS["dropout"],
    name="edgenet",
):
    """Build an EdgeNet (see the module documentation for the design).

    Parameters
    ----------
    input_shape : tuple of int
        (grid size, 2): normalised spectrum and measured mask.
    n_outputs : int
        Number of sigmoid outputs (80 elements).
    stem_mode : {"space_to_depth", "conv"}
        How the stem downsamples by ``stem_stride``: fold ``stem_stride``
        channels into features and convolve with ``stem_kernel`` (fast), or a
        strided convolution of kernel ``stem_kernel``.
    stem_filters, stem_kernel, stem_stride : int
        The stem. The grid size must be divisible by
        ``stem_stride * 2 ** (len(widths) - 1)``.
    widths : sequence of int
        Feature width of each stage; every stage after the first halves the
        resolution.
    blocks : sequence of int
        Residual blocks per stage.
    kernel_size : int
        Depthwise kernel size of the blocks.
    dilations : sequence of int
        Dilation rates cycled over the blocks of a stage.
    head_units : int
        Hidden width of the per-position head.
    position_dim : int
        Size of the learned position embedding of the head (0: none).
    global_context : bool
        Add the masked mean of the final features to every position of the head.
    dropout : float
        Dropout rate in the head.
    name : str

    Returns
    -------
    keras.Model
        Input (batch, *input_shape), output (batch, n_outputs) probabilities.
    """
    widths, blocks, dilations = tuple(widths), tuple(blocks), tuple(dilations)
    if len(widths) != len(blocks):
        raise ValueError("widths and blocks must have the same length.")
    total_stride = int(stem_stride) * 2 ** (len(widths) - 1)
    if input_shape[0] % total_stride:
        raise ValueError(
            f"The grid size {input_shape[0]} must be divisible by the total stride {total_stride}."
        )
    inputs = model_inputs(input_shape)
    _, mask = split_channels(inputs)
    if stem_mode == "space_to_depth":
        # Fold each run of stem_stride channels into the feature axis (a free
        # reshape), then convolve: the same receptive field as a strided
        # convolution of kernel stem_kernel * stem_stride, computed as one
        # dense matrix product, which CPUs do far faster.
        x = layers.Reshape(
            (input_shape[0] // stem_stride, stem_stride * input_shape[1]), name="stem_fold"
        )(inputs)
        x = layers.Conv1D(
            stem_filters,
            stem_kernel,
            padding="same",
            use_bias=False,
            kernel_initializer="he_normal",
            name="stem_conv",
        )(x)
    elif stem_mode == "conv":
        x = layers.Conv1D(
            stem_filters,
            stem_kernel,
            strides=stem_stride,
            padding="same",
            use_bias=False,
            kernel_initializer="he_normal",
            name="stem_conv",
        )(inputs)
    else:
        raise ValueError(f"stem_mode must be 'space_to_depth' or 'conv', got {stem_mode!r}.")
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    # Mask and energy coordinate at the current resolution. Max-pooling the
    # mask: a position counts as measured if any channel under it was.
    m = layers.MaxPooling1D(stem_stride, name="stem_mask_pool")(mask)
    c = energy_coordinate(x)
    for s, (width, n_blocks) in enumerate(zip(widths, blocks, strict=True)):
        if s == 0:
            if width != stem_filters:
                x = _downsample(x, m, c, width, kernel_size, name="stage0_in", stride=1)
        else:
            x = _downsample(x, m, c, width, kernel_size, name=f"stage{s}_down")
            m = layers.MaxPooling1D(2, name=f"stage{s}_mask_pool")(m)
            c = layers.AveragePooling1D(2, name=f"stage{s}_coord_pool")(c)
        for b in range(n_blocks):
            x = _separable_block(
                x, width, kernel_size, dilations[b % len(dilations)], name=f"stage{s}_block{b}"
            )

    # Head: per-position evidence, pooled by a masked max.
    parts = [x, m]
    if position_dim:
        positions = position_indices(x)
        emb = layers.Embedding(
            input_shape[0] // total_stride, position_dim, name="head_position_embedding"
        )(positions)
        parts.append(emb)
    h = layers.Concatenate(name="head_concat")(parts)
    h = layers.Conv1D(head_units, 1, kernel_initializer="he_normal", name="head_hidden")(h)
    if global_context:
        # Masked mean of the features: the spectrum as a whole (background
        # slope, noise, which edges are elsewhere) informs each position.
        count = ops.maximum(ops.sum(m, axis=1), 1.0)
        context = ops.sum(x * m, axis=1) / count
        context = layers.Dense(head_units, use_bias=False, name="head_context")(context)
        h = h + ops.expand_dims(context, 1)
    h = layers.ReLU(name="head_relu")(h)
    if dropout:
        h = layers.Dropout(dropout, name="head_dropout")(h)
    # Negative initial bias: the max over ~100 positions of untrained logits
    # would otherwise start every probability near 0.5, far above the few
    # percent of elements present in a spectrum.
    evidence = layers.Conv1D(
        n_outputs, 1, bias_initializer=keras.initializers.Constant(-4.0), name="head_evidence"
    )(h)
    evidence = evidence - (1.0 - m) * _MASKED_LOGIT
    logits = ops.max(evidence, axis=1)
    outputs = layers.Activation("sigmoid", name="probabilities")(logits)
    return keras.Model(inputs, outputs, name=name)
