"""iLA-SDP: iterative likelihood-adjusted SDP clustering of heterogeneous Gaussians."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import cpu_threads, fit_kmeans
from . import _lowrank
from ._base import (
    _POS_INT,
    _SDPBase,
    _choose_solver,
    _fill_empty,
    _label_factors,
    _peng_wei,
    _random_factors,
    _same_partition,
    _standardize,
    _stats_from_dense,
    _stats_from_factors,
    _subsample,
)
from ._exact import solve_exact
from ._problem import lasdp_problem

__all__ = ["ILASDP"]

_SCALINGS = ("standardized", "raw", "whitened")
_INITS = ("sdp", "sdp-standardized", "sdp-raw", "sdp-whitened", "kmeans")
_COV_TYPES = ("full", "diag", "spherical", "tied")


# ----------------------------------------------------------------------------- helpers
def _init_scaling(Xs, Xraw, scaling):
    """The rows an SDP k-means initialisation runs on.

    "standardized": z-scored features; "raw": the original geometry (centred,
    one global scale); "whitened": z-scored, then rotated and scaled to unit
    total covariance (directions with variance below 1e-10 of the largest are
    dropped), which makes the initialisation affine-invariant like the
    likelihood itself.
    """
    if scaling == "standardized":
        return Xs
    if scaling == "raw":
        return Xraw
    evals, evecs = np.linalg.eigh(np.cov(Xs.T).reshape(Xs.shape[1], Xs.shape[1]))
    ok = evals > 1e-10 * max(float(evals.max()), 1e-300)
    if not ok.any():  # every row alike: nothing to whiten
        return Xs
    return (Xs - Xs.mean(axis=0)) @ evecs[:, ok] / np.sqrt(evals[ok])


def _repair_small(labels, Z, n_clusters, n_min, rng):
    """Initial labels whose clusters all have at least ``n_min`` points, if possible.

    A cluster too small for its covariance (often a few outliers that SDP
    k-means set apart) would make the likelihood unbounded. Its points join
    the nearest other cluster (distances in ``Z``, the scaling the labels came
    from) and the largest cluster is split in two halves at the median of its
    first principal component (2-means would set the same outliers apart
    again), until every cluster is large enough or ``n_clusters`` repairs have
    been tried.
    """
    original = labels
    labels = labels.copy()
    if n_min <= 1 or len(labels) < n_clusters * n_min or Z.shape[1] == 0:
        return original
    for _ in range(n_clusters):
        counts = np.bincount(labels, minlength=n_clusters)
        small = np.flatnonzero(counts < n_min)
        if small.size == 0:
            return labels
        k = int(small[0])
        others = [j for j in range(n_clusters) if j != k and counts[j] > 0]
        if not others:
            return original
        centres = np.stack([Z[labels == j].mean(axis=0) for j in others])
        rows = np.flatnonzero(labels == k)
        d = ((Z[rows, None, :] - centres[None]) ** 2).sum(axis=2)
        labels[rows] = np.asarray(others)[np.argmin(d, axis=1)]
        counts = np.bincount(labels, minlength=n_clusters)
        big = int(np.argmax(counts))
        if counts[big] < 2 * n_min:
            return original
        members = np.flatnonzero(labels == big)
        Zc = Z[members] - Z[members].mean(axis=0)
        axis = np.linalg.svd(Zc, full_matrices=False)[2][0]
        order = np.argsort(Zc @ axis, kind="stable")
        labels[members[order[len(order) // 2:]]] = k
    return labels if np.bincount(labels, minlength=n_clusters).min() >= n_min \
        else original


def _qda_labels(Xs, means, covs):
    """argmin_k (x - mu_k)^T S_k^-1 (x - mu_k) + log|S_k| for rows ``Xs``."""
    K = means.shape[0]
    scores = np.empty((Xs.shape[0], K))
    for k in range(K):
        L = np.linalg.cholesky(covs[k])
        Y = np.linalg.solve(L, (Xs - means[k]).T)
        scores[:, k] = -(Y * Y).sum(axis=0) - 2.0 * np.log(np.diagonal(L)).sum()
    return _fill_empty(np.argmax(scores, axis=1).astype(np.int64), scores, K)



def _scatter(w, XBX, Xt):
    """M_k = X^T L(B_k) X = X^T diag(w_k) X - X^T B_k X, shape (S, K, p, p)."""
    XwX = torch.einsum("skn,np,nq->skpq", w, Xt, Xt)
    M = XwX - XBX
    return 0.5 * (M + M.transpose(-1, -2))


def _min_cluster_size(cov_type, p):
    """Fewest points whose scatter can be non-singular under ``cov_type``."""
    return {"full": p + 1, "diag": 2, "spherical": 2, "tied": 1}[cov_type]


class _SingularCovariance(ValueError):
    pass


def _cov_update(M, nhat, reg, cov_type):
    """Exact maximiser of the penalised objective in the covariances.

    Returns ``(cov, chol)``, each (K, p, p). ``M`` is PSD in exact arithmetic
    (a Laplacian's quadratic form); rounding can leave it slightly indefinite,
    in which case its negative eigenvalues are clipped. Raises
    :class:`_SingularCovariance` when even then ``cov`` is not numerically
    positive definite (``reg`` negligible against the data's scale).
    """
    K, p, _ = M.shape
    eye = torch.eye(p, dtype=M.dtype, device=M.device)

    def build(M):
        if cov_type == "tied":
            cov = (M.sum(dim=0) + reg * eye) / nhat.sum()
            return cov.expand(K, p, p).clone()
        cov = (M + reg * eye) / nhat[:, None, None]
        if cov_type == "diag":
            cov = torch.diag_embed(torch.diagonal(cov, dim1=1, dim2=2))
        elif cov_type == "spherical":
            var = torch.diagonal(cov, dim1=1, dim2=2).mean(dim=1)
            cov = var[:, None, None] * eye
        return cov

    def factor(cov):
        # a pivot below 1e-13 of its diagonal entry (a scale-free test) means the
        # factor is rounding noise, even when the factorisation "succeeds"
        chol, info = torch.linalg.cholesky_ex(cov)
        pivot = torch.diagonal(chol, dim1=1, dim2=2).pow(2) / torch.diagonal(
            cov, dim1=1, dim2=2)
        return chol, (info > 0) | ~(pivot.amin(dim=1) > 1e-13)

    cov = build(M)
    chol, failed = factor(cov)
    if bool(failed.any()):
        evals, evecs = torch.linalg.eigh(M)
        M = (evecs * evals.clamp_min(0.0)[:, None, :]) @ evecs.transpose(1, 2)
        cov = build(0.5 * (M + M.transpose(1, 2)))
        chol, failed = factor(cov)
        if bool(failed.any()):
            k = int(torch.nonzero(failed)[0, 0])
            raise _SingularCovariance(
                f"The covariance of cluster {k} is numerically singular even with "
                f"reg_covar={reg:g}: the cluster has (almost) no spread in some "
                "direction. Increase reg_covar, keep standardize=True, lower "
                "n_clusters or use covariance_type='diag' or 'spherical'.")
    return cov, chol


def _label_objective(Xt, labels, K, cov_type, reg, estimated):
    """Covariances, means and penalised objective of a hard labelling.

    Returns ``(F, means, cov, chol, log_w)`` with the closed-form covariance
    update of the labelling (torch tensors; ``F`` a float).
    """
    U = _label_factors(labels, K, K, 1, False, Xt.dtype, Xt.device)
    w, XBX = _stats_from_factors(U, Xt)
    M = _scatter(w, XBX, Xt)
    nhat = w.sum(dim=2)
    cov, chol = _cov_update(M[0], nhat[0], reg, cov_type)
    log_w = torch.log(nhat[0] / Xt.shape[0]) if estimated else None
    F = float(_objective(M, nhat, chol, reg, cov_type, log_w)[0][0])
    means = (w[0] @ Xt) / nhat[0][:, None]
    return F, means, cov, chol, log_w


def _cem(Xt, labels, K, cov_type, reg, n_min, estimated, max_iter=200):
    """Classification EM on the penalised objective: ``(labels, objective, steps)``.

    Hard-assignment coordinate ascent on the same objective the LA-SDP steps
    maximise: each step gives every row the cluster of largest
    ``-(x - mu_k)^T S_k^-1 (x - mu_k) - log|S_k| (+ 2 log pi_k)`` (the exact
    maximiser in the labels for the current means and covariances), then
    updates means and covariances in closed form. It stops when the partition
    repeats, when the objective does not increase, or when a cluster would
    fall below ``n_min`` points (the last accepted labelling is returned).
    Costs ``O(K n p^2)`` per step, negligible against an LA-SDP step; used to
    polish and rank the initial labellings.
    """
    try:
        F, means, cov, chol, log_w = _label_objective(Xt, labels, K, cov_type, reg,
                                                      estimated)
    except _SingularCovariance:
        return labels, -np.inf, 0
    if np.bincount(labels, minlength=K).min() < n_min:
        return labels, F, 0
    steps = 0
    for steps in range(1, max_iter + 1):
        logdet = 2.0 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(dim=1)
        scores = torch.empty(K, Xt.shape[0], dtype=Xt.dtype, device=Xt.device)
        for k in range(K):  # one (p, n) triangular solve per cluster
            Y = torch.linalg.solve_triangular(chol[k], (Xt - means[k]).T, upper=False)
            scores[k] = -(Y * Y).sum(dim=0) - logdet[k]
        if log_w is not None:
            scores = scores + 2.0 * log_w[:, None]
        new = torch.argmax(scores, dim=0).cpu().numpy().astype(np.int64)
        if _same_partition(new, labels, K) or \
                np.bincount(new, minlength=K).min() < n_min:
            break
        try:
            F_new, m_new, c_new, ch_new, lw_new = _label_objective(
                Xt, new, K, cov_type, reg, estimated)
        except _SingularCovariance:
            break
        if not F_new > F:
            break
        labels, F, means, cov, chol, log_w = new, F_new, m_new, c_new, ch_new, lw_new
    return labels, F, steps


def _objective(M, nhat, chol, reg, cov_type, log_w=None):
    """Penalised objective sum_k [-tr(S_k^-1 M_k) - nhat_k log|S_k|] - reg * pen.

    ``M`` (S, K, p, p), ``nhat`` (S, K), ``chol`` the Cholesky factors of the
    covariances (K, p, p), ``log_w`` (K,) optional log proportions (adds
    ``2 sum_k nhat_k log pi_k``); returns (S,) values and the unpenalised F.
    """
    eye = torch.eye(chol.shape[-1], dtype=chol.dtype, device=chol.device)
    prec = torch.cholesky_solve(eye.expand_as(chol), chol)
    logdet = 2.0 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(dim=1)
    F = -(prec[None] * M).sum(dim=(2, 3)).sum(dim=1) - (nhat * logdet[None]).sum(dim=1)
    if log_w is not None:
        F = F + 2.0 * (nhat * log_w[None]).sum(dim=1)
    tr_prec = torch.diagonal(prec, dim1=1, dim2=2).sum(dim=1)
    pen = tr_prec[0] if cov_type == "tied" else tr_prec.sum()
    return F - reg * pen, F




class ILASDP(_SDPBase):
    """Iterative likelihood-adjusted SDP clustering of heterogeneous Gaussians.

    The labels are parameters of the classification likelihood of a Gaussian
    mixture with cluster-specific covariances. Profiling out the means makes
    twice the log-likelihood linear in the membership matrices ``B_k``; each
    iteration maximises it over the LA-SDP relaxation (``B_k`` PSD, ``B_k >= 0``,
    ``tr B_k = 1``, ``sum_k B_k 1 = 1``) for the current covariances, then
    updates the covariances in closed form ``(X^T L(B_k) X + reg_covar I) / n_k``.
    Both steps maximise one penalised objective, which therefore never decreases
    (``objective_history_``). A safeguard keeps the current labelling whenever
    the solver returns a worse point. Data are z-scored internally; fitted
    attributes are in the original units.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters K.
    covariance_type : {"full", "diag", "spherical", "tied"}, default="full"
        Constraint on the cluster covariances (each update is the exact
        constrained maximiser). Prefer "diag" or "spherical" when the number of
        features is large against the cluster sizes.
    reg_covar : float, default=1e-6
        lambda, added to every scatter matrix (standardised units); required, as
        the unpenalised likelihood is unbounded (a single-point cluster).
    solver : {"auto", "exact", "lowrank"}, default="auto"
        Route of the LA-SDP steps, stored in ``solver_``. ``"auto"`` solves them
        low-rank at every n (an exact step has K dense blocks, K ``eigh`` per
        ADMM iteration, and its optimum is fractional when K exceeds the groups
        in the data) and the SDP k-means initialisation exactly up to
        ``max_exact_samples`` rows; ``"exact"`` and ``"lowrank"`` use that route
        for both (see :class:`SDPKMeans`).
    init : {"sdp", "sdp-standardized", "sdp-raw", "sdp-whitened", "kmeans"} or \
            array-like of shape (n_samples,), default="sdp"
        Initial labels. ``"sdp"``: SDP k-means (Peng-Wei) run in three
        scalings of the data (z-scored features; the original geometry, one
        global scale; whitened to unit total covariance), and the rounding of
        every start of its solver that converged is kept. Every distinct
        labelling is polished by classification EM (hard-assignment ascent of
        the same penalised objective, a few milliseconds) and the iterations
        run from the ``n_init_runs`` polished labellings of largest objective;
        the run with the largest penalised likelihood is kept (``init_`` names
        it). The likelihood is
        affine-invariant but k-means is not: z-scoring can hide clusters that
        differ along a few high-variance directions (noise coordinates then
        dominate), the raw geometry fails when features have different units,
        whitening when a few directions carry the separation. ``"sdp-..."``
        runs one of them; ``"kmeans"``: k-means++ (``n_init=10``) on the
        z-scored data (polished the same way); or given labels (used as they
        are).
    max_iter : int, default=30
        Maximum outer iterations (LA-SDP step + covariance update).
    tol : float, default=1e-3
        Stop when the labels repeat (as a partition) or when an iteration raises
        the average penalised log-likelihood per row, ``objective / (2 n)``, by
        less than ``tol`` (GaussianMixture's rule and default).
    n_restarts : int, default=4
        Random nonnegative starts of the low-rank solver besides the warm start
        from the current labels and the previous solution. They are drawn at
        the first iteration; each later iteration continues every random start
        from its own previous solution (a few hundred solver steps instead of
        thousands for a fresh draw).
    rank : int, default=2
        Columns of each block's factor in the low-rank route.
    solver_max_iter : int, default=50000
        Maximum steps of one SDP solve (projected-gradient steps of the
        low-rank route, or ADMM iterations capped at 5000 for the exact route),
        for the SDP k-means initialisation and every LA-SDP step.
    solver_tol : float, default=1e-5
        Constraint residual at which an SDP solve stops.
    standardize : bool, default=True
        z-score the features before fitting (attributes are mapped back).
    max_exact_samples : int, default=50
        Largest n for which ``solver="auto"`` solves the SDP k-means
        initialisation exactly.
    max_full_samples : int, default=100000
        Above this many rows, fit on ``subsample_size`` rows and assign every row
        by the quadratic discriminant rule.
    subsample_size : int, default=5000
    subsample_weighting : {"balanced", "uniform"}, default="balanced"
        "balanced" samples rows with probability inversely proportional to the
        size of their preliminary k-means cluster.
    init_sample_size : int, default=2000
        Above this many (fitted) rows the initialisations are compared on a
        random subsample of this size (SDP k-means in each scaling, the
        polishing, then the iterations with ``n_restarts`` random starts); the
        winner is lifted to every row by the quadratic discriminant rule,
        polished on all rows, and the iterations continue on all rows from it
        (warm start and previous solution only). This keeps the cost of the
        search independent of n.
    n_init_runs : int, default=1
        How many initial labellings (the best by the penalised objective after
        classification-EM polishing) the likelihood iterations run from; the
        run of largest objective is kept. Each extra run costs one full run.
    proportions : {"equal", "estimated"}, default="equal"
        "equal": the classification likelihood with equal mixing proportions.
        "estimated": proportions ``pi_k = n_k / n`` are parameters too (the
        objective gains ``2 sum_k n_k log pi_k``, each update is still an exact
        maximiser); ``predict`` then adds ``log weights_``.
    device : str, default="cpu"
        Torch device of the solvers ("cpu", "cuda", "cuda:N" or "auto").
    random_state : int, RandomState instance or None, default=None
        Seeds the solver starts, the subsamples and the k-means roundings.
    verbose : int, default=0
        0 is silent; 1 prints one line per initialisation run and per outer
        iteration; 2 also the solvers' progress.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row (argmax of the memberships; the QDA rule
        on rows outside the subsample). ``predict`` on training rows may differ.
    memberships_ : ndarray of shape (n_samples, n_clusters)
        Soft memberships ``(B_k 1)_i`` (rows sum to one).
    means_ : ndarray of shape (n_clusters, n_features)
    covariances_ : ndarray of shape (n_clusters, n_features, n_features)
        Full matrices in the original units for every ``covariance_type``.
    precisions_cholesky_ : ndarray of shape (n_clusters, n_features, n_features)
        ``P_k`` with ``P_k P_k^T = covariances_[k]^-1``.
    weights_ : ndarray of shape (n_clusters,)
        ``n_k / n``.
    objective_history_ : list of float
        Penalised objective after initialisation and after every iteration.
    n_iter_ : int
        Likelihood iterations run; 0 when they were skipped (one cluster, or an
        initial cluster too small for its covariance, which warns).
    history_ : list of dict
        Diagnostics records (the schema of the package): stage ``"init"``, one
        record per initial labelling tried (``"init"``;
        ``"screen_objective"`` after the classification-EM polishing and
        ``"cem_steps"`` its steps; ``"iterated"`` whether the iterations ran
        from it; ``"objective"`` at the end of its run, the screening value
        when not iterated; ``"n_iter"``; ``"n_samples"`` the rows it ran on: a
        subsample of ``init_sample_size`` rows for large n), then stage
        ``"iterations"``, one record per outer iteration of the kept run
        (``"objective"``, ``"labels_changed"``, ``"selected"`` the candidate
        that won the step: ``"warm"``, ``"prev-start"``, ``"prev"``,
        ``"randomJ"``, ``"sdp"`` or ``"labels"``, and ``"solver_steps"``).
    stop_reasons_ : dict
        Why each stage ended: ``"init"``: ``"completed"``; ``"iterations"``:
        ``"labels_repeat"``, ``"tol"``, ``"max_iter"``, ``"single_cluster"``
        or ``"degenerate_init"`` (iterations skipped).
    fit_seconds_ : float
        Wall-clock seconds of ``fit``.
    converged_ : bool
        False when ``max_iter`` was reached or the iterations were skipped.
    solver_ : str
    init_ : str
        The initialisation whose run was kept: "sdp-standardized", "sdp-raw",
        "sdp-whitened", "kmeans" or "given".
    subsample_indices_ : ndarray or None
    feature_mean_ : ndarray of shape (n_features,)
        Column means used to z-score (zeros when ``standardize=False``).
    feature_scale_ : ndarray of shape (n_features,)
        Column standard deviations used to z-score (ones when
        ``standardize=False``; 1 for a constant column). ``predict``,
        ``predict_proba`` and ``score_samples`` evaluate the model in the
        z-scored units of ``fit`` (``score_samples`` adds the Jacobian, so it
        is a density of the original data).
    n_features_in_ : int

    Notes
    -----
    Degenerate input never reaches LAPACK: constant columns are left out of
    the fit (their covariance is ``reg_covar``, the same in every cluster);
    when a cluster of the initial labelling has fewer points than its
    covariance needs (``n_features + 1`` for "full", 2 for "diag" and
    "spherical"), its likelihood is unbounded and the iterations are skipped
    with a :class:`~sklearn.exceptions.ConvergenceWarning`; an LA-SDP
    candidate with such a block is never selected; and when even
    ``reg_covar`` cannot make a covariance numerically positive definite
    (``standardize=False`` on data of huge scale) ``fit`` raises a
    ``ValueError`` naming ``reg_covar``.

    See Also
    --------
    SDPKMeans : the isotropic baseline used as initialisation.
    sklearn.mixture.GaussianMixture : EM for the same model.

    References
    ----------
    Y. Zhuang, X. Chen, Y. Yang, "Likelihood adjusted semidefinite programs for
    clustering heterogeneous data", ICML 2023 (the formulation here is derived
    from the likelihood; no reference code was available).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import ILASDP
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([0.3 * rng.randn(25, 2), 2.0 * rng.randn(25, 2) + [8, 0]])
    >>> model = ILASDP(n_clusters=2, random_state=0).fit(X)
    >>> np.bincount(model.labels_).tolist()
    [25, 25]
    """

    def __init__(self, n_clusters=8, *, covariance_type="full", reg_covar=1e-6,
                 solver="auto", init="sdp", max_iter=30, tol=1e-3, n_restarts=4,
                 rank=2, solver_max_iter=50000, solver_tol=1e-5, standardize=True,
                 max_exact_samples=50,
                 max_full_samples=100000, subsample_size=5000,
                 subsample_weighting="balanced", init_sample_size=2000,
                 n_init_runs=1, proportions="equal", device="cpu", random_state=None,
                 verbose=0):
        self.n_clusters = n_clusters
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.solver = solver
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.rank = rank
        self.solver_max_iter = solver_max_iter
        self.solver_tol = solver_tol
        self.standardize = standardize
        self.max_exact_samples = max_exact_samples
        self.max_full_samples = max_full_samples
        self.subsample_size = subsample_size
        self.subsample_weighting = subsample_weighting
        self.init_sample_size = init_sample_size
        self.n_init_runs = n_init_runs
        self.proportions = proportions
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    _parameter_constraints: dict = {
        **_SDPBase._parameter_constraints,
        "covariance_type": [StrOptions(set(_COV_TYPES))],
        "reg_covar": [Interval(Real, 0, None, closed="neither")],
        "init": [StrOptions(set(_INITS)), "array-like"],
        "max_iter": _POS_INT,
        "tol": [Interval(Real, 0, None, closed="left")],
        "rank": _POS_INT,
        "standardize": ["boolean"],
        "subsample_weighting": [StrOptions({"balanced", "uniform"})],
        "init_sample_size": [Interval(Integral, 2, None, closed="left")],
        "n_init_runs": _POS_INT,
        "proportions": [StrOptions({"equal", "estimated"})],
    }

    # ------------------------------------------------------------------ fit
    def _initial_candidates(self, Xfit, Xraw, K, idx, route, device, rng, n_min=1):
        """``[(name, labels)]``: the initial labellings the iterations start from.

        ``Xfit`` are the standardised rows, ``Xraw`` the same rows centred in
        their original units (one global scale).
        """
        init = self.init
        n = Xfit.shape[0]
        if isinstance(init, str):
            if init == "kmeans":
                labels, _, _ = fit_kmeans(Xfit, K, n_init=10, random_state=rng)
                cands = [("kmeans", _repair_small(labels, Xfit, K, n_min, rng))]
            else:
                scalings = _SCALINGS if init == "sdp" else (init[4:],)
                cands, failed = [], []
                for scaling in scalings:
                    Z = _init_scaling(Xfit, Xraw, scaling)
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", ConvergenceWarning)
                        starts, _, _, converged = _peng_wei(
                            Z, K, route, None, self.n_restarts, self.solver_tol,
                            min(self.solver_max_iter, 5000) if route == "exact"
                            else self.solver_max_iter, device, rng, self.verbose,
                            all_starts=True)
                    # every converged start's rounding is a candidate (the best
                    # SDP objective first); the likelihood ranks them
                    for labels in starts if converged else starts[:1]:
                        labels = _repair_small(_fill_empty(labels, np.zeros((n, K)), K),
                                               Z, K, n_min, rng)
                        if not converged:
                            failed.append((f"sdp-{scaling}", labels, caught))
                        elif not any(_same_partition(labels, c, K) for _, c in cands):
                            cands.append((f"sdp-{scaling}", labels))
                if not cands:  # no scaling's SDP converged: the first, with its warning
                    name, labels, caught = failed[0]
                    for w in caught:
                        warnings.warn(w.message, w.category, stacklevel=5)
                    cands = [(name, labels)]
        else:
            labels = np.asarray(init)
            n_total = n if idx is None else None
            if labels.ndim != 1 or (n_total is not None and labels.shape[0] != n_total) \
                    or not np.issubdtype(labels.dtype, np.integer):
                raise ValueError(
                    "init must be one of "
                    f"{_INITS} or an integer label array of shape "
                    f"(n_samples,), got {type(init).__name__} of shape "
                    f"{getattr(labels, 'shape', None)}.")
            if idx is not None:
                labels = labels[idx]
            if labels.min() < 0 or labels.max() >= K:
                raise ValueError(f"init labels must lie in [0, {K - 1}].")
            cands = [("given", labels)]
        return [(name, _fill_empty(np.asarray(lab, dtype=np.int64), np.zeros((n, K)), K))
                for name, lab in cands]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit iLA-SDP to X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : ILASDP
        """
        X, n, K, device = self._validate_common(X)
        cov_type = self.covariance_type
        reg = float(self.reg_covar)
        max_iter = int(self.max_iter)
        tol = float(self.tol)
        rank = int(self.rank)
        weighting = self.subsample_weighting
        if not isinstance(self.init, str):
            init_arr = np.asarray(self.init)
            if init_arr.ndim != 1 or init_arr.shape[0] != n:
                raise ValueError(
                    f"init labels must have shape (n_samples,) = ({n},), got "
                    f"{init_arr.shape}.")
        rng = check_random_state(self.random_state)
        if self.standardize:
            Xs, mean, scale, constant = _standardize(X)
        else:
            Xs, mean, scale = X.copy(), np.zeros(X.shape[1]), np.ones(X.shape[1])
            constant = np.ptp(X, axis=0) == 0
        # constant columns carry no cluster information and would give every
        # covariance a direction set by reg_covar alone: fit without them
        keep = ~constant
        if not keep.any():
            keep[0] = True
        # the same rows in their original geometry (centred, one global scale):
        # a candidate scaling for the SDP k-means initialisation
        Xraw = Xs[:, keep] * scale[keep]
        Xraw = Xraw / max(float(np.sqrt((Xraw ** 2).mean())), 1e-300)
        idx = None
        Xfit = Xs[:, keep]
        if n > self.max_full_samples:
            m = min(int(self.subsample_size), n)
            idx = _subsample(Xfit, m, weighting, K, rng)
            Xfit = Xfit[idx]
            Xraw = Xraw[idx]
        nfit, q = Xfit.shape
        # SDP k-means (one n x n block) is cheap exactly at small n; an LA-SDP step
        # has K blocks (K eigh per ADMM step) and its exact optimum is fractional
        # whenever K exceeds the groups in the data, so "auto" solves it low-rank
        init_route = _choose_solver(self.solver, nfit, 1, self.max_exact_samples)
        route = "exact" if self.solver == "exact" else "lowrank"
        if route == "exact":
            _choose_solver("exact", nfit, K, self.max_exact_samples)  # memory check
        init_n = int(self.init_sample_size)
        with cpu_threads(device, nfit * K * max(rank, 4)):
            if nfit > init_n and isinstance(self.init, str):
                # compare the initialisations on a subsample (all of the
                # multi-start machinery), lift the winner to every row by the
                # quadratic discriminant rule, then iterate on all rows from it
                sub = np.sort(rng.choice(nfit, size=init_n, replace=False))
                name, res = self._best_run(Xfit[sub], Xraw[sub], K, None, init_route,
                                           route, cov_type, reg, max_iter, tol, rank,
                                           device, rng, self.n_restarts)
                labels = _qda_labels(Xfit, res[1], res[2])
                init_name, result = self._best_run(
                    Xfit, None, K, idx, None, route, cov_type, reg, max_iter, tol, rank,
                    device, rng, 0, cands=[(name, labels)], record=False)
            else:
                init_name, result = self._best_run(
                    Xfit, Xraw, K, idx, init_route, route, cov_type, reg, max_iter, tol,
                    rank, device, rng, self.n_restarts)
        w, means_q, cov_q, history, n_iter, status = result
        # ---- the full model in standardised units, then the original units
        p = X.shape[1]
        means_s = np.zeros((K, p))
        means_s[:, keep] = means_q
        means_s[:, ~keep] = Xs[0, ~keep]
        cov_s = np.zeros((K, p, p))
        cov_s[np.ix_(np.arange(K), keep, keep)] = cov_q
        drop = np.flatnonzero(~keep)
        cov_s[:, drop, drop] = reg  # the constant columns: reg_covar alone, every cluster
        chol = np.linalg.cholesky(cov_s)
        eye = np.eye(p)
        prec_s = np.stack([np.linalg.solve(chol[k], eye).T for k in range(K)])
        self.feature_mean_ = mean
        self.feature_scale_ = scale
        self._means_std = means_s
        self._prec_chol_std = prec_s        # P P^T = covariance^-1, standardised units
        self.means_ = mean + means_s * scale
        self.covariances_ = cov_s * scale[None, :, None] * scale[None, None, :]
        self.precisions_cholesky_ = prec_s / scale[None, :, None]
        self.weights_ = w.sum(axis=0) / w.shape[0]
        self.objective_history_ = [float(v) for v in history]
        for it, rec in enumerate(status["records"], start=1):
            self._record("iterations", it, **rec)
        self.stop_reasons_["init"] = "completed"
        self.stop_reasons_["iterations"] = status["stop"]
        self.converged_ = bool(status["converged"])
        self.solver_ = route
        self.init_ = init_name
        self.subsample_indices_ = idx
        if idx is None:
            memberships = w
            labels = _fill_empty(np.argmax(w, axis=1).astype(np.int64), w, K)
        else:
            memberships = self._proba_std(Xs)
            labels = np.argmax(memberships, axis=1).astype(np.int64)
        self.memberships_ = memberships
        self.labels_ = labels
        self._finish(n_iter)
        if status["degenerate"] is not None:
            k, size = status["degenerate"]
            need = _min_cluster_size(cov_type, q)
            warnings.warn(
                f"ILASDP: cluster {k} of the initial labelling has {size} point(s); "
                f"a '{cov_type}' covariance needs at least {need} in {q} non-constant "
                f"feature(s), so its likelihood is unbounded (only reg_covar="
                f"{reg:g} bounds it) and the likelihood iterations were skipped: the "
                "initial labels are returned with regularised covariances. Lower "
                "n_clusters, or use covariance_type='diag', 'spherical' or 'tied'.",
                ConvergenceWarning, stacklevel=3)
        elif not status["converged"]:
            warnings.warn(
                f"ILASDP did not converge within max_iter={max_iter} iterations "
                "(labels still changing); increase max_iter or tol.",
                ConvergenceWarning, stacklevel=3)
        if status["solver_failures"]:
            warnings.warn(
                f"ILASDP: in {status['solver_failures']} of {n_iter} iterations no "
                "start of the LA-SDP solver reached its residual tolerance; those "
                "iterations kept the best feasible candidate (the current labels "
                "or the previous solution).", ConvergenceWarning, stacklevel=3)
        return self
    def _best_run(self, Xfit, Xraw, K, idx, init_route, route, cov_type, reg, max_iter,
                  tol, rank, device, rng, n_restarts, cands=None, record=True):
        """Iterate from every initial labelling; keep the largest penalised objective.

        A run whose initial clusters were too small for their covariances is
        kept only when every run was. ``record``: add an ``"init"`` record to
        ``history_`` per run.
        """
        n_min = _min_cluster_size(cov_type, Xfit.shape[1])
        if cands is None:
            cands = self._initial_candidates(Xfit, Xraw, K, idx, init_route, device, rng,
                                             n_min)
        # polish every initial labelling by classification EM (cheap) and run the
        # likelihood iterations from the n_init_runs best by the objective
        Xt = torch.as_tensor(Xfit, dtype=torch.float64, device=device)
        screened = []
        for name, labels in cands:
            if name == "given":  # the user's labels start the iterations as they are
                lab, F, steps = labels, 0.0, 0
            else:
                lab, F, steps = _cem(Xt, labels, K, cov_type, reg, n_min,
                                     self.proportions == "estimated")
            screened.append((name, lab, F, steps))
            self._log(f"n={len(Xfit)} init {name}: objective {F:.6g} after {steps} "
                      "classification-EM steps")
        order = sorted(range(len(screened)), key=lambda i: -screened[i][2])
        chosen = order[:int(self.n_init_runs)]
        if record:
            for i in order[int(self.n_init_runs):]:
                name, _, F, steps = screened[i]
                self._record("init", self._stage_epochs("init") + 1, init=name,
                             objective=float(F), screen_objective=float(F),
                             cem_steps=int(steps), n_iter=0,
                             n_samples=int(len(Xfit)), iterated=False)
        cands = [(screened[i][0], screened[i][1]) for i in chosen]
        screen = [screened[i] for i in chosen]
        runs = []
        for j, (name, labels) in enumerate(cands):
            try:
                result = self._iterate(Xfit, labels, K, route, cov_type, reg, max_iter,
                                       tol, rank, device, rng, n_restarts)
            except _SingularCovariance as exc:
                raise ValueError(f"ILASDP: {exc}") from None
            runs.append((name, result))
            if record:
                self._record("init", self._stage_epochs("init") + 1, init=name,
                             objective=float(result[3][-1]),
                             screen_objective=float(screen[j][2]),
                             cem_steps=int(screen[j][3]), n_iter=int(result[4]),
                             n_samples=int(len(Xfit)), iterated=True)
            self._log(f"n={len(Xfit)} init {name}: objective {result[3][-1]:.6g} "
                      f"after {result[4]} iterations")
        usable = [r for r in runs if r[1][5]["degenerate"] is None] or runs
        return max(usable, key=lambda r: r[1][3][-1])

    def _iterate(self, Xs, labels, K, route, cov_type, reg, max_iter, tol, rank,
                 device, rng, n_restarts):
        dtype = torch.float64
        Xt = torch.as_tensor(Xs, dtype=dtype, device=device)
        n, p = Xs.shape
        n_min = _min_cluster_size(cov_type, p)
        gen = torch.Generator(device=device)
        gen.manual_seed(int(rng.randint(0, 2**31 - 1)))

        def label_stats(lab):
            U = _label_factors(lab, K, K, rank, False, dtype, device)
            return _stats_from_factors(U, Xt)

        w, XBX = label_stats(labels)
        M = _scatter(w, XBX, Xt)
        nhat = w.sum(dim=2)
        cov, chol = _cov_update(M[0], nhat[0], reg, cov_type)
        estimated = self.proportions == "estimated"
        log_w = torch.log(nhat[0] / n) if estimated else None
        F_prev = float(_objective(M, nhat, chol, reg, cov_type, log_w)[0][0])
        history = [F_prev]
        status = {"converged": False, "degenerate": None, "solver_failures": 0,
                  "records": [], "stop": "max_iter"}
        chosen_w = w[0]
        counts = np.bincount(labels, minlength=K)

        def finish(n_iter):
            wf = chosen_w.T.clamp_min(0.0)
            wf = wf / wf.sum(dim=1, keepdim=True).clamp_min(1e-300)
            nh = chosen_w.sum(dim=1)
            means = (chosen_w @ Xt) / nh[:, None]
            return (wf.cpu().numpy(), means.cpu().numpy(), cov.cpu().numpy(), history,
                    n_iter, status)

        if K == 1:  # B = 1 1^T / n is the only feasible point
            status["converged"] = True
            status["stop"] = "single_cluster"
            return finish(0)
        if counts.min() < n_min:
            # early exit: the likelihood of this labelling is unbounded (only reg
            # bounds it) and an LA-SDP step would chase ever smaller clusters
            k = int(np.argmin(counts))
            status["degenerate"] = (k, int(counts[k]))
            status["stop"] = "degenerate_init"
            return finish(0)
        prev = None          # previous chosen point: dense B or factor U
        exact_state = None   # ADMM primal/dual state of the previous exact solve
        randoms = None       # the random starts, continued from iteration to iteration
        n_iter = 0
        for it in range(1, max_iter + 1):
            n_iter = it
            problem = lasdp_problem(Xt, chol, log_w)
            cand_w, cand_XBX, cand_pts, cand_names = [], [], [], []
            if route == "exact":
                B0 = None
                if prev is None:
                    U = _label_factors(labels, K, K, rank, False, dtype, device)
                    B0 = U[0] @ U[0].transpose(1, 2)
                B, einfo = solve_exact(problem.dense(), problem.traces, B0=B0,
                                       state=exact_state, tol=self.solver_tol,
                                       max_iter=min(self.solver_max_iter, 5000),
                                       verbose=self.verbose)
                steps = int(einfo["n_iter"])
                exact_state = einfo["state"]
                B = 0.5 * (B + B.transpose(1, 2))
                pts = [prev] if prev is not None else []
                if einfo["converged"]:
                    pts.insert(0, B.clamp_min(0.0))
                else:
                    status["solver_failures"] += 1
                for pt in pts:
                    ws, xs = _stats_from_dense(pt, Xt)
                    cand_w.append(ws)
                    cand_XBX.append(xs)
                    cand_pts.append(pt)
            else:
                warm = _label_factors(labels, K, K, rank, False, dtype, device,
                                      noise=0.01, generator=gen)
                starts = [warm]
                if prev is not None:
                    starts.append(prev[None])
                if n_restarts > 0:
                    if randoms is None:
                        randoms = _random_factors(n_restarts, K, n, rank, dtype,
                                                  device, gen)
                    starts.append(randoms)
                names = ["warm"] + (["prev-start"] if prev is not None else []) + [
                    f"random{j}" for j in range(n_restarts)]
                U, info = _lowrank.solve_lowrank(
                    problem, torch.cat(starts), tol=self.solver_tol,
                    max_iter=self.solver_max_iter, verbose=self.verbose)
                steps = int(info["n_iter"])
                # only starts that reached the residual tolerance compete: an
                # infeasible point's objective can exceed the optimum
                conv = info["converged"]
                if n_restarts > 0:  # continued at the next iteration
                    randoms = U[-n_restarts:]
                Uk = U[conv]
                cand_names = [nm for nm, c in zip(names, conv.tolist()) if c]
                if Uk.shape[0] == 0:
                    status["solver_failures"] += 1
                if prev is not None:
                    Uk = torch.cat([Uk, prev[None]])
                    cand_names.append("prev")
                if Uk.shape[0] > 0:
                    ws, xs = _stats_from_factors(Uk, Xt)
                    cand_w.append(ws)
                    cand_XBX.append(xs)
                    cand_pts.extend(list(Uk))
            # safeguard candidate: B(labels), when its clusters are large enough
            if np.bincount(labels, minlength=K).min() >= n_min or not cand_pts:
                wl, xl = label_stats(labels)
                cand_w.append(wl)
                cand_XBX.append(xl)
                cand_pts.append(None)
            W_all = torch.cat(cand_w)
            XBX_all = torch.cat(cand_XBX)
            M_all = _scatter(W_all, XBX_all, Xt)
            nhat_all = W_all.sum(dim=2)
            _, F_all = _objective(M_all, nhat_all, chol, reg, cov_type, log_w)
            # a candidate with a block of fewer than n_min (effective) points has a
            # covariance set by reg alone: its objective is an artefact, never chosen
            ok = (nhat_all >= n_min - 1e-6).all(dim=1)
            ok[-1] = True if cand_pts[-1] is None else ok[-1]
            F_sel = torch.where(ok, F_all, torch.full_like(F_all, -float("inf")))
            best = int(torch.argmax(F_sel))
            won = "labels" if cand_pts[best] is None else (
                cand_names[best] if route == "lowrank" else "sdp")
            chosen_w = W_all[best]
            pt = cand_pts[best]
            if pt is None:   # the current labelling won: keep it as the point
                U = _label_factors(labels, K, K, rank, False, dtype, device)
                pt = U[0] @ U[0].transpose(1, 2) if route == "exact" else U[0]
            prev = pt
            wnp = chosen_w.T.cpu().numpy()
            labels_new = _fill_empty(np.argmax(wnp, axis=1).astype(np.int64), wnp, K)
            cov, chol = _cov_update(M_all[best], nhat_all[best], reg, cov_type)
            if estimated:
                log_w = torch.log(nhat_all[best] / n)
            F_t = float(_objective(M_all[best:best + 1], nhat_all[best:best + 1], chol,
                                   reg, cov_type, log_w)[0][0])
            history.append(F_t)
            same = _same_partition(labels_new, labels, K)
            changed = int((labels_new != labels).sum())
            status["records"].append({"objective": F_t, "labels_changed": changed,
                                      "selected": won, "solver_steps": steps})
            self._log(f"n={n} iteration {it}: objective {F_t:.6g} from {won}, "
                      f"{changed} labels changed, {steps} solver steps")
            small = (F_t - F_prev) < tol * 2.0 * n
            labels, F_prev = labels_new, F_t
            if same or small:
                status["converged"] = True
                status["stop"] = "labels_repeat" if same else "tol"
                break
        return finish(n_iter)

    # ------------------------------------------------------------------ inference
    def _log_gauss_std(self, Xs):
        """Per-cluster log N(x; mu_k, Sigma_k) of standardised rows, shape (n, K).

        In the original units: subtract ``sum(log(feature_scale_))`` (the
        Jacobian of the z-scoring).
        """
        n, p = Xs.shape
        K = self._means_std.shape[0]
        out = np.empty((n, K))
        for k in range(K):  # K whitened GEMMs
            Y = (Xs - self._means_std[k]) @ self._prec_chol_std[k]
            logdet_prec = np.log(np.diagonal(self._prec_chol_std[k])).sum()
            out[:, k] = -0.5 * (Y * Y).sum(axis=1) + logdet_prec - 0.5 * p * np.log(2 * np.pi)
        return out

    def _log_prior(self):
        if getattr(self, "proportions", "equal") == "estimated":
            return np.log(np.maximum(self.weights_, 1e-300))
        return 0.0

    def _proba_std(self, Xs):
        logp = self._log_gauss_std(Xs) + self._log_prior()
        return np.exp(logp - logsumexp(logp, axis=1, keepdims=True))

    def _check_X(self, X):
        return self._standardized(X)

    def predict(self, X):
        """Quadratic-discriminant rule ``argmin_k (x-mu_k)^T S_k^-1 (x-mu_k) + log|S_k|``.

        Equal weights; on training rows this may differ from ``labels_`` (which
        come from the SDP memberships).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        Xs = self._check_X(X)
        return np.argmax(self._log_gauss_std(Xs) + self._log_prior(),
                         axis=1).astype(np.int64)

    def predict_proba(self, X):
        """Softmax of minus half the QDA scores (equal weights).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
        """
        return self._proba_std(self._check_X(X))

    def score_samples(self, X):
        """Log-likelihood ``log sum_k weights_k N(x; means_k, covariances_k)`` per row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
        """
        Xs = self._check_X(X)
        logp = self._log_gauss_std(Xs) + np.log(np.maximum(self.weights_, 1e-300))
        return logsumexp(logp, axis=1) - np.log(self.feature_scale_).sum()

    def score(self, X, y=None):
        """Mean log-likelihood of X under the fitted mixture (higher is better).

        As :meth:`sklearn.mixture.GaussianMixture.score`: held-out values compare
        across methods, never across ``n_clusters`` (use BIC for that).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        score : float
        """
        return float(self.score_samples(X).mean())

    def _n_parameters(self):
        """Free parameters of the fitted mixture, counted as GaussianMixture does."""
        check_is_fitted(self)
        K, p = self.means_.shape
        cov = {"full": K * p * (p + 1) / 2, "diag": K * p, "spherical": K,
               "tied": p * (p + 1) / 2}[self.covariance_type]
        return int(cov + K * p + K - 1)

    def bic(self, X):
        """Bayesian information criterion on X (lower is better).

        ``-2 * sum(score_samples(X)) + _n_parameters() * log(n_samples)``; use it
        (or :func:`skdeepcluster.model_selection.neg_bic`) to compare different
        ``n_clusters``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        bic : float
        """
        return float(-2 * self.score_samples(X).sum()
                     + self._n_parameters() * np.log(len(X)))

    def aic(self, X):
        """Akaike information criterion on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        aic : float
        """
        return float(-2 * self.score_samples(X).sum() + 2 * self._n_parameters())

