"""Where the bundled GOS tables are: the one home of the GOSH file's path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["GOSH_FILENAME", "gosh_file"]

GOSH_FILENAME = "eels_autoid_lda.gosh"


def _default_gosh_path() -> Path:
    return Path(str(resources.files("eels_autoid.gos").joinpath("data", GOSH_FILENAME)))


def gosh_file() -> Path:
    """Path of the bundled GOSH file.

    Returns
    -------
    pathlib.Path
        Pass it to exspy as
        ``s.create_model(GOS="dft", gos_file_path=str(gosh_file()))``.

    Raises
    ------
    FileNotFoundError
        If the file has not been built (``python -m eels_autoid.gos build``).
    """
    path = _default_gosh_path()
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: build it with `python -m eels_autoid.gos build`."
        )
    return path
