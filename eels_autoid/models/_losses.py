"""Training loss and metrics: binary cross-entropy plus macro soft-F1 (Annys et al. 2023).

The soft-F1 replaces the counts of a thresholded F1 by probabilities, over
the batch and per element:

    tp = sum(p y),  fp = sum(p (1 - y)),  fn = sum((1 - p) y)
    soft_F1 = 2 tp / (2 tp + fp + fn + eps),   cost = mean over elements of (1 - soft_F1)

so that it is differentiable and rewards what the task is scored on (F1)
rather than per-output likelihood alone; the cross-entropy keeps the
probabilities calibrated and supplies gradients for the elements a batch
does not contain. Written with ``keras.ops`` only (any backend).
"""

from __future__ import annotations

from .._tensorflow import import_keras

keras = import_keras()
ops = keras.ops

__all__ = ["macro_soft_f1_cost", "BCESoftF1", "training_metrics"]


def macro_soft_f1_cost(y_true, y_pred, *, epsilon=1e-16, present_only=False):
    """Macro soft-F1 cost, ``mean_e(1 - soft_F1_e)`` over the batch.

    Parameters
    ----------
    y_true, y_pred : tensor, shape (batch, n_classes)
        Labels (0/1) and probabilities.
    epsilon : float
        Added to the denominator (1e-16 as published).
    present_only : bool
        False (as published): every class counts, so a class absent from the
        batch contributes a constant 1 (and no gradient). True: average over
        the classes with at least one positive label in the batch only
        (0 if there is none), so that perfect predictions cost 0.

    Returns
    -------
    scalar tensor
    """
    y_true = ops.cast(y_true, y_pred.dtype)
    tp = ops.sum(y_pred * y_true, axis=0)
    fp = ops.sum(y_pred * (1.0 - y_true), axis=0)
    fn = ops.sum((1.0 - y_pred) * y_true, axis=0)
    cost = 1.0 - 2.0 * tp / (2.0 * tp + fp + fn + epsilon)
    if not present_only:
        return ops.mean(cost)
    present = ops.cast(ops.sum(y_true, axis=0) > 0, cost.dtype)
    return ops.sum(cost * present) / ops.maximum(ops.sum(present), 1.0)


@keras.saving.register_keras_serializable(package="eels_autoid")
class BCESoftF1(keras.losses.Loss):
    """Binary cross-entropy + ``soft_f1_weight`` x macro soft-F1 cost.

    Parameters
    ----------
    soft_f1_weight : float
        Weight of the soft-F1 term (1 as published; 0 gives plain BCE).
    present_only : bool
        See :func:`macro_soft_f1_cost`.
    label_smoothing : float
        Passed to the cross-entropy.
    name : str
    """

    def __init__(
        self,
        soft_f1_weight=1.0,
        present_only=False,
        label_smoothing=0.0,
        name="bce_soft_f1",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.soft_f1_weight = float(soft_f1_weight)
        self.present_only = bool(present_only)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        # Per-spectrum BCE (mean over elements); the batch-level soft-F1
        # cost is added to every spectrum, so the batch mean is BCE + cost.
        bce = keras.losses.binary_crossentropy(y_true, y_pred, label_smoothing=self.label_smoothing)
        if not self.soft_f1_weight:
            return bce
        cost = macro_soft_f1_cost(y_true, y_pred, present_only=self.present_only)
        return bce + self.soft_f1_weight * cost

    def get_config(self):
        config = super().get_config()
        config.update(
            soft_f1_weight=self.soft_f1_weight,
            present_only=self.present_only,
            label_smoothing=self.label_smoothing,
        )
        return config


def training_metrics(threshold=0.5):
    """Keras metrics logged during training: micro F1, precision and recall."""
    return [
        keras.metrics.F1Score(average="micro", threshold=threshold, name="f1"),
        keras.metrics.Precision(thresholds=threshold, name="precision"),
        keras.metrics.Recall(thresholds=threshold, name="recall"),
    ]
