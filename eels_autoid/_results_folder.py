"""The folder a command writes its results into, and the manifest of what it wrote.

The manifest lets the next run into the same folder remove exactly the files
the previous one wrote (the maps of elements the new file lacks must not stay
beside its results) and never anything else: a user's notes, a log.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

__all__ = ["MANIFEST", "ResultsFolder", "out_folder_problem"]

MANIFEST = ".eels_autoid_manifest.json"


def out_folder_problem(out):
    """Why results cannot be written into the folder ``out`` (None if they can).

    Looks without creating anything, so that a failing command leaves no folder.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        return "exists and is not a folder"
    existing = out
    while not (existing.exists() or existing.is_symlink()):
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot be made: {existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written: no permission to write in {existing}"
    return None


def _listed_path(root, entry):
    """``root/entry`` for a manifest entry that stays inside ``root``; None otherwise."""
    if not isinstance(entry, str) or not entry:
        return None
    # A manifest is a file anyone can edit: never follow it out of the folder.
    if PurePosixPath(entry).is_absolute() or PureWindowsPath(entry).anchor:
        return None
    parts = PureWindowsPath(entry).parts  # split at / and at backslash alike
    if ".." in parts or parts == (MANIFEST,):
        return None
    path = root.joinpath(*parts)
    if not path.parent.resolve().is_relative_to(root.resolve()):
        return None  # through a link to another folder
    return path


def _remove_previous_results(root):
    """Remove what the manifest in ``root`` lists: files, then the folders left empty."""
    try:
        listed = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return
    if not isinstance(listed, dict):
        return
    for entry in listed.get("files", []):
        path = _listed_path(root, entry)
        if path is not None and path.is_file() and not path.is_symlink():
            path.unlink()
    folders = [_listed_path(root, entry) for entry in listed.get("folders", [])]
    for path in sorted(filter(None, folders), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):  # not empty: the user keeps something there
                path.rmdir()
    (root / MANIFEST).unlink(missing_ok=True)


class ResultsFolder:
    """The ``--out`` folder of a run, which lists what the run writes in it.

    The one writer of result folders: ``eels-autoid identify``, ``demo``,
    ``evaluate`` and ``release`` write through it (:meth:`file`,
    :meth:`folder`, :meth:`subfolder`, :meth:`save_quantification`,
    :meth:`save_report`), so that every file they write is recorded.

    Entering removes what the previous run into the folder wrote (the maps of
    elements the new file lacks must not stay beside its results) and nothing
    else. Leaving writes the manifest, after an error too, so that the next
    run also removes partial results.
    """

    def __init__(self, root):
        self.root = Path(root)
        self.files = []
        self.folders = []

    def __enter__(self):
        self.root.mkdir(parents=True, exist_ok=True)
        _remove_previous_results(self.root)
        return self

    def __exit__(self, *exc):
        listing = {
            "written_by": "eels-autoid",
            "files": sorted(set(self.files)),
            "folders": sorted(set(self.folders)),
        }
        (self.root / MANIFEST).write_text(json.dumps(listing, indent=1) + "\n")
        return False

    def file(self, relative):
        """The path of a file about to be written, recorded."""
        path = self.root / relative
        self.record(path)
        return path

    def folder(self, relative):
        """Make a subfolder, recorded as the package's if it did not exist."""
        path = self.root / relative
        if not path.is_dir():
            path.mkdir(parents=True)
            self.folders.append(Path(relative).as_posix())
        return path

    def subfolder(self, relative):
        """A subfolder to write through as a results folder of its own.

        What is written into it is recorded in this folder's manifest, so that
        the next run into this folder removes it too.
        """
        return _Subfolder(self, relative)

    def record(self, path):
        self.files.append(Path(path).relative_to(self.root).as_posix())

    def save_quantification(self, signal, result, *, low_loss=None):
        """Quantify the detected elements into ``quantification/``; None if it cannot be done.

        Progress and the reason for skipping go to standard error.
        """
        from .quantification import quantify

        print("Quantifying ...", file=sys.stderr)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                q = quantify(signal, result, low_loss=low_loss, show_progressbar=True)
        except ValueError as err:
            print(f"quantification skipped: {err}", file=sys.stderr)
            return None
        for path in q.save(self.folder("quantification")):
            self.record(path)
        return q

    def save_report(self, result, quantification=None):
        """Write the one-page ``report.png`` of an identification (and quantification)."""
        import matplotlib.pyplot as plt

        from .quantification import report_figure

        fig = report_figure(result, quantification)
        fig.savefig(self.file("report.png"), dpi=100)
        plt.close(fig)
        print(f"results written to {self.root}")


class _Subfolder(ResultsFolder):
    """A folder inside a results folder, whose files the enclosing folder records."""

    def __init__(self, parent, relative):
        super().__init__(parent.folder(relative))
        self._parent = parent
        self._relative = Path(relative)

    def __enter__(self):
        return self  # the enclosing folder removed what was there

    def __exit__(self, *exc):
        return False  # the enclosing folder writes the manifest

    def folder(self, relative):
        return self._parent.folder(self._relative / relative)

    def record(self, path):
        self._parent.record(path)
