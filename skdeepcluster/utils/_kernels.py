"""Small numerical kernels shared by the estimators."""

import numpy as np
import torch

__all__ = ["cluster_means", "squared_distances"]


def cluster_means(Z, labels, n_clusters):
    """Mean row of ``Z`` per cluster, shape (n_clusters, n_features).

    A cluster without members gets a row of zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.utils import cluster_means
    >>> cluster_means(np.array([[0.0], [2.0], [5.0]]), np.array([0, 0, 2]), 3).ravel().tolist()
    [1.0, 0.0, 5.0]
    """
    Z = np.asarray(Z)
    return np.stack([
        Z[labels == k].mean(0) if np.any(labels == k) else np.zeros(Z.shape[1])
        for k in range(n_clusters)
    ])


def squared_distances(X, C, X_sq=None):
    """Squared Euclidean distances between the rows of ``X`` and ``C``.

    Works on numpy arrays (returns numpy) and torch tensors (returns a tensor
    on their device); clipped at zero against rounding. ``X_sq``: the squared
    row norms of ``X`` when the caller already has them (repeated calls with
    the same ``X``).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.utils import squared_distances
    >>> squared_distances(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])).tolist()
    [[25.0]]
    """
    if isinstance(X, torch.Tensor):
        X_sq = (X * X).sum(1) if X_sq is None else X_sq
        d = X_sq[:, None] - 2.0 * (X @ C.T) + (C * C).sum(1)[None, :]
        return d.clamp_min(0.0)
    X = np.asarray(X)
    C = np.asarray(C)
    X_sq = (X * X).sum(axis=1) if X_sq is None else X_sq
    d = X_sq[:, None] - 2.0 * (X @ C.T) + (C * C).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)
