"""Options that only add outputs leave the drawn batch as it is."""

import numpy as np

from eels_autoid.simulate import simulate_batch


def test_asking_for_components_changes_no_spectrum_label_or_truth(bank):
    # 96 spectra are binned and acquired in three groups of similar sizes, and
    # the given lanthanides add the giant-resonance templates to the draws.
    kw = {"seed": 31, "bank": bank, "elements": ["La", "Ce", "Mn", "O"]}
    plain = simulate_batch(96, **kw)
    full = simulate_batch(96, components=True, **kw)
    assert "components" not in plain
    np.testing.assert_array_equal(plain["counts"], full["counts"])
    np.testing.assert_array_equal(plain["labels"], full["labels"])
    for key in ("edge_scale", "lowloss_intensity", "main_onset", "background_level"):
        np.testing.assert_array_equal(plain["truth"][key], full["truth"][key])
    assert plain["truth"]["edges"] == full["truth"]["edges"]
    # The components are those of the very spectra returned.
    noiseless = simulate_batch(96, noise=False, components=True, **kw)
    np.testing.assert_array_equal(
        noiseless["components"]["noiseless"], full["components"]["noiseless"]
    )
