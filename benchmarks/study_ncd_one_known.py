"""Study: with a single known class, should a tie of k = 1 with one larger k
on the F1 plateau go to the larger k?

With one known class, ``n_clusters="auto"`` takes the candidates whose mean F1
of the hidden class is within 0.05 of the best (the plateau). Two or more
candidates >= 2 on it go to the silhouette of the novel rows, so 1 is dropped
there; a plateau of {1, k} keeps 1 (the smallest). The alternative rule ("1
only when it is alone on the plateau") treats both cases alike, as the
crossing rule's middle-of-tie does with two or more known classes.

For each single-known-class split, NCDKMeans(n_clusters="auto") is fitted with
random_state 0-2; the alternative k is derived from the same ``k_scores_``, and
NCD k-means is refitted at it when it differs. Splits: ``bench_ncd.py``'s
suite splits 15-21 (development: the F1 rule was chosen on them), and new
splits of tables the NCD suite never used, with class 0 known and every other
class novel (``_tables.py``: scat, cuckoos, tissue, leafshape with 2-6 novel
classes; possum, breast_cancer, ais_sex, college, cells with one novel class).
Single-threaded; writes ``results/ncd_one_known.md``.

    python benchmarks/study_ncd_one_known.py
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ncd  # noqa: E402
from _common import table, write_section  # noqa: E402
from _tables import load_table  # noqa: E402

from skdeepcluster import NCDKMeans  # noqa: E402
from skdeepcluster.datasets import make_ncd_split  # noqa: E402
from skdeepcluster.metrics import clustering_accuracy  # noqa: E402
from skdeepcluster.ncd._base import f1_plateau  # noqa: E402

DEV = [15, 16, 17, 18, 19, 20, 21]
NEW = ["scat", "cuckoos", "tissue", "leafshape", "possum", "breast_cancer", "ais_sex",
       "college", "cells"]


def split(spec, cache):
    if isinstance(spec, int):
        name, _, s = bench_ncd.suite_split(spec, cache)
        return f"{spec}: {name}", "dev", s
    X, y = load_table(spec)
    novel = np.setdiff1d(np.unique(y), [0])
    return f"{spec} (class 0 known)", "new", make_ncd_split(X, y, novel_classes=novel,
                                                           standardize=True)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    torch.set_num_threads(1)
    rows, cache = [], {}
    for spec in DEV + NEW:
        name, role, s = split(spec, cache)
        X, y = s.X_train, s.y_train
        mask = y < 0
        truth = s.y_train_true[mask]
        k_cur, k_alt, a_cur, a_alt = [], [], [], []
        for seed in args.seeds:
            m = NCDKMeans("auto", random_state=seed).fit(X, y)
            plateau = f1_plateau(m.k_scores_)
            above = [k for k in plateau if k >= 2]
            alt = above[0] if (1 in plateau and len(above) == 1) else m.n_clusters_
            acc = clustering_accuracy(truth, m.labels_[mask])
            k_cur.append(m.n_clusters_)
            k_alt.append(alt)
            a_cur.append(acc)
            a_alt.append(acc if alt == m.n_clusters_ else clustering_accuracy(
                truth, NCDKMeans(alt, random_state=seed).fit(X, y).labels_[mask]))
        rows.append({"split": name, "role": role, "true k": len(s.novel_classes),
                     "k̂, current": ", ".join(map(str, k_cur)),
                     "ACC, current": float(np.mean(a_cur)),
                     "k̂, alternative": ", ".join(map(str, k_alt)),
                     "ACC, alternative": float(np.mean(a_alt))})
        print(rows[-1], flush=True)
    cols = ["split", "role", "true k", "k̂, current", "ACC, current", "k̂, alternative",
            "ACC, alternative"]
    changed = [r for r in rows if r["k̂, current"] != r["k̂, alternative"]]
    body = ("NCDKMeans(n_clusters='auto'), every other parameter at its default, on "
            "single-known-class splits (z-scored tables); ACC: Hungarian accuracy on the "
            f"novel rows, mean over random_state {args.seeds}. 'current': the package's rule "
            "(a plateau of {1, k} keeps 1); 'alternative': 1 only when alone on the plateau. "
            "dev: splits 15-21 of `bench_ncd.py`'s suite; new: tables the NCD suite never "
            "used, class 0 known, the others novel.\n\n" + table(rows, cols) + "\n\n"
            "Splits where the two rules differ: " + "; ".join(
                f"{r['split']} (true k {r['true k']}): ACC {r['ACC, current']:.3f} -> "
                f"{r['ACC, alternative']:.3f}" for r in changed) + ".")
    write_section("ncd_one_known", "NCD: the single-known-class tie of k = 1 (study)", body,
                  "python benchmarks/study_ncd_one_known.py")


if __name__ == "__main__":
    main()
