"""iLA-SDP against Gaussian mixtures and k-means on public tables (issue 16).

For every table of ``_tables.SUITE`` (or ``--tables``), K = the number of known
classes, ``--seeds`` seeds (GaussianMixture and KMeans get z-scored X; ILASDP
gets X as it is: it z-scores internally and its initialisation also tries the
original geometry): mis-clustering error %
after Hungarian matching (``skdeepcluster.metrics.clustering_accuracy``) of

* ``ILASDP(K, random_state=seed)`` with its defaults;
* ``GaussianMixture(K, n_init=10, random_state=seed)`` (full covariances);
* ``GaussianMixture(K, random_state=seed)`` (one k-means start, scikit-learn's default);
* ``KMeans(K, n_init=10, random_state=seed)``.

Per table: median / mean / worst error over the seeds and mean seconds per fit;
the summary counts the tables where iLA-SDP's median error exceeds the 10-start
mixture's by more than one point. Results are cached per (table, method, seed)
in ``results/sdp_tables.json`` so that an interrupted run resumes; the markdown
goes to ``results/sdp_tables.md``.

Examples::

    python benchmarks/bench_sdp_tables.py                       # whole suite, 10 seeds
    python benchmarks/bench_sdp_tables.py --tables iris,wine --seeds 3
    python benchmarks/bench_sdp_tables.py --render              # markdown from the cache
"""

import argparse
import datetime
import json
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _common import machine  # noqa: E402
from _tables import SUITE, TABLES, load_table  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skdeepcluster import ILASDP  # noqa: E402
from skdeepcluster.metrics import clustering_accuracy  # noqa: E402

METHODS = {
    "iLA-SDP": lambda K, s: ILASDP(K, random_state=s),
    "GMM n_init=10": lambda K, s: GaussianMixture(K, n_init=10, random_state=s),
    "GMM 1 start": lambda K, s: GaussianMixture(K, random_state=s),
    "k-means++ n_init=10": lambda K, s: KMeans(K, n_init=10, random_state=s),
}


def run(args, cache):
    tables = args.tables.split(",") if args.tables else SUITE
    methods = args.methods.split(",") if args.methods else list(METHODS)
    for name in tables:
        X, y = load_table(name)
        K = int(np.unique(y).size)
        Xs = StandardScaler().fit_transform(X)
        for method in methods:
            for seed in range(args.seeds):
                key = f"{name}|{method}|{seed}"
                if key in cache and not args.force:
                    continue
                est = METHODS[method](K, seed)
                # iLA-SDP z-scores internally (and also tries the original
                # geometry for its initialisation): it gets X as it is; the
                # others get the z-scored X their users would give them
                Xin = X if isinstance(est, ILASDP) else Xs
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    t = time.perf_counter()
                    est.fit(Xin)
                    sec = time.perf_counter() - t
                labels = est.labels_ if hasattr(est, "labels_") else est.predict(Xin)
                err = 100.0 * (1.0 - clustering_accuracy(y, labels))
                cache[key] = {"error": err, "seconds": sec,
                              "warned": len([w for w in caught
                                             if w.category is ConvergenceWarning]),
                              "init": getattr(est, "init_", None),
                              "n_iter": int(getattr(est, "n_iter_", 0))}
                print(f"[tables] {key}: {err:.2f}% {sec:.1f}s", flush=True)
                save(args, cache)


def save(args, cache):
    with open(args.cache, "w") as fh:
        json.dump(cache, fh, indent=0, sort_keys=True)


