"""SP2OT (optimal-transport pseudo-labels) against KMeans, DEPICT and ClustPy's DEC.

Suites
------
digits       scikit-learn's digits (1,797 8x8 images) on the CPU: SP2OT with its
             defaults (``input_shape=(8, 8)``) and with ``transport="balanced"``
             over --seeds, KMeans, DEPICT (defaults).
longtail     long-tailed subsets (exponential class profile, imbalance ratios
             --ratios) of digits and, with --fashion-samples > 0, of a
             Fashion-MNIST subset: ACC, NMI, macro-averaged per-class recall and
             the recall of the head / medium / tail thirds of the classes, for
             SP2OT (progressive), SP2OT (balanced), KMeans and DEPICT.
tables       the public table suite of ``benchmarks/_tables.py`` (SP2OT's MLP
             path with its defaults) against KMeans.
fashion-cpu  a Fashion-MNIST subset (--n-samples, default 10,000) on the CPU.
fashion      Fashion-MNIST, all 70,000 images, on --device (the GPU): SP2OT,
             DEPICT (its GPU benchmark settings) and ClustPy's DEC in one run,
             fit seconds for each.
embeddings   precomputed model embeddings (``benchmarks/_embeddings.py``: MLP
             autoencoders trained on Fashion-MNIST's train split, embedding its
             test split; one trained on half of digits, embedding the other
             half), clustered as a user would pass them: SP2OT with its
             defaults, with ``views="dropout"`` (the embeddings path) where
             "auto" picks another, with ``transport="balanced"``, KMeans and a
             Gaussian mixture; sets named ``<set>-LT<ratio>`` are long-tailed
             subsets (imbalance scores as in ``longtail``).

Usage::

    python benchmarks/bench_sp2ot.py --suite digits --seeds 0 1 2
    python benchmarks/bench_sp2ot.py --suite longtail --ratios 10 100
    python benchmarks/bench_sp2ot.py --suite tables
    python benchmarks/bench_sp2ot.py --suite fashion-cpu --n-samples 10000
    python benchmarks/bench_sp2ot.py --suite embeddings --seeds 0 1 2
    python benchmarks/bench_sp2ot.py --suite embeddings --sets fashion-h256 \
        fashion-ae10 --section sp2ot_embeddings_more
    python benchmarks/bench_sp2ot.py --suite embeddings --sets fashion-ae64-LT10 \
        fashion-ae64-LT100 --only-extra --extra rho0=1.0 rho0=0.5 \
        --section sp2ot_embeddings_rho0
    python benchmarks/bench_sp2ot.py --suite fashion --device cuda --seeds 0 \
        --batch-size 1024 --warmup-epochs 10 --max-epochs 20

The GPU command has not been run yet (no GPU in the session that wrote it); its
settings aim at the 120 s budget: 70,000 images at batch 1024 are 69 steps per
epoch, 30 epochs about 2,000 steps.
"""

import argparse
import sys

import numpy as np
from _common import Timer, scores, summarise, table, write_section
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from skdeepcluster import DEPICT, SP2OT
from skdeepcluster.datasets import load_fashion_mnist

COLUMNS = ["method", "runs", "ACC", "ACC (min-max)", "NMI", "NMI (min-max)", "ARI",
           "seconds"]
LT_COLUMNS = ["data", "method", "runs", "ACC", "NMI", "macro recall", "head", "medium",
              "tail", "seconds"]

#: SP2OT's settings for Fashion-MNIST (28x28 clothes: left-right flips are natural)
FASHION = dict(input_shape=(1, 28, 28), hflip=True)


def matched_recall(y, labels):
    """Per-class recall after the Hungarian matching of clusters to classes.

    Returns a dict class -> recall (a class whose matched cluster is missing
    has recall 0)."""
    classes = np.unique(y)
    clusters = np.unique(labels)
    C = np.zeros((len(classes), len(clusters)))
    ci = np.searchsorted(classes, y)
    cj = np.searchsorted(clusters, labels)
    np.add.at(C, (ci, cj), 1)
    rows, cols = linear_sum_assignment(-C)
    rec = {c: 0.0 for c in classes}
    for r, c in zip(rows, cols):
        rec[classes[r]] = C[r, c] / C[r].sum()
    return rec


