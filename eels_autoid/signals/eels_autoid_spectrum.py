"""``EELS_autoid`` signals: exspy's EELS spectra that identify their own edges.

HyperSpy imports this module only when the signal type is chosen. It adds
methods through a mixin and never patches exspy: every exspy method keeps
working and returns this class.
"""

import warnings

from exspy.signals import EELSSpectrum, LazyEELSSpectrum
from hyperspy.docstrings.signal import LAZYSIGNAL_DOC

from .._docstrings import IDENTIFY_PARAMETERS, QUANTIFY_PARAMETERS
from ..identification import MIN_AREA_FRACTION

__all__ = ["EELSAutoIDSpectrum", "LazyEELSAutoIDSpectrum"]


def _default_gos_file():
    """The bundled GOSH file, or None (with a warning) if this install lacks it."""
    try:
        from ..gos import gosh_file

        return gosh_file()
    except (ImportError, FileNotFoundError) as err:
        warnings.warn(
            f"The bundled GOS tables are unavailable ({err}); exspy's default tables are "
            "used, which are downloaded at run time.",
            UserWarning,
            stacklevel=3,
        )
        return None


class EELSAutoIDMixin:
    """Methods that ``EELS_autoid`` signals add to exspy's EELS spectra."""

    def identify_edges(
        self,
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
        add_elements=True,
    ):
        """Identify the elements whose core-loss edges are in this signal.

        Parameters
        ----------
        %s
        add_elements : bool, default True
            Write the detected elements into ``metadata.Sample.elements``
            through :meth:`add_elements`, so that :meth:`create_model` adds
            their edges. They replace those of an earlier identification
            (recorded in ``metadata.Sample.identified_elements``); elements
            added by hand stay. The data are never modified.

        Returns
        -------
        EdgeIdentification

        See Also
        --------
        eels_autoid.identify_edges, create_model

        Examples
        --------
        >>> s = hs.load("si.dm4", signal_type="EELS_autoid")  # doctest: +SKIP
        >>> result = s.identify_edges()  # doctest: +SKIP
        >>> result.elements  # doctest: +SKIP
        ['Ba', 'La', 'Mn', 'O', 'Ti']
        """
        from ..identification import identify_edges

        result = identify_edges(
            self,
            model=model,
            threshold=threshold,
            min_area_fraction=min_area_fraction,
            low_loss=low_loss,
            batch_size=batch_size,
            show_progressbar=show_progressbar,
            lazy_output=lazy_output,
            calibrate=calibrate,
            check=check,
            search=search,
        )
        if add_elements:
            self._set_identified_elements(result.elements)
        return result

    def _set_identified_elements(self, found):
        """``Sample.elements``: the elements set by hand and those of the last identification.

        ``metadata.Sample.identified_elements`` records what identification
        added, so that a later identification replaces it instead of piling
        up; elements the user added stay.
        """
        previous = set(self.metadata.get_item("Sample.identified_elements", []))
        by_hand = set(self.elements) - previous
        added = sorted(set(found) - by_hand)
        self.elements = set()
        self.subshells = set()
        self.add_elements(sorted(by_hand | set(found)))
        self.metadata.set_item("Sample.identified_elements", added)

    identify_edges.__doc__ %= IDENTIFY_PARAMETERS.replace("\n", "\n    ")  # 4 spaces deeper

    def quantify(
        self,
        identification=None,
        *,
        elements=None,
        low_loss=None,
        model=None,
        threshold=None,
        min_area_fraction=MIN_AREA_FRACTION,
        beam_energy=None,
        convergence_angle=None,
        collection_angle=None,
        signal_range=None,
        fine_structure_width=None,
        edge_margins=(20.0, 30.0),
        background_exponents=None,
        reject_spikes=True,
        calibrate=False,
        show_progressbar=None,
    ):
        """Elemental maps: relative atomic fractions, or areal densities with a low loss.

        Fits exspy's EELS model, built with eels_autoid's GOS tables, to every
        pixel with a linear least-squares fit. The signal is not modified.

        Parameters
        ----------
        %s

        Returns
        -------
        eels_autoid.quantification.Quantification

        See Also
        --------
        eels_autoid.quantify, identify_edges

        Examples
        --------
        >>> s = hs.load("si.dm4", signal_type="EELS_autoid")  # doctest: +SKIP
        >>> q = s.quantify(elements=["O", "Ti", "La", "Mn"])  # doctest: +SKIP
        >>> print(q)  # doctest: +SKIP
        >>> q.maps["Ti"].plot()  # doctest: +SKIP
        """
        from ..quantification import quantify

        return quantify(
            self,
            identification,
            elements=elements,
            low_loss=low_loss,
            model=model,
            threshold=threshold,
            min_area_fraction=min_area_fraction,
            beam_energy=beam_energy,
            convergence_angle=convergence_angle,
            collection_angle=collection_angle,
            signal_range=signal_range,
            fine_structure_width=fine_structure_width,
            edge_margins=edge_margins,
            background_exponents=background_exponents,
            reject_spikes=reject_spikes,
            calibrate=calibrate,
            show_progressbar=show_progressbar,
        )

    quantify.__doc__ %= QUANTIFY_PARAMETERS

    def denoise_autoencoder(self, **kwargs):
        """Denoise this spectrum image with an autoencoder trained on it (RapidEELS).

        Takes the keyword arguments of :func:`eels_autoid.denoise.autoencoder`
        (``block``, ``latent_dimension``, ``signal_range``, ``epochs``,
        ``seed``, ``targets``, ``compare_pca`` ...). The signal is not modified.

        Returns
        -------
        eels_autoid.denoise.AutoencoderResult
            ``.denoised`` (a new signal of this class), ``.latent`` maps and
            the trained Keras ``.model``.

        See Also
        --------
        eels_autoid.denoise.autoencoder, eels_autoid.denoise.classify_latent
        """
        from ..denoise import autoencoder

        return autoencoder(self, **kwargs)

    def create_model(
        self,
        low_loss=None,
        auto_background=True,
        auto_add_edges=True,
        GOS="dft",
        gos_file_path=None,
        dictionary=None,
    ):
        """Create an exspy EELS model, offline, with eels_autoid's GOS tables.

        The same as :meth:`exspy.signals.EELSSpectrum.create_model`, except that
        ``GOS="dft"`` without ``gos_file_path`` uses the GOS tables bundled
        with eels_autoid (:func:`eels_autoid.gos.gosh_file`) instead of
        downloading exspy's.

        Parameters
        ----------
        low_loss, auto_background, auto_add_edges, dictionary
            As in exspy.
        GOS : {"dft", "dirac", "hydrogenic", "Hartree-Slater"}, default "dft"
        gos_file_path : str, optional
            A GOSH file; default: the bundled one when ``GOS="dft"``.

        Returns
        -------
        exspy.models.EELSModel
        """
        if GOS == "dft" and gos_file_path is None and dictionary is None:
            gos_file_path = _default_gos_file()
        return super().create_model(
            low_loss=low_loss,
            auto_background=auto_background,
            auto_add_edges=auto_add_edges,
            GOS=GOS,
            gos_file_path=gos_file_path,
            dictionary=dictionary,
        )


class EELSAutoIDSpectrum(EELSAutoIDMixin, EELSSpectrum):
    """EELS spectrum (or spectrum image) with automatic edge identification.

    Saved files keep ``signal_type="EELS_autoid"``; colleagues without
    eels_autoid get a plain signal. Before sharing, ``s.set_signal_type("EELS")``
    makes it an exspy EELS spectrum for everyone.
    """

    _signal_type = "EELS_autoid"
    _alias_signal_types = ["EELS_AutoID", "eels_autoid"]


class LazyEELSAutoIDSpectrum(EELSAutoIDSpectrum, LazyEELSSpectrum):
    """Lazy EELS spectrum (or spectrum image) with automatic edge identification."""

    __doc__ += LAZYSIGNAL_DOC.replace("__BASECLASS__", "EELSAutoIDSpectrum")
