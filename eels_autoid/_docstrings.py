"""Parameter descriptions shared by several public functions (written once)."""

IDENTIFY_PARAMETERS = """model : str, pathlib.Path or IdentificationModel, optional
        The network: ``None`` for the bundled default model, the name of a
        bundled model, or the path of a ``.keras`` file or model card (see
        :func:`eels_autoid.load_model`).
    threshold : float or dict, optional
        Decision threshold on the probabilities, one value for every element
        or a ``{element: threshold}`` dict overriding the model card's
        threshold for those elements. Default: the model card's.
    min_area_fraction : float, default 0.05
        For spectrum images and line scans, an element is detected when its
        probability exceeds the threshold in at least this fraction of the
        pixels (and in one pixel at least). Lower it to report phases smaller
        than 5 % of the map, at the cost of more false alarms from single
        noisy pixels.
    low_loss : EELSSpectrum, optional
        A low-loss spectrum (or spectrum image) recorded with the same
        energy calibration (dual EELS). The energy axis is shifted so that
        its zero-loss peak lies at 0 eV before identification; the input is
        not modified. A low loss without a zero-loss peak (flat, empty, NaN,
        dominated by a plasmon, or with its strongest peak more than 25 eV
        from 0 eV) raises ``ValueError``.
    batch_size : int, optional
        Spectra per network call (default 128).
    show_progressbar : bool, optional
        Whether to show a progress bar (never for a single spectrum). ``None``
        follows HyperSpy's preference ``hs.preferences.General.show_progressbar``.
    lazy_output : bool, optional
        Whether ``.probabilities`` is a lazy signal. ``None`` (default):
        lazy for lazy input, computed otherwise.
    calibrate : bool, default False
        Without a ``low_loss``, let the summed spectrum place its own energy
        axis first: the network's candidates (read as if the axis were up
        to 20 eV off) are placed by their edges' rises
        (:meth:`eels_autoid.spectrum_model.SpectrumModel.calibrate`), within
        25 eV, and the offset they agree on is applied (``result.energy_shift``).
        On the shared real spectra with every axis 10 eV off it raises F1 by
        0.02..0.12, and costs 0.04..0.07 on axes that were right: a low loss
        with its zero-loss peak remains the precise route.
    check : bool, default True
        Check the network's answer against the spectrum: the candidates
        (probability at least half the threshold) are fitted with the
        spectrum model over each edge family's own window, and an element
        whose edges the spectrum does not need, or whose signal a detected
        element's edges and near-edge structure explain, is dropped (its
        ``rival`` is named in :meth:`~EdgeIdentification.summary`). A
        spectrum image's candidates are its summed spectrum's and the
        elements the network reports in at least ``min_area_fraction`` of
        its pixels; they are checked on the summed spectrum and on the sums
        over regions where its spectra differ and beside the pixels where
        the network sees an element, so that an element confined to a layer
        or particle is seen with the counts of its pixels; the per-pixel
        probabilities stay the network's. ``result.check`` holds the evidence. Candidates it cannot
        judge (background-subtracted input, channels coarser than 5 eV, too
        few counts, lanthanide N4,5 edges alone) are left to the network,
        with a warning. Where the check places the energy axis 5 eV or more
        from where it says (candidates' edge rises, without a ``low_loss``),
        the spectra are read again on the placed axis, with a warning, and
        ``result.energy_shift`` reports the move; a lazy result is read on
        the axis as it is (``result.check.offset`` gives the placement, and
        a warning says when it is that far off).
        ``False`` gives the network alone.
    search : bool, default False
        With the check, search the residual of the confirmed elements' fit
        for elements the network did not propose: every other element with
        a K, L2,3 or M4,5 edge clear of the confirmed edges is fitted as its
        whole set of edges, and is *suggested* when its edges rise where the
        tables put them, their evidence passes a significance corrected for
        the number of elements tried, and no element with an edge nearby
        explains those channels as well. Suggestions appear in
        :meth:`~EdgeIdentification.summary` (``found_by`` ``search``, not
        detected) and in ``result.check.suggested``, with a warning; they
        are not added to the elements, because on simulated and on real
        spectra they are more often absent than present. Spectrum images
        are searched on the summed spectrum and on every region sum."""

QUANTIFY_PARAMETERS = """identification : EdgeIdentification, optional
        The result of :func:`~eels_autoid.identify_edges` on this signal:
        its detected elements are quantified.
    elements : sequence of str, optional
        The elements to quantify; overrides ``identification``. Without
        either, the elements in ``metadata.Sample.elements`` are used, and
        without those :func:`~eels_autoid.identify_edges` runs first.
    low_loss : EELSSpectrum, optional
        The low loss of the same pixels (same navigation shape and
        dispersion, energy axis through 0 eV, a zero-loss peak), e.g. from
        dual EELS. The edges
        are convolved with it (plural scattering) and the maps become
        absolute areal densities (atoms/nm^2).
    model, threshold, min_area_fraction
        Passed to :func:`~eels_autoid.identify_edges` when it runs.
    beam_energy, convergence_angle, collection_angle : float, optional
        kV and mrad, overriding the metadata. Where both lack one, a default
        is used with a warning (200 kV, 10 mrad, 20 mrad).
    signal_range : (float, float), optional
        The energy range (eV) to fit; default the whole axis above 50 eV.
    fine_structure_width : float, optional
        Width (eV) above the last onset of each edge (L2 for L2,3, M4 for
        M4,5) left out of the fit: the tabulated cross-sections have no
        near-edge fine structure (white lines, ELNES). Default per edge
        family: 35 eV for K, 30 for L2,3 and M4,5, 60 for a lanthanide's
        N4,5. Channels from 3 eV below each onset are left out too.
    edge_margins : (float, float), default (20.0, 30.0)
        An edge is fitted only with at least ``edge_margins[0]`` eV of
        spectrum below its onset (background) and ``edge_margins[1]`` eV
        above its fine-structure region; others are dropped, and elements
        left with no edge are not quantified.
    background_exponents : sequence of float, optional
        Exponents r of power laws A E^-r whose sum models each pixel's
        background, instead of the default: the shape of the spectrum
        model's convex background of the mean spectrum (a non-negative
        combination of power laws, exponents 1..8), scaled and tilted per pixel.
    reject_spikes : bool, default True
        Refit spectra without the channels of isolated spikes (cosmic rays,
        hot or dead channels) found in their residuals.
    calibrate : bool, default False
        Fit an energy offset (within 25 eV), a dispersion error (windows
        over 1 keV) and per-element chemical shifts (within 3 eV) on the
        mean spectrum, and place the edges accordingly (``result.energy_offset``).
        Experimental: near-edge structure can pull the offset to its bounds.
    show_progressbar : bool, optional
        Whether to show a progress bar (never for a single spectrum). ``None``
        follows HyperSpy's preference ``hs.preferences.General.show_progressbar``."""
