"""NCD spectral clustering: a joint spectral embedding of known and unlabelled rows."""

import numbers

import numpy as np
import torch
from scipy.linalg import eigh
from scipy.sparse.csgraph import minimum_spanning_tree
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import check_memory, resolve_device
from ._base import (
    NCDMixin,
    candidate_ks,
    check_ncd_labels,
    check_ncd_n_clusters,
    class_means,
    estimate_k,
    ncd_kmeans,
    silhouette,
)

__all__ = ["NCDSpectralClustering", "spectral_embedding_mst"]

#: Dense n x n matrices above this many bytes raise a clear error.
MAX_DENSE_BYTES = 4 * 2**30


def spectral_embedding_mst(X, n_components, min_dist=0.6, device="cpu"):
    """Spectral embedding with the kernel width set from the minimum spanning tree.

    ``m`` is the largest edge of the MST of the squared distances (the smallest
    value that keeps the graph connected); ``sigma = sqrt(-m / ln(min_dist))`` and
    ``A = exp(-D^2 / (2 sigma^2))``, so the largest MST edge gets affinity
    ``sqrt(min_dist)`` (the reference code's factor-2 quirk, kept). Returns the
    eigenvectors 1..n_components (the first is skipped) of the symmetric normalised
    Laplacian, shape (n_samples, n_components), and ``sigma``. On the CPU the
    eigenvectors come from LAPACK's subset solver (:func:`scipy.linalg.eigh`); on
    another ``device`` the affinity, Laplacian and eigendecomposition are built
    there with torch (float64).
    """
    n = len(X)
    check_memory(3 * 8 * n * n, MAX_DENSE_BYTES, f"Spectral clustering of {n} rows",
                 "Subsample the rows (the method is O(n^2) in memory and O(n^3) in "
                 "time) or use NCDKMeans / PBN.")
    D2 = euclidean_distances(X, squared=True)
    m = float(minimum_spanning_tree(D2).max()) if n > 1 else 0.0
    if m <= 0:
        sigma = 1.0
    else:
        sigma = float(np.sqrt(-m / np.log(min_dist)))
    top = min(n_components, n - 1)
    if str(device) != "cpu":
        return _embedding_torch(D2, sigma, top, device), sigma
    A = np.exp(-D2 / (2.0 * sigma**2))
    del D2
    np.fill_diagonal(A, 0.0)
    deg = A.sum(1)
    deg[deg == 0] = 1.0
    dm = 1.0 / np.sqrt(deg)
    L = -(dm[:, None] * A * dm[None, :])
    del A
    L[np.diag_indices(n)] += 1.0
    _, vecs = eigh(L, subset_by_index=[0, top], overwrite_a=True)
    return vecs[:, 1 : top + 1], sigma


def _embedding_torch(D2, sigma, top, device):
    """The same embedding as the CPU path, computed with torch on ``device``."""
    A = torch.exp(torch.as_tensor(D2, device=device) / (-2.0 * sigma**2))
    A.fill_diagonal_(0.0)
    deg = A.sum(1)
    deg[deg == 0] = 1.0
    dm = deg.rsqrt()
    L = -(dm[:, None] * A * dm[None, :])
    del A
    L.diagonal().add_(1.0)
    _, vecs = torch.linalg.eigh(L)
    return vecs[:, 1 : top + 1].cpu().numpy()


