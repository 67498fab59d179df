"""Benchmark of ILASDP and SDPKMeans against k-means and EM (GaussianMixture).

Sections (each writes a markdown table into ``benchmarks/results/sdp.md``):

1. EM-trap simulation (spec section 4): K = 8 heterogeneous clusters, p = 2 and 10,
   a range of grid separations, ``--seeds`` seeds; mean mis-clustering error %
   and the share of runs with error > 5 %, seconds per fit.
2. Real data: wine and breast cancer (scikit-learn, z-scored).
3. Speed of the low-rank route (SDPKMeans, ILASDP) as n grows (CPU).
4. Exact ADMM solver vs CVXPY (SCS) on Peng-Wei problems, n = 100, 200, 300.

``--gpu-suite`` times the low-rank route at n = 1e3, 1e4, 1e5 on ``--device``
(about 90 s on an H100) and writes ``benchmarks/results/sdp_gpu.md``.

Examples::

    python benchmarks/bench_sdp.py --quick                 # CPU smoke run
    python benchmarks/bench_sdp.py                         # CPU tables (10 seeds)
    python benchmarks/bench_sdp.py --device cuda --gpu-suite
"""

import argparse
import datetime
import os
import platform
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from skdeepcluster import ILASDP, SDPKMeans
from skdeepcluster.datasets import make_heterogeneous_gaussians
from skdeepcluster.metrics import clustering_accuracy

HERE = os.path.dirname(os.path.abspath(__file__))


def error_pct(y, labels):
    return 100.0 * (1.0 - clustering_accuracy(y, labels))


def machine(device):
    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores"
    if str(device).startswith("cuda") and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} ({cpu})"
    return f"CPU only ({cpu}, {platform.system()} {platform.release()})"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def methods(K, seed, device):
    """(name, fit -> labels on standardised X) pairs, fair settings (spec 5)."""
    return [
        ("iLA-SDP (SDP init)", lambda X: ILASDP(K, random_state=seed, device=device)
         .fit(X).labels_),
        ("SDP k-means", lambda X: SDPKMeans(K, random_state=seed, device=device)
         .fit(X).labels_),
        ("k-means++, n_init 10", lambda X: KMeans(K, n_init=10, random_state=seed)
         .fit_predict(X)),
        ("k-means, 1 random init", lambda X: KMeans(K, init="random", n_init=1,
                                                    random_state=seed).fit_predict(X)),
        ("GMM full, 1 random-from-data init", lambda X: GaussianMixture(
            K, init_params="random_from_data", random_state=seed).fit(X).predict(X)),
        ("GMM full, 1 k-means init (default)", lambda X: GaussianMixture(
            K, random_state=seed).fit(X).predict(X)),
        ("GMM full, n_init 10", lambda X: GaussianMixture(
            K, n_init=10, random_state=seed).fit(X).predict(X)),
    ]


def em_trap(args, lines):
    seps = [6.0] if args.quick else [float(v) for v in args.separations.split(",")]
    dims = [2] if args.quick else [int(v) for v in args.dims.split(",")]
    n = 200 if args.quick else 400
    lines.append("## EM-trap simulation (spec section 4)"
                 + (", raw data" if args.raw else "") + "\n")
    lines.append(
        f"K = 8 clusters on a 4 x 2 grid (spacing = separation), deviations "
        f"(0.6, 1.2, 0.8, 1.5, 0.6, 1.0, 1.4, 0.7), n = {n} ({n // 8} per cluster), "
        f"extra coordinates pure noise at each cluster's own deviation; "
        f"{args.seeds} seeds (0..{args.seeds - 1}); "
        f"{'raw X (no z-scoring)' if args.raw else 'z-scored X'} for every method; "
        "`ILASDP`/`SDPKMeans` with default parameters (solver 'auto' -> low-rank at "
        "this n). Cell: mean error % / share of runs with error > 5 % / runs with "
        "error > 10 % / mean seconds per fit.\n")
    header = "| method | " + " | ".join(f"p={p}, sep={s:g}" for p in dims for s in seps)
    lines.append(header + " |")
    lines.append("|---" * (1 + len(dims) * len(seps)) + "|")
    names = [m[0] for m in methods(8, 0, args.device)]
    cells = {name: [] for name in names}
    for p in dims:
        for sep in seps:
            res = {name: ([], []) for name in names}
            for seed in range(args.seeds):
                X, y = make_heterogeneous_gaussians(n, 8, p, separation=sep,
                                                    random_state=seed)
                Xs = X if args.raw else StandardScaler().fit_transform(X)
                for name, fit in methods(8, seed, args.device):
                    labels, sec = timed(lambda: fit(Xs))
                    res[name][0].append(error_pct(y, labels))
                    res[name][1].append(sec)
                print(f"[em-trap] p={p} sep={sep} seed={seed}: " + ", ".join(
                    f"{k}={v[0][-1]:.2f}%/{v[1][-1]:.1f}s" for k, v in res.items()),
                    flush=True)
            for name in names:
                e, t = np.asarray(res[name][0]), np.asarray(res[name][1])
                cells[name].append(f"{e.mean():.2f} / {np.mean(e > 5):.1f} / "
                                   f"{int(np.sum(e > 10))} / {t.mean():.2f}s")
            print(f"[em-trap] p={p} sep={sep} done", flush=True)
    for name in names:
        lines.append(f"| {name} | " + " | ".join(cells[name]) + " |")
    lines.append("")


