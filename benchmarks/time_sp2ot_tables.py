"""Seconds per default SP2OT fit on tables, and how they grow with the rows.

One ``SP2OT(n_clusters=K, random_state=seed)`` fit per table and seed, one
torch thread (``torch.set_num_threads(1)``; run it with ``OMP_NUM_THREADS=1``),
on a few tables of ``benchmarks/_tables.py`` and on a generated table (5
features, 4 Gaussian blobs) of growing size. Each run is cached under a
``--label`` (e.g. the code version it timed) in
``benchmarks/results/sp2ot_timing.json``, and the section shows every label
side by side, so that code versions can be timed one after the other (an
older version by putting its copy first on ``PYTHONPATH``)::

    python benchmarks/time_sp2ot_tables.py --label after
    PYTHONPATH=/path/to/old/copy python benchmarks/time_sp2ot_tables.py --label before
    python benchmarks/time_sp2ot_tables.py --render
"""

import argparse
import json
import os
import time
import warnings

import numpy as np

from _common import RESULTS_DIR, scores, table, write_section

JSON = os.path.join(RESULTS_DIR, "sp2ot_timing.json")
TABLES = ["hpc_data", "college", "penguins", "wine"]
SIZES = [1000, 4000, 16000]


def blobs(n):
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=n, centers=4, n_features=5, cluster_std=3.0,
                      random_state=0)


def fit_one(X, y, seed):
    import skdeepcluster

    est = skdeepcluster.SP2OT(n_clusters=len(np.unique(y)), random_state=seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    secs = time.perf_counter() - t0
    stages = [r["stage"] for r in est.history_]
    return dict(scores(y, est.labels_), seconds=secs,
                warmup_epochs=stages.count("warmup"),
                clustering_epochs=stages.count("clustering"),
                module=os.path.dirname(skdeepcluster.__file__))


def run(args):
    import torch

    import _tables

    torch.set_num_threads(1)
    rows = json.load(open(JSON)) if os.path.exists(JSON) else []
    jobs = [(t, lambda t=t: _tables.load_table(t)) for t in args.tables]
    jobs += [(f"blobs_{n}", lambda n=n: blobs(n)) for n in args.sizes]
    for name, load in jobs:
        X, y = load()
        for seed in args.seeds:
            rec = fit_one(X, y, seed)
            rec.update(label=args.label, data=name, seed=seed, n=len(X), p=X.shape[1])
            rows = [r for r in rows if (r["label"], r["data"], r["seed"])
                    != (args.label, name, seed)] + [rec]
            with open(JSON, "w") as f:
                json.dump(rows, f, indent=0)
            print(f"{args.label:12s} {name:12s} seed {seed} {rec['seconds']:7.1f} s "
                  f"ACC {rec['ACC']:.3f} epochs {rec['warmup_epochs']}+"
                  f"{rec['clustering_epochs']}", flush=True)
    return rows


def render(rows, command):
    labels = list(dict.fromkeys(r["label"] for r in rows))
    data = list(dict.fromkeys(r["data"] for r in rows))
    out = []
    for d in data:
        n, p = next((r["n"], r["p"]) for r in rows if r["data"] == d)
        row = {"data": d, "n x p": f"{n} x {p}"}
        for lab in labels:
            sel = [r for r in rows if r["data"] == d and r["label"] == lab]
            if sel:
                row[f"{lab} s"] = float(np.median([r["seconds"] for r in sel]))
                row[f"{lab} ACC"] = float(np.median([r["ACC"] for r in sel]))
                row[f"{lab} epochs"] = "/".join(
                    f"{r['warmup_epochs']}+{r['clustering_epochs']}" for r in sel)
            else:
                row[f"{lab} s"] = row[f"{lab} ACC"] = np.nan
                row[f"{lab} epochs"] = ""
        out.append(row)
    cols = ["data", "n x p"]
    for lab in labels:
        cols += [f"{lab} s", f"{lab} ACC", f"{lab} epochs"]
    seeds = sorted({r["seed"] for r in rows})
    body = ("Seconds per default fit (`SP2OT(n_clusters=K, random_state=seed)`, CPU, one "
            "torch thread, `OMP_NUM_THREADS=1`; median over seeds "
            f"{seeds}), its ACC, and the epochs run (warm-up + clustering, per seed). "
            "`blobs_n`: `make_blobs(n, centers=4, n_features=5, cluster_std=3, "
            "random_state=0)`. Timed on a shared 2-core machine with another job "
            "running: seconds move by 10-20 % between runs.\n\n" + table(out, cols))
    write_section("sp2ot_timing", "SP2OT: seconds per default fit on tables", body,
                  command)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="current")
    ap.add_argument("--tables", nargs="*", default=TABLES)
    ap.add_argument("--sizes", nargs="*", type=int, default=SIZES)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--render", action="store_true", help="only rewrite the section")
    args = ap.parse_args(argv)
    rows = (json.load(open(JSON)) if os.path.exists(JSON) else []) if args.render else run(args)
    render(rows, "python benchmarks/time_sp2ot_tables.py --label LABEL  # one run per "
                 "code version; --render rewrites this section")


if __name__ == "__main__":
    main()
