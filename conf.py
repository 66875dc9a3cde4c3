"""Sphinx configuration of the elastic_events documentation (sources in docs/source/).

Build with ``make html`` (nitpicky, warnings are errors) or ``make doctest``.
"""

from __future__ import annotations

import doctest
import importlib.metadata
import importlib.util
import sys
import warnings
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

# -- Paths --------------------------------------------------------------------------------------
# The repository root holds the package (elastic_events) and the extension (sphinxext); put it
# first on sys.path so the docs always document the checkout they are built from.
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
# The event classes of a made-up project, shown on docs/source/adopt.md.
sys.path.insert(0, str(ROOT / "docs" / "examples"))

# sphinx-autodoc-typehints 3.6.1 calls a docutils parser API that Sphinx 10 removes; the warning
# is theirs to fix and would print once per docstring.
warnings.filterwarnings(
    "ignore", message=r".*_RstSnippetParser\.set_application", category=DeprecationWarning
)

# -- Project ------------------------------------------------------------------------------------
project = "elastic_events"
author = "The elastic_events authors"
copyright = f"2026, {author}"
release = importlib.metadata.version("elastic-events")
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_autodoc_typehints",  # after napoleon, so it sees the converted field lists
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx_copybutton",
    # The CLI page (docs/source/cli.rst), from the command's own parser. sphinx-argparse-cli, not
    # sphinx-argparse: it gives each subcommand a section and a label and puts every option in
    # Sphinx's standard domain, so prose links to one with :option: (sphinx-argparse keeps only
    # its commands, in a domain of its own).
    "sphinx_argparse_cli",
    "myst_parser",
    "sphinxext.event_json",  # this project's: example events built and checked at build time
]
root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns: list[str] = []
templates_path: list[str] = []
nitpicky = True  # `make html` passes -n too; set here so every way of building is nitpicky
default_role = "py:obj"  # a bare `name` in reST is a cross-reference, never unformatted italics
language = "en"
# OpenTelemetry has no inventory to link to: its types in signatures stay unlinked.
nitpick_ignore_regex = [("py:class", r"opentelemetry\..*")]

# The short names of event classes for the event-json and event-schema directives.
event_json_classes = {"JobEvent": "acme_events.JobEvent"}

# -- Autodoc, napoleon, type hints --------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True}
# The modules for torch and OpenTelemetry are documented even where those are not installed.
autodoc_mock_imports = [
    name for name in ("torch", "opentelemetry") if importlib.util.find_spec(name) is None
]
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = False
# sphinx-autodoc-typehints replaces Napoleon's lookup of attribute types in class annotations
# with one that finds none (its issue #308), so napoleon_attr_annotations cannot work with it:
# the classes write each field's type in their "Attributes:" section, as "name (type): ...", and
# tests/test_site.py checks those types against the annotations.
napoleon_use_admonition_for_examples = True
typehints_defaults = "comma"
typehints_document_rtype = True
typehints_document_rtype_none = False  # no "Return type: None" on functions that return nothing
always_use_bars_union = True
python_use_unqualified_type_names = True


# -- Doctest ------------------------------------------------------------------------------------
# Each group of doctests (a page's, or the docstrings autodoc puts on it) starts from the
# destinations as they were and puts them back afterwards: examples register handlers and add
# destinations, and the next group must not see them, whatever the order.
doctest_global_setup = """
import importlib.util
import elastic_events

# Examples that need an optional dependency say :skipif: not HAVE_TORCH (or HAVE_OTEL_SDK).
HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_OTEL_SDK = all(importlib.util.find_spec(n) for n in ("opentelemetry", "opentelemetry.sdk"))

_saved_destinations = {
    name: elastic_events.get_logging_handler(name) for name in elastic_events.destinations()
}
"""
doctest_global_cleanup = """
for _name in elastic_events.destinations():
    if _name in _saved_destinations:
        elastic_events.register_handler(_name, _saved_destinations[_name])
    else:
        elastic_events.unregister_handler(_name).close()
"""
doctest_test_doctest_blocks = "default"
# Sphinx's default also ignores exception messages; ours are part of the API, so check them.
doctest_default_flags = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1

# -- Intersphinx (offline) ----------------------------------------------------------------------
# The Python inventory is kept in the repository (docs/_inventories/python3.inv, from Debian's
# python3.11-doc), so the build never touches the network while links still point online.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(ROOT / "docs" / "_inventories" / "python3.inv")),
}

# -- Linkcheck (needs network; never part of `make test`) ---------------------------------------
linkcheck_timeout = 10
linkcheck_retries = 1

# -- MyST ---------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- Copy button --------------------------------------------------------------------------------
# Copy what a reader would type: strip Python and shell prompts, and leave out the output.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_exclude = ".linenos, .gp, .go"

# -- HTML output (Furo: light and dark, following the reader's system by default) ---------------
html_theme = "furo"
html_title = f"elastic_events {release}"
# Site-wide accessibility (docs/source/accessibility.md): code and tables that scroll sideways are
# reachable by keyboard, with a focus ring (docs/_static/scroll-regions.js, accessibility.css).
html_static_path = ["docs/_static"]
html_css_files = ["accessibility.css"]
html_js_files = ["scroll-regions.js"]
html_favicon = "docs/_static/favicon.svg"
# Every token of these two styles (accessible-pygments, a Furo dependency) reaches WCAG AA's 4.5:1
# against its own code background (friendly's comments reached 2.6:1); tests/test_accessibility.py
# measures each token, and the browser test every highlighted span of the built pages.
pygments_style = "a11y-light"
pygments_dark_style = "a11y-dark"


# -- Build dependencies -------------------------------------------------------------------------


def _depend_on_the_package(app: Sphinx, doctree: nodes.document) -> None:
    """Rebuild a page that documents the package when any of its modules changes.

    autodoc notes a dependency on the module an object is documented under: elastic_events's
    ``__init__.py``, not the private module whose docstrings it renders.
    """
    signatures = doctree.findall(addnodes.desc_signature)
    if any(str(node.get("module", "")).startswith("elastic_events") for node in signatures):
        for path in sorted((ROOT / "elastic_events").glob("*.py")):
            app.env.note_dependency(str(path))


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", _depend_on_the_package)
