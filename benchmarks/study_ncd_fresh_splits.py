"""Study: does ``n_clusters="auto"`` hold on NCD splits it was never run on?

``bench_ncd.py``'s suite has 25 development splits (looked at while the
estimator was built) and 6 validation splits. This study adds splits of five
more tables with two or more known classes, none of which any NCD estimate was
run on with those classes known (``_tables.py``: fast-food chains, car classes,
breast tissue types, leaf shapes, cuckoo hosts; the last three appeared only in
``study_ncd_one_known.py`` with class 0 as the single known class). The novel
classes are drawn with seed 2000 + the split's index, fixed before any run.
Protocol as the suite's: the whole table z-scored, novel classes unlabelled,
NCDKMeans, NCDSpectralClustering and PBN with their defaults and
``n_clusters="auto"``, then with k known; KMeans (n_init=10) on the novel rows
with the true k, and at its own silhouette estimate of k. Seeds 0-2,
single-threaded, a few minutes on the 2-core CPU; writes
``results/ncd_fresh_splits.md``.

    python benchmarks/study_ncd_fresh_splits.py
"""

import argparse
import os
import sys
import warnings

import numpy as np
import torch
from sklearn.cluster import KMeans

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ncd  # noqa: E402
from _common import table, write_section  # noqa: E402
from _tables import load_table  # noqa: E402

from skdeepcluster.datasets import make_ncd_split  # noqa: E402
from skdeepcluster.metrics import clustering_accuracy  # noqa: E402

#: a default run's settings of bench_ncd.py (device, PBN epochs, k range)
SETTINGS = bench_ncd.DEFAULTS
K_RANGE = tuple(SETTINGS.k_range)

#: (table, number of novel classes); the rest are known
SPLITS = [("fastfood", 4), ("mpg_class", 3), ("tissue", 3), ("leafshape", 3),
          ("cuckoos", 3)]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rows, totals = [], {}
    for i, (name, n_novel) in enumerate(SPLITS):
        X, y = load_table(name)
        novel = np.sort(np.random.RandomState(2000 + i).choice(np.unique(y), n_novel,
                                                               replace=False))
        s = make_ncd_split(X, y, novel_classes=novel, standardize=True)
        mask = s.novel_mask_train
        truth, Xn = s.y_train_true[mask], s.X_train[mask]
        row = {"split": f"{name} ({len(s.known_classes)} known / {n_novel} novel)",
               "n (novel)": f"{len(y)} ({int(mask.sum())})"}
        km = [clustering_accuracy(truth, KMeans(n_novel, n_init=10, random_state=sd)
                                  .fit_predict(Xn)) for sd in args.seeds]
        sil = [bench_ncd.silhouette_k(Xn, (2, K_RANGE[1]), sd)
               for sd in args.seeds]
        km_sil = [clustering_accuracy(truth, KMeans(k, n_init=10, random_state=sd)
                                      .fit_predict(Xn)) for sd, k in zip(args.seeds, sil)]
        row["KMeans: silhouette k̂ / ACC"] = f"{', '.join(map(str, sil))} / {np.mean(km_sil):.3f}"
        row["KMeans ACC, k known"] = float(np.mean(km))
        for method in bench_ncd.SUITE_METHODS:
            ks, a_auto, a_known = [], [], []
            for sd in args.seeds:
                est = bench_ncd._make(method, "auto", sd, SETTINGS).fit(s.X_train,
                                                                         s.y_train)
                ks.append(int(est.n_clusters_))
                a_auto.append(clustering_accuracy(truth, est.labels_[mask]))
                est = bench_ncd._make(method, n_novel, sd, SETTINGS).fit(s.X_train,
                                                                          s.y_train)
                a_known.append(clustering_accuracy(truth, est.labels_[mask]))
            row[f"{method}: k̂ / ACC k̂ / ACC k known"] = (
                f"{', '.join(map(str, ks))} / {np.mean(a_auto):.3f} / "
                f"{np.mean(a_known):.3f}")
            t = totals.setdefault(method, [0, 0, [], [], []])
            t[0] += sum(abs(k - n_novel) <= 1 for k in ks)
            t[1] += len(ks)
            t[2].append(np.mean(a_auto))
            t[3].append(np.mean(a_known))
            t[4].append(np.mean(km))
        t = totals.setdefault("KMeans (silhouette k̂)", [0, 0, [], [], []])
        t[0] += sum(abs(k - n_novel) <= 1 for k in sil)
        t[1] += len(sil)
        t[2].append(np.mean(km_sil))
        t[3].append(np.mean(km))
        t[4].append(np.mean(km))
        rows.append(row)
        print(row, flush=True)
    cols = list(rows[0])
    summary = [{"estimator": m, "hits (+-1)": f"{t[0]} / {t[1]}",
                "median ACC, k̂": float(np.median(t[2])),
                "median ACC, k known": float(np.median(t[3])),
                "median KMeans ACC, k known": float(np.median(t[4]))}
               for m, t in totals.items()]
    body = (
        "Five splits of tables no NCD estimate had been run on with these classes "
        "known (script docstring); every estimator with its defaults; figures are "
        f"means over random_state {args.seeds} (k̂ per seed), medians over the splits."
        "\n\n" + table(rows, cols) + "\n\n" + table(summary, list(summary[0])))
    write_section("ncd_fresh_splits", "NCD: n_clusters='auto' on five fresh splits "
                  "(study)", body, "python benchmarks/study_ncd_fresh_splits.py")


if __name__ == "__main__":
    main()
