"""Small helpers that turn arrays over a map back into HyperSpy signals."""

from __future__ import annotations

import numpy as np

__all__ = ["map_axes", "stack_signal"]


def map_axes(signal):
    """Axis dictionaries of ``signal``'s navigation axes, NumPy order, as signal axes."""
    axes = []
    for ax in reversed(signal.axes_manager.navigation_axes):
        d = ax.get_axis_dictionary()
        d["navigate"] = False
        axes.append(d)
    return axes


def stack_signal(stack, axes, *, stack_name, title, names=None):
    """A stack of maps as a signal: one navigation axis over the stack, the map as signal.

    Parameters
    ----------
    stack : ndarray, shape (k, *map_shape_numpy)
    axes : list of dict
        The map axes in NumPy order (from :func:`map_axes`).
    stack_name : str
        Name of the navigation axis (``"latent"``, ``"class"``).
    title : str
    names : list of str, optional
        Names of the stack entries, stored in ``metadata.Signal.<stack_name>_names``.

    Returns
    -------
    Signal2D for maps, Signal1D for line scans, BaseSignal otherwise.
    """
    import hyperspy.api as hs

    stack = np.asarray(stack)
    all_axes = [{"name": stack_name, "size": stack.shape[0], "navigate": True}, *axes]
    if len(axes) == 2:
        cls = hs.signals.Signal2D
    elif len(axes) == 1:
        cls = hs.signals.Signal1D
    else:
        cls = hs.signals.BaseSignal
    out = cls(stack, axes=all_axes)
    if cls is hs.signals.BaseSignal:
        out = out.transpose(signal_axes=len(axes))
    out.metadata.General.title = title
    if names is not None:
        out.metadata.set_item(f"Signal.{stack_name}_names", list(names))
    return out
