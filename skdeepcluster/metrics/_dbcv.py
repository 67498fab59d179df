"""Density-Based Clustering Validation (DBCV) index."""

import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.special import logsumexp
from sklearn.metrics import pairwise_distances

from ..utils import check_memory

__all__ = ["dbcv_score"]

#: Dense n x n distance matrices above this many bytes raise a clear error.
MAX_DBCV_BYTES = 2 * 2**30


def _core_distances(D, d):
    """All-points core distance of each row of a within-cluster distance block.

    ``core_i = (sum_{j != i} (1/D_ij)^d / (m - 1))^(-1/d)``, computed in log
    space (``d`` can be large).
    """
    m = len(D)
    logd = np.log(np.maximum(D, np.finfo(np.float64).tiny))
    np.fill_diagonal(logd, np.inf)  # exp(-d * inf) = 0: the point itself is left out
    log_mean = logsumexp(-d * logd, axis=1) - np.log(m - 1)
    return np.exp(-log_mean / d)


def dbcv_score(X, labels):
    """Density-Based Clustering Validation index (Moulavi et al., 2014).

    For each cluster, the *density sparseness* is the largest edge among the
    internal nodes of the minimum spanning tree of its mutual-reachability graph
    (distances ``max(core_i, core_j, d_ij)`` with all-points core distances);
    the *density separation* to another cluster is the smallest
    mutual-reachability distance between their internal nodes. A cluster scores
    ``(separation - sparseness) / max(separation, sparseness)`` in [-1, 1]; the
    index is the size-weighted mean over clusters, divided by the number of all
    rows (noise rows, label -1, count as 0). Unlike silhouette it rewards
    non-convex, density-connected clusters (moons, rings).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
        Cluster labels; -1 marks noise.

    Returns
    -------
    score : float
        In [-1, 1], higher is better.

    Raises
    ------
    ValueError
        With fewer than 2 clusters, or when the n x n distance matrix would
        exceed 2 GiB (subsample the rows, e.g. with
        ``make_label_free_scorer("dbcv", sample_size=5000)``).

    Notes
    -----
    O(n^2) time and memory. Singleton clusters contribute 0. Moulavi, Jaskowiak,
    Campello, Zimek and Sander, "Density-Based Clustering Validation", SDM 2014.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sklearn.cluster import KMeans
    >>> from skdeepcluster.metrics import dbcv_score
    >>> X, y = make_moons(300, noise=0.05, random_state=0)
    >>> km = KMeans(2, n_init=3, random_state=0).fit_predict(X)
    >>> bool(dbcv_score(X, y) > dbcv_score(X, km))
    True
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or len(X) != len(labels):
        raise ValueError(
            f"X must be 2-D with one label per row; got X of shape {X.shape} and "
            f"{len(labels)} labels."
        )
    n, d = X.shape
    clusters = [c for c in np.unique(labels) if c != -1]
    if len(clusters) < 2:
        raise ValueError(
            f"DBCV needs at least 2 clusters (noise excluded), got {len(clusters)}."
        )
    check_memory(8 * n * n, MAX_DBCV_BYTES, f"DBCV on {n} rows",
                 "Subsample the rows (make_label_free_scorer('dbcv', "
                 "sample_size=5000)).")
    D = pairwise_distances(X)
    core = np.zeros(n)
    members, internal, sparseness = {}, {}, {}
    for c in clusters:
        idx = np.flatnonzero(labels == c)
        members[c] = idx
        if len(idx) < 2:
            internal[c] = idx
            sparseness[c] = None
            continue
        Dc = D[np.ix_(idx, idx)]
        core[idx] = _core_distances(Dc, d)
        mreach = np.maximum(np.maximum(core[idx][:, None], core[idx][None, :]), Dc)
        # zero weights mean "no edge" to scipy: keep duplicates connected
        mreach = np.maximum(mreach, np.finfo(np.float64).tiny)
        np.fill_diagonal(mreach, 0.0)
        mst = minimum_spanning_tree(mreach).tocoo()
        degree = np.bincount(np.concatenate([mst.row, mst.col]), minlength=len(idx))
        inner = degree > 1
        inner_edges = inner[mst.row] & inner[mst.col]
        if inner_edges.any():
            sparseness[c] = float(mst.data[inner_edges].max())
        else:
            sparseness[c] = float(mst.data.max()) if mst.nnz else 0.0
        internal[c] = idx[inner] if inner.any() else idx
    total = 0.0
    for c in clusters:
        if sparseness[c] is None:
            continue  # singleton: contributes 0
        a = internal[c]
        separation = np.inf
        for o in clusters:
            if o == c:
                continue
            b = internal[o]
            mr = np.maximum(np.maximum(core[a][:, None], core[b][None, :]),
                            D[np.ix_(a, b)])
            separation = min(separation, float(mr.min()))
        denom = max(separation, sparseness[c])
        validity = 0.0 if denom == 0 else (separation - sparseness[c]) / denom
        total += len(members[c]) * validity
    return float(total / n)
