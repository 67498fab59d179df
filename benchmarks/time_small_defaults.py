"""Every public estimator, with its defaults, on a 100 x 4 table, for many n_clusters.

A user's first call is often ``Est().fit(X)`` on a small table, with
``n_clusters`` anywhere from 2 to the number of rows. This times that call for
each estimator (all defaults, nothing shortened) on ``make_blobs(100, 4,
centers=3)`` and writes ``results/small_defaults.md``.

    python benchmarks/time_small_defaults.py [--names DEPICT DSC ...] [--ks 2 3 8 25 100]
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.datasets import make_blobs

from _common import RESULTS_DIR, machine  # noqa: F401  (sets sys.path)

import skdeepcluster  # noqa: E402


def main():
    names = [n for n in skdeepcluster.__all__ if n != "__version__"]
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", nargs="*", default=names)
    parser.add_argument("--ks", nargs="*", type=int, default=[2, 3, 8, 25, 100])
    parser.add_argument("--out", default=os.path.join(RESULTS_DIR, "small_defaults.md"))
    args = parser.parse_args()
    X, _ = make_blobs(100, n_features=4, centers=3, random_state=0)
    rows = []
    for name in args.names:
        cells = []
        for k in args.ks:
            est = getattr(skdeepcluster, name)(n_clusters=k, random_state=0)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t0 = time.perf_counter()
                try:
                    est.fit(X)
                    seconds = time.perf_counter() - t0
                    found = len(np.unique(est.labels_[est.labels_ >= 0]))
                    cell = f"{seconds:.1f} s ({found})" + (" w" if caught else "")
                except ValueError as exc:
                    cell = f"ValueError: {str(exc)[:40]}"
            print(name, k, cell, flush=True)
            cells.append(cell)
        rows.append((name, cells))
    lines = [
        "## Defaults on a small table: `Est(n_clusters=k).fit(X)`, X = make_blobs(100, 4, centers=3)",
        "",
        f"Machine: {machine()}. Command: `python benchmarks/time_small_defaults.py`. Every "
        "parameter at its default (epoch caps included) except `n_clusters` and "
        "`random_state=0`. Each cell: seconds of one fit (clusters found); `w` = the fit "
        "warned (e.g. empty or degenerate clusters).",
        "",
        "| estimator | " + " | ".join(f"k={k}" for k in args.ks) + " |",
        "|---|" + "---|" * len(args.ks),
    ]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
