"""Study: should PBN estimate the number of novel classes in its latent space?

PBN's ``n_clusters="auto"`` is NCD k-means' estimate in the input space
(``PBN.fit``): hiding known classes in the latent space looks leaky, because the
network was trained to separate every known class, hidden ones included. This
study measures that choice. For each split of ``bench_ncd.py``'s suite and
``random_state`` 0-2, one PBN network is trained with its defaults (the network
does not depend on k), then the same hiding estimator runs on the input rows
(the default) and on the latent rows of all samples, and PBN clusters its
latent novel rows at each estimate, as its fit does. ACC: Hungarian accuracy
on the novel rows; KMeans: n_init=10 on the novel rows with the true k.
Single-threaded, about 10 minutes on the 2-core CPU; writes
``results/pbn_latent_k.md``.

    python benchmarks/study_pbn_latent_k.py
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

from skdeepcluster.metrics import clustering_accuracy  # noqa: E402
from skdeepcluster.ncd._base import check_ncd_labels  # noqa: E402
from skdeepcluster.ncd._kmeans import estimate_n_novel  # noqa: E402

#: a default run's settings of bench_ncd.py (device, PBN epochs, k range)
SETTINGS = bench_ncd.DEFAULTS
K_RANGE = tuple(SETTINGS.k_range)


def one_seed(s, seed):
    mask = s.novel_mask_train
    truth = s.y_train_true[mask]
    k_true = len(s.novel_classes)
    codes = check_ncd_labels(s.y_train, len(mask))[1]
    n_known = len(s.known_classes)
    pbn = bench_ncd._make("PBN", k_true, seed, SETTINGS).fit(s.X_train, s.y_train)
    km_seed = bench_ncd._pbn_km_seed(pbn)  # the seed PBN's own estimate uses
    Z = np.asarray(pbn.transform(s.X_train), dtype=np.float64)
    ks = {"input": estimate_n_novel(s.X_train, codes, n_known, K_RANGE,
                                    km_seed, n_init=pbn.n_init)[0],
          "latent": estimate_n_novel(Z, codes, n_known, K_RANGE, km_seed,
                                     n_init=pbn.n_init)[0],
          "true": k_true}
    acc = {key: clustering_accuracy(truth, pbn._cluster(Z[mask], int(k), km_seed,
                                                        pbn.net_.device)[0])
           for key, k in ks.items()}
    km = clustering_accuracy(truth, KMeans(k_true, n_init=10, random_state=seed)
                             .fit_predict(s.X_train[mask]))
    return {k: int(v) for k, v in ks.items()}, acc, km


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--splits", type=int, nargs="+", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    idx = args.splits if args.splits else range(len(bench_ncd.SUITE_SPLITS))
    rows, cache = [], {}
    hits = {"input": [0, 0], "latent": [0, 0]}
    for i in idx:
        name, role, s = bench_ncd.suite_split(i, cache)
        res = [one_seed(s, seed) for seed in args.seeds]
        k_true = len(s.novel_classes)
        row = {"split": f"{i}: {name}", "role": role, "true k": k_true}
        for key in ("input", "latent"):
            ks = [r[0][key] for r in res]
            hits[key][0] += sum(abs(k - k_true) <= 1 for k in ks)
            hits[key][1] += len(ks)
            row[f"k̂, {key}"] = ", ".join(map(str, ks))
            row[f"ACC, {key}"] = float(np.mean([r[1][key] for r in res]))
        row["ACC, k known"] = float(np.mean([r[1]["true"] for r in res]))
        row["KMeans ACC, k known"] = float(np.mean([r[2] for r in res]))
        rows.append(row)
        print(row, flush=True)
    cols = ["split", "role", "true k", "k̂, input", "ACC, input", "k̂, latent", "ACC, latent",
            "ACC, k known", "KMeans ACC, k known"]
    med = {c: float(np.median([r[c] for r in rows])) for c in cols[4::2] + ["ACC, k known"]}
    body = (
        "PBN with its defaults, one network per split and seed; its k estimate (hiding "
        "known classes, NCD k-means pools) on the input rows (PBN's default) and on the "
        "latent rows; PBN's clustering of its latent novel rows at each k. ACC: mean over "
        f"random_state {args.seeds}; medians over the {len(rows)} splits.\n\n"
        + table(rows, cols) + "\n\n"
        + f"Hits (k̂ within +-1): input {hits['input'][0]} / {hits['input'][1]}, latent "
        f"{hits['latent'][0]} / {hits['latent'][1]}. Median ACC: input "
        f"{med['ACC, input']:.3f}, latent {med['ACC, latent']:.3f}, k known "
        f"{med['ACC, k known']:.3f}, KMeans with k known "
        f"{med['KMeans ACC, k known']:.3f}.")
    write_section("pbn_latent_k", "NCD: PBN's k estimate in its latent space (study, "
                  "not adopted)", body, "python benchmarks/study_pbn_latent_k.py")


if __name__ == "__main__":
    main()