def render(args, cache):
    tables = args.tables.split(",") if args.tables else SUITE
    methods = list(METHODS)
    lines = [
        "# iLA-SDP on public tables\n",
        f"Machine: {machine()}; date "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}.  ",
        "Command: `python benchmarks/bench_sdp_tables.py` (results cached in "
        "`benchmarks/results/sdp_tables.json`; `--render` rewrites this file from it). "
        "Timings on the shared, loaded 2-core machine are indicative only.\n",
        "Tables from `benchmarks/_tables.py` (public, loaded offline; R's mlbench, "
        "kernlab and mclust collections are excluded, kept for an independent check). "
        "K = the number of known classes; GMM and k-means get z-scored X, iLA-SDP X as "
        "it is (it z-scores internally; its initialisation also tries the original "
        "geometry). Error "
        "= mis-clustering % after Hungarian matching; per method: median / mean / "
        "worst over the seeds, and mean seconds per fit. iLA-SDP: `ILASDP(K, "
        "random_state=seed)` with its defaults; GMM: `GaussianMixture` with full "
        "covariances (one k-means start, or `n_init=10`); k-means++ `n_init=10`.\n",
        "| table (n, p, K) | iLA-SDP seeds | " + " | ".join(methods) + " | iLA-SDP - GMM n_init=10 "
        "(median) |",
        "|---" * (len(methods) + 3) + "|",
    ]
    diffs = {}
    for name in tables:
        cells, med = [], {}
        n_seeds = None
        for method in methods:
            rows = [v for k, v in cache.items() if k.startswith(f"{name}|{method}|")]
            if not rows:
                cells.append("not run")
                continue
            e = np.array([r["error"] for r in rows])
            sec = np.mean([r["seconds"] for r in rows])
            med[method] = float(np.median(e))
            if method == "iLA-SDP":
                n_seeds = len(rows)
            # a method run on fewer seeds than the table's says so
            fewer = f", {len(rows)} seed{'s' if len(rows) > 1 else ''}" if len(rows) != max(
                len([k for k in cache if k.startswith(f"{name}|{m}|")]) for m in methods) \
                else ""
            cells.append(f"{np.median(e):.1f} / {e.mean():.1f} / {e.max():.1f} "
                         f"({sec:.1f}s{fewer})")
        if "iLA-SDP" in med and "GMM n_init=10" in med:
            diffs[name] = med["iLA-SDP"] - med["GMM n_init=10"]
            dcell = f"{diffs[name]:+.1f}"
        else:
            dcell = "-"
        X, y = load_table(name)
        lines.append(f"| {name} ({X.shape[0]}, {X.shape[1]}, {np.unique(y).size}) | "
                     f"{n_seeds} | " + " | ".join(cells) + f" | {dcell} |")
    lines.append("")
    if diffs:
        d = np.array(list(diffs.values()))
        worse = [f"{k} ({v:+.1f})" for k, v in diffs.items() if v > 1.0 + 1e-9]
        lines.append(
            f"Median over the {len(d)} tables of (iLA-SDP - GMM n_init=10) median "
            f"errors: {np.median(d):+.2f} points; iLA-SDP better on "
            f"{int((d < 0).sum())}, equal on {int((d == 0).sum())}, worse on "
            f"{int((d > 0).sum())}; more than one point worse on: "
            f"{', '.join(worse) if worse else 'none'}.\n")
    lines.append("Tables: " + "; ".join(f"`{t}`: {TABLES[t][1]}" for t in tables) + ".\n")
    if args.notes:
        with open(args.notes) as fh:
            lines.append(fh.read().strip() + "\n")
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    if args.rst:
        render_rst(args, cache, tables)


def _stats(cache, name, method):
    e = np.array([v["error"] for k, v in cache.items() if k.startswith(f"{name}|{method}|")])
    return e if e.size else None


def render_rst(args, cache, tables):
    """The user guide's table: median (worst) error % per method and table."""
    cols = ["iLA-SDP", "GMM n_init=10", "GMM 1 start", "k-means++ n_init=10"]
    head = ["table (n, p, K)", "iLA-SDP seeds", "iLA-SDP", "GMM 10 starts", "GMM 1 start",
            "k-means++", "iLA-SDP - GMM 10"]
    rows = []
    for name in tables:
        stats = [_stats(cache, name, m) for m in cols]
        if stats[0] is None:
            continue
        X, y = load_table(name)
        cells = [f"{name} ({X.shape[0]}, {X.shape[1]}, {np.unique(y).size})",
                 str(len(stats[0]))]
        for s in stats:
            cells.append("-" if s is None else f"{np.median(s):.1f} ({s.max():.1f})")
        d = (np.median(stats[0]) - np.median(stats[1])) if stats[1] is not None else None
        cells.append("-" if d is None else f"{d:+.1f}")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    rule = "  ".join("=" * w for w in widths)
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    out = [rule, fmt(head), rule] + [fmt(r) for r in rows] + [rule]
    with open(args.rst, "w") as fh:
        fh.write("\n".join(out) + "\n")
    print(f"wrote {args.rst}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default=None, help="comma separated (default: SUITE)")
    parser.add_argument("--methods", default=None, help="comma separated METHODS keys")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--force", action="store_true", help="recompute cached results")
    parser.add_argument("--render", action="store_true", help="only write the markdown")
    parser.add_argument("--cache", default=os.path.join(HERE, "results", "sdp_tables.json"))
    parser.add_argument("--out", default=os.path.join(HERE, "results", "sdp_tables.md"))
    parser.add_argument("--notes", default=None,
                        help="a markdown file of notes appended to the results")
    parser.add_argument("--rst", default=None,
                        help="also write the user guide's reStructuredText table here")
    args = parser.parse_args(argv)
    cache = {}
    if os.path.exists(args.cache):
        with open(args.cache) as fh:
            cache = json.load(fh)
    if not args.render:
        run(args, cache)
    render(args, cache)


if __name__ == "__main__":
    main()