class NCDSpectralClustering(NCDMixin, ClusterMixin, BaseEstimator):
    """Spectral clustering for novel class discovery (transductive).

    Known and unlabelled rows are embedded jointly (kernel width from the minimum
    spanning tree, symmetric normalised Laplacian); the known-class means in the
    embedding seed NCD k-means on the unlabelled rows (see :class:`NCDKMeans`).
    There is no ``predict``: the clustering exists only for the training rows
    (``labels_``). For scikit-learn model selection pass ``cv=[(all, all)]`` with
    ``all = np.arange(n_samples)``; :class:`~skdeepcluster.model_selection.NCDSearchCV`
    uses ``labels_`` directly.

    Labels follow scikit-learn's semi-supervised convention: ``y`` holds the known
    class of each labelled row and ``-1`` for unlabelled rows. ``y=None`` is plain
    spectral clustering of all rows with ``n_clusters`` eigenvectors.

    Parameters
    ----------
    n_clusters : int or "auto", default="auto"
        Number of novel clusters; ``"auto"``: mean silhouette of the unlabelled
        rows in the embedding over ``k_range``.
    n_components : int or None, default=None
        Eigenvectors kept (after the trivial first one). None: ``k + n_known``
        (so each candidate k of ``"auto"`` has its own embedding).
    min_dist : float in (0, 1), default=0.6
        Affinity given to the largest minimum-spanning-tree edge (squared): larger
        values mean a wider kernel.
    n_init : int, default=10
    max_iter : int, default=1000
    tol : float, default=1e-10
    seeding : {"distance", "squared"}, default="distance"
    k_range : tuple of int, default=(2, 30)
    device : str, default="cpu"
        Where the Laplacian eigendecomposition and the k-means run: on the CPU
        with LAPACK's subset eigensolver, elsewhere (``"cuda"``, ``"auto"``) with
        torch's dense ``eigh`` on the device.
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Novel cluster of each unlabelled row, -1 for labelled rows.
    transduction_ : ndarray of shape (n_samples,)
        ``i`` for rows of ``known_classes_[i]``, ``len(known_classes_) + c`` for
        rows of novel cluster ``c``.
    known_classes_ : ndarray
    cluster_centers_ : ndarray of shape (n_clusters_, n_components_)
        Novel centres in the embedding.
    embedding_ : ndarray of shape (n_samples, n_components_)
    n_components_ : int
    sigma_ : float
        Kernel width.
    n_clusters_ : int
    k_scores_ : dict or None
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.

    Notes
    -----
    Memory O(n^2) and time O(n^3) (dense eigendecomposition): fine to about 10^4
    rows; a clear ``ValueError`` is raised before allocating more than 4 GiB.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import NCDSpectralClustering
    >>> X, t = make_blobs(200, centers=4, cluster_std=0.5, random_state=0)
    >>> y = np.where(t < 2, t, -1)
    >>> sc = NCDSpectralClustering(n_clusters=2, random_state=0).fit(X, y)
    >>> sc.labels_.shape, sc.n_clusters_
    ((200,), 2)
    """

    def __init__(self, n_clusters="auto", *, n_components=None, min_dist=0.6,
                 n_init=10, max_iter=1000, tol=1e-10, seeding="distance",
                 k_range=(2, 30), device="cpu", random_state=None):
        self.n_clusters = n_clusters
        self.n_components = n_components
        self.min_dist = min_dist
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.seeding = seeding
        self.k_range = k_range
        self.device = device
        self.random_state = random_state

    def fit(self, X, y=None):
        """Embed all rows jointly and cluster the unlabelled ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or None
            Known class per row, -1 for unlabelled rows; None: all unlabelled.

        Returns
        -------
        self : NCDSpectralClustering
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        known, codes, classes = check_ncd_labels(y, len(X))
        if not (isinstance(self.min_dist, numbers.Real) and 0 < self.min_dist < 1):
            raise ValueError(f"min_dist must be in (0, 1), got {self.min_dist!r}.")
        if self.n_components is not None and (
                not isinstance(self.n_components, numbers.Integral)
                or self.n_components < 1):
            raise ValueError("n_components must be a positive integer or None, got "
                             f"{self.n_components!r}.")
        if self.seeding not in ("distance", "squared"):
            raise ValueError(
                f"seeding must be 'distance' or 'squared', got {self.seeding!r}.")
        n_u = int((~known).sum())
        k = check_ncd_n_clusters(self.n_clusters, n_u, self.k_range)
        rng = check_random_state(self.random_state)
        n_known = len(classes)
        ks = candidate_ks(self.k_range, n_u) if k == "auto" else [k]
        if self.n_components is not None:
            n_comp_max = self.n_components
        else:
            n_comp_max = max(ks) + n_known
        device = resolve_device(self.device)
        E_full, self.sigma_ = spectral_embedding_mst(X, n_comp_max, self.min_dist,
                                                     device=device)
        params = dict(n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                      seeding=self.seeding, device=device)

        def space(kk):
            nc = self.n_components if self.n_components is not None else kk + n_known
            return E_full[:, :nc]

        def run(kk, random_state):
            E = space(kk)
            kc = class_means(E, codes, n_known) if n_known else None
            return E, ncd_kmeans(E[~known], kk, kc, random_state=random_state,
                                 **params)

        self.k_scores_ = None
        if k == "auto":
            seed = rng.randint(2**31 - 1)

            def score_run(kk):
                E, res = run(kk, seed)
                return E[~known], res[0]

            k, self.k_scores_ = estimate_k(ks, score_run)
        E, (labels, centers, _, n_iter) = run(k, rng)
        self.n_clusters_ = int(k)
        self.embedding_ = E
        self.n_components_ = E.shape[1]
        self.cluster_centers_ = centers
        self.n_iter_ = int(n_iter)
        self._set_ncd_results(known, codes, classes, labels)
        self._fit_X = X
        return self

    def score(self, X, y=None):
        """Mean silhouette of the unlabelled training rows in the embedding.

        Transductive: ``X`` must be the training data (score with
        ``cv=[(all, all)]``). Higher is better; ``-inf`` for a single cluster;
        embeddings differ across ``n_clusters`` when ``n_components`` is None.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if X.shape != self._fit_X.shape or not np.array_equal(X, self._fit_X):
            raise ValueError(
                "NCDSpectralClustering is transductive: score(X) needs the training "
                "data X. For cross-validation use cv=[(all, all)] with "
                "all = np.arange(n_samples).")
        mask = self.labels_ >= 0
        return silhouette(self.embedding_[mask], self.labels_[mask])
