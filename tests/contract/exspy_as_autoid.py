"""pytest plugin that runs exspy's own tests with eels_autoid's signal classes.

``test_exspy_contract.py`` loads it with ``-p exspy_as_autoid`` in a separate
interpreter: it replaces exspy's EELS classes and exspy's downloaded default
GOS tables (by the bundled ones) for the whole process, so it must never be
loaded into the main test session.

Environment
-----------
EELS_AUTOID_CONTRACT_MARKS
    JSON file ``{node id: ["xfail" | "skip", reason]}`` applied at collection.
EELS_AUTOID_CONTRACT_REPORT
    JSON file that receives ``{"outcomes": {node id: {"outcome", "message"}},
    "classes": {where: class path}}`` at the end of the run.
"""

import json
import os
import sys

import pytest

_OUTCOMES = {}


def _class_path(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _replace_exspy_classes():
    import exspy.signals
    from hyperspy.extensions import ALL_EXTENSIONS

    from eels_autoid.signals import EELSAutoIDSpectrum, LazyEELSAutoIDSpectrum

    # What the test modules construct: `from exspy.signals import EELSSpectrum`
    # and `exspy.signals.EELSSpectrum(...)`.
    exspy.signals.EELSSpectrum = EELSAutoIDSpectrum
    exspy.signals.LazyEELSSpectrum = LazyEELSAutoIDSpectrum
    # HyperSpy resolves signal_type="EELS" (hs.load, set_signal_type) through
    # its registry as `getattr(import_module(module), class name)`: pointing
    # exspy's entries at the patched package gives our classes there too.
    for name in ("EELSSpectrum", "LazyEELSSpectrum"):
        ALL_EXTENSIONS["signals"][name]["module"] = "exspy.signals"


def _offline_tables():
    import pooch
    from exspy._misc.eels.gosh_gos import _DFT_GOSH

    from eels_autoid.gos import gosh_file

    def retrieve(url, *args, **kwargs):
        # exspy's default ('dft') tables are eels_autoid's bundled ones here, as
        # in create_model of EELS_autoid signals; anything else (the Dirac
        # tables) fails at once, whatever the connection or pooch cache.
        if url == _DFT_GOSH["URL"]:
            return str(gosh_file())
        raise RuntimeError(f"the exspy contract run is offline: {url} is not downloaded")

    pooch.retrieve = retrieve


def _classes_in_use():
    """Where the EELS class comes from, as the test modules and HyperSpy see it."""
    import numpy as np
    from hyperspy.io import assign_signal_subclass

    out = {}
    for lazy in (False, True):
        cls = assign_signal_subclass(np.dtype(float), 1, "EELS", lazy=lazy)
        out[f"signal_type EELS, lazy={lazy}"] = _class_path(cls)
    for name, module in sorted(sys.modules.items()):
        if name.startswith("exspy.tests.") and hasattr(module, "EELSSpectrum"):
            out[name] = _class_path(module.EELSSpectrum)
    return out


def pytest_configure(config):
    import matplotlib

    matplotlib.use("Agg")
    _replace_exspy_classes()
    _offline_tables()


def pytest_collection_modifyitems(config, items):
    path = os.environ.get("EELS_AUTOID_CONTRACT_MARKS")
    marks = {}
    if path:
        with open(path) as f:
            marks = json.load(f)
    for item in items:
        if item.nodeid in marks:
            kind, reason = marks[item.nodeid]
            if kind == "xfail":
                item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


def _message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[:500]
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        return str(report.longrepr[-1])[:500]
    return report.longreprtext.strip()[-500:]


def _record(nodeid, outcome, report):
    # the worst of setup, call and teardown counts
    if _OUTCOMES.get(nodeid, {}).get("outcome") in ("failed", "error"):
        return
    _OUTCOMES[nodeid] = {"outcome": outcome, "message": _message(report)}


def pytest_collectreport(report):
    if report.failed:
        _record(report.nodeid, "error", report)


def pytest_runtest_logreport(report):
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    elif report.failed:
        # a strict xfail that passed arrives here as a failed call
        outcome = "failed" if report.when == "call" else "error"
    else:
        outcome = report.outcome
    if report.when == "call" or outcome != "passed":
        _record(report.nodeid, outcome, report)


def pytest_sessionfinish(session):
    path = os.environ.get("EELS_AUTOID_CONTRACT_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump({"outcomes": _OUTCOMES, "classes": _classes_in_use()}, f, indent=1)
