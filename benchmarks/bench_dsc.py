"""Benchmark of DSC (deep subspace clustering, LIHFSS-SVDSC) against baselines.

CPU suite (default): scikit-learn's digits (all 1797 images, label-free stopping)
and synthetic unions of subspaces; DSC (the closed-form coefficients, the
gradient step and the released Adam optimiser) beside k-means, spectral
clustering and a linear self-expressive baseline (closed-form LSR with the same
post-processing), and a sweep of the noise level on 10 subspaces of dimension 9.
Writes ``benchmarks/results/dsc.md``.

Fashion suite (``--gpu-suite``, about 90-120 s on one H100; on a CPU with
``--device cpu``, tens of minutes): Fashion-MNIST, a random 10,000-image subset
in dense mode and all 70,000 images in subsample mode, DSC beside k-means.
Writes ``benchmarks/results/dsc_gpu.md`` (``dsc_fashion_cpu.md`` on a CPU).
``--defaults --n-dense 0`` fits only all 70,000 images with every DSC default
(``mode="auto"``: a 5,000-image subsample) and writes ``dsc_fashion_cpu_all.md``
on a CPU (``dsc_fashion_cpu_all_<n>.md`` with ``--n-all <n>``: a random n-image subset,
e.g. 10,000, which ``mode="auto"`` fits on a 5,000-image subsample on a CPU).

Examples::

    python benchmarks/bench_dsc.py                      # CPU suite, seeds 0 1 2
    python benchmarks/bench_dsc.py --quick              # small smoke run
    python benchmarks/bench_dsc.py --device cuda --gpu-suite
    python benchmarks/bench_dsc.py --device cpu --gpu-suite --threads 2 --n-subsample 5000
    python benchmarks/bench_dsc.py --gpu-suite --defaults --n-dense 0 --threads 1  # 70k, CPU
"""

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np
import scipy.sparse.csgraph as csgraph
import torch
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import DSC
from skdeepcluster.dsc import shifted_laplacian_clustering
from skdeepcluster.datasets import load_fashion_mnist, make_subspaces
from skdeepcluster.metrics import clustering_accuracy

HERE = os.path.dirname(os.path.abspath(__file__))


def scores(y, labels):
    return (clustering_accuracy(y, labels), normalized_mutual_info_score(y, labels),
            adjusted_rand_score(y, labels))


def lsr_labels(X, n_clusters, lam, seed, n_retained=9, coef_norm="l2"):
    """Linear self-expressive baseline: LSR (Lu et al. 2012), diag(C) = 0, closed form.

    Rows are L2-normalised (as in the LSR paper); ``c_ij = -Z_ij / Z_ii`` with
    ``Z = (X X^T + lam I)^-1`` (the minimiser of ||X - C X||^2 + lam ||C||^2
    s.t. diag(C) = 0, row-major), followed by DSC's default post-processing
    (row-normalised, retained coefficients + shifted Laplacian spectral
    clustering).
    """
    Xn = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    G = Xn @ Xn.T
    Z = np.linalg.inv(G + lam * np.eye(len(G)))
    C = -Z / np.diag(Z)[:, None]
    np.fill_diagonal(C, 0.0)
    return shifted_laplacian_clustering(C.astype(np.float32), n_clusters, n_retained,
                                        coef_norm=coef_norm, random_state=seed)[0]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run_suite(datasets, methods, seeds):
    rows = []
    for dname, X, y, k in datasets:
        for mname, fn in methods:
            if fn(None, None, None) is None:  # method not applicable to this data set
                continue
            res = []
            for seed in seeds:
                (labels, extra), sec = timed(lambda: fn(X, k, seed))
                res.append(scores(y, labels) + (sec,))
                print(f"{dname:28s} {mname:34s} seed {seed}: ACC {res[-1][0]:.3f} "
                      f"NMI {res[-1][1]:.3f} ARI {res[-1][2]:.3f} {sec:7.1f}s {extra}",
                      flush=True)
            res = np.array(res)
            med = np.median(res, axis=0)
            rows.append((dname, mname, len(seeds), med, res[:, 0].min(), res[:, 0].max(),
                         extra))
    return rows


def machine():
    cpu = platform.processor() or platform.machine()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPU cores, "
            f"GPU {gpu}; Python {platform.python_version()}, torch {torch.__version__}")


