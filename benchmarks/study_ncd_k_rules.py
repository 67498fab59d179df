"""Study: three changes to ``n_clusters="auto"`` that were measured and not adopted.

The estimate hides known classes among the unlabelled rows and takes the k at
which they are recovered as that many clusters (the crossing ``h(r + k) = r``,
see ``skdeepcluster.ncd._base.estimate_k_by_hiding``). On ``bench_ncd.py``'s
suite it misses by two or more mostly where the novel classes are larger or
smaller than the known ones (``results/ncd_k_diagnosis.md``: the hidden
classes' count at the true k is below 1 on olive areas, sports and HPC jobs,
whose novel classes are 1.4-4.6 times the known classes' size, and above 1 on
Oslo forests, 0.5 times). Three candidate fixes, on the 31 suite splits and
``random_state`` 0-2, NCDKMeans with every other parameter at its default:

``12 splits``
    Twelve hiding splits instead of six (``K_SPLITS``): is the miss variance?
``size-corrected (a)``
    The crossing target ``(mean novel class size at k / median known class
    size) ** -a`` instead of 1, from the same fit's ``k_scores_`` (two or more
    known classes): a correction for the size ratio, whose value is unknown
    and is estimated from k itself.
``F1 per hidden class``
    With two or more known classes, the rule used for a single known class:
    the mean over hidden classes of the F1 of the cluster that best matches
    each, the smallest k within 0.05 of the best (the silhouette of the
    novel rows among the ties from 2 up).

Only the estimates are compared (hit: within +-1 of the truth). Single-threaded,
about 6 minutes on the 2-core CPU; writes ``results/ncd_k_rules.md``.

    python benchmarks/study_ncd_k_rules.py
"""

import argparse
import os
import sys
import warnings

import numpy as np
import torch
from sklearn.isotonic import IsotonicRegression
from sklearn.utils import check_random_state

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ncd  # noqa: E402
from _common import table, write_section  # noqa: E402

import skdeepcluster.ncd._base as ncd_base  # noqa: E402
import skdeepcluster.ncd._kmeans as ncd_kmeans_module  # noqa: E402
from skdeepcluster import NCDKMeans  # noqa: E402

ALPHAS = (0.25, 0.5)
F1_TOL = 0.05