def real_data(args, lines):
    lines.append("## Real data (z-scored), error %\n")
    lines.append("Single run, random_state=0; GMM/k-means as in the table above.\n")
    lines.append("| data (n, p, K) | " + " | ".join(m[0] for m in methods(2, 0, "cpu"))
                 + " |")
    lines.append("|---" * 8 + "|")
    for name, loader in (("wine", load_wine), ("breast cancer", load_breast_cancer)):
        X, y = loader(return_X_y=True)
        K = len(np.unique(y))
        Xs = StandardScaler().fit_transform(X)
        row = []
        for mname, fit in methods(K, 0, args.device):
            labels, sec = timed(lambda: fit(Xs))
            row.append(f"{error_pct(y, labels):.2f} ({sec:.1f}s)")
        lines.append(f"| {name} ({X.shape[0]}, {X.shape[1]}, {K}) | " + " | ".join(row)
                     + " |")
        print(f"[real] {name} done", flush=True)
    lines.append("")


def cost_data(n, seed=0):
    return make_heterogeneous_gaussians(n, 4, 10, separation=4.0,
                                        deviations=(0.5, 1.0, 1.5, 1.0), layout="axes",
                                        stretch=3.0, random_state=seed)


def speed(args, lines, sizes, ila_sizes, device, title, budget=None):
    lines.append(f"## {title}\n")
    lines.append(
        "Spec's cost setting: K = 4, p = 10, centres 4 e_k, deviations (0.5, 1, 1.5, 1), "
        "cluster 4 stretched x3 on axis 1; solver='lowrank', defaults otherwise "
        f"(n_restarts=4); device={device}. Error % in brackets. GMM/k-means for scale.\n")
    lines.append("| n | SDP k-means (low-rank) | iLA-SDP (low-rank) | k-means++ n_init 10 "
                 "| GMM full |")
    lines.append("|---|---|---|---|---|")
    if device.startswith("cuda"):  # warm-up: CUDA context and kernels
        X, _ = cost_data(500)
        SDPKMeans(4, solver="lowrank", n_restarts=1, device=device).fit(X)
    t_start = time.perf_counter()
    for n in sizes:
        X, y = cost_data(n)
        Xs = StandardScaler().fit_transform(X)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        est, sec = timed(lambda: SDPKMeans(4, solver="lowrank", random_state=0,
                                           device=device, max_full_samples=10**7).fit(Xs))
        cells = [f"{sec:.2f}s ({error_pct(y, est.labels_):.2f}%)"]
        if budget is not None and time.perf_counter() - t_start > budget:
            ila_sizes = []  # keep the suite within its time budget
        if n in ila_sizes:
            est, sec = timed(lambda: ILASDP(4, solver="lowrank", random_state=0,
                                            device=device, max_full_samples=10**7).fit(Xs))
            cells.append(f"{sec:.2f}s ({error_pct(y, est.labels_):.2f}%, "
                         f"{est.n_iter_} iters)")
        else:
            cells.append("not run")
        lab, sec = timed(lambda: KMeans(4, n_init=10, random_state=0).fit_predict(Xs))
        cells.append(f"{sec:.2f}s ({error_pct(y, lab):.2f}%)")
        lab, sec = timed(lambda: GaussianMixture(4, random_state=0).fit(Xs).predict(Xs))
        cells.append(f"{sec:.2f}s ({error_pct(y, lab):.2f}%)")
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
        print(f"[speed] n={n} done ({time.perf_counter() - t_start:.0f}s)", flush=True)
    lines.append("")


