"""How far can DEPICT's initial clustering go on Fashion-MNIST? (CPU study)

DEPICT's self-training did not raise Fashion-MNIST's accuracy above its
phase-B initial clustering (``results/depict_fashion_study.md``), so the
initial clustering bounds the final ACC. This study asks whether a longer
pretraining or a different clustering of the pretrained embedding would lift
that bound.

Sections
--------
pretrain   Phase A of DEPICT's convolutional network (the package's
           ``DEPICTModule`` and ``reconstruction_loss``, Adam lr 1e-3, batch
           256, no hold-out) for up to ``--epochs`` epochs; at checkpoints the
           clean embedding is clustered by the package's spectral initial
           clustering (kNN graph, k=10) and by k-means (n_init 10).
cluster    The final embedding of that run, clustered in other ways: kNN graph
           weightings (binary, self-tuning Gaussian, shared nearest
           neighbours), k-means on the spectral embedding, a balanced
           (optimal-transport, POT) assignment that matches DEPICT's uniform
           cluster-size prior, and N2D's recipe (UMAP to 10 dimensions with
           min_dist 0, then a full-covariance Gaussian mixture) when the
           optional ``umap-learn`` is installed.

Labels are read only to score the clusterings.

Usage::

    python benchmarks/study_depict_ceiling.py --n-samples 10000 --epochs 160
"""

import argparse
import sys
import time

import numpy as np
import ot
import scipy.sparse as sp
import torch
from _common import scores, table, write_section
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

from skdeepcluster.depict import _losses, _module  # noqa: E402
import skdeepcluster.utils._graph as graph
from skdeepcluster.datasets import load_fashion_mnist

CHECKPOINTS = (10, 20, 40, 80, 120, 160, 200, 300)


def embed(module, X):
    module.eval()
    with torch.no_grad():
        Z = torch.cat([module.embed(X[i:i + 2000]) for i in range(0, len(X), 2000)])
    module.train()
    return Z.numpy()