def imbalance_scores(y, labels):
    """ACC/NMI/ARI plus macro recall and head/medium/tail recall (classes
    sorted by size and cut in thirds, as the P2OT papers do)."""
    out = scores(y, labels)
    rec = matched_recall(y, labels)
    classes, counts = np.unique(y, return_counts=True)
    order = classes[np.argsort(-counts, kind="stable")]
    thirds = np.array_split(order, 3)
    out["macro recall"] = float(np.mean(list(rec.values())))
    for name, part in zip(("head", "medium", "tail"), thirds):
        out[name] = float(np.mean([rec[c] for c in part]))
    return out


def extra_variants(extras, method):
    """``(row name, settings)`` of each ``PARAM=VALUE`` of ``--extra`` /
    ``--depict-extra`` (VALUE a Python literal), e.g. ``("SP2OT (lam=0.1)",
    {"lam": 0.1})``."""
    out = []
    for extra in extras:
        key, value = extra.split("=", 1)
        out.append((f"{method} ({key}={value})", {key: eval(value)}))
    return out


def long_tailed(X, y, ratio, seed=0):
    """Subset with an exponential class profile: class i of C (in a random
    order) keeps ``n_max * ratio ** (-i / (C - 1))`` rows, ``n_max`` the size of
    the smallest class of the input."""
    rng = np.random.RandomState(seed)
    classes = rng.permutation(np.unique(y))
    n_max = min(int((y == c).sum()) for c in classes)
    keep = []
    for i, c in enumerate(classes):
        m = max(1, int(round(n_max * ratio ** (-i / (len(classes) - 1)))))
        keep.append(rng.choice(np.flatnonzero(y == c), m, replace=False))
    keep = np.sort(np.concatenate(keep))
    return X[keep], y[keep]


def run_kmeans(X, y, k, seed, score=scores):
    with Timer() as t:
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)
    return dict(method="KMeans (k-means++, n_init=10)", seconds=t.seconds,
                **score(y, labels))


def run_sp2ot(X, y, k, seed, name="SP2OT (defaults)", score=scores, **kw):
    with Timer() as t:
        m = SP2OT(n_clusters=k, random_state=seed, **kw).fit(X)
    row = dict(method=name, seconds=t.seconds, **score(y, m.labels_))
    epochs = "/".join(str(m._stage_epochs(s)) for s in ("warmup", "clustering"))
    print(f"  {name} seed {seed}: ACC {row['ACC']:.3f} NMI {row['NMI']:.3f} "
          f"{row['seconds']:.1f} s, epochs {epochs}, stopped {m.stop_reasons_}",
          flush=True)
    row["epochs warm-up/clustering"] = epochs
    return row


def run_depict(X, y, k, seed, name="DEPICT (defaults)", score=scores, **kw):
    with Timer() as t:
        m = DEPICT(n_clusters=k, random_state=seed, **kw).fit(X)
    row = dict(method=name, seconds=t.seconds, **score(y, m.labels_))
    print(f"  {name} seed {seed}: ACC {row['ACC']:.3f} {row['seconds']:.1f} s", flush=True)
    return row


def digits(args, command):
    X, y = load_digits(return_X_y=True)
    rows = []
    for seed in args.seeds:
        rows.append(run_kmeans(X, y, 10, seed))
        rows.append(run_sp2ot(X, y, 10, seed, input_shape=(8, 8), device=args.device))
        rows.append(run_sp2ot(X, y, 10, seed, name="SP2OT (transport='balanced')",
                              input_shape=(8, 8), transport="balanced",
                              device=args.device))
        if not args.no_depict:
            rows.append(run_depict(X, y, 10, seed, device=args.device))
    body = ("scikit-learn digits (1,797 x 64, 10 classes) as 8x8 images "
            "(`SP2OT(n_clusters=10, input_shape=(8, 8), random_state=seed)`: MLP "
            "backbone with image views, 20 contrastive warm-up epochs, at most 40 "
            "clustering epochs), its balanced-transport variant, KMeans on the "
            f"pixels and DEPICT with its defaults; median over seeds {args.seeds}, "
            "seconds = whole fit on a shared, loaded 2-core machine.\n\n"
            + table(summarise(rows), COLUMNS))
    write_section("sp2ot_digits", "SP2OT on digits (CPU)", body, command, args.device)


