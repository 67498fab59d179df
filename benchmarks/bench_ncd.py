"""Benchmark of the novel-class-discovery estimators (Letter 19/7, digits 5/5).

For each data set: a seeded stratified 70/30 train/test split, z-scored with the
train statistics (``make_ncd_split``); the novel classes are unlabelled (-1).
Methods, each with k known and k estimated (silhouette over ``--k-range``):

* k-means: KMeans(k, n_init=10) on the train-novel rows, predicts test-novel.
* spectral: plain spectral clustering (``NCDSpectralClustering`` with y=None,
  n_components=k, min_dist=0.6) of the test-novel rows (transductive).
* NCD k-means: ``NCDKMeans`` on the train split, predicts test-novel.
* NCD spectral: ``NCDSpectralClustering`` on the test split (known rows labelled,
  novel rows -1; known test rows subsampled, see ``--sc-known-per-class``).
* PBN: hyper-parameters tuned ONCE per data set by ``NCDSearchCV`` (random search,
  class-hiding CV on the known classes, k_mode="true"), then fitted on the train
  split for every seed; predicts test-novel.

Score: Hungarian ACC (and NMI, ARI) on the test-novel rows, mean +/- std over
seeds. Writes ``benchmarks/results/ncd.md``.

    python benchmarks/bench_ncd.py                 # full CPU run (see the results file)
    python benchmarks/bench_ncd.py --quick         # smoke run (minutes)
    python benchmarks/bench_ncd.py --gpu-suite --seeds 2   # CUDA: k-means + PBN only,
        # CPU-tuned PBN settings, Letter (falls back to digits without rdata/mlbench)
"""

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np
import torch
from scipy.stats import loguniform, uniform
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import PBN, NCDKMeans, NCDSpectralClustering
from skdeepcluster.datasets import load_letter_recognition, make_ncd_split
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.model_selection import ClassHidingCV, NCDSearchCV
from skdeepcluster.ncd._base import candidate_ks, estimate_k

HERE = os.path.dirname(os.path.abspath(__file__))
#: PBN hyper-parameters picked by the CPU run's NCDSearchCV on Letter (results/ncd.md);
#: the --gpu-suite reuses them instead of searching again.
TUNED = {
    "letter": {"dropout": 0.2195, "latent_dim": 8, "lr": 0.004881, "w": 0.8222},
    "digits": {"dropout": 0.3981, "latent_dim": 16, "lr": 0.0003211, "w": 0.4697},
}


def load(name, args, rng_seed=0):
    if name == "letter":
        b = load_letter_recognition()
        X, y, novel = b.data, b.target, list("ADHMPVX")
    else:
        X, y = load_digits(return_X_y=True)
        novel = [0, 3, 4, 5, 6]
    s = make_ncd_split(X, y, novel_classes=novel, test_size=0.3, standardize=True,
                       random_state=rng_seed)
    note = ""
    if name == "letter" and args.letter_train_rows and args.letter_train_rows < len(
            s.X_train):
        rng = np.random.RandomState(rng_seed)
        idx = np.sort(rng.permutation(len(s.X_train))[: args.letter_train_rows])
        for key in ("X_train", "y_train", "y_train_true", "novel_mask_train"):
            s[key] = s[key][idx]
        note = f"train rows subsampled to {args.letter_train_rows} (seeded)"
    if args.quick:
        rng = np.random.RandomState(rng_seed)
        for part in ("train", "test"):
            n = len(s[f"X_{part}"])
            idx = np.sort(rng.permutation(n)[: min(n, 600 if part == "train" else 400)])
            for key in (f"X_{part}", f"y_{part}", f"y_{part}_true", f"novel_mask_{part}"):
                s[key] = s[key][idx]
        note = "quick: 600 train / 400 test rows"
    return s, len(novel), note


def scores(y_true, y_pred):
    return (clustering_accuracy(y_true, y_pred),
            normalized_mutual_info_score(y_true, y_pred),
            adjusted_rand_score(y_true, y_pred))