def pretrain(X, y, epochs, seed):
    torch.manual_seed(seed)
    module = _module.DEPICTModule(X.shape[1], 10, input_shape=(1, 28, 28))
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    n, rows, start = len(X), [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        total = 0.0
        for idx in torch.randperm(n).split(256):
            xb = X[idx]
            _, _, clean, decoded, _ = module(xb)
            loss = _losses.reconstruction_loss(clean, decoded, 0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if epoch in CHECKPOINTS or epoch == epochs:
            Z = embed(module, X)
            spec = scores(y, graph.knn_spectral_clustering(Z, 10, 10, random_state=seed))
            km = scores(y, KMeans(10, n_init=10, random_state=seed).fit_predict(Z))
            rows.append({"epochs": epoch, "recon loss": total / n,
                         "spectral ACC": spec["ACC"], "spectral NMI": spec["NMI"],
                         "k-means ACC": km["ACC"], "k-means NMI": km["NMI"],
                         "seconds": time.perf_counter() - start})
            print(rows[-1], flush=True)
    return module, rows


def spectral_labels(W, n_clusters, seed, assign="qr"):
    emb = graph._graph_embedding(sp.csr_matrix(W), n_clusters, torch.device("cpu"), seed)
    if assign == "qr":
        return graph._cluster_qr(emb), emb
    E = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    return KMeans(n_clusters, n_init=10, random_state=seed).fit_predict(E), E


def balanced(E, labels, n_clusters, iters=30):
    """Lloyd iterations whose assignment step is an exact equal-size transport."""
    n = len(E)
    a, b = np.full(n, 1.0 / n), np.full(n_clusters, 1.0 / n_clusters)
    for _ in range(iters):
        C = np.stack([E[labels == k].mean(0) for k in range(n_clusters)])
        cost = ((E[:, None, :] - C[None]) ** 2).sum(-1)
        new = ot.emd(a, b, cost / cost.max(), numItermax=10**7).argmax(1)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def cluster(Z, y, seed, K=10):
    n = len(Z)
    rows = []

    def add(name, fn):
        t = time.perf_counter()
        labels = fn()
        rows.append({"clustering of the embedding": name, **scores(y, labels),
                     "seconds": time.perf_counter() - t})
        print(rows[-1], flush=True)

    def knn(k):
        idx = graph.knn_indices(Z, k)
        d = np.linalg.norm(Z[:, None, :] - Z[idx], axis=2)
        return idx, d

    def weighted(k, kind):
        idx, d = knn(k)
        r = np.repeat(np.arange(n), k)
        if kind == "selftuning":  # Zelnik-Manor & Perona local scaling
            s = d[:, min(6, k - 1)]
            w = np.exp(-d ** 2 / (s[:, None] * s[idx]))
            W = sp.csr_matrix((w.ravel(), (r, idx.ravel())), shape=(n, n))
            return (W + W.T) / 2
        A = sp.csr_matrix((np.ones(n * k), (r, idx.ravel())), shape=(n, n))
        return (A @ A.T).multiply((A + A.T) > 0)  # shared nearest neighbours

    add("spectral, binary kNN k=10 (DEPICT's init)",
        lambda: graph.knn_spectral_clustering(Z, K, 10, random_state=seed))
    add("spectral, binary kNN k=30",
        lambda: graph.knn_spectral_clustering(Z, K, 30, random_state=seed))
    add("spectral, self-tuning Gaussian k=10",
        lambda: spectral_labels(weighted(10, "selftuning"), K, seed)[0])
    add("spectral, shared-neighbour weights k=15",
        lambda: spectral_labels(weighted(15, "snn"), K, seed)[0])
    add("spectral, shared-neighbour weights k=30",
        lambda: spectral_labels(weighted(30, "snn"), K, seed)[0])
    A = graph._connectivity(graph.knn_indices(Z, 10))
    add("spectral embedding k=10, k-means on unit rows",
        lambda: spectral_labels(A, K, seed, assign="kmeans")[0])

    def bal():
        labels, E = spectral_labels(A, K, seed)
        return balanced(E / np.linalg.norm(E, axis=1, keepdims=True), labels, K)
    add("spectral embedding k=10, equal-size OT assignment", bal)
    add("k-means (n_init 10)", lambda: KMeans(K, n_init=10, random_state=seed).fit_predict(Z))
    try:
        import umap
    except ImportError:
        print("umap-learn not installed: N2D's recipe skipped", flush=True)
    else:
        def n2d():
            U = umap.UMAP(n_neighbors=10, n_components=K, min_dist=0.0,
                          random_state=seed).fit_transform(Z)
            return GaussianMixture(K, random_state=seed).fit(U).predict(U)
        add("N2D: UMAP (10 dims, 10 neighbours, min_dist 0) + GMM", n2d)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-samples", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    command = ("python benchmarks/study_depict_ceiling.py "
               + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    data = load_fashion_mnist(n_samples=args.n_samples, random_state=args.seed)
    X, y = data.data.astype(np.float32), data.target
    X = torch.as_tensor((X - X.min()) / (X.max() - X.min()) * 2 - 1)
    module, pre_rows = pretrain(X, y, args.epochs, args.seed)
    clu_rows = cluster(embed(module, X), y, args.seed)
    body = (
        f"Fashion-MNIST, a stratified random subset of {len(X):,} images, seed {args.seed}, CPU. "
        "DEPICT's convolutional autoencoder pretrained by phase A's loss (Adam lr 1e-3, batch "
        "256, no hold-out, no early stop); the 10-dimensional clean embedding is clustered at "
        "checkpoints. Labels only score the clusterings.\n\n"
        "### Initial clustering against pretraining length\n\n"
        + table(pre_rows, ["epochs", "recon loss", "spectral ACC", "spectral NMI",
                           "k-means ACC", "k-means NMI", "seconds"])
        + f"\n\n### Other clusterings of the embedding after {args.epochs} epochs\n\n"
        + table(clu_rows, ["clustering of the embedding", "ACC", "NMI", "ARI", "seconds"])
    )
    accs = [(r["spectral ACC"], f"spectral, after {r['epochs']} pretraining epochs")
            for r in pre_rows]
    accs += [(r["ACC"], r["clustering of the embedding"]) for r in clu_rows]
    best_acc, best_name = max(accs)
    body += f"\n\nThe highest ACC in either table: {best_acc:.3f} ({best_name})."
    write_section("depict_fashion_study_ceiling", "DEPICT on Fashion-MNIST: how far the initial "
                  "clustering goes (CPU)", body, command)


if __name__ == "__main__":
    main()