def size_corrected(model, n_unlabelled, known_sizes, alpha):
    """The crossing of the smoothed ``k_scores_`` with the size-corrected target."""
    scores = {k: v for k, v in model.k_scores_.items() if v == v}
    tried = sorted(scores)
    h = IsotonicRegression().fit_transform(np.arange(len(tried)),
                                           [scores[k] for k in tried])
    target = np.array([(n_unlabelled / k / np.median(known_sizes)) ** -alpha
                       for k in tried])
    dist = np.abs(h - target)
    ties = [tried[i] for i in np.flatnonzero(dist <= dist.min() + 1e-9)]
    return int(ties[len(ties) // 2])


def f1_per_hidden_class(codes, n_known, ks, prepare_pool, random_state):
    """Mean F1 of each hidden class's best-matching cluster, per candidate k."""
    r, pools = ncd_base.hiding_pools(
        codes, n_known, ks, prepare_pool, n_splits=ncd_base.K_SPLITS,
        hidden_frac=ncd_base.K_HIDDEN_FRAC, max_rows=ncd_base.K_MAX_ROWS,
        rng=check_random_state(random_state))
    f1s, best, below = {}, -1.0, 0
    for k in ks:
        vals = []
        for pool, hidden, cluster in pools:
            if cluster is None or r + k >= len(pool):
                continue
            labels = np.asarray(cluster(r + k))
            sizes = np.bincount(labels)
            for c in hidden:
                inside = codes[pool] == c
                common = np.bincount(labels[inside], minlength=len(sizes))
                vals.append(float((2 * common / (inside.sum() + sizes)).max()))
        if not vals:
            break
        f1s[k] = float(np.mean(vals))
        best, below = ((f1s[k], 0) if f1s[k] > best
                       else (best, below + (f1s[k] < best - 2 * F1_TOL)))
        if below >= 3:  # well past the plateau
            break
    return f1s


def choose_by_f1(k_range, codes, n_known, prepare_pool, silhouette_run, random_state):
    """``choose_n_clusters`` with the F1 rule for any number of known classes."""
    if n_known < 2:
        return ncd_base.choose_n_clusters(k_range, codes, n_known, prepare_pool,
                                          silhouette_run, random_state)
    ks = ncd_base.candidate_ks(k_range, int((codes < 0).sum()))
    f1s = f1_per_hidden_class(codes, n_known, ks, prepare_pool, random_state)
    plateau = ncd_base.f1_plateau(f1s, F1_TOL)
    ties = [k for k in plateau if k >= 2]
    if len(ties) > 1:
        return ncd_base.estimate_k(ties, silhouette_run)[0], f1s
    return min(plateau), f1s


def estimates(X, y, seed, known_sizes):
    """k̂ of every rule for one split and seed."""
    out = {}
    model = NCDKMeans("auto", random_state=seed).fit(X, y)
    out["current"] = int(model.n_clusters_)
    n_u = int((y < 0).sum())
    for a in ALPHAS:
        out[f"size-corrected ({a:g})"] = (size_corrected(model, n_u, known_sizes, a)
                                          if len(known_sizes) >= 2 else out["current"])
    saved = ncd_base.K_SPLITS
    try:
        ncd_base.K_SPLITS = 12
        out["12 splits"] = int(NCDKMeans("auto", random_state=seed).fit(X, y).n_clusters_)
    finally:
        ncd_base.K_SPLITS = saved
    saved = ncd_kmeans_module.choose_n_clusters
    try:
        ncd_kmeans_module.choose_n_clusters = choose_by_f1
        out["F1 per hidden class"] = int(
            NCDKMeans("auto", random_state=seed).fit(X, y).n_clusters_)
    finally:
        ncd_kmeans_module.choose_n_clusters = saved
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--splits", type=int, nargs="+", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rules = (["current", "12 splits"] + [f"size-corrected ({a:g})" for a in ALPHAS]
             + ["F1 per hidden class"])
    idx = args.splits if args.splits else range(len(bench_ncd.SUITE_SPLITS))
    rows, hits, cache = [], {}, {}
    for i in idx:
        name, role, s = bench_ncd.suite_split(i, cache)
        X, y = s.X_train, s.y_train
        k_true = len(s.novel_classes)
        known_sizes = np.unique(y[y >= 0], return_counts=True)[1]
        per_seed = [estimates(X, y, seed, known_sizes) for seed in args.seeds]
        row = {"split": f"{i}: {name}", "role": role, "true k": k_true}
        for rule in rules:
            ks = [e[rule] for e in per_seed]
            row[rule] = ", ".join(map(str, ks))
            for group in (role, "all"):
                h = hits.setdefault((group, rule), [0, 0, 0])
                h[0] += sum(abs(k - k_true) <= 1 for k in ks)
                h[1] += sum(k == k_true for k in ks)
                h[2] += len(ks)
        rows.append(row)
        print(row, flush=True)
    summary = [{"splits": group, "rule": rule, "hits (+-1)": f"{h[0]} / {h[2]}",
                "exact": f"{h[1]} / {h[2]}"}
               for (group, rule), h in sorted(hits.items(), key=lambda t: t[0][0])]
    body = (
        "NCDKMeans(n_clusters='auto') on the splits of `bench_ncd.py`'s suite "
        f"(z-scored tables), random_state {args.seeds}; k̂ per seed under each rule "
        "(module docstring of the script). Size-corrected and F1 rules change only "
        "splits with two or more known classes. None of the three was adopted: 12 "
        "splits leave as many misses, now the same on every seed (olive areas, leaf "
        "shapes), so they are bias, not variance; the size-corrected target at 0.25 "
        "gains one hit and loses three exact estimates, and at 0.5 it jumps between "
        "crossings (h is flat over a range of k, and the target moves with k); the F1 "
        "rule stays on its plateau while novel classes are split, so it over-counts "
        "(digits: 12-14 clusters where 7 digits are novel, 8-9 where 5 are).\n\n" + table(rows, ["split", "role", "true k"] + rules)
        + "\n\n" + table(summary, ["splits", "rule", "hits (+-1)", "exact"]))
    write_section("ncd_k_rules", "NCD: three rules for the number of novel classes "
                  "(study, not adopted)", body, "python benchmarks/study_ncd_k_rules.py")


if __name__ == "__main__":
    main()
