"""Standard output of the command holds its results; log records go to standard error."""

import os
import shutil
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_identify_keeps_log_records_off_standard_output(
    real_spectra_dir, tiny_model_path, tmp_path
):
    from eels_autoid.models import ModelCard

    # The tiny network with a card detecting O and Ti, so that the quantification runs too.
    model = tmp_path / "oxide.keras"
    shutil.copy(tiny_model_path, model)
    ModelCard(name="oxide", threshold=0.99, element_thresholds={"O": 0.01, "Ti": 0.01}).save(
        tmp_path / "oxide.json"
    )
    # This file's DATE and TIME fields make RosettaSciIO log warnings when it is read.
    spectrum = real_spectra_dir / "SrTiO3_hl.msa"
    done = subprocess.run(
        [sys.executable, "-m", "eels_autoid.cli", "identify", str(spectrum),
         "--out", str(tmp_path / "out"), "--model", str(model)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for word in ("WARNING", "Hyperspy", "RosettaSciIO", "rsciio", "retracing"):
        assert not [line for line in lines if word in line], done.stdout
    assert "detected: O Ti" in lines
    assert any(line.startswith("| element | detected") for line in lines)
    # Routed, not silenced.
    assert "Possibly malformed DATE" in done.stderr
