"""The EELS_ID vision transformer of Annys et al. (2023), in Keras 3.

The spectrum is cut into overlapping patches of 16 channels with stride 8
(383 patches of a 3072-channel grid), each projected linearly to 128
dimensions with a learned position embedding added; 8 pre-norm transformer
layers follow (16 heads with key size 16, attention dropout 0.1, MLP of 256
and 128 GELU units with dropout 0.1, residual connections), then a final
LayerNorm, a reduction to a vector ("1x1conv": one value per patch, as
published; "flatten" and "gap" as options), dropout 0.1, a GELU head of 512,
256 and 128 units and 80 sigmoid outputs. About 2 M parameters.

The patch projection is a Conv1D with kernel = patch size and stride = patch
stride, which is the same linear map as extracting patches and applying a
shared Dense layer, without a TensorFlow-only patch op. The position
embedding is an ``Embedding`` looked up at positions computed from the input,
so the model is made of built-in layers only (see ``_common``).
"""

from __future__ import annotations

from .._tensorflow import import_keras
from ._common import INPUT_SHAPE, N_OUTPUTS, model_inputs, position_indices, select_channels

keras = import_keras()
layers = keras.layers

DEFAULTS = dict(
    patch_size=16,
    patch_stride=8,
    projection_dim=128,
    transformer_layers=8,
    num_heads=16,
    key_dim=16,
    transformer_units=(256, 128),
    head_units=(512, 256, 128),
    dropout=0.1,
    reduction="1x1conv",
    input_channels="both",
)


def _mlp(x, units, dropout, *, name):
    for i, u in enumerate(units):
        x = layers.Dense(u, activation="gelu", name=f"{name}_dense{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"{name}_dropout{i}")(x)
    return x


def build_vit(
    input_shape=INPUT_SHAPE,
    n_outputs=N_OUTPUTS,
    *,
    patch_size=DEFAULTS["patch_size"],
    patch_stride=DEFAULTS["patch_stride"],
    projection_dim=DEFAULTS["projection_dim"],
    transformer_layers=DEFAULTS["transformer_layers"],
    num_heads=DEFAULTS["num_heads"],
    key_dim=DEFAULTS["key_dim"],
    transformer_units=DEFAULTS["transformer_units"],
    head_units=DEFAULTS["head_units"],
    dropout=DEFAULTS["dropout"],
    reduction=DEFAULTS["reduction"],
    input_channels=DEFAULTS["input_channels"],
    name="vit",
):
    """Build the EELS_ID ViT classifier.

    Parameters
    ----------
    input_shape : tuple of int
        (grid size, 2).
    n_outputs : int
    patch_size, patch_stride : int
        Patch length and step in channels (16 and 8 published).
    projection_dim : int
        Token size. The last of ``transformer_units`` must equal it.
    transformer_layers, num_heads, key_dim : int
        Encoder depth, attention heads and their key size.
    transformer_units : sequence of int
        The MLP of each encoder layer.
    head_units : sequence of int
        The GELU head after the reduction.
    dropout : float
        Attention, MLP and head dropout.
    reduction : {"1x1conv", "flatten", "gap"}
    input_channels : {"both", "spectrum"}
        ``"spectrum"`` reads channel 0 only, as the original.
    name : str

    Returns
    -------
    keras.Model
    """
    transformer_units = tuple(int(u) for u in transformer_units)
    if transformer_units[-1] != projection_dim:
        raise ValueError("The last transformer unit count must equal projection_dim.")
    n_patches = (input_shape[0] - patch_size) // patch_stride + 1
    inputs = model_inputs(input_shape)
    x = select_channels(inputs, input_channels)
    tokens = layers.Conv1D(
        projection_dim, patch_size, strides=patch_stride, padding="valid", name="patch_projection"
    )(x)
    positions = position_indices(tokens)
    tokens = tokens + layers.Embedding(n_patches, projection_dim, name="position_embedding")(
        positions
    )
    for i in range(transformer_layers):
        name = f"encoder{i}"
        y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(tokens)
        y = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=key_dim, dropout=dropout, name=f"{name}_attention"
        )(y, y)
        tokens = layers.Add(name=f"{name}_add1")([y, tokens])
        y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(tokens)
        y = _mlp(y, transformer_units, dropout, name=f"{name}_mlp")
        tokens = layers.Add(name=f"{name}_add2")([y, tokens])
    x = layers.LayerNormalization(epsilon=1e-6, name="final_norm")(tokens)

    reduction = reduction.lower()
    if reduction == "1x1conv":
        x = layers.Conv1D(1, 1, name="reduce_conv")(x)
        x = layers.Flatten(name="reduce_flatten")(x)
    elif reduction == "flatten":
        x = layers.Flatten(name="reduce_flatten")(x)
    elif reduction == "gap":
        x = layers.GlobalAveragePooling1D(name="reduce_gap")(x)
    else:
        raise ValueError(f"reduction must be '1x1conv', 'flatten' or 'gap', got {reduction!r}.")
    if dropout:
        x = layers.Dropout(dropout, name="reduce_dropout")(x)
    head_units = tuple(int(u) for u in head_units)
    # As published: dropout after all head layers but the last.
    x = _mlp(x, head_units[:-1], dropout, name="head")
    x = layers.Dense(head_units[-1], activation="gelu", name="head_last")(x)
    outputs = layers.Dense(n_outputs, activation="sigmoid", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)
