"""Wall time of label-free grid searches: local vs a 2-worker Dask LocalCluster.

Runs the same GridSearchCV (same estimator, grid, scorer and split) with
  * local, sequential (n_jobs=1)
  * local, joblib loky processes (n_jobs=2)
  * Dask LocalCluster, 2 worker processes x 1 thread
  * Dask LocalCluster, 2 in-process thread workers (processes=False)
and reports seconds, the selected n_clusters and whether the mean test scores
equal the sequential run's (they must for process workers; torch estimators in
threads share the global torch RNG and may differ).

Usage:
  python benchmarks/bench_dask.py            # full run (a few minutes on 2 cores)
  python benchmarks/bench_dask.py --quick    # CPU smoke run (< 1 min)
Writes benchmarks/results/dask.md.
"""

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import joblib  # noqa: E402
import numpy as np  # noqa: E402


def _machine():
    import torch
    cpu = platform.processor() or platform.machine()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (f"{platform.platform()}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPU cores ({cpu}), GPU: {gpu}, torch {torch.__version__}")


def _workloads(quick, device, seed):
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits, make_blobs

    from skdeepcluster.metrics import silhouette_scorer
    from skdeepcluster.model_selection import (
        full_data_cv,
        largest_n_clusters_within,
        make_stability_scorer,
    )

    n = 600 if quick else 4000
    Xb, yb = make_blobs(n, n_features=10, centers=6, cluster_std=1.5,
                        random_state=seed)
    yield dict(
        name="KMeans, stability scorer",
        data=f"make_blobs({n}, 10 features, 6 centres, seed {seed})",
        X=Xb, y=yb,
        estimator=KMeans(n_init=3, random_state=seed),
        grid={"n_clusters": list(range(2, 11))},
        scoring=make_stability_scorer(3), cv=2,
        refit=largest_n_clusters_within(0.02),
        settings="n_init=3; grid k=2..10; cv=2; stability 3 pairs; refit=largest within 0.02",
    )
    try:
        from skdeepcluster import DEPICT
    except ImportError:
        return
    Xd, yd = load_digits(return_X_y=True)
    if quick:
        Xd, yd = Xd[:400], yd[:400]
    epochs = (10, 3, 10) if quick else (60, 20, 60)
    params = dict(hidden_dims=(128, 64), pretrain_max_epochs=epochs[0],
                  init_max_epochs=epochs[1], max_epochs=epochs[2],
                  kmeans_n_init=5, device=device, random_state=seed)
    yield dict(
        name="DEPICT (MLP), silhouette scorer",
        data=f"sklearn digits ({len(Xd)} x 64)",
        X=Xd, y=yd,
        estimator=DEPICT(**params),
        grid={"n_clusters": [8, 10, 12] if not quick else [8, 10]},
        scoring=silhouette_scorer, cv=full_data_cv(Xd), refit=True,
        settings=(f"hidden_dims=(128, 64); epochs pretrain/init/train="
                  f"{epochs[0]}/{epochs[1]}/{epochs[2]}; device={device}; "
                  "cv=full_data_cv (transductive split); silhouette in input space"),
    )


def _search(w, n_jobs=None):
    from sklearn.model_selection import GridSearchCV
    return GridSearchCV(w["estimator"], w["grid"], scoring=w["scoring"],
                        cv=w["cv"], refit=w["refit"], n_jobs=n_jobs,
                        error_score="raise")


def _quality(search, y):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy
    labels = search.best_estimator_.labels_
    return (clustering_accuracy(y, labels), normalized_mutual_info_score(y, labels),
            adjusted_rand_score(y, labels))


def _warm(estimator=None, X=None):
    """Imports plus one small fit, so first-call costs count as start-up."""
    import skdeepcluster  # noqa: F401
    if estimator is not None:
        from sklearn.base import clone
        clone(estimator).fit(X)
    return True


