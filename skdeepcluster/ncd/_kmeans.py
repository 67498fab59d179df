"""NCD k-means: k-means on the unlabelled rows, seeded away from the known classes."""


import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import resolve_device
from ._base import (
    NCD_PARAMETER_CONSTRAINTS,
    K_MAX_ITER,
    K_N_INIT,
    K_TOL,
    NCDMixin,
    check_ncd_labels,
    check_ncd_n_clusters,
    choose_n_clusters,
    class_means,
    ncd_kmeans,
    nearest_center,
    silhouette,
)

__all__ = ["NCDKMeans"]


def estimate_n_novel(X, codes, n_known, k_range, seed, *, n_init=10, max_iter=300,
                     tol=1e-4, seeding="distance", device="cpu"):
    """``n_clusters="auto"`` of NCD k-means in the space of ``X``.

    Known classes hidden among the unlabelled rows (``choose_n_clusters``), each
    pool clustered by NCD k-means anchored at the means of the classes left
    labelled (at most ``K_N_INIT`` restarts); the silhouette of NCD k-means on
    the unlabelled rows without known classes. Also PBN's estimate (its latent
    space has been trained on the classes that would be hidden). Returns
    ``(k, scores)``.
    """
    Xu = X[codes < 0]
    kc = class_means(X, codes, n_known) if n_known else None
    params = dict(max_iter=max_iter, tol=tol, seeding=seeding, device=device)

    def run(kk):
        return Xu, ncd_kmeans(Xu, kk, kc, random_state=seed, n_init=n_init,
                              **params)[0]

    est_params = dict(params, n_init=min(n_init, K_N_INIT),
                      max_iter=min(max_iter, K_MAX_ITER), tol=max(tol, K_TOL))

    def prepare_pool(pool, rest, max_m, pool_seed):
        anchors = kc[rest] if len(rest) else None
        return lambda m: ncd_kmeans(X[pool], m, anchors, random_state=pool_seed,
                                    **est_params)[0]

    return choose_n_clusters(k_range, codes, n_known, prepare_pool, run, seed)


