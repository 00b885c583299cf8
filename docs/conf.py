"""Sphinx configuration for relaxtfp's documentation.

Build (warnings are errors, as in `tox -e docs`):

    sphinx-build -W --keep-going -b html docs docs/_build/html

The figures and tables come from the example scripts; `docs/generate.py`
writes them to `docs/_generated/`, and this file runs it when they are
missing (see docs/README.md).
"""

import inspect
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

DOCS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(DOCS))
sys.path.insert(0, os.path.join(DOCS, "_ext"))
sys.path.insert(0, DOCS)

import generate  # noqa: E402

from relaxtfp import __version__  # noqa: E402

if not all(path.exists() for path in generate.expected_outputs()):
    generate.main([])

project = "relaxtfp"
author = "relaxtfp developers"
copyright = "relaxtfp developers"  # noqa: A001 (Sphinx's name)
release = __version__
version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "tfp_docstrings",  # docs/_ext: TFP-style Markdown docstrings -> reST.
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_generated", "README.md", "Thumbs.db", ".DS_Store"]

# Docstrings write code in single backticks, as Markdown does.
default_role = "code"

autoclass_content = "both"  # Class docstring, then the Args of __init__.
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"relaxtfp {release}"
html_static_path = []


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Documents only members written in relaxtfp.

    TFP's distribution metaclass copies every public method that a subclass
    specializes (`log_prob`, `sample`, `mean`, ...) into the subclass, with
    TFP's generic docstring; documenting those would repeat TFP's reference
    (and its reST warnings) on every page. What a class changes is in its
    own docstring ("Mathematical Details").
    """
    if skip or what != "class":
        return skip
    target = getattr(obj, "fget", obj)  # A property's getter.
    target = inspect.unwrap(target) if callable(target) else target
    module = getattr(target, "__module__", None)
    if module is not None and not module.startswith("relaxtfp"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
