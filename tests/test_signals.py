"""Registration of the EELS_autoid signal type and its behaviour as an exspy signal."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import eels_autoid
from eels_autoid.signals import EELSAutoIDSpectrum, LazyEELSAutoIDSpectrum


def _spectrum(nav=(3, 4), size=200):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(np.random.default_rng(0).random((*nav, size)) + 1)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units, ax.name = 400.0, 0.5, "eV", "Energy loss"
    return s


@pytest.mark.parametrize("name", ["EELS_autoid", "EELS_AutoID", "eels_autoid"])
def test_signal_type_and_aliases_give_the_registered_class(name):
    s = _spectrum()
    s.set_signal_type(name)
    assert type(s) is EELSAutoIDSpectrum
    assert type(s.as_lazy()) is LazyEELSAutoIDSpectrum
    from exspy.signals import EELSSpectrum

    assert isinstance(s, EELSSpectrum)


def test_exspy_eels_is_not_registered_again():
    s = _spectrum()
    s.set_signal_type("EELS")
    assert type(s).__module__.startswith("exspy")


def test_operations_keep_the_class(tmp_path):
    s = _spectrum()
    s.set_signal_type("EELS_autoid")
    assert type(s.isig[410.0:450.0]) is EELSAutoIDSpectrum
    assert type(s.inav[0]) is EELSAutoIDSpectrum
    assert type(s.rebin(scale=(1, 1, 2))) is EELSAutoIDSpectrum
    lazy = s.as_lazy()
    lazy.compute()
    assert type(lazy) is EELSAutoIDSpectrum
    import hyperspy.api as hs

    s.save(tmp_path / "s.hspy")
    back = hs.load(tmp_path / "s.hspy")
    assert type(back) is EELSAutoIDSpectrum
    np.testing.assert_array_equal(back.data, s.data)
    assert type(hs.load(tmp_path / "s.hspy", lazy=True)) is LazyEELSAutoIDSpectrum


def test_create_model_returns_an_exspy_model_of_this_signal():
    s = _spectrum(nav=(), size=600)  # 400..700 eV
    s.set_signal_type("EELS_autoid")
    s.set_microscope_parameters(beam_energy=200, collection_angle=20, convergence_angle=10)
    s.add_elements(("O",))
    m = s.create_model(GOS="hydrogenic")
    assert m.signal is s
    assert "O_K" in [c.name for c in m]


def test_importing_hyperspy_or_the_package_does_not_import_tensorflow():
    code = (
        "import sys, hyperspy.api, eels_autoid;"
        "eels_autoid.ELEMENTS; eels_autoid.EDGES;"
        "import eels_autoid.signals, eels_autoid.identification, eels_autoid.models;"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'heavy import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_extension_yaml_ships_inside_the_package():
    from importlib import metadata

    yaml_path = Path(eels_autoid.__file__).with_name("hyperspy_extension.yaml")
    assert yaml_path.is_file()
    eps = metadata.entry_points(group="hyperspy.extensions")
    assert any(ep.name == "eels_autoid" and ep.value == "eels_autoid" for ep in eps)
    import yaml

    spec = yaml.safe_load(yaml_path.read_text())
    assert "EELS" not in {v["signal_type"] for v in spec["signals"].values()}


def test_create_model_uses_the_bundled_gos_tables_offline():
    from pathlib import Path

    from eels_autoid.gos import gosh_file

    s = _spectrum(nav=(), size=600)
    s.axes_manager.signal_axes[0].offset = 600.0  # 600..900 eV: Fe L2,3
    s.set_signal_type("EELS_autoid")
    s.set_microscope_parameters(beam_energy=200, collection_angle=20, convergence_angle=5)
    s.add_elements(("Fe",))
    m = s.create_model()
    edge = m["Fe_L3"]
    assert Path(edge.GOS.gos_file_path) == Path(gosh_file())
    assert edge.function(np.array([750.0]))[0] > 0
