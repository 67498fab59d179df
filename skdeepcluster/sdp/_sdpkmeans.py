"""SDP k-means: the Peng-Wei relaxation, solved exactly (small n) or low-rank."""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import check_random_state

from ..utils import cluster_means, cpu_threads, squared_distances
from ._base import (
    _POS_INT,
    _SDPBase,
    _apply_scaling,
    _choose_solver,
    _fill_empty,
    _peng_wei,
    _standardize,
    _subsample,
)

__all__ = ["SDPKMeans"]


class SDPKMeans(_SDPBase):
    """Peng-Wei SDP relaxation of k-means, solved exactly (small n) or low-rank.

    Solves ``max <X X^T, Z>`` over ``Z`` PSD, ``Z >= 0``, ``Z 1 = 1``, ``tr Z = K``
    on the z-scored data, rounds ``Z`` by k-means++ (``n_init=10``) on its top-K
    eigenvectors (or the factor's top-K left singular vectors) and reports the
    cluster means in the original units. The relaxation is tight on
    well-separated clusters; it is an isotropic (equal spherical covariance)
    model, like k-means.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters K.
    solver : {"auto", "exact", "lowrank"}, default="auto"
        ``"exact"``: ADMM on the dense n x n matrix (O(n^2) memory, O(n^3) per
        step); ``"lowrank"``: nonnegative Burer-Monteiro ``Z = U U^T`` with
        ``U >= 0`` of rank ``rank`` (O(n K) memory). ``"auto"`` takes ``"exact"``
        up to ``max_exact_samples`` rows (and a 2 GiB memory estimate), else
        ``"lowrank"``. The choice is stored in ``solver_``.
    rank : int or None, default=None
        Columns of the factor U; None means ``2 * n_clusters``.
    n_restarts : int, default=4
        Random nonnegative starts of the low-rank solver, besides one warm start
        from a single k-means++ run; the start with the best SDP objective wins.
    solver_max_iter : int, default=50000
        Maximum solver steps (projected-gradient steps, or ADMM iterations capped
        at 5000 for the exact route).
    solver_tol : float, default=1e-5
        Constraint residual at which the solver stops.
    max_exact_samples : int, default=50
        Largest n for which ``solver="auto"`` uses the exact route. The exact
        ADMM needs hundreds to thousands of iterations of one O(n^3) ``eigh``,
        so the low-rank route is faster beyond a few dozen rows.
    max_full_samples : int, default=100000
        Above this many rows, fit on a subsample of ``subsample_size`` rows and
        assign every row to its nearest centre.
    subsample_size : int, default=5000
        Size of that subsample (drawn with probability inversely proportional
        to the size of a preliminary k-means cluster).
    device : str, default="cpu"
        Torch device of the solvers ("cpu", "cuda", "cuda:N" or "auto").
    random_state : int, RandomState instance or None, default=None
        Seeds the starts, the subsample and the rounding.
    verbose : int, default=0
        0 is silent; 1 prints one line per stage (the SDP solve, the rounding);
        2 also the solver's progress.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row.
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Cluster means in the original units.
    objective_ : float
        ``<X X^T, Z>`` of the solution on the standardised (sub)sample.
    solver_ : str
        The route used, ``"exact"`` or ``"lowrank"``.
    n_iter_ : int
        Solver steps taken.
    history_ : list of dict
        One record per stage, ``{"stage": "sdp", "epoch": 1, "solver_steps",
        "objective", "converged"}``, the diagnostics schema of the package.
    stop_reasons_ : dict
        ``{"sdp": "solver_tol"}`` when the solver reached its residual
        tolerance, ``"solver_max_iter"`` when it ran out of steps.
    fit_seconds_ : float
        Wall-clock seconds of ``fit``.
    subsample_indices_ : ndarray or None
        Rows the SDP was solved on when subsampling, else None.
    inertia_ : float
        Sum of squared distances of the training rows to their centre, in the
        z-scored units the SDP was solved in.
    feature_mean_ : ndarray of shape (n_features,)
        Column means of the training data (the fitted z-scoring).
    feature_scale_ : ndarray of shape (n_features,)
        Column standard deviations of the training data (1 for a constant
        column); ``predict`` and ``score`` measure distances in
        ``(X - feature_mean_) / feature_scale_``.
    n_features_in_ : int
        Number of features seen in fit.

    See Also
    --------
    ILASDP : the likelihood-adjusted SDP with cluster-specific covariances.

    References
    ----------
    J. Peng and Y. Wei, "Approximating K-means-type clustering via semidefinite
    programming", SIAM J. Optim. 18(1), 2007. Y. Zhuang, X. Chen, Y. Yang,
    R. Y. Zhang, "Statistically optimal K-means clustering via nonnegative
    low-rank semidefinite programming", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import SDPKMeans
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.randn(20, 2), rng.randn(20, 2) + 6])
    >>> model = SDPKMeans(n_clusters=2, random_state=0).fit(X)
    >>> np.bincount(model.labels_).tolist()
    [20, 20]
    """

    def __init__(self, n_clusters=8, *, solver="auto", rank=None, n_restarts=4,
                 solver_max_iter=50000, solver_tol=1e-5, max_exact_samples=50,
                 max_full_samples=100000, subsample_size=5000, device="cpu",
                 random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.solver = solver
        self.rank = rank
        self.n_restarts = n_restarts
        self.solver_max_iter = solver_max_iter
        self.solver_tol = solver_tol
        self.max_exact_samples = max_exact_samples
        self.max_full_samples = max_full_samples
        self.subsample_size = subsample_size
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    _parameter_constraints: dict = {
        **_SDPBase._parameter_constraints,
        "rank": _POS_INT + [None],
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Solve the SDP on X and round it to ``n_clusters`` clusters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : SDPKMeans
        """
        X, n, K, device = self._validate_common(X)
        max_iter = int(self.solver_max_iter)
        tol = float(self.solver_tol)
        rng = check_random_state(self.random_state)
        Xs, mean, scale, _ = _standardize(X)
        idx = None
        Xfit = Xs
        if n > self.max_full_samples:
            m = min(int(self.subsample_size), n)
            idx = _subsample(Xs, m, "balanced", K, rng)
            Xfit = Xs[idx]
        nfit = Xfit.shape[0]
        route = _choose_solver(self.solver, nfit, 1, self.max_exact_samples)
        with cpu_threads(device, nfit * max(K, 1) * 4):
            labels, objective, n_steps, converged = _peng_wei(
                Xfit, K, route, self.rank, self.n_restarts, tol,
                min(max_iter, 5000) if route == "exact" else max_iter,
                device, rng, self.verbose)
        labels = _fill_empty(labels, np.zeros((nfit, K)), K)
        centers = cluster_means(Xfit, labels, K)  # no cluster is empty here
        if idx is not None:  # lift: nearest centre in the units the SDP was solved in
            labels = self._nearest(Xs, centers)
        self.feature_mean_ = mean
        self.feature_scale_ = scale
        self.cluster_centers_ = mean + centers * scale
        self.labels_ = labels.astype(np.int64)
        self.objective_ = float(objective)
        self.solver_ = route
        self.subsample_indices_ = idx
        self.inertia_ = float(((Xs - centers[self.labels_]) ** 2).sum())
        self._record("sdp", 1, solver_steps=int(n_steps), objective=float(objective),
                     converged=bool(converged))
        self.stop_reasons_["sdp"] = "solver_tol" if converged else "solver_max_iter"
        self._log(f"SDP ({route}, n={nfit}): {n_steps} solver steps, objective "
                  f"{objective:.6g}, inertia {self.inertia_:.6g}")
        self._finish(max(n_steps, 1))
        return self

    def _nearest(self, X, centers):
        return np.argmin(squared_distances(X, centers), axis=1).astype(np.int64)

    def _centers_standardized(self):
        return _apply_scaling(self.cluster_centers_, self.feature_mean_,
                              self.feature_scale_)

    def predict(self, X):
        """Nearest cluster centre of each row, in the z-scored units of ``fit``.

        Distances are measured after the training data's z-scoring
        (``feature_mean_``, ``feature_scale_``), as in ``fit``; on the training
        rows ``predict`` therefore reproduces ``labels_`` whenever ``labels_``
        are the nearest-centre labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        Xs = self._standardized(X)
        return self._nearest(Xs, self._centers_standardized())

    def score(self, X, y=None):
        """Minus the inertia of X against the fitted centres (higher is better).

        Measured in the z-scored units of ``fit`` (``score(X_train)`` is
        ``-inertia_`` when the labels are nearest-centre labels): the isotropic
        Gaussian log-likelihood up to scale and a constant. As for
        :class:`~sklearn.cluster.KMeans` it grows with ``n_clusters``, so never
        compare it across numbers of clusters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        score : float
        """
        Xs = self._standardized(X)
        d = squared_distances(Xs, self._centers_standardized())
        return -float(d.min(axis=1).sum())