def write(path, title, rows, notes, args):
    lines = [f"## {title}", "",
             f"- machine: {machine()}",
             f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"- command: `python benchmarks/bench_dsc.py {' '.join(sys.argv[1:])}`",
             f"- seeds: {args.seeds}; figures are medians over seeds (ACC range in brackets); "
             "NMI is scikit-learn's (arithmetic mean); seconds are wall-clock fit times",
             ] + [f"- {n}" for n in notes] + [
             "",
             "| data set | method | seeds | ACC | NMI | ARI | seconds | notes |",
             "|---|---|---|---|---|---|---|---|"]
    for dname, mname, ns, med, lo, hi, extra in rows:
        lines.append(f"| {dname} | {mname} | {ns} | {med[0]:.3f} [{lo:.3f}-{hi:.3f}] | "
                     f"{med[1]:.3f} | {med[2]:.3f} | {med[3]:.1f} | {extra} |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    print(text)


def dsc_method(device, **params):
    def fn(X, k, seed):
        if X is None:
            return True
        m = DSC(n_clusters=k, device=device, random_state=seed,
                **{key: v for key, v in params.items() if key != "sizes"}).fit(X)
        epochs = tuple(sum(r["stage"] == st for r in m.history_)
                       for st in ("pretrain", "self_expression", "structured_norm"))
        extra = (f"epochs {epochs}, stop {m.stop_reasons_['self_expression']}/"
                 f"{m.stop_reasons_['structured_norm']}, n_fit {len(m.subsample_indices_)}")
        if params.get("sizes"):
            # cluster sizes (largest first) and connected components of the affinity
            n_comp, comp = csgraph.connected_components(m.affinity_, directed=False)
            extra += (f", cluster sizes {' '.join(map(str, np.sort(np.bincount(m.labels_))[::-1]))}"
                      f", {n_comp} affinity components (largest "
                      f"{' '.join(map(str, np.sort(np.bincount(comp))[::-1][:3]))})")
        return m.labels_, extra
    return fn


def cpu_suite(args):
    quick = args.quick
    digits = load_digits()
    Xd, yd = digits.data, digits.target
    if quick:
        idx = np.random.RandomState(0).permutation(len(Xd))[:400]
        Xd, yd = Xd[idx], yd[idx]
    n_syn = 300 if quick else 1000
    Xs, ys = make_subspaces(n_syn, 30, n_clusters=5, subspace_dim=5, noise=0.1,
                            random_state=0)
    Xh, yh = make_subspaces(n_syn, 20, n_clusters=10, subspace_dim=9, noise=0.3,
                            random_state=0)
    datasets = [
        (f"digits ({len(Xd)}, 8x8, K=10)", Xd, yd, 10),
        (f"subspaces ({n_syn}, D=30, 5 x 5-dim, noise 0.1)", Xs, ys, 5),
        (f"subspaces ({n_syn}, D=20, 10 x 9-dim, noise 0.3)", Xh, yh, 10),
    ]
    is_digits = {id(Xd)}
    pre = 30 if quick else 100

    def dsc(**params):
        def fn(X, k, seed):
            if X is None:
                return True
            shape = (1, 8, 8) if id(X) in is_digits else None
            return dsc_method(args.device, input_shape=shape, pretrain_max_epochs=pre,
                              **params)(X, k, seed)
        return fn

    def kmeans(X, k, seed):
        if X is None:
            return True
        return KMeans(k, n_init=10, random_state=seed).fit_predict(X), "n_init 10"

    def spectral(X, k, seed):
        if X is None:
            return True
        sc = SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=10,
                                random_state=seed)
        return sc.fit_predict(X), "kNN graph (10), defaults otherwise"

    def lsr(lam, coef_norm="l2"):
        def fn(X, k, seed):
            if X is None:
                return True
            return lsr_labels(X, k, lam, seed, coef_norm=coef_norm), \
                f"lambda {lam}, k_ret 9, coef_norm {coef_norm}"
        return fn

    methods = [("DSC (default: closed-form C)", dsc()),
               ("DSC coef_solver='gradient' (step 1/L)", dsc(coef_solver="gradient")),
               ("DSC coef_solver='adam', coef_norm=None (released)",
                dsc(coef_solver="adam", coef_norm=None)),
               ("DSC layer_weights='all'", dsc(layer_weights="all")),
               ("DSC coef_norm=None", dsc(coef_norm=None)),
               ("DSC without stage 2", dsc(structured_norm_max_epochs=0)),
               ("KMeans", kmeans), ("SpectralClustering", spectral),
               ("LSR self-expression, lambda 1", lsr(1.0)),
               ("LSR self-expression, lambda 1, coef_norm=None", lsr(1.0, None))]
    rows = run_suite(datasets, methods, args.seeds)
    notes = [
        "DSC: defaults (closed-form C from the input layer, lam by rSE = 0.25, pretraining 100 "
        "epochs, coefficient rows L2-normalised, n_retained 9) unless the row says otherwise; "
        "conv AE 1->10->20 (k3, stride 2) on digits, MLP AE on the synthetic data; "
        "epochs = (stage 0, 1, 2)",
        "LSR: closed-form least-squares self-representation of L2-normalised rows with "
        "diag(C) = 0 and DSC's post-processing; lambda fixed, not tuned on labels",
        f"torch threads: {torch.get_num_threads()}; the CPU was shared with other jobs, "
        "so seconds are indicative",
    ]
    name = "dsc_quick.md" if quick else "dsc.md"
    write(os.path.join(HERE, "results", name),
          "DSC (deep subspace clustering, LIHFSS-SVDSC), CPU suite" + (" (quick)" if quick else ""),
          rows, notes, args)
    if not quick:
        noise_sweep(args)