def kmeans_k(Xu, k, seed, k_range):
    if k == "auto":
        def run(kk):
            return Xu, KMeans(kk, n_init=10, random_state=seed).fit_predict(Xu)
        k, _ = estimate_k(candidate_ks(k_range, len(Xu)), run)
    return KMeans(k, n_init=10, random_state=seed).fit(Xu), k


def sc_known_subsample(s, per_class, seed):
    """Test rows for NCD spectral: all novel rows + <= per_class rows per known class."""
    rng = np.random.RandomState(seed)
    keep = [np.flatnonzero(s.novel_mask_test)]
    for c in s.known_classes:
        rows = np.flatnonzero(s.y_test_true == c)
        keep.append(rng.permutation(rows)[:per_class])
    return np.sort(np.concatenate(keep))


def tune_pbn(s, k_novel, args, log):
    base = PBN(n_clusters=k_novel, max_epochs=args.epochs, batch_size=512,
               device=args.device, random_state=0)
    d = s.X_train.shape[1]
    dists = {
        "lr": loguniform(1e-4, 1e-2),
        "w": uniform(0.05, 0.9),
        "dropout": uniform(0.0, 0.4),
        "latent_dim": sorted({max(2, d // 4), max(2, d // 2), d}),
    }
    n_known = len(s.known_classes)
    cv = ClassHidingCV(n_splits=args.cv_splits, n_hidden=min(n_known - 1, max(2, k_novel)),
                       random_state=0)
    t0 = time.perf_counter()
    search = NCDSearchCV(base, param_distributions=dists, n_iter=args.n_iter, cv=cv,
                         k_mode="true", refit=False, random_state=0, n_jobs=args.n_jobs)
    search.fit(s.X_train, s.y_train)
    secs = time.perf_counter() - t0
    res = search.cv_results_
    for i in np.argsort(res["rank_test_score"]):
        p = {k: (round(v, 5) if isinstance(v, float) else v)
             for k, v in res["params"][i].items()}
        p = {k: (float(f"{v:.4g}") if isinstance(v, float) else v) for k, v in p.items()}
        log(f"    cand {p}: hidden-class ACC {res['mean_test_score'][i]:.3f} "
            f"+/- {res['std_test_score'][i]:.3f}")
    best = {k: (v.item() if hasattr(v, "item") else v)
            for k, v in search.best_params_.items()}
    return best, search.best_score_, secs, cv


def run_dataset(name, args, log):
    s, k_true, note = load(name, args)
    m_te = s.novel_mask_test
    Xte_n, yte_n = s.X_test[m_te], s.y_test_true[m_te]
    Xtr_n = s.X_train[s.novel_mask_train]
    log(f"{name}: train {s.X_train.shape}, test {s.X_test.shape}, known "
        f"{[str(c) for c in s.known_classes]}, novel "
        f"{[str(c) for c in s.novel_classes]} ({len(Xte_n)} "
        f"test-novel rows) {note}")
    k_range = tuple(args.k_range)
    methods = ("k-means", "spectral", "NCD k-means", "NCD spectral", "PBN (tuned)")
    if args.gpu_suite:
        best, best_cv, tune_secs, cv = dict(TUNED[name]), float("nan"), 0.0, None
        methods = ("k-means", "PBN (tuned)")
        log(f"  PBN hyper-parameters fixed to the CPU search's best: {best}")
    else:
        best, best_cv, tune_secs, cv = tune_pbn(s, k_true, args, log)
        log(f"  PBN search ({args.n_iter} candidates x {cv.n_splits} class-hiding "
            f"splits, {tune_secs:.0f}s): best {best}, hidden-class ACC {best_cv:.3f}")
    sc_rows = sc_known_subsample(s, args.sc_known_per_class, 0)
    rows = []
    for k_mode in ("known", "estimated"):
        k_arg = k_true if k_mode == "known" else "auto"
        for method in methods:
            accs, ks, secs = [], [], []
            for seed in range(args.seeds):
                t0 = time.perf_counter()
                if method == "k-means":
                    km, k = kmeans_k(Xtr_n, k_arg, seed, k_range)
                    pred = km.predict(Xte_n)
                elif method == "spectral":
                    est = NCDSpectralClustering(k_arg, min_dist=0.6, k_range=k_range,
                                                random_state=seed).fit(Xte_n)
                    pred, k = est.labels_, est.n_clusters_
                elif method == "NCD k-means":
                    est = NCDKMeans(k_arg, k_range=k_range, random_state=seed).fit(
                        s.X_train, s.y_train)
                    pred, k = est.predict(Xte_n), est.n_clusters_
                elif method == "NCD spectral":
                    est = NCDSpectralClustering(k_arg, min_dist=0.6, k_range=k_range,
                                                random_state=seed)
                    est.fit(s.X_test[sc_rows], s.y_test[sc_rows])
                    nm = s.novel_mask_test[sc_rows]
                    pred, k = est.labels_[nm], est.n_clusters_
                    truth = s.y_test_true[sc_rows][nm]
                else:
                    est = PBN(k_arg, max_epochs=args.epochs, k_range=k_range,
                              device=args.device, random_state=seed, **best)
                    est.fit(s.X_train, s.y_train)
                    pred, k = est.predict(Xte_n), est.n_clusters_
                secs.append(time.perf_counter() - t0)
                truth_ = truth if method == "NCD spectral" else yte_n
                accs.append(scores(truth_, pred))
                ks.append(int(k))
            a = np.array(accs)
            row = dict(dataset=name, method=method, k_mode=k_mode, acc=a[:, 0],
                       nmi=a[:, 1], ari=a[:, 2], ks=ks, k_true=k_true,
                       secs=float(np.mean(secs)))
            rows.append(row)
            log(f"  {method:13s} k {k_mode:9s}: ACC {100 * a[:, 0].mean():5.1f} +/- "
                f"{100 * a[:, 0].std():4.1f}  k_hat {ks}  {np.mean(secs):6.1f}s/fit")
    return rows, dict(best=best, best_cv=best_cv, tune_secs=tune_secs, note=note,
                      n_train=len(s.X_train), n_test=len(s.X_test),
                      n_test_novel=len(Xte_n), n_sc=len(sc_rows), cv=cv)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small CPU smoke run")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--datasets", nargs="+", default=["letter", "digits"])
    p.add_argument("--epochs", type=int, default=200, help="PBN epochs")
    p.add_argument("--n-iter", type=int, default=6, help="PBN random-search candidates")
    p.add_argument("--cv-splits", type=int, default=3, help="class-hiding splits")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--k-range", type=int, nargs=2, default=[2, 20])
    p.add_argument("--letter-train-rows", type=int, default=0,
                   help="subsample Letter's 14,000 train rows (0: all)")
    p.add_argument("--sc-known-per-class", type=int, default=100,
                   help="known test rows per class given to NCD spectral")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--gpu-suite", action="store_true",
                   help="Letter only, k-means and PBN (CPU-tuned hyper-parameters, no "
                        "search) on --device (default cuda); writes results/ncd_gpu.md")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    if args.gpu_suite:
        args.datasets = ["letter"]
        given = argv if argv is not None else sys.argv[1:]
        if not any(a.startswith("--device") for a in given):
            args.device = "cuda"
    if args.out is None:
        args.out = os.path.join(HERE, "results",
                                "ncd_gpu.md" if args.gpu_suite else "ncd.md")
    if args.quick:
        args.seeds, args.epochs, args.n_iter, args.cv_splits = 2, 10, 2, 2
        args.k_range = [2, 8]
        args.sc_known_per_class = 20
    torch.set_num_threads(args.threads)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    t_all = time.perf_counter()
    all_rows, infos = [], {}
    for name in args.datasets:
        if args.gpu_suite and name == "letter":
            try:
                load_letter_recognition()
            except (ImportError, FileNotFoundError) as exc:
                log(f"Letter unavailable ({exc}); the GPU suite falls back to digits.")
                name = "digits"
        rows, info = run_dataset(name, args, log)
        all_rows += rows
        infos[name] = info
    total = time.perf_counter() - t_all
    write(args, all_rows, infos, lines, total)


def write(args, rows, infos, lines, total):
    dev = args.device
    if dev.startswith("cuda") and torch.cuda.is_available():
        dev += f" ({torch.cuda.get_device_name()})"
    cmd = "python benchmarks/bench_ncd.py " + " ".join(sys.argv[1:])
    out = [
        "## Novel class discovery (PBN, NCD k-means, NCD spectral clustering)"
        + (" -- GPU suite" if args.gpu_suite else ""),
        "",
        f"Date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"machine `{platform.platform()}`, `{platform.processor() or platform.machine()}`, "
        f"{os.cpu_count()} CPUs (shared with other jobs), device `{dev}`, torch "
        f"{torch.__version__}, {args.threads} torch thread(s); total {total / 60:.1f} min.",
        f"Command: `{cmd.strip()}`",
        "",
        "Protocol: seeded (seed 0) stratified 70/30 train/test split, z-scored with the "
        "train statistics; novel classes unlabelled (-1) in train and test. Score: "
        "Hungarian ACC (%) on the TEST rows of the novel classes, mean +/- std over "
        f"{args.seeds} seeds (the seed drives k-means restarts and network "
        "initialisation; the split is fixed). k estimated: mean silhouette over "
        f"k = {args.k_range[0]}..{args.k_range[1]} in each method's space (raw "
        "standardised rows for k-means / NCD k-means, the spectral embedding, PBN's "
        "L2-normalised latent). k-means, NCD k-means and PBN are fitted on the train "
        "split and predict the test-novel rows; spectral clustering is transductive "
        "(plain: test-novel rows only, n_components = k; NCD: test-novel rows plus "
        f"<= {args.sc_known_per_class} labelled test rows per known class). PBN: "
        f"{args.epochs} epochs, batch 512, AdamW; "
        + ("hyper-parameters fixed to those the CPU run's `NCDSearchCV` picked "
           "(see results/ncd.md). " if args.gpu_suite else
           f"hyper-parameters (lr, w, dropout, latent_dim) tuned ONCE per data set by "
           f"`NCDSearchCV` random search ({args.n_iter} candidates, {args.cv_splits} "
           "class-hiding splits over the known classes only, k_mode='true', no novel "
           "label used), the same values then used for both k settings. ")
        + "Fit seconds: one fit (for 'estimated', including the k search).",
        "",
    ]
    for name, info in infos.items():
        title = {"letter": "Letter (UCI, 19 known / 7 novel: A D H M P V X)",
                 "digits": "digits (sklearn, 5 known 1 2 7 8 9 / 5 novel 0 3 4 5 6)"}[name]
        best = {k: (float(f"{v:.4g}") if isinstance(v, float) else v)
                for k, v in info["best"].items()}
        out += [
            f"### {title}",
            "",
            f"Train {info['n_train']} rows, test {info['n_test']} rows "
            f"({info['n_test_novel']} test-novel)"
            + (f"; {info['note']}" if info["note"] else "")
            + (f". PBN hyper-parameters fixed to {best} (the CPU search's best; no "
               "search in this run)." if args.gpu_suite else
               f". NCD spectral input: {info['n_sc']} test rows. PBN search: "
               f"{info['tune_secs']:.0f} s, best {best} (hidden-class ACC "
               f"{100 * info['best_cv']:.1f}%)."),
            "",
            "| method | k | ACC % | NMI % | ARI % | k̂ per seed (true k) | fit s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            if r["dataset"] != name:
                continue
            ks = "–" if r["k_mode"] == "known" else ", ".join(map(str, r["ks"]))
            out.append(
                f"| {r['method']} | {r['k_mode']} | {100 * r['acc'].mean():.1f} ± "
                f"{100 * r['acc'].std():.1f} | {100 * r['nmi'].mean():.1f} | "
                f"{100 * r['ari'].mean():.1f} | {ks} ({r['k_true']}) | {r['secs']:.1f} |")
        out.append("")
    out += ["<details><summary>log</summary>", "", "```"] + lines + ["```", "",
                                                                    "</details>", ""]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
