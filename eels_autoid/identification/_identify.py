"""identify_edges: batched network inference over spectra and spectrum images."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from .._bad_values import bad_value_counts, unusable_spectra, warn_bad_values
from .._computing import block_chunks, compute, is_lazy
from .._docstrings import IDENTIFY_PARAMETERS
from .._energy_axis import energy_axis, zero_loss_shift
from ..energy_grid import MIN_MEASURED_CHANNELS
from ..preprocessing import bridge_gaps, model_input
from ..vocabulary import ELEMENTS, element_index, observable_elements
from ._check import CANDIDATE_SHARE
from ._result import MIN_AREA_FRACTION, EdgeIdentification

__all__ = ["identify_edges"]

# Spectra per network call. Small enough for one call's activations to stay
# in the CPU caches: on 2 cores the bundled default runs 1.2x faster with 128
# than with 512 (benchmarks/bench_identify.py).
DEFAULT_BATCH_SIZE = 128
# Spectra per dask block: bounds memory (block + its model input) for lazy
# spectrum images larger than memory, while keeping network calls large.
_SPECTRA_PER_BLOCK = 4096


# The coarsest dispersion the model input is validated for (eV per channel):
# coarser, the L3/L2 and M5/M4 pairs and neighbouring edges merge.
MAX_DISPERSION = 10.0


@functools.lru_cache(maxsize=4)
def _cached_model(key):
    from ..models import load_model

    return load_model(key[0])


def _model_key(model):
    """Cache key of a model name or path: its files, resolved, and their modification times.

    A file replaced at the same path, or a relative path read after a change
    of directory, then loads anew.
    """
    from ..models import model_files

    name = "default" if model is None else str(model)
    files = model_files(name)
    stamps = tuple((str(f), f.stat().st_mtime_ns if f.is_file() else None) for f in files)
    return (name, stamps)


def _resolve_model(model):
    from ..models import IdentificationModel

    if isinstance(model, IdentificationModel):
        return model
    return _cached_model(_model_key(model))


def _without_rolloff(spectra, axis):
    """``spectra`` with the channels of an initial climb set to NaN (not measured).

    The climb (:func:`~eels_autoid.spectrum_model.rolloff_end`) is judged on
    the block's mean spectrum: an instrument's roll-off is the same in every
    pixel, and one pixel's noise would make it flicker. Returns ``spectra``
    itself where there is none.
    """
    from ..spectrum_model import rolloff_end

    if not len(spectra):
        return spectra
    energy = axis.offset + axis.scale * np.arange(spectra.shape[-1])
    finite = np.isfinite(spectra)
    mean = np.where(finite, spectra, 0.0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)
    end = rolloff_end(energy, mean)
    k = int(np.searchsorted(energy, end - 1e-9))
    if k == 0:
        return spectra
    spectra = np.array(spectra, dtype=float)
    spectra[:, :k] = np.nan
    return spectra


def _predict_block(block, *, net, axis, n_out, batch_size, member_spread):
    """Probabilities for one block of spectra, shape (*nav, n_out[, 2])."""
    nav_shape = block.shape[:-1]
    spectra = bridge_gaps(np.asarray(block).reshape(-1, block.shape[-1]))
    cut = _without_rolloff(spectra, axis)
    out = np.zeros((len(spectra), 2, n_out), dtype=np.float32)
    empty, negated = unusable_spectra(spectra)
    usable = ~(empty | negated)
    for start in range(0, len(spectra), batch_size):
        rows = slice(start, start + batch_size)
        ok = usable[rows]
        if not ok.any():
            continue
        x = model_input(spectra[rows][ok], axis.offset, axis.scale, net.grid)
        mean, spread = net.predict(x, member_spread=True)
        if cut is not spectra:
            # A roll-off or an edge at the window's start: read both ways.
            xc = model_input(cut[rows][ok], axis.offset, axis.scale, net.grid)
            mean_c, spread_c = net.predict(xc, member_spread=True)
            better = mean_c > mean
            mean = np.where(better, mean_c, mean)
            spread = np.where(better, spread_c, spread)
        out[np.arange(len(spectra))[rows][ok], 0] = mean
        out[np.arange(len(spectra))[rows][ok], 1] = spread
    out = out.reshape(*nav_shape, 2, n_out)
    return out if member_spread else out[..., 0, :]


# The check's placement of the axis (eV) beyond which the spectra are read
# again on the placed axis: more than a chemical shift (3 eV) and a white
# line's uncertain position above its onset.
REREAD_OFFSET = 5.0

# Candidates for the calibration: elements the network gives at least
# CANDIDATE_SHARE of their threshold on the summed spectrum (as for the
# check), read at each of these trial offsets (eV): on a miscalibrated axis
# the network misses the real elements, so it is asked as if the axis were
# that far off too. Recall first: the edges' rises, not the network, decide
# the offset.
_TRIAL_OFFSETS = (-20.0, -10.0, 0.0, 10.0, 20.0)


def _self_calibration(signal, net, axis, batch_size):
    """Offset (eV) that puts the edges of the network's candidates where the tables have them.

    The summed spectrum's candidates are placed by their rises
    (:meth:`eels_autoid.spectrum_model.SpectrumModel.calibrate`); a window
    whose edges rise faintly, or whose candidates are wrong, is not moved.
    """
    from ..spectrum_model import DEFAULT_MICROSCOPE, SpectrumModel, rolloff_end

    data = signal.data
    flat = data.reshape(-1, data.shape[-1])
    if is_lazy(data):
        import dask.array as da

        summed = np.asarray(da.nansum(flat, axis=0).compute(), dtype=float)
    else:
        summed = np.nansum(np.asarray(flat, dtype=float), axis=0)
    lo, hi = net.grid.valid_range
    observable = set(observable_elements(max(axis.offset, lo), min(axis.end, hi)))
    thresholds = net.card.thresholds(None)
    candidates = set()
    for trial in _TRIAL_OFFSETS:
        probs = _predict_block(
            summed[None],
            net=net,
            axis=axis.shifted(trial),
            n_out=len(ELEMENTS),
            batch_size=batch_size,
            member_spread=False,
        )[0]
        candidates |= {
            el
            for el, p, t in zip(ELEMENTS, probs, thresholds, strict=True)
            if el in observable and p >= CANDIDATE_SHARE * t
        }
    candidates = sorted(candidates, key=ELEMENTS.index)
    if not candidates:
        return 0.0
    energy = axis.offset + axis.scale * np.arange(axis.size)
    try:
        model = SpectrumModel(
            energy, candidates, DEFAULT_MICROSCOPE, data_start=rolloff_end(energy, summed)
        )
    except ValueError:
        return 0.0
    if not model.modelled:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(model.calibrate(summed, every_rise=False).offset)


def _check(
    signal,
    probabilities,
    *,
    thresholds,
    observable,
    min_area_fraction,
    net,
    axis,
    batch,
    search=False,
):
    """The network's answer checked against the spectrum model (see :mod:`._check`)."""
    from .._microscope import recorded_settings
    from ..spectrum_model import DEFAULT_MICROSCOPE
    from ._check import MAX_CANDIDATES, NOT_CHECKED, UNSUPPORTED, check_map
    from ._regions import MAX_REGION_SHARE, MIN_REGION_PIXELS, region_sums

    def predict(spectrum):
        p = _predict_block(
            np.asarray(spectrum, dtype=float)[None],
            net=net,
            axis=axis,
            n_out=len(ELEMENTS),
            batch_size=batch,
            member_spread=False,
        )[0]
        return {el: float(p[element_index(el)]) for el in observable}

    data = signal.data
    flat = data.reshape(-1, data.shape[-1])
    limits = {el: float(thresholds[element_index(el)]) for el in observable}
    masks, proposers, proposed = None, [], {}
    if data.ndim > 1:
        from ._regions import neighbour_masks

        # Elements the network sees in enough pixels: the pixels beside them.
        flat_probs = probabilities.reshape(-1, len(ELEMENTS))
        idx = [element_index(el) for el in observable]
        above = flat_probs[:, idx] > np.asarray(thresholds)[idx]
        share = above.mean(axis=0)
        wanted = [i for i, a in enumerate(share) if a >= min_area_fraction and a > 0]
        # The most widespread first, as many as a spectrum can be checked with.
        wanted = sorted(wanted, key=lambda i: -share[i])[:MAX_CANDIDATES]
        if len(flat_probs) < 2 * MIN_REGION_PIXELS:
            # A share of a few pixels is no statistic: the summed spectrum decides.
            wanted = []
        proposed = {observable[i]: float(flat_probs[above[:, i], idx[i]].mean()) for i in wanted}
        if wanted:
            masks = neighbour_masks(above[:, wanted], data.shape[:-1])
            # A region over most of the map is the map: the summed spectrum
            # has judged it.
            confined = masks.mean(axis=0) <= MAX_REGION_SHARE
            masks = masks[:, confined]
            proposers = [
                {observable[i]: proposed[observable[i]]}
                for i, c in zip(wanted, confined, strict=True)
                if c
            ]
    summed, sums = region_sums(flat, masks)
    regions = [
        (row, proposers[k] if k < len(proposers) else {})
        for k, row in enumerate(sums)
        if np.any(row)
    ]
    energy = axis.offset + axis.scale * np.arange(axis.size)
    settings = recorded_settings(signal, DEFAULT_MICROSCOPE)
    result = check_map(
        summed,
        regions,
        predict,
        energy,
        limits,
        settings,
        proposed,
        search=search,
        image=data.ndim > 1,
    )
    reasons = sorted(
        {
            c.reason.removeprefix(NOT_CHECKED)
            for c in result.checks.values()
            if c.reason.startswith(NOT_CHECKED)
        }
    )
    if result.suggested:
        warnings.warn(
            "The residual holds edges that no confirmed element explains: the search suggests "
            + ", ".join(
                f"{el} (evidence {result.checks[el].evidence:.0f})" for el in result.suggested
            )
            + ". They are not added to the elements; see summary() and result.check.",
            UserWarning,
            stacklevel=3,
        )
    unsupported = sorted(el for el, c in result.checks.items() if c.reason == UNSUPPORTED)
    if unsupported:
        warnings.warn(
            "Kept on the network's word: "
            + ", ".join(unsupported)
            + ". The spectrum model gives their edges no evidence, and no other element "
            "explains them: where the model does not hold the spectrum (a thick area, a "
            "window opening in the plasmon tail) that is no evidence of absence. Read them as "
            "unconfirmed; see summary() and result.check.",
            UserWarning,
            stacklevel=3,
        )
    unreported = result.unreported_signal if not result.elements else []
    if unreported:
        # An empty answer is not "nothing here" when the spectrum needs edges.
        warnings.warn(
            "No element passed the network's threshold, but the spectrum needs the edges of "
            + ", ".join(
                f"{c.element} (network {c.network_probability:.2f}, evidence {c.evidence:.0f}"
                + (f"; rival {c.rival}" if c.rival else "")
                + ")"
                for c in unreported
            )
            + ": the answer is uncertain, not empty. See summary() and result.check.",
            UserWarning,
            stacklevel=3,
        )
    if reasons:
        warnings.warn(
            "The spectrum model could not check every candidate ("
            + "; ".join(reasons)
            + "): the network alone decides those.",
            UserWarning,
            stacklevel=3,
        )
    if abs(result.offset) >= REREAD_OFFSET:
        # Kept only where no second reading replaces this one (identify_edges).
        warnings.warn(
            f"The edges place the energy axis {result.offset:+.1f} eV off, but the spectra were "
            "read on the axis as given (a lazy result is not read again, nor one whose reading "
            "on the placed axis asks for yet another): calibrate the axis, e.g. with a low loss "
            "and its zero-loss peak.",
            UserWarning,
            stacklevel=3,
        )
    return result


