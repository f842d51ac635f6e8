"""Sphinx configuration for the eels_autoid documentation.

Build from the repository root (after ``pip install ".[doc]"``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The build needs no network: intersphinx links to HyperSpy, exspy, NumPy and
Python are made only when ``EELS_AUTOID_DOCS_INTERSPHINX=1`` is set (the
inventories are then downloaded). The example gallery (``examples/``) is
executed; ``EELS_AUTOID_DOCS_GALLERY=0`` skips running it. The notebooks in
``examples/notebooks`` are executed when the shared real spectra are found
(``../shared`` or ``EELS_AUTOID_SHARED``) and rendered as stored otherwise.
"""

import importlib
import inspect
import os
import pkgutil
import shutil
from pathlib import Path

from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer

import eels_autoid

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

project = "eels_autoid"
author = "The eels_autoid developers"
copyright = "the eels_autoid developers"
release = eels_autoid.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # Copies MathJax into _static: formulas render offline.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "scripts",
    "Thumbs.db",
    ".DS_Store",
    "**.ipynb_checkpoints",
    # sphinx-gallery writes a downloadable notebook beside every example: not pages.
    "auto_examples/**.ipynb",
]

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's __all__ is its public API
autodoc_typehints = "none"  # types are in the numpydoc sections
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # members are listed by autodoc (templates/)
numpydoc_attributes_as_param_list = False

_SHORT_VALUE = 80  # longer values are summarised, not printed


def _from_this_package(obj):
    """Whether ``obj`` (a function, property, class ...) is defined in eels_autoid."""
    for candidate in (obj, getattr(obj, "fget", None), getattr(obj, "__func__", None)):
        module = getattr(candidate, "__module__", None)
        if isinstance(module, str):
            return module.split(".")[0] == "eels_autoid"
    return False


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Classes are documented with their inherited members (``EELS_autoid``
    signals get their methods from a mixin), but only those eels_autoid
    defines: not HyperSpy's, exspy's, Keras' or the builtins'."""
    if what == "class" and not skip:
        if callable(obj) or isinstance(obj, property | classmethod | staticmethod):
            return None if _from_this_package(obj) else True
    return None


def _comment_doc(fullname):
    """The ``#:`` comment documenting a module constant, looked up in the
    module and, for a package, in its submodules (constants are re-exported
    from private modules)."""
    modname, name = fullname.rsplit(".", 1)
    try:
        module = importlib.import_module(modname)
    except ImportError:
        return []
    candidates = [modname] + [
        f"{modname}.{info.name}" for info in pkgutil.iter_modules(getattr(module, "__path__", []))
    ]
    for candidate in candidates:
        try:
            docs = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        except PycodeError:
            continue
        if ("", name) in docs:
            return [line for line in docs[("", name)] if line.strip()]
    return []


def _describe_data(app, what, name, obj, options, lines):
    """Module constants: their ``#:`` comment rather than the docstring of
    their type (``tuple``, ``dict`` ...), and their value when short, a summary
    when long (they are documented with ``:no-value:``)."""
    if what != "data":
        return
    type_doc = (inspect.getdoc(type(obj)) or "").strip()
    first = type_doc.splitlines()[0] if type_doc else None
    if first and any(line.strip() == first for line in lines):
        del lines[:]
    if not lines:
        lines.extend(_comment_doc(name))
    text = repr(obj)
    if len(text) <= _SHORT_VALUE:
        summary = f"Value: ``{text}``"
    elif isinstance(obj, dict | list | tuple | set | frozenset):
        summary = f"A ``{type(obj).__name__}`` of {len(obj)} items."
    else:
        summary = f"A ``{type(obj).__name__}``."
    if lines:
        lines.append("")
    lines.append(summary)


def _resolve_shortcuts(app, env, node, contnode):
    """Links to ``eels_autoid.identify_edges`` and the other names the package
    re-exports (see ``eels_autoid.__init__``) go to their documented home,
    e.g. ``eels_autoid.identification.identify_edges``."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or target.count(".") != 1:
        return None
    package, name = target.split(".")
    if package != "eels_autoid":
        return None
    home = {"ELEMENTS": "eels_autoid.vocabulary", **eels_autoid._LAZY}.get(name)
    if home is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], f"{home}.{name}", node, contnode
    )


def _copy_notebooks(app):
    """Render examples/notebooks/*.ipynb as pages under docs/notebooks/ (a
    generated copy: Sphinx reads sources below docs/ only)."""
    target = DOCS / "notebooks"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    for nb in sorted((ROOT / "examples" / "notebooks").glob("*.ipynb")):
        shutil.copy2(nb, target / nb.name)


def setup(app):
    app.connect("builder-inited", _copy_notebooks)
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("autodoc-process-docstring", _describe_data)
    app.connect("missing-reference", _resolve_shortcuts)


# -- Cross-references to other projects (opt-in: needs the network) ---------
if os.environ.get("EELS_AUTOID_DOCS_INTERSPHINX", "0") not in ("", "0"):
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3/", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "hyperspy": ("https://hyperspy.org/hyperspy-doc/current/", None),
        "exspy": ("https://hyperspy.org/exspy/", None),
    }
    intersphinx_timeout = 10

# -- Example gallery -----------------------------------------------------------
_run_gallery = os.environ.get("EELS_AUTOID_DOCS_GALLERY", "1") not in ("", "0")
sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "examples")],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "plot_gallery": _run_gallery,
    "download_all_examples": False,
    "write_computation_times": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_signature": False,
}

# -- Notebooks (myst-nb) -------------------------------------------------------
# The real-data notebook reads the shared real spectra: where they are (beside
# the repository, or EELS_AUTOID_SHARED), the build executes it so that its
# page shows the outputs; elsewhere it is rendered as stored.
_shared = Path(os.environ.get("EELS_AUTOID_SHARED", ROOT.parent / "shared"))
nb_execution_mode = "force" if (_shared / "real_spectra" / "labels.json").is_file() else "off"
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
myst_enable_extensions = ["dollarmath"]

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"eels_autoid {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_show_sourcelink = False