def longtail(args, command):
    sets = []
    Xd, yd = load_digits(return_X_y=True)
    for ratio in ([] if args.no_digits else args.ratios):
        Xl, yl = long_tailed(Xd, yd, ratio)
        sets.append((f"digits-LT{ratio:g}", Xl, yl, dict(input_shape=(8, 8)), {}))
    if args.fashion_samples > 0:
        data = load_fashion_mnist(n_samples=args.fashion_samples, random_state=0,
                                  data_home=args.data_home)
        Xf, yf = data.data.astype(np.float32), data.target
        for ratio in args.ratios:
            Xl, yl = long_tailed(Xf, yf, ratio)
            sets.append((f"fashion{args.fashion_samples // 1000}k-LT{ratio:g}", Xl, yl,
                         dict(FASHION, **_fashion_cpu_settings(args)),
                         dict(input_shape=(1, 28, 28))))
    rows = []
    for name, X, y, kw, depict_kw in sets:
        counts = np.bincount(y)
        print(f"{name}: {len(y)} rows, class sizes {sorted(counts.tolist())[::-1]}",
              flush=True)
        for seed in args.seeds:
            k = len(np.unique(y))
            base = dict(score=imbalance_scores)
            rows.append(dict(data=name, **run_kmeans(X / X.max(), y, k, seed, **base)))
            rows.append(dict(data=name, **run_sp2ot(X, y, k, seed, device=args.device,
                                                    **base, **kw)))
            rows.append(dict(data=name, **run_sp2ot(
                X, y, k, seed, name="SP2OT (transport='balanced')",
                transport="balanced", device=args.device, **base, **kw)))
            for label, setting in extra_variants(args.extra, "SP2OT"):
                rows.append(dict(data=name, **run_sp2ot(
                    X, y, k, seed, name=label, device=args.device, **base,
                    **{**kw, **setting})))
            if not args.no_depict:
                rows.append(dict(data=name, **run_depict(X, y, k, seed, device=args.device,
                                                         **base, **depict_kw)))
            for label, setting in extra_variants(args.depict_extra, "DEPICT"):
                rows.append(dict(data=name, **run_depict(
                    X, y, k, seed, name=label, device=args.device, **base,
                    **{**depict_kw, **setting})))
    out = []
    for name, *_ in sets:
        for r in summarise([r for r in rows if r["data"] == name],
                           metrics=("ACC", "NMI", "macro recall", "head", "medium",
                                    "tail", "seconds")):
            out.append(dict(data=name, **r))
    body = ("Long-tailed subsets: class i of C (random order) keeps "
            "n_max * ratio^(-i/(C-1)) rows, n_max the smallest class of the source "
            "(digits: all 1,797; Fashion-MNIST: a random subset). Recall per class "
            "after the Hungarian matching; 'macro recall' averages it over classes, "
            "'head'/'medium'/'tail' over the largest, middle and smallest third of the "
            "classes (the split the P2OT papers use). SP2OT with its defaults "
            "(progressive partial transport) and with `transport='balanced'` (SwAV's "
            "equal-size codes); KMeans on the scaled pixels; DEPICT with its defaults"
            + (" and with other phase-B starts (rows 'DEPICT (init=...)'; digits are "
               "tables to DEPICT here, so its default start is 'input_kmeans_balanced')"
               if args.depict_extra else "")
            + ". "
            f"Median over seeds {args.seeds}; seconds on a shared, loaded 2-core CPU.\n\n"
            + table(out, LT_COLUMNS))
    write_section(args.section or "sp2ot_longtail", "SP2OT on long-tailed data (CPU)",
                  body, command, args.device)