def run(args):
    from dask.distributed import Client, LocalCluster

    rows = []
    for seed in range(args.seeds):
        for w in _workloads(args.quick, args.device, seed):
            print(f"== {w['name']} on {w['data']}", flush=True)
            # untimed warm-up in this process (imports, torch lazy init)
            from sklearn.base import clone
            first = {k: v[0] for k, v in w["grid"].items()}
            warm_est = clone(w["estimator"]).set_params(**first)
            warm_X = w["X"][:200]
            _warm(warm_est, warm_X)
            ref = None
            modes = [("local, sequential", "seq"), ("local, loky n_jobs=2", "loky"),
                     ("Dask LocalCluster, 2 worker processes", "procs"),
                     ("Dask LocalCluster, 2 thread workers", "threads")]
            for label, mode in modes:
                start = 0.0
                if mode in ("seq", "loky"):
                    t0 = time.perf_counter()
                    if mode == "loky":  # spawn the reusable workers, import there
                        joblib.Parallel(n_jobs=2)(
                            joblib.delayed(_warm)(warm_est, warm_X) for _ in range(2))
                    start = time.perf_counter() - t0
                    t0 = time.perf_counter()
                    s = _search(w, n_jobs=1 if mode == "seq" else 2).fit(w["X"])
                    secs = time.perf_counter() - t0
                else:
                    t0 = time.perf_counter()
                    with LocalCluster(n_workers=2, threads_per_worker=1,
                                      processes=(mode == "procs"),
                                      dashboard_address=None) as cl, Client(cl) as c:
                        c.run(_warm, warm_est, warm_X)  # on every worker
                        start = time.perf_counter() - t0
                        t0 = time.perf_counter()
                        with joblib.parallel_backend("dask"):
                            s = _search(w).fit(w["X"])
                        secs = time.perf_counter() - t0
                scores = s.cv_results_["mean_test_score"]
                if ref is None:
                    ref = scores
                same = bool(np.allclose(scores, ref, rtol=1e-9, atol=0))
                acc, nmi, ari = _quality(s, w["y"])
                k = s.best_params_["n_clusters"]
                rows.append((w["name"], w["data"], w["settings"], seed, label, secs,
                             start, k, same, acc, nmi, ari))
                print(f"   {label:42s} {secs:7.2f} s (+{start:.1f} s start) k={k} "
                      f"same={same} ACC={acc:.3f} NMI={nmi:.3f} ARI={ari:.3f}",
                      flush=True)
    return rows


def _load():
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def write(rows, args, load_start):
    cmd = "python benchmarks/bench_dask.py " + " ".join(sys.argv[1:])
    out = [
        "## Dask: label-free grid search, local vs LocalCluster (2 workers)",
        "",
        f"- Command: `{cmd.strip()}`",
        f"- Machine: {_machine()}",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Load average (1/5/15 min) at start: {load_start}, at end: {_load()} "
        "(other jobs shared the machine when above the core count: timings "
        "are then noisy and parallel speed-ups understated)",
        "- Seconds are the wall time of `GridSearchCV.fit` after an untimed warm-up "
        "fit in the client; start-up = starting the workers plus one small warm-up fit on each "
        "(imports, torch first-call costs; listed separately); *same* = mean test scores equal to the sequential "
        "run's for every candidate. ACC/NMI (arithmetic)/ARI of the refitted "
        "best estimator against the known labels, which the search never sees.",
        "",
    ]
    by_w = {}
    for r in rows:
        by_w.setdefault((r[0], r[1], r[2]), []).append(r)
    for (name, data, settings), rs in by_w.items():
        out += [f"**{name}** on {data}; {settings}", "",
                "| seed | run | seconds | start-up s | n_clusters | same | ACC | NMI | ARI |",
                "|---|---|---:|---:|---:|---|---:|---:|---:|"]
        for r in rs:
            out.append(f"| {r[3]} | {r[4]} | {r[5]:.2f} | {r[6]:.1f} | {r[7]} | "
                       f"{'yes' if r[8] else 'NO'} | {r[9]:.3f} | {r[10]:.3f} | {r[11]:.3f} |")
        out.append("")
    text = "\n".join(out) + "\n"
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small CPU smoke run")
    p.add_argument("--device", default="cpu", help="device of torch estimators")
    p.add_argument("--seeds", type=int, default=1, help="number of seeds (0..n-1)")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "dask.md"))
    args = p.parse_args()
    load_start = _load()
    write(run(args), args, load_start)


if __name__ == "__main__":
    main()