def _as_dask(data):
    """The data as a dask array with the whole energy axis in every block."""
    import dask.array as da

    if data.ndim == 1:
        data = data[None, :]
    chunks = (*block_chunks(data.shape[:-1], _SPECTRA_PER_BLOCK), -1)
    if isinstance(data, da.Array):
        return data.rechunk(chunks)
    return da.from_array(data, chunks=chunks)


def identify_edges(
    signal,
    *,
    model=None,
    threshold=None,
    min_area_fraction=MIN_AREA_FRACTION,
    low_loss=None,
    batch_size=None,
    show_progressbar=None,
    lazy_output=None,
    calibrate=False,
    check=True,
    search=False,
):
    """Identify the elements whose core-loss edges are in an EELS signal.

    Works on any HyperSpy signal with one energy axis (eV or keV): single
    spectra, line scans, spectrum images, lazy or not. The signal is never
    modified (the ``EELS_autoid`` method additionally writes the detected
    elements into ``metadata.Sample.elements``).

    Parameters
    ----------
    signal : hyperspy.signal.BaseSignal
        The spectra, signal dimension 1.
    %s

    Returns
    -------
    EdgeIdentification
        Probabilities per pixel and element, the detected and observable
        elements, maps and a summary.

    Raises
    ------
    TypeError
        If ``signal`` is not a HyperSpy signal.
    ValueError
        For a signal dimension other than 1, non-energy units, a non-uniform
        axis, an empty signal, a window entirely outside the model's range, or
        a low-loss whose navigation shape does not match.
    FileNotFoundError
        If the model file does not exist (or no model is bundled yet).

    Warns
    -----
    UserWarning
        When the window lies partly outside the model's range (it is cropped),
        when the data hold NaN or inf (treated as not measured), and when
        spectra are all zero (their probabilities are 0), when the check
        places the axis 5 eV or more off and the spectra are read again there,
        and when nothing is reported but the spectrum needs the edges of a
        candidate under the network's threshold.

    Examples
    --------
    >>> import eels_autoid
    >>> s = hs.load("si.dm4")  # doctest: +SKIP
    >>> result = eels_autoid.identify_edges(s)  # doctest: +SKIP
    >>> result.get_map("La").plot()  # doctest: +SKIP
    """
    axis = energy_axis(signal)
    if not 0 <= min_area_fraction <= 1:
        raise ValueError(f"min_area_fraction must lie in [0, 1], got {min_area_fraction}.")
    if batch_size is not None and (int(batch_size) != batch_size or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
    batch_size = int(batch_size or DEFAULT_BATCH_SIZE)
    if low_loss is not None:
        axis = axis.shifted(zero_loss_shift(low_loss, signal))

    net = _resolve_model(model)
    if calibrate and low_loss is None:
        axis = axis.shifted(_self_calibration(signal, net, axis, batch_size))
    if lazy_output is None:
        lazy_output = is_lazy(signal.data)
    read = functools.partial(
        _read,
        signal,
        net=net,
        threshold=threshold,
        min_area_fraction=min_area_fraction,
        batch_size=batch_size,
        show_progressbar=show_progressbar,
        lazy_output=lazy_output,
        check=check,
        search=search,
    )
    if not check or low_loss is not None or lazy_output:
        # A zero-loss peak places the axis; a lazy result is checked when
        # asked for, so its axis is read as it is.
        return read(axis)
    with warnings.catch_warnings(record=True) as first:
        warnings.simplefilter("always")
        result = read(axis)
    moved = _reread(read, axis, result)
    if moved is None:
        _replay(first)
    return result if moved is None else moved


def _replay(caught):
    """Warn again what ``catch_warnings(record=True)`` caught, each message once."""
    seen = set()
    for w in caught:
        key = (w.category, str(w.message))
        if key not in seen:
            seen.add(key)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _reread(read, axis, result):
    """The result read again on the axis the check placed, where that is far off; else None.

    The check places the axis by its candidates' edge rises
    (:meth:`eels_autoid.spectrum_model.SpectrumModel.calibrate`). Read on an
    axis off by more than a chemical shift, the network proposes the wrong
    elements (an O K edge 10 eV low reads as V L2,3): read again on the
    placed axis, the answer is kept where the check, with the new reading's
    candidates, leaves that axis in place.
    """
    from ..spectrum_model._model import MAX_SHIFT

    placed = result.check
    offset = float(placed.offset or 0.0) if placed is not None else 0.0
    if not np.isfinite(offset) or abs(offset) < REREAD_OFFSET:
        return None
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        try:
            moved = read(axis.shifted(offset))
        except ValueError:  # the placed axis leaves the model's range
            return None
    if moved.check is None or not abs(float(moved.check.offset or 0.0)) < MAX_SHIFT:
        # The new reading's candidates ask for yet another axis: no
        # calibration puts every edge in place.
        return None
    _replay(again)
    warnings.warn(
        f"The edges place the energy axis {offset:+.1f} eV off: the spectra were read on the "
        "placed axis (result.energy_shift, which quantify and the plots use). A low loss with "
        "its zero-loss peak is the precise route.",
        UserWarning,
        stacklevel=3,
    )
    return moved


def _read(
    signal,
    axis,
    *,
    net,
    threshold,
    min_area_fraction,
    batch_size,
    show_progressbar,
    lazy_output,
    check,
    search,
):
    """The network's reading of ``signal`` on ``axis``, checked (see :func:`identify_edges`)."""
    grid = net.grid
    lo, hi = grid.valid_range
    start, end = max(axis.offset, lo), min(axis.end, hi)
    if end - start < MIN_MEASURED_CHANNELS * grid.step:
        raise ValueError(
            f"The energy range {axis.offset:.1f}..{axis.end:.1f} eV lies outside the model's "
            f"range {lo:.0f}..{hi:.0f} eV (or overlaps it by less than "
            f"{MIN_MEASURED_CHANNELS * grid.step:.0f} eV): no edge can be identified."
        )
    if axis.offset < lo - axis.scale or axis.end > hi + axis.scale:
        warnings.warn(
            f"The energy range {axis.offset:.1f}..{axis.end:.1f} eV extends beyond the model's "
            f"range {lo:.0f}..{hi:.0f} eV; only {start:.0f}..{end:.0f} eV is used.",
            UserWarning,
            stacklevel=3,
        )
    thresholds = net.card.thresholds(threshold)
    observable = observable_elements(start, end)

    if axis.scale > MAX_DISPERSION:
        warnings.warn(
            f"The dispersion is {axis.scale:g} eV per channel, coarser than the "
            f"{MAX_DISPERSION:g} eV per channel the model is made for: edges closer than two "
            "channels merge (Ti L3/L2, neighbouring elements), so elements may be missed. The "
            "probabilities are computed all the same.",
            UserWarning,
            stacklevel=3,
        )

    data = signal.data
    import dask.array as da

    nav_ndim = data.ndim - 1
    darr = _as_dask(data)
    kwargs = dict(
        net=net, axis=axis, n_out=len(ELEMENTS), batch_size=batch_size, member_spread=True
    )
    probs = da.map_blocks(
        _predict_block,
        darr,
        dtype=np.float32,
        drop_axis=darr.ndim - 1,
        new_axis=[darr.ndim - 1, darr.ndim],
        chunks=(*darr.chunks[:-1], (2,), (len(ELEMENTS),)),
        **kwargs,
    )
    if nav_ndim == 0:
        probs = probs[0]
    # The input checks, in the same pass over the data as the probabilities.
    counts = da.map_blocks(
        bad_value_counts,
        darr,
        dtype=np.int64,
        chunks=(*((1,) * n for n in darr.numblocks[:-1]), (5,)),
    )
    counts = counts.reshape(-1, 5).sum(axis=0)
    if lazy_output:
        checks = counts
    else:
        n_spectra = math.prod(data.shape[:-1])
        probs, checks = compute((probs, counts), show_progressbar, n_spectra, "Identifying")
        warn_bad_values(checks)
    checked = None
    if check:
        checked = functools.partial(
            _check,
            signal,
            thresholds=thresholds,
            observable=observable,
            min_area_fraction=min_area_fraction,
            net=net,
            axis=axis,
            batch=batch_size,
            search=search,
        )
    result = EdgeIdentification(
        probabilities=probs[..., 0, :],
        spread=probs[..., 1, :] if len(net.networks) > 1 else None,
        signal=signal,
        thresholds=thresholds,
        observable=observable,
        min_area_fraction=min_area_fraction,
        model=net,
        energy_range=(start, end),
        energy_shift=axis.offset - energy_axis(signal).offset,
        pending_checks=checks if lazy_output else None,
        check=checked,
    )
    if check and not lazy_output:
        result.check  # noqa: B018 -- checked now, so that its warnings come with the call
    return result


identify_edges.__doc__ %= IDENTIFY_PARAMETERS
