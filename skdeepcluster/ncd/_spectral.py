"""NCD spectral clustering: a joint spectral embedding of known and unlabelled rows."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from scipy.linalg import eigh
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import check_memory, knn_indices, resolve_device
from ..utils._graph import _by_eigenvalue, _graph_embedding
from ..utils._validation import clip_n_neighbors
from ._base import (
    NCD_PARAMETER_CONSTRAINTS,
    K_MAX_ITER,
    K_N_INIT,
    K_TOL,
    NCDMixin,
    candidate_ks,
    check_ncd_labels,
    check_ncd_n_clusters,
    choose_n_clusters,
    class_means,
    ncd_kmeans,
    silhouette,
)

__all__ = ["NCDSpectralClustering", "spectral_embedding_mst"]

#: Dense n x n matrices above this many bytes raise a clear error.
MAX_DENSE_BYTES = 4 * 2**30
#: ``approximation="auto"`` uses the exact dense embedding up to this many rows
#: and the Nystrom approximation above (the dense eigendecomposition of 5,000
#: rows takes about a minute on one CPU core, and grows as n^3).
DENSE_MAX_ROWS = 5000


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
        return _dense_embedding_torch(D2, sigma, top, device), sigma
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


def _dense_embedding_torch(D2, sigma, top, device):
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


def _knn_sq_distances(X, n_neighbors, device):
    """Symmetric sparse matrix of the squared distances along k-NN edges (zero
    distances kept as the smallest positive float, so duplicates stay linked)."""
    n = len(X)
    k = int(min(n_neighbors, n - 1))
    idx = knn_indices(X, k, device=device)
    rows = np.repeat(np.arange(n), k)
    cols = idx.ravel()
    d2 = ((X[rows] - X[cols]) ** 2).sum(1)
    d2 = np.maximum(d2, np.finfo(np.float64).tiny)
    G = sp.csr_matrix((d2, (rows, cols)), shape=(n, n))
    return G.maximum(G.T).tocsr()


def _sigma(m, min_dist):
    return float(np.sqrt(-m / np.log(min_dist))) if m > 0 else 1.0


def _connect_components(X, G, device):
    """Add to the k-NN graph ``G`` (squared distances) the shortest edge leaving
    each connected component, round after round until it is connected
    (Boruvka). These edges belong to the minimum spanning tree of all pairs, so
    its largest edge is kept. Each round costs one chunked O(n^2) pass (none when
    the k-NN graph is already connected)."""
    n = len(X)
    n_comp, comp = connected_components(G, directed=False)
    if n_comp == 1:
        return G
    Xt = torch.as_tensor(X, dtype=torch.float64, device=device)
    sq = (Xt * Xt).sum(1)
    chunk = max(1, (1 << 24) // n)
    G = G.tolil()
    while n_comp > 1:
        ct = torch.as_tensor(comp, device=device)
        best_d, best_j = [], []
        for start in range(0, n, chunk):
            d = sq[start:start + chunk, None] + sq[None, :] - 2.0 * (
                Xt[start:start + chunk] @ Xt.T)
            d = d.clamp_(min=0.0)
            d[ct[start:start + chunk, None] == ct[None, :]] = float("inf")
            v, j = d.min(dim=1)
            best_d.append(v.cpu().numpy())
            best_j.append(j.cpu().numpy())
        best_d, best_j = np.concatenate(best_d), np.concatenate(best_j)
        for c in range(n_comp):
            rows = np.flatnonzero(comp == c)
            i = rows[np.argmin(best_d[rows])]
            j = best_j[i]
            w = max(float(best_d[i]), np.finfo(np.float64).tiny)
            G[i, j] = G[j, i] = w
        n_comp, comp = connected_components(G.tocsr(), directed=False)
    return G.tocsr()


def _sigma_from_knn(X, G, min_dist, device):
    """Kernel width from the largest edge of the minimum spanning tree of the
    k-NN graph made connected (:func:`_connect_components`), the sparse
    stand-in for the MST of all pairs. Returns ``sigma`` and the connected
    graph."""
    G = _connect_components(X, G, device)
    mst = minimum_spanning_tree(G)
    m = float(mst.max()) if mst.nnz else 0.0
    return _sigma(m if m > np.finfo(np.float64).tiny * 2 else 0.0, min_dist), G


def spectral_embedding_nystrom(X, n_components, min_dist=0.6, *, n_landmarks=1000,
                               n_neighbors=15, random_state=None, device="cpu"):
    """Nystrom approximation of :func:`spectral_embedding_mst` for large inputs.

    The kernel width comes from the minimum spanning tree of the k-NN graph
    (``n_neighbors``) joined into one component by the shortest edges between
    its components (the largest edge of the exact minimum spanning tree when the
    k-NN graph holds the exact tree's other edges). The Gaussian affinity is approximated from its columns at
    ``n_landmarks`` random rows, ``A ~ C W^+ C^T`` (Fowlkes et al., 2004),
    degrees included; the leading eigenvectors of the normalised affinity
    ``D^-1/2 A D^-1/2`` come from an ``n x n_landmarks`` factor, and a
    Rayleigh-Ritz step on the leading ones removes the self-affinities (the
    exact embedding zeroes the diagonal). Memory and time O(n * n_landmarks).
    Returns the embedding (eigenvectors 1..n_components, the first skipped) and
    ``sigma``.
    """
    n = len(X)
    rng = check_random_state(random_state)
    G = _knn_sq_distances(X, n_neighbors, device)
    sigma, _ = _sigma_from_knn(X, G, min_dist, device)
    n_land = int(min(n_landmarks, n))
    check_memory(3 * 8 * n * n_land, MAX_DENSE_BYTES,
                 f"The Nystrom embedding of {n} rows with {n_land} landmarks",
                 "Lower n_landmarks or subsample the rows.")
    land = np.sort(rng.choice(n, n_land, replace=False))
    C = euclidean_distances(X, X[land], squared=True)
    C *= -1.0 / (2.0 * sigma**2)
    np.exp(C, out=C)
    w, U = eigh(C[land])
    keep = w > w.max() * 1e-10
    w, U = w[keep], U[:, keep]
    # degrees of C W^+ C^T, less the self-affinity exp(0) = 1 of each row
    deg = C @ (U @ ((U.T @ C.sum(0)) / w)) - 1.0
    deg = np.maximum(deg, np.finfo(np.float64).tiny)
    Q = (C / np.sqrt(deg)[:, None]) @ (U / np.sqrt(w))
    del C
    s2, V = eigh(Q.T @ Q)
    order = np.argsort(-s2)
    order = order[s2[order] > s2[order[0]] * 1e-12][: 2 * (n_components + 1) + 20]
    Up = (Q @ V[:, order]) / np.sqrt(s2[order])
    T = np.diag(s2[order]) - Up.T @ (Up / deg[:, None])
    t, R = eigh(T)
    top = np.argsort(-t)[: n_components + 1]
    return (Up @ R[:, top])[:, 1:], sigma


def spectral_embedding_knn(X, n_components, min_dist=0.6, *, n_neighbors=15,
                           random_state=None, device="cpu"):
    """The Gaussian affinity of :func:`spectral_embedding_mst` kept on the k-NN
    edges only (sparse; plus the shortest edges joining its components), its
    leading eigenvectors by LOBPCG on ``device``
    (:func:`skdeepcluster.utils._graph._graph_embedding`). Memory
    O(n * n_neighbors). Returns the embedding and ``sigma``."""
    n = len(X)
    # the graph joined into one component: with detached components the
    # leading eigenvalue 1 would be repeated and "skip the first eigenvector"
    # would drop an arbitrary mix of component indicators
    sigma, G = _sigma_from_knn(X, _knn_sq_distances(X, n_neighbors, device), min_dist,
                               device)
    A = G.copy()
    A.data = np.exp(-A.data / (2.0 * sigma**2))
    top = int(min(n_components + 1, n - 1))
    seed = int(check_random_state(random_state).randint(2**31 - 1))
    emb = _graph_embedding(A, top, torch.device(device), seed)
    order, V = _by_eigenvalue(A, emb)
    return V[:, order][:, 1:top], sigma


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
        Number of novel clusters. ``"auto"`` estimates it from the known
        classes: some are hidden among the unlabelled rows and k is the number
        of clusters at which the hidden classes are recovered as that many
        clusters, in this estimator's embedding with NCD k-means (see the user
        guide, "Choosing the number of novel classes"). Without known classes
        (``y=None``) the mean silhouette is used instead.
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
    k_range : tuple of int, default=(1, 30)
        Candidate numbers of novel clusters for ``n_clusters="auto"`` (from 2
        without known classes).
    approximation : {"auto", "exact", "nystrom", "knn"}, default="auto"
        How the embedding is computed. ``"exact"``: the dense affinity and its
        eigendecomposition, O(n^2) memory and O(n^3) time. ``"nystrom"``: the
        same affinity approximated from ``n_landmarks`` random columns, O(n *
        n_landmarks). ``"knn"``: the affinity kept on the ``n_neighbors``
        nearest-neighbour edges only (sparse graph, LOBPCG eigensolver; it lost
        accuracy against the exact embedding on Letter, see the user guide).
        ``"auto"``: exact up to 5,000 rows, Nystrom above.
    n_landmarks : int, default=1000
        Landmark rows of the Nystrom approximation.
    n_neighbors : int, default=15
        Neighbours per row of the k-NN graph that gives the kernel width (its
        minimum spanning tree) for ``"nystrom"`` and ``"knn"``, and the graph of
        ``"knn"``. A value of at least ``n_samples`` is reduced to
        ``n_samples - 1``, with a :class:`UserWarning`.
    device : str, default="cpu"
        Where the exact eigendecomposition and the k-means run: on the CPU with
        LAPACK's subset eigensolver, elsewhere (``"cuda"``, ``"auto"``) with
        torch's dense ``eigh`` on the device. The Nystrom factorisation runs on
        the CPU.
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
    approximation_ : str
        The embedding actually computed ("exact", "nystrom" or "knn").
    n_clusters_ : int
    k_scores_ : dict or None
        With ``n_clusters="auto"`` and known classes: for each candidate k, the
        number of clusters the hidden known classes occupied per hidden class
        (averaged over the splits; k is where it reaches 1); with a single
        known class, the F1 score of the cluster that best matches it. Without
        known classes: the silhouette per candidate k. None otherwise.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.

    Notes
    -----
    The exact embedding costs O(n^2) memory and O(n^3) time: about a minute for
    5,000 rows on one CPU core; a clear ``ValueError`` is raised before
    allocating more than 4 GiB. Above 5,000 rows the default switches to the
    Nystrom approximation (20,000 rows: seconds for the embedding).

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

    _parameter_constraints: dict = {
        **NCD_PARAMETER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "min_dist": [Interval(Real, 0, 1, closed="neither")],
        "approximation": [StrOptions({"auto", "exact", "nystrom", "knn"})],
        "n_landmarks": [Interval(Integral, 1, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_clusters="auto", *, n_components=None, min_dist=0.6,
                 n_init=10, max_iter=1000, tol=1e-10, seeding="distance",
                 k_range=(1, 30), approximation="auto", n_landmarks=1000,
                 n_neighbors=15, device="cpu", random_state=None):
        self.n_clusters = n_clusters
        self.n_components = n_components
        self.min_dist = min_dist
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.seeding = seeding
        self.k_range = k_range
        self.approximation = approximation
        self.n_landmarks = n_landmarks
        self.n_neighbors = n_neighbors
        self.device = device
        self.random_state = random_state

    def _embed(self, X, n_components, device, rng):
        approx = self.approximation
        if approx == "auto":
            approx = "exact" if len(X) <= DENSE_MAX_ROWS else "nystrom"
        self.approximation_ = approx
        if approx == "exact":
            return spectral_embedding_mst(X, n_components, self.min_dist, device=device)
        seed = int(rng.randint(2**31 - 1))
        k = clip_n_neighbors(self.n_neighbors, len(X), owner="NCDSpectralClustering",
                             stacklevel=5)
        if approx == "nystrom":
            return spectral_embedding_nystrom(
                X, n_components, self.min_dist, n_landmarks=self.n_landmarks,
                n_neighbors=k, random_state=seed, device=device)
        return spectral_embedding_knn(X, n_components, self.min_dist, n_neighbors=k,
                                      random_state=seed, device=device)

    @_fit_context(prefer_skip_nested_validation=True)
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
        n_u = int((~known).sum())
        k = check_ncd_n_clusters(self.n_clusters, n_u, self.k_range)
        rng = check_random_state(self.random_state)
        n_known = len(classes)
        if k == "auto":
            ks = candidate_ks(self.k_range, n_u, k_min=1 if n_known else 2)
        else:
            ks = [k]
        if self.n_components is not None:
            n_comp_max = self.n_components
        else:
            n_comp_max = max(ks) + n_known
        device = resolve_device(self.device)
        E_full, self.sigma_ = self._embed(X, n_comp_max, device, rng)
        if self.n_components is not None and E_full.shape[1] < self.n_components:
            warnings.warn(
                f"n_components={self.n_components} but the embedding of {len(X)} rows "
                f"has {E_full.shape[1]} non-trivial eigenvectors; using {E_full.shape[1]}. "
                "Pass a smaller n_components (or None: k + the number of known "
                "classes).", UserWarning, stacklevel=2)
        params = dict(max_iter=self.max_iter, tol=self.tol, seeding=self.seeding,
                      device=device)

        def space(kk):
            nc = self.n_components if self.n_components is not None else kk + n_known
            return E_full[:, :nc]

        def run(kk, random_state, n_init=self.n_init):
            E = space(kk)
            kc = class_means(E, codes, n_known) if n_known else None
            return E, ncd_kmeans(E[~known], kk, kc, random_state=random_state,
                                 n_init=n_init, **params)

        self.k_scores_ = None
        if k == "auto":
            seed = rng.randint(2**31 - 1)

            def score_run(kk):
                E, res = run(kk, seed)
                return E[~known], res[0]

            est_params = dict(params, n_init=min(self.n_init, K_N_INIT),
                              max_iter=min(self.max_iter, K_MAX_ITER),
                              tol=max(self.tol, K_TOL))

            def prepare_pool(pool, rest, max_m, pool_seed):
                r = n_known - len(rest)

                def cluster(m):
                    E = space(m - r)
                    anchors = class_means(E, codes, n_known)[rest] if len(rest) else None
                    return ncd_kmeans(E[pool], m, anchors, random_state=pool_seed,
                                      **est_params)[0]
                return cluster

            k, self.k_scores_ = choose_n_clusters(self.k_range, codes, n_known,
                                                  prepare_pool, score_run, seed)
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
