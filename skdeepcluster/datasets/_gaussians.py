"""Synthetic heterogeneous Gaussian mixtures (the iLA-SDP "EM-trap" settings)."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_heterogeneous_gaussians"]

#: Per-cluster isotropic deviations of the EM-trap setting (cycled beyond 8 clusters).
EM_TRAP_DEVIATIONS = (0.6, 1.2, 0.8, 1.5, 0.6, 1.0, 1.4, 0.7)


def make_heterogeneous_gaussians(n_samples=400, n_clusters=8, n_features=2, *,
                                 separation=6.0, deviations=None, layout="grid",
                                 stretch=1.0, shuffle=True, random_state=None):
    """Gaussian clusters with cluster-specific spreads: the iLA-SDP "EM trap".

    Default: K = 8 centres on a 4 x 2 grid with spacing ``separation`` in the
    first two coordinates, isotropic per-cluster deviations
    ``(0.6, 1.2, 0.8, 1.5, 0.6, 1.0, 1.4, 0.7)``, 50 points each (n = 400).
    Features beyond the first two carry no signal and are drawn at each
    cluster's own deviation (so they still differ between clusters in spread).
    Close centres with unequal spreads trap EM and single-start k-means in poor
    local optima.

    Parameters
    ----------
    n_samples : int, default=400
        Total number of points, split as evenly as possible between clusters.
    n_clusters : int, default=8
    n_features : int, default=2
        At least 2 for ``layout="grid"``, at least ``n_clusters`` for "axes".
    separation : float, default=6.0
        Grid spacing (``"grid"``) or distance of each centre from the origin
        along its own axis (``"axes"``: centre k is ``separation * e_k``).
    deviations : sequence of float or None, default=None
        Per-cluster standard deviations, cycled to ``n_clusters``; None uses the
        EM-trap values above.
    layout : {"grid", "axes"}, default="grid"
    stretch : float, default=1.0
        Multiplies the first coordinate of the last cluster (an elongated cluster;
        the cost simulation of the iLA-SDP paper uses ``layout="axes"``, K = 4, p = 10,
        ``separation=4``, ``deviations=(0.5, 1, 1.5, 1)``, ``stretch=3``).
    shuffle : bool, default=True
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        True cluster of each point.

    Examples
    --------
    >>> from skdeepcluster.datasets import make_heterogeneous_gaussians
    >>> X, y = make_heterogeneous_gaussians(random_state=0)
    >>> X.shape, len(set(y))
    ((400, 2), 8)
    """
    for name, value, low in (("n_samples", n_samples, 1), ("n_clusters", n_clusters, 1),
                             ("n_features", n_features, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    if n_samples < n_clusters:
        raise ValueError(
            f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")
    if layout not in ("grid", "axes"):
        raise ValueError(f"layout must be 'grid' or 'axes', got {layout!r}.")
    if layout == "grid" and n_features < 2:
        raise ValueError("layout='grid' needs n_features >= 2.")
    if layout == "axes" and n_features < n_clusters:
        raise ValueError(
            f"layout='axes' needs n_features >= n_clusters={n_clusters}, got "
            f"{n_features}.")
    rng = check_random_state(random_state)
    devs = np.asarray(EM_TRAP_DEVIATIONS if deviations is None else deviations,
                      dtype=np.float64).ravel()
    if devs.size == 0 or np.any(devs <= 0):
        raise ValueError("deviations must be positive numbers.")
    devs = np.resize(devs, n_clusters)
    centers = np.zeros((n_clusters, n_features))
    if layout == "grid":
        rows = int(np.ceil(n_clusters / 2))
        for k in range(n_clusters):
            centers[k, 0] = separation * (k % rows)
            centers[k, 1] = separation * (k // rows)
    else:
        centers[np.arange(n_clusters), np.arange(n_clusters)] = separation
    sizes = np.full(n_clusters, n_samples // n_clusters)
    sizes[: n_samples % n_clusters] += 1
    X = np.empty((n_samples, n_features))
    y = np.repeat(np.arange(n_clusters), sizes)
    start = 0
    for k in range(n_clusters):
        block = rng.standard_normal((sizes[k], n_features)) * devs[k]
        if k == n_clusters - 1:
            block[:, 0] *= stretch
        X[start:start + sizes[k]] = centers[k] + block
        start += sizes[k]
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
    return X, y
