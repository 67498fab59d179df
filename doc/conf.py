"""Sphinx configuration for skdeepcluster.

Build (warnings are errors; examples run in quick mode):

    python -m sphinx -b html -W --keep-going doc doc/_build/html

Skip running the gallery examples (fast build, e.g. while editing text):

    python -m sphinx -b html -W --keep-going -D plot_gallery=0 doc doc/_build/html
"""

import importlib
import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

# examples honour this flag to shrink their work (fewer epochs/samples) so the
# whole gallery runs in a few minutes on a CPU
os.environ.setdefault("SKDEEPCLUSTER_EXAMPLE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# 2-core machines: OpenMP oversubscription slows small KMeans fits enormously
os.environ.setdefault("OMP_NUM_THREADS", "1")
# examples read only generated or shipped data, never a machine's Debian data
os.environ.setdefault("SKDEEPCLUSTER_NO_SYSTEM_DATA", "1")

import skdeepcluster  # noqa: E402

project = "skdeepcluster"
author = "skdeepcluster developers"
copyright = "2026, skdeepcluster developers"
release = skdeepcluster.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.inc.rst", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.md5", "auto_examples/*.json"]
html_theme = "alabaster"
html_static_path = ["_static"] if (HERE / "_static").is_dir() else []
html_theme_options = {"description": "Deep and modern clustering, scikit-learn style",
                      "fixed_sidebar": True}
default_role = "literal"

# --------------------------------------------------------------------------- #
# autodoc / autosummary / numpydoc
# --------------------------------------------------------------------------- #
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# The public API is listed from each package's ``__all__`` at build time, so
# names that land later appear without editing api.rst. The estimators planned
# for the first release are checked below: a missing one is reported (not an
# error, so the docs build while an estimator is still being written).
PLANNED_ESTIMATORS = ["DEPICT", "DSC", "PBN", "NCDKMeans",
                      "NCDSpectralClustering", "SDPKMeans", "ILASDP"]
API_MODULES = ["skdeepcluster", "skdeepcluster.metrics",
               "skdeepcluster.model_selection", "skdeepcluster.inspection",
               "skdeepcluster.datasets", "skdeepcluster.utils", "skdeepcluster.base",
               "skdeepcluster.sp2ot"]


def _public_names(modname):
    mod = importlib.import_module(modname)
    names = [n for n in getattr(mod, "__all__", []) if not n.startswith("_")]
    return mod, names


def _write_api_lists():
    generated = []
    for modname in API_MODULES:
        mod, names = _public_names(modname)
        classes = sorted(n for n in names if isinstance(getattr(mod, n), type))
        funcs = sorted(n for n in names if callable(getattr(mod, n))
                       and not isinstance(getattr(mod, n), type))
        data = sorted(n for n in names if n not in classes and n not in funcs)
        lines = [f".. currentmodule:: {modname}", ""]
        for title, items, template in (("Classes", classes, "class.rst"),
                                       ("Functions and scorers", funcs, "function.rst"),
                                       ("Constants", data, None)):
            if not items:
                continue
            lines += [f".. rubric:: {title}", ""]
            if template is None:
                for n in items:
                    lines += [f"- ``{modname}.{n}`` = ``{getattr(mod, n)!r}``"]
                lines += [""]
                continue
            lines += [".. autosummary::", "   :toctree: generated/",
                      f"   :template: {template}", ""]
            lines += [f"   {n}" for n in items] + [""]
        if modname == "skdeepcluster":
            missing = [n for n in PLANNED_ESTIMATORS if n not in names]
            if missing:
                print(f"[skdeepcluster docs] planned estimators not available "
                      f"in this build: {', '.join(missing)}")
                lines += [".. note::", "",
                          "   Not available in this build (planned): "
                          + ", ".join(f"``{n}``" for n in missing) + ".", ""]
        fname = f"api_{modname.replace('.', '_')}.inc.rst"
        text = "\n".join(lines) + "\n"
        path = HERE / fname
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        generated.append(fname)
    return generated


autosummary_generate = ["api.rst"] + _write_api_lists()

# Method pages are written by each method's owner; list those present (so the
# build does not fail while one is being written) in the order below.
METHOD_PAGES = ["depict", "dsc", "ncd", "sdp", "sp2ot"]


def _write_methods_toctree():
    pages = [p for p in METHOD_PAGES if (HERE / f"{p}.rst").exists()]
    missing = [p for p in METHOD_PAGES if p not in pages]
    if missing:
        print(f"[skdeepcluster docs] method pages not written yet: {missing}")
    lines = [".. toctree::", "   :maxdepth: 2", "   :caption: Methods", ""]
    lines += [f"   {p}" for p in pages]
    text = "\n".join(lines) + "\n"
    path = HERE / "methods_toctree.inc.rst"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


_write_methods_toctree()
autosummary_imported_members = True

# Docstrings often name fitted attributes in plain text or in numpydoc type
# specs, e.g. ``ndarray of shape (n_clusters_, n_features)``; reST reads a bare
# ``name_`` as a hyperlink reference ("Unknown target name"). Escape such
# trailing underscores outside inline literals/roles, after numpydoc has run.
import re  # noqa: E402

_BARE_REF = re.compile(r"(?<![\w`*\\/.:<|])([A-Za-z][A-Za-z0-9_]*?)_(?=[\s,;)\]\-+]|$)")
_LITERAL = re.compile(r"(``.*?``|:[\w:+-]+:`[^`]*`|`[^`]*`_{0,2}|\*\*.*?\*\*)")


def _escape_bare_refs(app, what, name, obj, options, lines):
    literal_indent = None  # inside a ``::`` literal block: leave it alone
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue
            literal_indent = None
        if line.rstrip().endswith("::"):
            literal_indent = indent
        if ("_" not in line or stripped.startswith((">>>", "...", ".."))):
            continue
        parts = _LITERAL.split(line)
        for j in range(0, len(parts), 2):  # even parts are outside literals
            parts[j] = _BARE_REF.sub(r"\1\\_", parts[j])
        lines[i] = "".join(parts)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bare_refs, priority=900)


# --------------------------------------------------------------------------- #
# sphinx-gallery
# --------------------------------------------------------------------------- #
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|/_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skdeepcluster",),
    "reference_url": {"skdeepcluster": None},
    "plot_gallery": "True",
}

# matplotlib's Agg backend in examples: no GUI warnings
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
