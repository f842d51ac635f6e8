"""Parameter descriptions shared by several public functions (written once)."""

IDENTIFY_PARAMETERS = """model : str, pathlib.Path or IdentificationModel, optional
        The network: ``None`` for the bundled default model, the name of a
        bundled model, or the path of a ``.keras`` file or model card (see
        :func:`eels_autoid.load_model`).
    threshold : float or dict, optional
        Decision threshold on the probabilities, one value for every element
        or a ``{element: threshold}`` dict overriding the model's per-element
        thresholds. Default: those of the model card.
    min_area_fraction : float, default 0.01
        For spectrum images and line scans, an element is detected when its
        probability exceeds the threshold in at least this fraction of the
        pixels.
    low_loss : EELSSpectrum, optional
        A low-loss spectrum (or spectrum image) recorded with the same
        energy calibration (dual EELS). The energy axis is shifted so that
        its zero-loss peak lies at 0 eV before identification; the input is
        not modified.
    batch_size : int, optional
        Spectra per network call (default 512).
    show_progressbar : bool, optional
        Whether to show a progress bar. ``None`` follows HyperSpy's
        preference ``hs.preferences.General.show_progressbar``.
    lazy_output : bool, optional
        Whether ``.probabilities`` is a lazy signal. ``None`` (default):
        lazy for lazy input, computed otherwise."""