def exact_vs_cvxpy(args, lines):
    import cvxpy as cp

    from skdeepcluster.sdp._exact import solve_exact
    from skdeepcluster.sdp._problem import peng_wei_problem

    sizes = [100] if args.quick else [int(v) for v in args.exact_sizes.split(",")]
    lines.append("## Exact ADMM solver vs CVXPY (Peng-Wei SDP)\n")
    lines.append("Cost-setting data (K = 4, p = 10), z-scored; ours: torch float64 ADMM, "
                 "residuals 1e-5, CPU single thread; CVXPY + SCS (eps 1e-6). Relative "
                 "objective gap |ours - SCS| / |SCS|.\n")
    lines.append("| n | ours (s) | CVXPY+SCS (s) | ratio SCS/ours | relative gap |")
    lines.append("|---|---|---|---|---|")
    for n in sizes:
        X, _ = cost_data(n)
        Xs = StandardScaler().fit_transform(X)
        problem = peng_wei_problem(torch.tensor(Xs), 4)
        C = problem.dense()
        (B, info), t_ours = timed(lambda: solve_exact(C, problem.traces))
        ours = float((C * B).sum())
        Z = cp.Variable((n, n), PSD=True)
        prob = cp.Problem(cp.Maximize(cp.trace(C[0].numpy() @ Z)),
                          [Z >= 0, Z @ np.ones(n) == 1, cp.trace(Z) == 4])
        _, t_cvx = timed(lambda: prob.solve(solver="SCS", eps=1e-6))
        gap = abs(ours - prob.value) / abs(prob.value)
        lines.append(f"| {n} | {t_ours:.1f} | {t_cvx:.1f} | {t_cvx / t_ours:.1f} | "
                     f"{gap:.1e} |")
        print(f"[exact] n={n} ours {t_ours:.1f}s cvx {t_cvx:.1f}s", flush=True)
    lines.append("")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small CPU smoke run")
    parser.add_argument("--full", action="store_true", help="add n = 1e5 to the CPU speed table")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--gpu-suite", action="store_true",
                        help="only time the low-rank route at n = 1e3, 1e4, 1e5 on --device")
    parser.add_argument("--sections", default="trap,real,speed,exact")
    parser.add_argument("--separations", default="4,5,6",
                        help="EM-trap grid spacings (comma separated)")
    parser.add_argument("--dims", default="2,10",
                        help="EM-trap dimensions p (comma separated)")
    parser.add_argument("--raw", action="store_true",
                        help="EM-trap on the raw data (no z-scoring before any method)")
    parser.add_argument("--exact-sizes", default="100,200,300",
                        help="n of the exact-vs-CVXPY comparison (comma separated)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = min(args.seeds, 2)
    warnings.simplefilter("ignore", ConvergenceWarning)
    cmd = "python benchmarks/bench_sdp.py " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = []
    head = [None,
            f"Machine: {machine(args.device)}; torch {torch.__version__}; "
            f"date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}.  ",
            f"Command: `{cmd.strip()}`.  ",
            "Error = mis-clustering % after Hungarian matching of labels "
            "(`skdeepcluster.metrics.clustering_accuracy`). Timings on a shared, loaded "
            "machine are indicative only.\n"]

    def write():  # after every section, so a partial run still leaves its tables
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as fh:
            fh.write("\n".join(head + lines) + "\n")

    if args.gpu_suite:
        out = args.out or os.path.join(HERE, "results", "sdp_gpu.md")
        head[0] = "# SDP k-means / iLA-SDP: GPU timings\n"
        sizes = [1000] if args.quick else [1000, 10000, 100000]
        speed(args, lines, sizes, [1000, 10000] if not args.quick else [1000],
              args.device, f"Low-rank route speed on {args.device}", budget=30.0)
        write()
    else:
        out = args.out or os.path.join(HERE, "results", "sdp.md")
        head[0] = "# SDP k-means and iLA-SDP\n"
        sections = args.sections.split(",")
        if "trap" in sections:
            em_trap(args, lines)
            write()
        if "real" in sections:
            real_data(args, lines)
            write()
        if "speed" in sections:
            sizes = [1000] if args.quick else [1000, 10000] + ([100000] if args.full else [])
            speed(args, lines, sizes, [1000], args.device,
                  f"Low-rank route speed ({args.device})")
            write()
        if "exact" in sections:
            exact_vs_cvxpy(args, lines)
            write()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
