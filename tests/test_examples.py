"""Every ``examples/*.py`` runs (in quick mode) so that examples cannot rot.

Each example runs in a fresh subprocess with ``SKDEEPCLUSTER_EXAMPLE_QUICK=1``
(examples shrink their data/epochs when it is set), the Agg matplotlib backend,
one OpenMP thread and a temporary working directory. The house rule is < 30 s
per example on a CPU; with quick mode the whole file should stay under about 2
minutes. An example that cannot meet that goes in ``SLOW`` (run only with
``-m slow``) or ``SKIP`` with a written reason.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TIMEOUT = 180  # seconds per example; a hang fails instead of blocking CI

# name -> reason; marked slow (excluded by default)
SLOW = {}
# name -> reason; never run here
SKIP = {}


def _params():
    for path in EXAMPLES:
        marks = []
        if path.name in SLOW:
            marks.append(pytest.mark.slow)
        if path.name in SKIP:
            marks.append(pytest.mark.skip(reason=SKIP[path.name]))
        yield pytest.param(path, id=path.stem, marks=marks)


def test_examples_found():
    assert EXAMPLES, "no examples/*.py found"


@pytest.mark.parametrize("path", list(_params()))
def test_example_runs(path, tmp_path):
    env = dict(os.environ)
    env.update(SKDEEPCLUSTER_EXAMPLE_QUICK="1", MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep
               + env.get("PYTHONPATH", ""))
    before = {p.name for p in (ROOT / "examples").iterdir()}
    try:
        proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.name} ran over {TIMEOUT} s in quick mode; shrink its "
                    "work under SKDEEPCLUSTER_EXAMPLE_QUICK=1")
    assert proc.returncode == 0, (
        f"{path.name} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    # new non-.py files only: others may add examples while this runs
    after = {p.name for p in (ROOT / "examples").iterdir()
             if p.suffix not in (".py", ".rst", ".txt")}
    assert after <= before | {"__pycache__"}, (
        f"{path.name} wrote files into examples/: {sorted(after - before)}; "
        "write into a temporary directory instead")