def tables(args, command):
    """SP2OT's MLP path with its defaults on the public table suite."""
    from _tables import SUITE, load_table
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    names = args.tables or SUITE
    out, accs, km_accs, diffs = [], [], [], []
    for name in names:
        X, y = load_table(name)
        k = len(np.unique(y))
        res = {"sp2ot": [], "km_std": [], "km_mm": []}
        seconds = []
        Xstd, Xmm = StandardScaler().fit_transform(X), MinMaxScaler().fit_transform(X)
        for seed in args.seeds:
            with Timer() as t:
                m = SP2OT(n_clusters=k, random_state=seed, device=args.device).fit(X)
            seconds.append(t.seconds)
            res["sp2ot"].append(scores(y, m.labels_))
            res["km_std"].append(scores(y, KMeans(k, n_init=10, random_state=seed)
                                        .fit_predict(Xstd)))
            res["km_mm"].append(scores(y, KMeans(k, n_init=10, random_state=seed)
                                       .fit_predict(Xmm)))
        med = {key: {m: float(np.median([r[m] for r in rs])) for m in ("ACC", "NMI")}
               for key, rs in res.items()}
        diff = med["sp2ot"]["ACC"] - med["km_std"]["ACC"]
        diffs.append(diff)
        accs.append(med["sp2ot"]["ACC"])
        km_accs.append(med["km_std"]["ACC"])
        out.append({"table": name, "rows x features": f"{X.shape[0]} x {X.shape[1]}",
                    "K": k, "SP2OT ACC": med["sp2ot"]["ACC"],
                    "KMeans ACC (standardised)": med["km_std"]["ACC"],
                    "KMeans ACC (min-max)": med["km_mm"]["ACC"],
                    "SP2OT - KMeans": f"{diff:+.3f}", "SP2OT NMI": med["sp2ot"]["NMI"],
                    "KMeans NMI": med["km_std"]["NMI"],
                    "SP2OT seconds": float(np.median(seconds))})
        print(f"  {out[-1]}", flush=True)
    body = (
        f"{len(names)} public class-labelled tables (`benchmarks/_tables.py`). "
        "SP2OT with all defaults (`SP2OT(n_clusters=K, random_state=seed)`: MLP, "
        "SCARF views, head from k-means of the standardised input, semantic "
        "regulariser of weight 2 on the input rows' neighbour graph, cosine "
        "learning-rate decay after the rho ramp); KMeans "
        "(k-means++, n_init=10) on standardised and on min-max-scaled features. "
        f"Median over seeds {args.seeds}; CPU. This is the development suite: the "
        "row defaults (`semantic_weight`, `lr_schedule`) were chosen on it, so its "
        "median is not an independent estimate (R's mlbench, kernlab and mclust "
        "collections are kept for that check and were not used).\n\n"
        + table(out, ["table", "rows x features", "K", "SP2OT ACC",
                      "KMeans ACC (standardised)", "KMeans ACC (min-max)",
                      "SP2OT - KMeans", "SP2OT NMI", "KMeans NMI", "SP2OT seconds"])
        + f"\n\nMedian ACC over the tables: SP2OT {np.median(accs):.3f}, KMeans "
        f"(standardised) {np.median(km_accs):.3f}. SP2OT is ahead by more than 0.01 on "
        f"{sum(d > 0.01 for d in diffs)} tables, within 0.01 on "
        f"{sum(abs(d) <= 0.01 for d in diffs)} and behind by more than 0.01 on "
        f"{sum(d < -0.01 for d in diffs)}."
    )
    write_section("sp2ot_tables", "SP2OT's MLP path on public tables (CPU)", body,
                  command, args.device)


def _fashion_cpu_settings(args):
    kw = {}
    if args.channels:
        kw["channels"] = tuple(args.channels)
    if args.architecture:
        kw["architecture"] = args.architecture
    if args.warmup_epochs is not None:
        kw["warmup_epochs"] = args.warmup_epochs
    if args.max_epochs is not None:
        kw["max_epochs"] = args.max_epochs
    if args.batch_size is not None:
        kw["batch_size"] = args.batch_size
    return kw