class NCDKMeans(NCDMixin, ClusterMixin, BaseEstimator):
    """k-means for novel class discovery (NCD k-means of Troisemaine et al.).

    The known classes only seed the search: each new centre is drawn among the
    unlabelled rows with probability growing with its distance to the nearest
    known-class mean or already chosen centre, so the novel centres start away
    from the known classes. Lloyd iterations then run on the unlabelled rows,
    updating only the novel centres.

    Labels follow scikit-learn's semi-supervised convention: ``y`` holds the known
    class of each labelled row and ``-1`` for unlabelled rows; string labels go in
    an object array whose unlabelled rows hold ``-1`` (or the string ``"-1"``).
    ``y=None`` clusters all rows (plain k-means with distance seeding).

    Parameters
    ----------
    n_clusters : int or "auto", default="auto"
        Number of novel clusters. ``"auto"`` estimates it from the known
        classes: some are hidden among the unlabelled rows and k is the number
        of clusters at which the hidden classes are recovered as that many
        clusters by NCD k-means (see the user guide, "Choosing the number of
        novel classes"). Without known classes (``y=None``) the mean silhouette
        is used instead.
    n_init : int, default=10
        Restarts; the run of smallest (unsquared) inertia is kept.
    max_iter : int, default=300
        Lloyd iterations per run.
    tol : float, default=1e-4
        Stop when ``(sum_j ||c_j^new - c_j^old||)^2 < tol``.
    seeding : {"distance", "squared"}, default="distance"
        Draw probabilities proportional to the distance (the reference code) or
        to the squared distance (k-means++, the paper's text).
    k_range : tuple of int, default=(1, 30)
        Candidate numbers of novel clusters for ``n_clusters="auto"`` (from 2
        without known classes).
    device : str, default="cpu"
        Where the distance computations and Lloyd updates run (float64 torch):
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``. The random draws of the
        seeding come from ``random_state``, so a seed gives the same run anywhere
        up to floating-point ties.
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Novel cluster (0 .. n_clusters_-1) of each unlabelled training row, -1 for
        the labelled (known-class) rows.
    transduction_ : ndarray of shape (n_samples,)
        One integer code per training row: ``i`` for a row of
        ``known_classes_[i]``, ``len(known_classes_) + c`` for a row put in novel
        cluster ``c``.
    known_classes_ : ndarray
        The known classes (sorted); empty when fitted with ``y=None``.
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
        Novel centres only.
    known_centers_ : ndarray of shape (n_known_classes, n_features)
        Means of the known classes (the seeding anchors).
    n_clusters_ : int
        Number of novel clusters (estimated when ``n_clusters="auto"``).
    k_scores_ : dict or None
        With ``n_clusters="auto"`` and known classes: for each candidate k, the
        number of clusters the hidden known classes occupied per hidden class
        (averaged over the splits; k is where it reaches 1); with a single
        known class, the F1 score of the cluster that best matches it. Without
        known classes: the silhouette per candidate k. None otherwise.
    inertia_ : float
        Sum of (unsquared) distances of the unlabelled rows to their centre.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.

    See Also
    --------
    NCDSpectralClustering, PBN

    References
    ----------
    C. Troisemaine et al., "A Practical Approach to Novel Class Discovery in
    Tabular Data", Data Mining and Knowledge Discovery, 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import NCDKMeans
    >>> X, t = make_blobs(300, centers=5, cluster_std=0.5, random_state=0)
    >>> y = np.where(t < 3, t, -1)          # classes 3 and 4 are novel
    >>> ncd = NCDKMeans(n_clusters=2, random_state=0).fit(X, y)
    >>> ncd.labels_[y >= 0][:3]             # known rows get -1
    array([-1, -1, -1])
    >>> np.unique(ncd.labels_[y == -1]).tolist()
    [0, 1]
    """

    _parameter_constraints: dict = dict(NCD_PARAMETER_CONSTRAINTS)

    def __init__(self, n_clusters="auto", *, n_init=10, max_iter=300, tol=1e-4,
                 seeding="distance", k_range=(1, 30), device="cpu",
                 random_state=None):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.seeding = seeding
        self.k_range = k_range
        self.device = device
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit on labelled rows (known classes) and unlabelled rows (``y == -1``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or None
            Known class per row, -1 for unlabelled rows; None: all unlabelled.

        Returns
        -------
        self : NCDKMeans
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        known, codes, classes = check_ncd_labels(y, len(X))
        Xu = X[~known]
        k = check_ncd_n_clusters(self.n_clusters, len(Xu), self.k_range)
        rng = check_random_state(self.random_state)
        kc = class_means(X, codes, len(classes)) if len(classes) else None
        params = dict(n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                      seeding=self.seeding, device=resolve_device(self.device))
        self.k_scores_ = None
        if k == "auto":
            k, self.k_scores_ = estimate_n_novel(
                X, codes, len(classes), self.k_range, rng.randint(2**31 - 1),
                n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                seeding=self.seeding, device=params["device"])
        labels, centers, inertia, n_iter = ncd_kmeans(Xu, k, kc, random_state=rng,
                                                      **params)
        self.n_clusters_ = int(k)
        self.cluster_centers_ = centers
        self.known_centers_ = kc if kc is not None else np.empty((0, X.shape[1]))
        self.inertia_ = inertia
        self.n_iter_ = int(n_iter)
        self._set_ncd_results(known, codes, classes, labels)
        return self

    def predict(self, X):
        """Nearest novel centre of each row (0 .. n_clusters_-1)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return nearest_center(X, self.cluster_centers_)

    def score(self, X, y=None):
        """Mean silhouette of ``predict(X)`` in the input space (higher is better).

        Computed on at most 2,000 rows (fixed subsample); ``-inf`` when all rows
        fall in one cluster. Being scale-free it compares across ``n_clusters``.
        ``y`` is ignored.
        """
        labels = self.predict(X)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return silhouette(X, labels)
