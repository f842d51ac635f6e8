"""RegionNet: a specialist that reads a few fixed energy regions at full resolution.

The full network reads 0..3 keV at one eighth of the grid resolution after its
stem, and must tell 80 elements apart; neighbouring lanthanides differ only in
where their N4,5 giant resonance peaks (2..11 eV apart, 100..200 eV) and M4,5
white lines sit (40..60 eV apart, 0.8..1.7 keV). A specialist for such a
family reads only the regions where its edges lie, at the grid's 1 eV:

* each region is cut from the same (grid, 2) input the full network reads, so
  a specialist file is a drop-in network with the usual input;
* the spectrum channel is re-centred on its mean over the measured channels
  of the region (the full input is centred over the whole window, so its
  level in a region depends on what lies elsewhere);
* short stacks of Conv1D + BatchNorm + ReLU + max-pooling per region, then
  the flattened features of all regions into one dense layer: flattening
  keeps *where* a feature sits, which is what separates the neighbours.
"""

from __future__ import annotations

from .._tensorflow import import_keras
from ..energy_grid import DEFAULT_GRID
from ._common import INPUT_SHAPE, conv_bn_relu, dense_bn_relu, model_inputs, sigmoid_output

keras = import_keras()
layers = keras.layers
ops = keras.ops

# The lanthanide specialist reads Ba and La..Lu N4,5 only: reading their
# M4,5 white lines (0.76..1.7 keV) as well made it worse there than the full
# network and invented lanthanides on Cu and Zn L2,3 (docs/results.rst).
LANTHANIDE_REGIONS = ((75.0, 250.0),)

DEFAULTS = dict(
    regions=LANTHANIDE_REGIONS,
    grid_start=DEFAULT_GRID.start,
    grid_step=DEFAULT_GRID.step,
    filters=(32, 48, 64),
    kernel_size=7,
    dense_units=96,
    dropout=0.2,
)


def region_slice(region, grid_start, grid_step, size):
    """Grid indices ``(first, stop)`` of the channels whose centres lie in ``region`` (eV)."""
    lo, hi = float(region[0]), float(region[1])
    if not hi > lo:
        raise ValueError(f"A region must be (low, high) with high > low, got {region}.")
    first = max(0, int(-(-(lo - grid_start) // grid_step)))
    stop = min(int(size), int((hi - grid_start) // grid_step) + 1)
    if stop - first < 8:
        raise ValueError(f"Region {region} eV covers fewer than 8 channels of the grid.")
    return first, stop


def build_regional(
    input_shape=INPUT_SHAPE,
    n_outputs=16,
    *,
    regions=DEFAULTS["regions"],
    grid_start=DEFAULTS["grid_start"],
    grid_step=DEFAULTS["grid_step"],
    filters=DEFAULTS["filters"],
    kernel_size=DEFAULTS["kernel_size"],
    dense_units=DEFAULTS["dense_units"],
    dropout=DEFAULTS["dropout"],
    name="regional",
):
    """Build a RegionNet (see the module documentation).

    Parameters
    ----------
    input_shape : tuple of int
        (grid size, 2), as for every network here.
    n_outputs : int
        Sigmoid outputs: one per element of the family (16 for Ba, La..Lu).
    regions : sequence of (float, float)
        Energy ranges (eV) read, on the grid given by ``grid_start`` and ``grid_step``.
    filters : sequence of int
        Conv1D widths of the stages per region; each stage halves the length.
    kernel_size : int
    dense_units : int
        The dense layer on the flattened features of all regions.
    dropout : float

    Returns
    -------
    keras.Model
    """
    inputs = model_inputs(input_shape)
    size = int(input_shape[0])
    branches = []
    for r, region in enumerate(regions):
        first, stop = region_slice(region, grid_start, grid_step, size)
        part = inputs[:, first:stop, :]
        spectrum, mask = part[:, :, 0:1], part[:, :, 1:2]
        measured = ops.sum(mask, axis=1, keepdims=True)
        mean = ops.sum(spectrum * mask, axis=1, keepdims=True) / ops.maximum(measured, 1.0)
        x = layers.Concatenate(name=f"r{r}_input")([(spectrum - mean) * mask, mask])
        for s, width in enumerate(filters):
            x = conv_bn_relu(x, int(width), int(kernel_size), name=f"r{r}_s{s}")
            x = layers.MaxPooling1D(2, padding="same", name=f"r{r}_s{s}_pool")(x)
        branches.append(layers.Flatten(name=f"r{r}_flatten")(x))
    x = branches[0] if len(branches) == 1 else layers.Concatenate(name="regions")(branches)
    x = layers.Dropout(float(dropout), name="features_dropout")(x)
    x = dense_bn_relu(x, int(dense_units), name="head")
    x = layers.Dropout(float(dropout), name="head_dropout")(x)
    outputs = sigmoid_output(x, int(n_outputs))
    return keras.Model(inputs, outputs, name=name)
