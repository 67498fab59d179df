"""Synthetic data: a union of low-dimensional linear subspaces."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_subspaces"]


def make_subspaces(n_samples=500, n_features=30, *, n_clusters=5, subspace_dim=5,
                   noise=0.0, shuffle=True, random_state=None):
    """Sample points from a union of random linear subspaces.

    Each cluster is a random ``subspace_dim``-dimensional linear subspace of
    ``R^n_features`` (an orthonormal basis drawn from a Gaussian matrix). Its points
    are uniform on the subspace's unit sphere, plus isotropic Gaussian noise of
    standard deviation ``noise / sqrt(n_features)`` (so ``noise`` is the expected
    noise norm relative to the unit-norm signal). This is the model assumed by
    subspace clustering (SSC, LSR, DSC), following the generators of
    ``ChongYou/subspace-clustering`` and ``zhangsz1998/Self-Expressive-Network``.

    Parameters
    ----------
    n_samples : int, default=500
        Total number of points, split as evenly as possible between clusters.
    n_features : int, default=30
        Ambient dimension.
    n_clusters : int, default=5
        Number of subspaces.
    subspace_dim : int, default=5
        Dimension of every subspace (must be <= n_features).
    noise : float, default=0.0
        Relative noise level (expected noise norm / signal norm).
    shuffle : bool, default=True
        Shuffle the samples (otherwise they are grouped by cluster).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), int64
        The subspace of each sample.

    Examples
    --------
    >>> from skdeepcluster.datasets import make_subspaces
    >>> X, y = make_subspaces(100, 20, n_clusters=4, subspace_dim=3, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 20), [0, 1, 2, 3])
    """
    for name, value, low in (("n_samples", n_samples, 1), ("n_features", n_features, 1),
                             ("n_clusters", n_clusters, 1),
                             ("subspace_dim", subspace_dim, 1)):
        if not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    if subspace_dim > n_features:
        raise ValueError(
            f"subspace_dim={subspace_dim} must be <= n_features={n_features}."
        )
    if n_clusters > n_samples:
        raise ValueError(
            f"n_samples={n_samples} must be >= n_clusters={n_clusters}."
        )
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    rng = check_random_state(random_state)
    sizes = np.full(n_clusters, n_samples // n_clusters)
    sizes[: n_samples % n_clusters] += 1
    X = np.empty((n_samples, n_features))
    y = np.empty(n_samples, dtype=np.int64)
    start = 0
    for k, m in enumerate(sizes):
        basis, _ = np.linalg.qr(rng.standard_normal((n_features, subspace_dim)))
        coef = rng.standard_normal((m, subspace_dim))
        coef /= np.linalg.norm(coef, axis=1, keepdims=True)
        X[start:start + m] = coef @ basis.T
        y[start:start + m] = k
        start += m
    if noise > 0:
        X += rng.standard_normal(X.shape) * (noise / np.sqrt(n_features))
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
    return X, y
