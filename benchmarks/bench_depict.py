"""DEPICT against KMeans and ClustPy's DEC/IDEC, side by side in one run.

Suites
------
digits        scikit-learn's digits (1,797 x 64), CPU, DEPICT with its defaults
              over --seeds (median reported), KMeans, ClustPy DEC and IDEC.
fashion       Fashion-MNIST, all 70,000 images, on --device (the GPU): DEPICT
              (convolutional) vs ClustPy DEC (784-500-500-2000-10, 50 pretrain +
              50 clustering epochs, batch 256) vs KMeans, fit seconds for each.
fashion-cpu   a Fashion-MNIST subset (--n-samples, default 5,000) on the CPU.

Usage::

    python benchmarks/bench_depict.py --suite digits --seeds 0 1 2
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
    X, y = load_digits(return_X_y=True)
    rows = []
    for seed in args.seeds:
        rows.append(run_kmeans(X, y, 10, seed))
        rows.append(run_depict(X, y, 10, seed, device=args.device))
        if not args.no_clustpy and seed in args.clustpy_seeds:
            for kind in ("DEC", "IDEC"):
                rows.append(run_clustpy(kind, X, y, 10, seed, args.device))
                print(f"  {rows[-1]}", flush=True)
    body = ("scikit-learn digits (1,797 x 64, 10 classes), DEPICT with default "
            "parameters (MLP 64-128-128-512-10), ClustPy DEC/IDEC with their "
            "defaults (100 pretraining + 150 clustering epochs, input scaled to "
            f"[0, 1]) on seeds {args.clustpy_seeds}; median over seeds "
            f"{args.seeds}, seconds = whole fit.\n\n"
            + table(summarise(rows), COLUMNS))
    write_section("depict_digits", "DEPICT on digits (CPU)", body, command, args.device)


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
    p.add_argument("--suite", choices=["digits", "fashion", "fashion-cpu"],
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
    p.add_argument("--clustpy-seeds", type=int, nargs="+", default=[0],
                   help="seeds on which ClustPy's DEC/IDEC run (digits; they are slow on CPU)")
    p.add_argument("--clustpy-epochs", type=int, default=50,
                   help="ClustPy DEC pretraining and clustering epochs (fashion)")
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
    if args.suite == "digits":
        digits(args, command)
    elif args.suite == "fashion":
        fashion(args, command)
    else:
        fashion(args, command, subset=args.n_samples)


if __name__ == "__main__":
    main()
