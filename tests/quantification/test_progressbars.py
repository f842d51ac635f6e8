"""identify_edges and quantify show the same progress bar, HyperSpy's, and none for one spectrum."""

import re

import hyperspy.api as hs
import pytest

from eels_autoid import identify_edges, quantify

# tqdm's bar, as HyperSpy shows it: "Quantifying: 100%|██████████| 1/1 [00:00<00:00, ...]".
BAR = r"{}: +100%\|[^|]*\| (\d+)/\1 \["


def _run_both(signal, model, show_progressbar):
    # Computed here, lazy or not: a lazy result would compute later.
    identify_edges(signal, model=model, show_progressbar=show_progressbar, lazy_output=False)
    quantify(signal, elements=["O", "Ti"], show_progressbar=show_progressbar)


def _printed(capfd):
    out, err = capfd.readouterr()
    return out + err


@pytest.mark.parametrize("lazy", [False, True])
def test_one_spectrum_shows_no_progress_bar(oxide, bundled_default, capfd, lazy):
    single = oxide.inav[1, 0]
    assert single.axes_manager.navigation_dimension == 0
    if lazy:
        single = single.as_lazy()
    capfd.readouterr()
    _run_both(single, bundled_default, True)
    printed = _printed(capfd)
    assert "%" not in printed and "Completed" not in printed, printed


@pytest.mark.parametrize("lazy", [False, True])
def test_a_map_shows_hyperspys_progress_bar_in_both(oxide, bundled_default, capfd, lazy):
    s = oxide.as_lazy() if lazy else oxide
    capfd.readouterr()
    identify_edges(s, model=bundled_default, show_progressbar=True, lazy_output=False)
    identified = _printed(capfd)
    quantify(s, elements=["O", "Ti"], show_progressbar=True)
    quantified = _printed(capfd)
    assert len(re.findall(BAR.format("Identifying"), identified)) == 1, identified
    assert len(re.findall(BAR.format("Quantifying"), quantified)) == 1, quantified
    # Not dask's own bar ("[#####] | 100% Completed | 0.1s").
    assert "Completed" not in identified + quantified


def test_the_argument_overrides_hyperspys_preference(oxide, bundled_default, capfd):
    hs.preferences.General.show_progressbar = True  # the autouse fixture restores it
    capfd.readouterr()
    _run_both(oxide, bundled_default, None)
    printed = _printed(capfd)
    assert re.search(BAR.format("Identifying"), printed) and re.search(
        BAR.format("Quantifying"), printed
    )
    _run_both(oxide, bundled_default, False)
    assert "%" not in _printed(capfd)
