"""The private exspy and HyperSpy names eels_autoid reads still exist and hold what it reads."""

import inspect

import numpy as np

from eels_autoid import _exspy_private as private


def test_exspy_element_database_layout():
    elements = private.exspy_elements()
    onset = elements["Ti"]["Atomic_properties"]["Binding_energies"]["L3"]["onset_energy (eV)"]
    assert 450 < float(onset) < 470


def test_gosh_reader_interface():
    from eels_autoid.gos import gosh_file

    gos = private.GoshGOS("Fe_L3", gos_file_path=str(gosh_file()))
    assert gos.onset_energy > 700
    assert gos.gos_array.shape == (len(gos.energy_axis), len(gos.qaxis))
    params = inspect.signature(private.GoshGOS.get_qaxis_and_gos).parameters
    assert list(params)[1:] == ["ienergy", "qmin", "qmax"]
    q, g = gos.get_qaxis_and_gos(10, gos.qaxis[2], gos.qaxis[-3])
    assert np.all(np.diff(q) >= 0) and len(q) == len(g)
    stored = gos.as_dictionary(True)  # what a saved model keeps of the tables
    assert stored["element"] == "Fe" and stored["subshell"] == "L3"
    assert {"gos_array", "qaxis", "rel_energy_axis"} <= set(stored)


def test_recorded_constructor_arguments_rebuild_a_saved_component(tmp_path):
    import hyperspy.api as hs

    from eels_autoid.components import AutoIDEELSCLEdge

    s = hs.signals.Signal1D(np.ones(600))
    s.axes_manager[0].offset, s.axes_manager[0].units = 2300.0, "eV"
    s.set_signal_type("EELS_autoid")
    s.set_microscope_parameters(beam_energy=200, convergence_angle=10, collection_angle=20)
    m = s.create_model(auto_background=False, auto_add_edges=False)
    edge = AutoIDEELSCLEdge("S_K")
    m.append(edge)
    assert edge._whitelist["element_subshell"][0] == "init"
    m.save(tmp_path / "m.hspy")
    s.save(tmp_path / "s.hspy")
    restored = hs.load(tmp_path / "m.hspy", signal_type="EELS_autoid")
    rebuilt = restored.models.restore("a")
    assert rebuilt[0].name == "S_K" and rebuilt[0].onset_energy.value == edge.onset_energy.value