def run_clustpy_dec(X, y, k, seed, device, epochs):
    import torch
    from _clustpy_compat import import_clustpy

    deep = import_clustpy()
    Xs = (X / X.max()).astype(np.float32)
    with Timer() as t:
        m = deep.DEC(n_clusters=k, random_state=seed, device=torch.device(device),
                     batch_size=256, pretrain_epochs=epochs, clustering_epochs=epochs,
                     embedding_size=10)
        m.fit(Xs)
    return dict(method=f"ClustPy DEC ({epochs}+{epochs} epochs)", seconds=t.seconds,
                **scores(y, m.labels_))


def fashion(args, command, subset=None):
    import torch

    if args.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True  # fixed image size
    data = load_fashion_mnist(n_samples=subset, random_state=0, data_home=args.data_home)
    X, y = data.data.astype(np.float32), data.target
    n = len(X)
    kw = dict(FASHION, **_fashion_cpu_settings(args))
    rows = []
    for seed in args.seeds:
        rows.append(run_kmeans(X / 255.0, y, 10, seed))
        print(f"  {rows[-1]}", flush=True)
        desc = ", ".join(f"{k}={v}" for k, v in kw.items() if k != "input_shape")
        rows.append(run_sp2ot(X, y, 10, seed, name=f"SP2OT ({desc})",
                              device=args.device, verbose=args.verbose, **kw))
        if args.mlp_row:
            rows.append(run_sp2ot(X, y, 10, seed, name="SP2OT (architecture='mlp', hflip=True)",
                                  device=args.device, verbose=args.verbose,
                                  **dict(FASHION, architecture="mlp")))
        if not args.no_depict:
            rows.append(run_depict(
                X, y, 10, seed, name="DEPICT conv (batch 256, caps 8/10/20, spectral init)",
                input_shape=(1, 28, 28), device=args.device, batch_size=256,
                init="spectral", clustering_lr=1e-4, pretrain_max_epochs=8,
                init_max_epochs=10, max_epochs=20))
        if not args.no_clustpy:
            rows.append(run_clustpy_dec(X, y, 10, seed, args.device, args.clustpy_epochs))
            print(f"  {rows[-1]}", flush=True)
    where = "GPU" if args.device.startswith("cuda") else "CPU"
    body = (f"Fashion-MNIST, {n} images (28x28, 10 classes), device {args.device}, "
            "trained from scratch. SP2OT: residual CNN, image views with left-right "
            "flips, contrastive warm-up then progressive partial transport; other "
            "settings as listed (defaults otherwise). DEPICT: the settings of its own "
            "GPU benchmark. ClustPy DEC: 784-500-500-2000-10 autoencoder, batch 256. "
            "KMeans on pixels / 255. Seconds = whole fit, data loading excluded"
            + ("; measured on a shared, loaded 2-core machine" if where == "CPU" else "")
            + ".\n\n" + table(summarise(rows), COLUMNS))
    name = "sp2ot_fashion_gpu" if where == "GPU" else "sp2ot_fashion_cpu"
    write_section(name, f"SP2OT on Fashion-MNIST ({where}, n={n})", body, command,
                  args.device)


#: balanced embedding sets of --suite embeddings, then their long-tailed subsets
EMBEDDING_SETS = ["digits-ae32", "fashion-ae64", "fashion-ae64-LT10", "fashion-ae64-LT100"]
EMB_COLUMNS = ["data", "method", "runs", "ACC", "ACC (min-max)", "NMI", "ARI", "seconds"]


def run_gmm(X, y, k, seed, score=scores):
    from sklearn.mixture import GaussianMixture

    cov = "full" if X.shape[1] <= 64 else "diag"
    with Timer() as t:
        labels = GaussianMixture(k, covariance_type=cov, n_init=3,
                                 random_state=seed).fit_predict(X)
    return dict(method=f"GaussianMixture ({cov}, n_init=3)", seconds=t.seconds,
                **score(y, labels))


def per_class_subset(X, y, m, seed=0):
    """At most ``m`` random rows of each class (sorted indices, seeded)."""
    rng = np.random.RandomState(seed)
    keep = [rng.choice(np.flatnonzero(y == c), min(m, int((y == c).sum())),
                       replace=False) for c in np.unique(y)]
    keep = np.sort(np.concatenate(keep))
    return X[keep], y[keep]


