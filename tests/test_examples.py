"""Every ``examples/*.py`` runs (in quick mode) so that examples cannot rot.

Each example runs in a fresh subprocess with ``SKDEEPCLUSTER_EXAMPLE_QUICK=1``
(examples shrink their data/epochs when it is set), the Agg matplotlib backend,
one OpenMP thread, a temporary working directory and
``SKDEEPCLUSTER_NO_SYSTEM_DATA=1`` (no data a machine happens to have installed
is read: examples use generated data or data that ships with the package). The
house rule is < 30 s per example on a CPU; with quick mode the whole file should
stay under about 2 minutes. An example that cannot meet that goes in ``SLOW``
(run only with ``-m slow``) or ``SKIP`` with a written reason.

An example may import only the standard library, skdeepcluster and its
install requirements. One that uses an optional package lists it in
``OPTIONAL``, names it in its header, and must still run without it (it says
so and degrades): it runs twice here, once as installed and once with those
packages made unimportable.
"""

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TIMEOUT = 180  # seconds per example; a hang fails instead of blocking CI

# name -> reason; marked slow (excluded by default)
SLOW = {}
# name -> reason; never run here
SKIP = {}
# name -> optional top-level modules it uses when installed (it must run without)
OPTIONAL = {"plot_dask_search.py": ("dask", "distributed")}
# import names of skdeepcluster's install_requires (and joblib, scikit-learn's)
REQUIRED = {"skdeepcluster", "numpy", "scipy", "sklearn", "torch", "skorch", "ot",
            "faiss", "matplotlib", "joblib"}

# runs an example with some top-level modules made unimportable
BLOCKING_RUNNER = textwrap.dedent("""
    import runpy, sys
    blocked = set(sys.argv[2].split(","))

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")

    sys.meta_path.insert(0, Block())
    sys.argv = sys.argv[1:2]
    runpy.run_path(sys.argv[0], run_name="__main__")
""")


def _params():
    for path in EXAMPLES:
        marks = []
        if path.name in SLOW:
            marks.append(pytest.mark.slow)
        if path.name in SKIP:
            marks.append(pytest.mark.skip(reason=SKIP[path.name]))
        yield pytest.param(path, (), id=path.stem, marks=marks)
        if path.name in OPTIONAL:
            blocked = OPTIONAL[path.name]
            yield pytest.param(path, blocked, marks=marks,
                               id=f"{path.stem}-without-{'-'.join(blocked)}")


def _top_level_imports(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_examples_found():
    assert EXAMPLES, "no examples/*.py found"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_declares_optional_packages(path):
    """An example uses only required packages, or declares the optional ones
    (in OPTIONAL here and in its header text), so that a fresh install runs it."""
    optional = set(OPTIONAL.get(path.name, ()))
    extra = _top_level_imports(path) - REQUIRED - set(sys.stdlib_module_names)
    assert extra <= optional, (
        f"{path.name} imports {sorted(extra - optional)}, which skdeepcluster does not "
        "install: add them to OPTIONAL in tests/test_examples.py, name them in the "
        "example's header and make the example run without them")
    header = ast.get_docstring(ast.parse(path.read_text())) or ""
    for name in optional:
        assert f"``{name}``" in header, (
            f"{path.name}'s header does not say that it uses ``{name}``")


@pytest.mark.parametrize("path, blocked", list(_params()))
def test_example_runs(path, blocked, tmp_path):
    env = dict(os.environ)
    env.update(SKDEEPCLUSTER_EXAMPLE_QUICK="1", MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", SKDEEPCLUSTER_NO_SYSTEM_DATA="1",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    cmd = [sys.executable, str(path)]
    if blocked:
        cmd = [sys.executable, "-c", BLOCKING_RUNNER, str(path), ",".join(blocked)]
    before = {p.name for p in (ROOT / "examples").iterdir()}
    try:
        proc = subprocess.run(cmd, cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.name} ran over {TIMEOUT} s in quick mode; shrink its "
                    "work under SKDEEPCLUSTER_EXAMPLE_QUICK=1")
    assert proc.returncode == 0, (
        f"{path.name} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    if blocked:  # it ran without them and said so
        assert any(name in proc.stdout for name in blocked), (
            f"{path.name} ran without {blocked} but did not say so:\n{proc.stdout}")
    # new non-.py files only: others may add examples while this runs
    after = {p.name for p in (ROOT / "examples").iterdir()
             if p.suffix not in (".py", ".rst", ".txt")}
    assert after <= before | {"__pycache__"}, (
        f"{path.name} wrote files into examples/: {sorted(after - before)}; "
        "write into a temporary directory instead")