def noise_sweep(args, levels=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8), n=1000):
    """DSC against LSR with the same post-processing as the noise grows."""
    lines = ["", f"### Noise sweep: 10 subspaces of dimension 9 in R^20, {n} points", "",
             "Per noise level (expected noise norm / signal norm, `make_subspaces`) the "
             f"median ACC [range] over seeds {args.sweep_seeds} (one data set per seed); "
             "KMeans is the floor of a method that ignores subspaces.", "",
             "| noise | DSC (default) | DSC, released Adam | LSR lambda 1 (same post) | "
             "KMeans | DSC - LSR (median of per-seed differences) |",
             "|---|---|---|---|---|---|"]
    for noise in levels:
        res = {"dsc": [], "adam": [], "lsr": [], "km": []}
        for seed in args.sweep_seeds:
            X, y = make_subspaces(n, 20, n_clusters=10, subspace_dim=9, noise=noise,
                                  random_state=seed)
            m = DSC(n_clusters=10, device=args.device, random_state=seed).fit(X)
            res["dsc"].append(clustering_accuracy(y, m.labels_))
            m = DSC(n_clusters=10, device=args.device, coef_solver="adam", coef_norm=None,
                    random_state=seed).fit(X)
            res["adam"].append(clustering_accuracy(y, m.labels_))
            res["lsr"].append(clustering_accuracy(y, lsr_labels(X, 10, 1.0, seed)))
            res["km"].append(clustering_accuracy(
                y, KMeans(10, n_init=10, random_state=seed).fit_predict(X)))
            print(f"noise {noise} seed {seed}: " +
                  ", ".join(f"{k} {v[-1]:.3f}" for k, v in res.items()), flush=True)

        def cell(v):
            return f"{np.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]"
        diff = np.median(np.array(res["dsc"]) - np.array(res["lsr"]))
        lines.append(f"| {noise} | {cell(res['dsc'])} | {cell(res['adam'])} | "
                     f"{cell(res['lsr'])} | {cell(res['km'])} | {diff:+.3f} |")
    path = os.path.join(HERE, "results", "dsc.md")
    with open(path, "a") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def gpu_suite(args):
    quick = args.quick
    n_dense = args.n_dense if args.n_dense is not None else (600 if quick else 10_000)
    n_all = 2000 if quick else args.n_all
    if args.defaults:
        # DSC as a user gets it: no caps (pretraining 100 epochs in batches of 256, ...)
        pre = None
    # with --defaults and no --n-subsample the all-images run keeps DSC's own
    # mode="auto" (a subsample of n_subsample=None -> min(5000, max_dense_samples))
    auto_all = args.defaults and args.n_subsample is None and not quick
    n_sub = args.n_subsample or (300 if quick else 10_000)
    if not args.defaults:
        pre = 5 if quick else 20
    datasets, dense_id = [], None
    if n_dense != 0:  # 0 skips the dense subset
        fm10 = load_fashion_mnist(n_samples=n_dense, random_state=0)
        X10, y10 = fm10.data.astype(np.float32), fm10.target
        datasets.append((f"Fashion-MNIST subset ({len(X10)}), dense", X10, y10, 10))
        dense_id = id(X10)
    if n_all != 0:  # 0 skips the all-images run
        fm = load_fashion_mnist(n_samples=n_all, random_state=0)
        Xa, ya = fm.data.astype(np.float32), fm.target
        datasets.append((("Fashion-MNIST all" if len(Xa) == 70_000 else "Fashion-MNIST subset")
                         + f" ({len(Xa)}), "
                         + ("mode auto" if auto_all else f"subsample {n_sub}"), Xa, ya, 10))

    def dsc(X, k, seed):
        if X is None:
            return True
        caps = dict(input_shape=(1, 28, 28), pretrain_max_epochs=pre, batch_size=1000,
                    self_expression_max_epochs=300, structured_norm_max_epochs=40)
        if args.defaults:
            caps = dict(input_shape=(1, 28, 28))
        if args.labels_only:
            # labels_ do not depend on stages 0-1 when C comes from the input alone
            caps.update(pretrain=None, self_expression_max_epochs=1, min_epochs=1)
        if args.no_stage2:
            caps["structured_norm_max_epochs"] = 0
        elif args.stage2_epochs is not None:
            caps["structured_norm_max_epochs"] = args.stage2_epochs
        caps["sizes"] = True
        if id(X) == dense_id:
            return dsc_method(args.device, mode="dense", **caps)(X, k, seed)
        if auto_all:
            return dsc_method(args.device, **caps)(X, k, seed)
        return dsc_method(args.device, mode="subsample", n_subsample=n_sub, **caps)(X, k, seed)

    def kmeans(X, k, seed):
        if X is None:
            return True
        n_init = 10 if len(X) <= 20_000 else 3
        return (KMeans(k, n_init=n_init, random_state=seed).fit_predict(X),
                f"sklearn, n_init {n_init}")

    t0 = time.perf_counter()
    rows = run_suite(datasets, [("DSC", dsc), ("KMeans", kmeans)], args.seeds)
    gpu = args.device.startswith("cuda")
    setting = ("every parameter at its default (pretraining 100 epochs in batches of 256, "
               "stage-1 cap 1000, stage-2 cap 200)" if args.defaults else
               f"pretraining {pre} epochs in batches of 1000, stages 1-2 full batch with "
               "label-free stopping (capped at 300 and 40 epochs to bound the suite's time)")
    if args.labels_only:
        setting += ("; --labels-only: pretrain=None, self_expression_max_epochs=1, "
                    "min_epochs=1 (with C from the input layer, labels_ are those of the same "
                    "fit with pretraining and the full stage 1; predict is not used here)")
    if args.no_stage2:
        setting += "; --no-stage2: structured_norm_max_epochs=0"
    elif args.stage2_epochs is not None:
        setting += f"; structured_norm_max_epochs={args.stage2_epochs}"
    notes = [
        f"DSC: defaults (closed-form C of the input layer, lam by rSE = 0.25, coefficient rows "
        f"L2-normalised, n_retained 9) with conv AE 1->10->20 (k3, stride 2); {setting}; "
        "subsample mode fits C on a random "
        "subsample and assigns the other rows to the nearest cluster subspace of the "
        "last-layer features",
        f"whole suite: {time.perf_counter() - t0:.0f} s"
        + ("" if gpu else f"; torch threads {torch.get_num_threads()}, the 2-core CPU was "
           "shared with other jobs"),
    ]
    name = (("dsc_gpu" if gpu else "dsc_fashion_cpu") + ("_quick" if quick else "")
            + ("_all" if n_dense == 0 else "")
            + (f"_{n_all}" if n_dense == 0 and args.n_all not in (None, 70_000) else "")
            + ("" if args.stage2_epochs is None or args.no_stage2
               else f"_stage2_{args.stage2_epochs}") + ".md")
    write(os.path.join(HERE, "results", name),
          f"DSC on Fashion-MNIST, {'GPU' if gpu else 'CPU'} suite" + (" (quick)" if quick else "")
          + (" (without stage 2)" if args.no_stage2 else "" if args.stage2_epochs is None
             else f" (stage 2 capped at {args.stage2_epochs} epochs)"),
          rows, notes, args)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small CPU smoke run")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seeds", type=int, nargs="+", default=None)
    p.add_argument("--sweep-seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
                   help="CPU suite: seeds of the noise sweep")
    p.add_argument("--gpu-suite", action="store_true")
    p.add_argument("--defaults", action="store_true",
                   help="Fashion-MNIST suite: DSC with every parameter at its default (no "
                   "epoch caps)")
    p.add_argument("--labels-only", action="store_true",
                   help="Fashion-MNIST suite: skip pretraining, one stage-1 epoch "
                   "(the labels do not depend on them with C from the input layer)")
    p.add_argument("--no-stage2", action="store_true",
                   help="Fashion-MNIST suite: structured_norm_max_epochs=0")
    p.add_argument("--stage2-epochs", type=int, default=None,
                   help="Fashion-MNIST suite: cap of stage 2 (structured_norm_max_epochs)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--n-dense", type=int, default=None,
                   help="GPU suite: size of the dense Fashion-MNIST subset (default 10000; "
                   "0 skips it)")
    p.add_argument("--n-all", type=int, default=None,
                   help="GPU suite: rows of the 'all' run (default: all 70,000; 0 skips it)")
    p.add_argument("--n-subsample", type=int, default=None,
                   help="GPU suite: subsample of the 70,000-image run (default 10000; with "
                   "--defaults: DSC's own mode='auto')")
    args = p.parse_args()
    if args.seeds is None:
        args.seeds = [0] if args.gpu_suite else [0, 1, 2]
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.gpu_suite:
        gpu_suite(args)
    else:
        cpu_suite(args)


if __name__ == "__main__":
    main()
