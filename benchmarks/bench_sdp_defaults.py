"""Cost of SDPKMeans and ILASDP with their defaults on small tables (issue 11).

Writes ``benchmarks/results/sdp_defaults.md``:

1. ``make_blobs(100, n_features=4, centers=3)`` fitted by ``ILASDP(n_clusters=K)``
   and ``SDPKMeans(n_clusters=K)`` (every other parameter at its default) for
   K = 2, 3, 8, 16, 32: seconds, route, likelihood iterations, solver steps per
   LA-SDP solve, and the warnings raised;
2. ``check_estimator`` on the default-constructed estimators: seconds, and
   whether every check passed;
3. the exact against the low-rank route of ``SDPKMeans(n_clusters=8)`` for
   n = 30 ... 150 (the ``max_exact_samples`` default).

Examples::

    python benchmarks/bench_sdp_defaults.py
    python benchmarks/bench_sdp_defaults.py --sections blobs
"""

import argparse
import datetime
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _common import machine  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import skdeepcluster.sdp._lowrank as sdp  # noqa: E402
from skdeepcluster import ILASDP, SDPKMeans  # noqa: E402


def _kind(message):
    """A few words for a warning of the SDP estimators."""
    for key, words in (("likelihood is unbounded", "initial cluster too small: "
                        "iterations skipped"),
                       ("distinct rows", "fewer distinct rows than clusters"),
                       ("did not converge", "max_iter reached"),
                       ("residual tolerance", "solver tolerance not reached")):
        if key in message:
            return words
    return message[:60]


def _counting_lowrank():
    """Wrap the low-rank solver to record the steps of every solve."""
    record = []
    real = sdp.solve_lowrank

    def solve(problem, U0, **kwargs):
        U, info = real(problem, U0, **kwargs)
        record.append((problem.n_blocks, int(info["n_iter"])))
        return U, info

    return record, real, solve


def blobs(lines, sizes):
    X, _ = make_blobs(100, n_features=4, centers=3, random_state=0)
    lines.append("## Defaults on a 100 x 4 table\n")
    lines.append(
        "`make_blobs(100, n_features=4, centers=3, random_state=0)`; each estimator "
        "with its defaults except `n_clusters` (and `random_state=0`). LA-SDP steps: "
        "projected-gradient steps of each low-rank LA-SDP solve (all starts run as "
        "one batch; the SDP k-means initialisation is not counted).\n")
    lines.append("| K | ILASDP s | route | iterations | LA-SDP steps per solve | warnings "
                 "| SDPKMeans s | route |")
    lines.append("|---|---|---|---|---|---|---|---|")
    record, real, solve = _counting_lowrank()
    sdp.solve_lowrank = solve
    try:
        for K in sizes:
            record.clear()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t = time.perf_counter()
                est = ILASDP(K, random_state=0).fit(X)
                sec = time.perf_counter() - t
            steps = [s for kb, s in record if kb == K and K > 1]
            warned = "; ".join(sorted({_kind(str(w.message)) for w in caught})) or "none"
            t = time.perf_counter()
            km = SDPKMeans(K, random_state=0).fit(X)
            sec_km = time.perf_counter() - t
            lines.append(f"| {K} | {sec:.2f} | {est.solver_} | {est.n_iter_} | "
                         f"{steps if steps else '-'} | {warned} | {sec_km:.2f} | "
                         f"{km.solver_} |")
            print(lines[-1], flush=True)
    finally:
        sdp.solve_lowrank = real
    lines.append("")


def checks(lines):
    lines.append("## scikit-learn's check_estimator on default-constructed estimators\n")
    lines.append("| estimator | seconds | result |")
    lines.append("|---|---|---|")
    for est in (SDPKMeans(), ILASDP()):
        t = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check_estimator(est)
            result = "all checks pass"
        except Exception as exc:  # report, do not hide
            result = f"FAILED: {type(exc).__name__}: {str(exc)[:120]}"
        lines.append(f"| {type(est).__name__}() | {time.perf_counter() - t:.1f} | "
                     f"{result} |")
        print(lines[-1], flush=True)
    lines.append("")


def route(lines, sizes):
    import numpy as np

    lines.append("## Exact or low-rank route for SDP k-means at small n\n")
    lines.append(
        "`SDPKMeans(n_clusters=8, solver=...)`, best of 2 fits; 'noise': "
        "`normal(loc=100, size=(n, 2))` (scikit-learn's check data), 'blobs': "
        "`make_blobs(n, n_features=4, centers=3)`. Cell: seconds (solver steps: ADMM "
        "iterations or projected-gradient steps).\n")
    lines.append("| n | data | exact | low-rank |")
    lines.append("|---|---|---|---|")
    for n in sizes:
        for kind in ("noise", "blobs"):
            rng = np.random.RandomState(0)
            X = (rng.normal(loc=100, size=(n, 2)) if kind == "noise" else
                 make_blobs(n, n_features=4, centers=3, random_state=0)[0])
            cells = []
            for solver in ("exact", "lowrank"):
                best = float("inf")
                for _ in range(2):
                    t = time.perf_counter()
                    m = SDPKMeans(8, solver=solver, random_state=0).fit(X)
                    best = min(best, time.perf_counter() - t)
                cells.append(f"{best:.2f} ({m.n_iter_})")
            lines.append(f"| {n} | {kind} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    lines.append("")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", default="blobs,checks,route")
    parser.add_argument("--sizes", default="2,3,8,16,32")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "sdp_defaults.md"))
    args = parser.parse_args(argv)
    cmd = "python benchmarks/bench_sdp_defaults.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    lines = [
        "# SDP k-means / iLA-SDP: cost with default parameters\n",
        f"Machine: {machine()}; date "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}.  ",
        f"Command: `{cmd.strip()}`. Timings on the shared 2-core machine are "
        "indicative only (other jobs were running).\n"]
    sections = args.sections.split(",")
    if "blobs" in sections:
        blobs(lines, [int(v) for v in args.sizes.split(",")])
    if "checks" in sections:
        checks(lines)
    if "route" in sections:
        route(lines, [30, 50, 80, 100, 150])
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
