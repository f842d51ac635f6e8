"""Sphinx configuration for the eels_autoid documentation."""

import eels_autoid

project = "eels_autoid"
author = "The eels_autoid developers"
release = eels_autoid.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
intersphinx_mapping = {
    "hyperspy": ("https://hyperspy.org/hyperspy-doc/current/", None),
    "exspy": ("https://hyperspy.org/exspy/", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
}
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
exclude_patterns = ["_build", "scripts"]