def _embedding_set(name, args):
    """One set of --suite embeddings: the Fashion-MNIST test embeddings are cut
    to --per-class rows a class (--lt-per-class before a long-tailed cut)."""
    from _embeddings import load_embeddings

    base, _, ratio = name.partition("-LT")
    X, y = load_embeddings(base, data_home=args.data_home)
    if base.startswith("fashion"):
        X, y = per_class_subset(X, y, args.lt_per_class if ratio else args.per_class)
    if ratio:
        X, y = long_tailed(X, y, float(ratio))
    return X, y


def embeddings(args, command):
    """Precomputed model embeddings, clustered as a user would pass them."""
    import torch
    from sklearn.preprocessing import StandardScaler

    torch.set_num_threads(1)
    names = args.sets or EMBEDDING_SETS
    rows = []
    for name in names:
        X, y = _embedding_set(name, args)
        k = len(np.unique(y))
        lt = "-LT" in name
        score = imbalance_scores if lt else scores
        probe = SP2OT(n_clusters=k)._resolve(X, None)
        print(f"{name}: {X.shape[0]} x {X.shape[1]}, class sizes "
              f"{sorted(np.bincount(y).tolist())[::-1]}; SP2OT 'auto' picks "
              f"architecture={probe[1]!r}, views={probe[2]!r}", flush=True)
        variants = [("SP2OT (defaults)", {})]
        if probe[2] != "dropout":
            variants.append(("SP2OT (views='dropout')", dict(views="dropout")))
        variants.append(("SP2OT (transport='balanced')", dict(transport="balanced")))
        if args.only_extra:
            variants = []
        variants += extra_variants(args.extra, "SP2OT")
        Xstd = StandardScaler().fit_transform(X)
        for seed in args.seeds:
            if not args.only_extra:
                rows.append(dict(data=name, **run_kmeans(X, y, k, seed, score=score)))
                r = run_kmeans(Xstd, y, k, seed, score=score)
                r["method"] = "KMeans (standardised, n_init=10)"
                rows.append(dict(data=name, **r))
                rows.append(dict(data=name, **run_gmm(X, y, k, seed, score=score)))
            for label, kw in variants:
                rows.append(dict(data=name, **run_sp2ot(X, y, k, seed, name=label,
                                                        score=score,
                                                        device=args.device, **kw)))
    groups = [("balanced", [n for n in names if "-LT" not in n]),
              ("longtail", [n for n in names if "-LT" in n])]
    for group, sel in groups:
        if not sel:
            continue
        metrics = (("ACC", "NMI", "macro recall", "head", "medium", "tail", "seconds")
                   if group == "longtail" else ("ACC", "NMI", "ARI", "seconds"))
        out = []
        for name in sel:
            for r in summarise([r for r in rows if r["data"] == name], metrics=metrics):
                out.append(dict(data=name, **r))
        only = ("Only the --extra rows, each one setting changed from SP2OT's defaults "
                "(the other methods on the same sets: `sp2ot_embeddings*`). "
                if args.only_extra else "")
        body = (
            only + "Precomputed model embeddings (`benchmarks/_embeddings.py`, built offline "
            "and cached under `~/.cache/skdeepcluster-embeddings/`): `fashion-ae64` / "
            "`fashion-ae10` are the codes of an MLP autoencoder 784-512-256-d trained "
            "(15 epochs, Adam, MSE, no labels) on the 60,000 Fashion-MNIST train "
            "images, applied to the 10,000 test images, of which a random "
            f"{args.per_class} per class are clustered (`fashion-h256`: the 64-d "
            "autoencoder's 256-unit ReLU hidden layer on them); `digits-ae32` the 32-d code "
            "of an autoencoder trained on a random half of digits, applied to the "
            "other half (899 rows). Each method gets the embedding as it is, as a user "
            "would pass it (unless --only-extra): `SP2OT(n_clusters=K, random_state=seed).fit(X)` (rows "
            "with fewer than 128 features are treated as a table: SCARF views), the "
            "same with `views='dropout'` (the embeddings path: feature dropout and "
            "noise) and with `transport='balanced'`; KMeans (k-means++, n_init=10) "
            "on the raw and on the standardised embedding; a Gaussian mixture (full "
            "covariances up to 64 features, n_init=3). "
            + ("Long-tailed subsets of the test embeddings: class i of 10 (random "
               f"order) keeps {args.lt_per_class} * ratio^(-i/9) rows; recall per class after the "
               "Hungarian matching, 'macro' over all classes, head/medium/tail over "
               "the largest, middle and smallest third. " if group == "longtail"
               else "")
            + f"Median over seeds {args.seeds}; seconds = one fit, single-threaded "
            "(`torch.set_num_threads(1)`) on a shared, loaded 2-core machine.\n\n"
            + table(out, LT_COLUMNS if group == "longtail" else EMB_COLUMNS))
        suffix = "_longtail" if group == "longtail" else ""
        if args.section:  # both groups: the long-tailed one gets "_longtail"
            both = all(g[1] for g in groups)
            section = args.section + (suffix if both else "")
        else:
            section = "sp2ot_embeddings" + suffix
        title = ("SP2OT on long-tailed model embeddings (CPU)" if group == "longtail"
                 else "SP2OT on precomputed model embeddings (CPU)")
        write_section(section, title, body, command, args.device)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", choices=["digits", "longtail", "tables", "fashion-cpu",
                                       "fashion", "embeddings"], default="digits")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--ratios", type=float, nargs="+", default=[10, 100])
    p.add_argument("--fashion-samples", type=int, default=0,
                   help="longtail: Fashion-MNIST subset to draw long-tailed sets from "
                        "(0: digits only)")
    p.add_argument("--no-digits", action="store_true",
                   help="longtail: only the Fashion-MNIST sets")
    p.add_argument("--section", default=None,
                   help="longtail, embeddings: results section name (default "
                        "sp2ot_longtail / sp2ot_embeddings[_longtail])")
    p.add_argument("--extra", nargs="*", default=[],
                   help="longtail, embeddings: extra SP2OT rows as PARAM=VALUE "
                        "(e.g. lam=0.1)")
    p.add_argument("--depict-extra", nargs="*", default=[],
                   help="longtail: extra DEPICT rows as PARAM=VALUE "
                        "(e.g. \"init='input_kmeans'\")")
    p.add_argument("--only-extra", action="store_true",
                   help="embeddings: run only the --extra rows (give --section)")
    p.add_argument("--tables", nargs="*", default=None)
    p.add_argument("--sets", nargs="*", default=None,
                   help="embeddings: sets to run (default: %s)" % " ".join(EMBEDDING_SETS))
    p.add_argument("--per-class", type=int, default=300,
                   help="embeddings: Fashion-MNIST test rows per class clustered")
    p.add_argument("--lt-per-class", type=int, default=500,
                   help="embeddings: test rows per class a long-tailed set is cut from")
    p.add_argument("--n-samples", type=int, default=10000)
    p.add_argument("--channels", type=int, nargs="*", default=None,
                   help="fashion suites: CNN widths (default: SP2OT's)")
    p.add_argument("--architecture", default=None)
    p.add_argument("--warmup-epochs", type=int, default=None)
    p.add_argument("--max-epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--clustpy-epochs", type=int, default=50)
    p.add_argument("--mlp-row", action="store_true",
                   help="fashion suites: also SP2OT with the MLP backbone (defaults)")
    p.add_argument("--data-home", default=None)
    p.add_argument("--no-depict", action="store_true")
    p.add_argument("--no-clustpy", action="store_true")
    p.add_argument("--verbose", type=int, default=0)
    args = p.parse_args(argv)
    command = "python benchmarks/bench_sp2ot.py " + " ".join(argv or sys.argv[1:])
    if args.only_extra and not (args.extra and args.section):
        p.error("--only-extra needs --extra rows and a --section of its own")
    if args.suite == "digits":
        digits(args, command)
    elif args.suite == "longtail":
        longtail(args, command)
    elif args.suite == "tables":
        tables(args, command)
    elif args.suite == "embeddings":
        embeddings(args, command)
    elif args.suite == "fashion-cpu":
        args.no_clustpy = True if args.no_clustpy or args.device == "cpu" else False
        fashion(args, command, subset=args.n_samples)
    else:
        fashion(args, command)


if __name__ == "__main__":
    main()
