"""The spectral initial clustering: where it helps, where it fails, what it costs.

Sections
--------
letters   DEPICT (MLP) on LetterRecognition with ``init="kmeans"`` and
          ``init="spectral"``: the phase-B clustering's own ACC/NMI and the
          final ACC/NMI (CPU).
cost      :func:`skdeepcluster.utils.knn_spectral_clustering` on a 70,000-row,
          10-dimensional embedding (PCA of all Fashion-MNIST images, squashed by
          tanh like DEPICT's): kNN search, our LOBPCG solve, and scikit-learn's
          ARPACK shift-invert ``spectral_embedding`` on the same graph.

Usage::

    python benchmarks/bench_spectral_init.py --sections letters,cost
"""

import argparse
import sys

import numpy as np
from _common import Timer, scores, table, write_section
from sklearn.decomposition import PCA
from sklearn.manifold import spectral_embedding
from sklearn.metrics import adjusted_rand_score

import skdeepcluster.utils._graph as graph
from skdeepcluster import DEPICT
from skdeepcluster.datasets import load_fashion_mnist, load_letter_recognition
from skdeepcluster.utils import knn_indices


def letters(command, seed):
    data = load_letter_recognition()
    X, y = data.data, data.target
    rows = []
    for init in ("kmeans", "spectral"):
        with Timer() as t:
            m = DEPICT(n_clusters=26, init=init, random_state=seed,
                       pretrain_max_epochs=60, max_epochs=60).fit(X)
        first, final = scores(y, m.init_labels_), scores(y, m.labels_)
        rows.append({"init": init, "phase-B ACC": first["ACC"], "phase-B NMI": first["NMI"],
                     "final ACC": final["ACC"], "final NMI": final["NMI"],
                     "seconds": t.seconds})
        print(rows[-1], flush=True)
    body = (f"LetterRecognition ({len(X)} x {X.shape[1]}, 26 classes), DEPICT's MLP with "
            f"defaults except at most 60 pretraining and 60 self-training epochs, seed {seed}, "
            "CPU. Duplicated rows make detached components in the kNN graph, which spectral "
            "clustering turns into clusters; this is why `init=\"auto\"` keeps k-means for "
            "the MLP.\n\n"
            + table(rows, ["init", "phase-B ACC", "phase-B NMI", "final ACC", "final NMI",
                           "seconds"]))
    write_section("spectral_init_letters", "DEPICT's initial clustering on LetterRecognition",
                  body, command)


def cost(command, seed):
    X = load_fashion_mnist().data / 255.0
    Z = np.tanh(PCA(10, random_state=0).fit_transform(X) / 3)
    y = load_fashion_mnist().target
    with Timer() as t_knn:
        A = graph._connectivity(knn_indices(Z, 10))
    M, deg, dinv = graph._normalised_adjacency(A)
    with Timer() as t_lobpcg:
        ours = graph._cluster_qr(graph._lobpcg_embedding(M, deg, dinv, 10, "cpu", seed))
    with Timer() as t_arpack:
        ref = graph._cluster_qr(spectral_embedding(A, n_components=10, eigen_solver="arpack",
                                                   random_state=seed, drop_first=False))
    rows = [
        {"step": "kNN graph (faiss, k=10)", "seconds": t_knn.seconds},
        {"step": "LOBPCG (torch), ours", "seconds": t_lobpcg.seconds,
         "ACC": scores(y, ours)["ACC"]},
        {"step": "ARPACK shift-invert (scikit-learn)", "seconds": t_arpack.seconds,
         "ACC": scores(y, ref)["ACC"]},
    ]
    body = ("70,000 x 10 embedding: PCA of all Fashion-MNIST images (pixels / 255), "
            "tanh(z / 3). Both solvers give 10 eigenvectors of the same normalised kNN "
            "graph; labels by column-pivoted QR, ACC against the classes for reference. "
            f"ARI between the two solvers' labels: {adjusted_rand_score(ours, ref):.4f}.\n\n"
            + table(rows, ["step", "seconds", "ACC"]))
    write_section("spectral_init_cost", "Spectral initial clustering: cost at 70,000 rows (CPU)",
                  body, command)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sections", default="letters,cost")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    command = ("python benchmarks/bench_spectral_init.py "
               + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    sections = args.sections.split(",")
    if "letters" in sections:
        letters(command, args.seed)
    if "cost" in sections:
        cost(command, args.seed)


if __name__ == "__main__":
    main()
