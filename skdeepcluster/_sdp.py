"""SDP k-means (Peng-Wei) and iterative likelihood-adjusted SDP clustering (iLA-SDP).

Two solvers back both estimators (see :mod:`skdeepcluster.sdp`):

* ``"exact"``: ADMM on the dense n x n blocks (torch, float64), O(K n^2) memory and
  one ``eigh`` per block and iteration: small n only;
* ``"lowrank"``: nonnegative Burer-Monteiro factorisation with an augmented
  Lagrangian and projected gradient + Armijo, several starts solved as one batch,
  O(n (p + K r)) memory: never an n x n array.

Above ``max_full_samples`` the estimators fit on a subsample and lift the
solution to every row (nearest centre for SDP k-means, the quadratic
discriminant rule for iLA-SDP).
"""

import numbers
import warnings

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .sdp._exact import solve_exact
from .sdp._lowrank import solve_lowrank
from .sdp._problem import (
    exact_memory_bytes,
    lasdp_problem,
    peng_wei_problem,
)
from .utils import (
    check_memory,
    check_n_clusters,
    cpu_threads,
    fit_kmeans,
    resolve_device,
)

__all__ = ["SDPKMeans", "ILASDP"]

#: The exact route refuses problems whose dense ADMM state exceeds this.
EXACT_MEMORY_LIMIT = 2 * 2**30

_SCALINGS = ("standardized", "raw", "whitened")
_INITS = ("sdp", "sdp-standardized", "sdp-raw", "sdp-whitened", "kmeans")
_COV_TYPES = ("full", "diag", "spherical", "tied")


# ----------------------------------------------------------------------------- helpers
def _check_choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}.")
    return value


def _check_int(name, value, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def _check_float(name, value, low, strict=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}.")
    if (value <= low) if strict else (value < low):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {low}, got {value!r}.")
    return float(value)


def _standardize(X):
    """z-score the columns; return ``(Xs, mean, scale, constant)``.

    Computed on columns divided by their largest magnitude first, so features of
    scale 1e-200 or 1e200 neither underflow to "constant" nor overflow. A column
    whose spread is below 1e-12 of its magnitude is constant: scale 1 and an
    exactly zero standardised column.
    """
    absmax = np.abs(X).max(axis=0)
    safe = np.where(absmax > 0, absmax, 1.0)
    Xn = X / safe
    mean_n = Xn.mean(axis=0)
    std_n = Xn.std(axis=0)
    constant = std_n <= 1e-12
    std_n = np.where(constant, 1.0, std_n)
    Xs = (Xn - mean_n) / std_n
    Xs[:, constant] = 0.0
    return Xs, mean_n * safe, np.where(constant, 1.0, std_n * safe), constant


def _apply_scaling(X, mean, scale):
    return (X - mean) / scale


def _n_distinct_rows(X):
    return np.unique(X, axis=0).shape[0]


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


def _warn_distinct(X, n_clusters):
    """KMeans' warning when X has fewer distinct rows than clusters."""
    if n_clusters < 2:
        return
    n_distinct = _n_distinct_rows(X)
    if n_distinct < n_clusters:
        warnings.warn(
            f"X has only {n_distinct} distinct rows, fewer than n_clusters="
            f"{n_clusters}: some clusters will hold copies of one point. Lower "
            "n_clusters or remove duplicate rows.", ConvergenceWarning, stacklevel=3)


def _choose_solver(solver, n, n_blocks, max_exact_samples):
    """Return "exact" or "lowrank" for a (sub)problem with n rows."""
    need = exact_memory_bytes(n, n_blocks)
    if solver == "exact":
        check_memory(
            need, EXACT_MEMORY_LIMIT, f"The exact SDP solver at n_samples={n}",
            "Use solver='lowrank' (linear memory in n) or solver='auto'.")
        return "exact"
    if solver == "lowrank":
        return "lowrank"
    if n <= max_exact_samples and need <= EXACT_MEMORY_LIMIT:
        return "exact"
    return "lowrank"


def _subsample(Xs, m, weighting, n_clusters, rng):
    """Indices of a size-m subsample, uniform or balanced over a k-means labelling."""
    n = Xs.shape[0]
    if weighting == "uniform":
        return np.sort(rng.choice(n, size=m, replace=False))
    labels, _, _ = fit_kmeans(Xs, n_clusters, n_init=3, random_state=rng)
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    prob = 1.0 / counts[labels]
    prob /= prob.sum()
    return np.sort(rng.choice(n, size=m, replace=False, p=prob))


def _fill_empty(labels, scores, n_clusters):
    """Give every empty cluster the row scoring highest for it (rows of clusters of size > 1)."""
    labels = labels.copy()
    for _ in range(n_clusters):
        counts = np.bincount(labels, minlength=n_clusters)
        empty = np.flatnonzero(counts == 0)
        if empty.size == 0:
            break
        k = empty[0]
        movable = counts[labels] > 1
        cand = np.where(movable, scores[:, k], -np.inf)
        labels[int(np.argmax(cand))] = k
    return labels


def _same_partition(a, b, n_clusters):
    """Whether two labellings are the same partition (up to renaming clusters)."""
    table = np.zeros((n_clusters, n_clusters), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    return bool(((table > 0).sum(axis=0) <= 1).all() and ((table > 0).sum(axis=1) <= 1).all())


def _label_factors(labels, n_clusters, n_blocks, rank, traces_one_block, dtype, device,
                   noise=0.0, generator=None):
    """Factor(s) of B(labels): (1, K_b, n, r). Peng-Wei: one block with K columns."""
    n = labels.shape[0]
    lab = torch.as_tensor(labels, device=device)
    onehot = torch.nn.functional.one_hot(lab, n_clusters).to(dtype)  # (n, K)
    sizes = onehot.sum(dim=0).clamp_min(1.0)
    F = onehot / sizes.sqrt()
    if traces_one_block:  # Peng-Wei: Z = F F^T
        U = torch.zeros(1, 1, n, rank, dtype=dtype, device=device)
        U[0, 0, :, :n_clusters] = F
    else:  # LA-SDP: B_k = f_k f_k^T
        U = torch.zeros(1, n_blocks, n, rank, dtype=dtype, device=device)
        U[0, :, :, 0] = F.T
    if noise > 0:
        U = U + noise * torch.rand(U.shape, dtype=dtype, device=device,
                                   generator=generator) / np.sqrt(n)
    return U


def _stats_from_factors(U, Xt):
    """Memberships (S, K_b, n) and X^T B_k X (S, K_b, p, p) of B_k = U_k U_k^T."""
    colsum = U.sum(dim=2)
    w = torch.einsum("sknr,skr->skn", U, colsum)
    XtU = torch.einsum("np,sknr->skpr", Xt, U)
    XBX = XtU @ XtU.transpose(2, 3)
    return w, XBX


def _stats_from_dense(B, Xt):
    # ADMM meets the sign constraint only to its tolerance; a negative entry
    # would make L(B) indefinite and the covariance update not PSD
    B = B.clamp_min(0.0)
    w = B.sum(dim=2)
    XBX = Xt.T @ B @ Xt
    return w[None], XBX[None]


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


def _random_factors(S, n_blocks, n, rank, dtype, device, generator):
    return torch.rand(S, n_blocks, n, rank, dtype=dtype, device=device,
                      generator=generator)


def _peng_wei(Xs, n_clusters, solver, rank, n_restarts, tol, max_iter, device, rng,
              verbose=0):
    """Peng-Wei SDP k-means on standardised rows: labels, objective, steps, solver."""
    n = Xs.shape[0]
    K = n_clusters
    route = solver
    Xt = torch.as_tensor(Xs, dtype=torch.float64, device=device)
    problem = peng_wei_problem(Xt, K)
    gen = torch.Generator(device=device)
    gen.manual_seed(int(rng.randint(0, 2**31 - 1)))
    if K == 1:
        return np.zeros(n, dtype=np.int64), float(Xt.sum(dim=0).pow(2).sum() / n), 0
    if route == "exact":
        B, info = solve_exact(problem.dense(), problem.traces, tol=tol,
                              max_iter=max_iter, verbose=verbose)
        if not info["converged"]:
            _warn_solver("SDP k-means (exact ADMM)", max_iter, tol,
                         max(info["primal_residual"], info["dual_residual"]))
        Z = B[0].clamp_min(0.0)
        objective = float((Xt.T @ Z @ Xt).trace())
        evals, evecs = torch.linalg.eigh(0.5 * (Z + Z.T))
        emb = evecs[:, -K:] * evals[-K:].clamp_min(0.0).sqrt()
        n_steps = info["n_iter"]
    else:
        r = max(int(rank) if rank is not None else 2 * K, K)
        km_labels, _, _ = fit_kmeans(Xs, K, n_init=1, random_state=rng)
        km_labels = _fill_empty(km_labels, np.zeros((n, K)), K)
        warm = _label_factors(km_labels, K, 1, r, True, torch.float64, device,
                              noise=0.01, generator=gen)
        starts = [warm]
        if n_restarts > 0:
            starts.append(_random_factors(n_restarts, 1, n, r, torch.float64, device, gen))
        U, info = solve_lowrank(problem, torch.cat(starts), tol=tol, max_iter=max_iter,
                                verbose=verbose)
        best, ok = _best_start(info)
        if not ok:
            _warn_solver("SDP k-means (low-rank)", max_iter, tol,
                         float(info["residual"].min()))
        Ub = U[best, 0]
        XtU = Xt.T @ Ub
        objective = float(XtU.pow(2).sum())
        left, svals, _ = torch.linalg.svd(Ub, full_matrices=False)
        emb = left[:, :K] * svals[:K]
        n_steps = info["n_iter"]
    emb = emb.cpu().numpy()
    seed = int(rng.randint(0, 2**31 - 1))
    with warnings.catch_warnings():
        # duplicate rows: the embedding has fewer distinct points than clusters;
        # _warn_distinct has said so once, and _fill_empty repairs the labels
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(K, n_init=10, random_state=seed).fit_predict(emb)
    return labels.astype(np.int64), objective, n_steps


def _warn_solver(what, max_iter, tol, residual):
    warnings.warn(
        f"{what} did not reach the residual tolerance tol={tol:g} within "
        f"{max_iter} solver steps (residual {residual:.2g}); the least infeasible "
        "solution was used. Increase max_iter or tol.", ConvergenceWarning,
        stacklevel=4)


def _best_start(info):
    """Index of the best start, and whether it converged.

    Among the starts that reached the residual tolerance, the largest objective;
    when none did, the least infeasible start (an infeasible point's objective
    is not comparable: violating ``sum_k B_k 1 = 1`` can inflate it).
    """
    conv = info["converged"]
    if bool(conv.any()):
        obj = torch.where(conv, info["objective"],
                          torch.full_like(info["objective"], -float("inf")))
        return int(torch.argmax(obj)), True
    return int(torch.argmin(info["residual"])), False


# ----------------------------------------------------------------------------- estimators
class _SDPBase(ClusterMixin, BaseEstimator):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        return tags

    def _validate_common(self, X):
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        K = check_n_clusters(self.n_clusters, n)
        _check_choice("solver", self.solver, ("auto", "exact", "lowrank"))
        _check_int("n_restarts", self.n_restarts, 0)
        _check_int("max_exact_samples", self.max_exact_samples, 0)
        _check_int("max_full_samples", self.max_full_samples, 2)
        _check_int("subsample_size", self.subsample_size, 2)
        device = resolve_device(self.device)
        _warn_distinct(X, K)
        return X, n, K, device

    def _standardized(self, X):
        """X in the units the model was fitted in (the fitted z-scoring)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return _apply_scaling(np.asarray(X, dtype=np.float64), self.feature_mean_,
                              self.feature_scale_)


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
    max_iter : int, default=50000
        Maximum solver steps (projected-gradient steps, or ADMM iterations capped
        at 5000 for the exact route).
    tol : float, default=1e-5
        Constraint residual at which the solver stops.
    max_exact_samples : int, default=50
        Largest n for which ``solver="auto"`` uses the exact route. The exact
        ADMM needs 200-2,500 iterations of one O(n^3) ``eigh``; above ~50 rows
        the low-rank route was faster on our CPU (``benchmarks/results/sdp_defaults.md``).
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
        Progress output of the solvers.

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
                 max_iter=50000, tol=1e-5, max_exact_samples=50,
                 max_full_samples=100000, subsample_size=5000, device="cpu",
                 random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.solver = solver
        self.rank = rank
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.max_exact_samples = max_exact_samples
        self.max_full_samples = max_full_samples
        self.subsample_size = subsample_size
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

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
        max_iter = _check_int("max_iter", self.max_iter, 1)
        tol = _check_float("tol", self.tol, 0.0, strict=True)
        if self.rank is not None:
            _check_int("rank", self.rank, 1)
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
            labels, objective, n_steps = _peng_wei(
                Xfit, K, route, self.rank, self.n_restarts, tol,
                min(max_iter, 5000) if route == "exact" else max_iter,
                device, rng, self.verbose)
        labels = _fill_empty(labels, np.zeros((nfit, K)), K)
        centers = np.vstack([Xfit[labels == k].mean(axis=0) for k in range(K)])
        if idx is not None:  # lift: nearest centre in the units the SDP was solved in
            labels = self._nearest(Xs, centers)
        self.feature_mean_ = mean
        self.feature_scale_ = scale
        self.cluster_centers_ = mean + centers * scale
        self.labels_ = labels.astype(np.int64)
        self.objective_ = float(objective)
        self.solver_ = route
        self.n_iter_ = int(max(n_steps, 1))
        self.subsample_indices_ = idx
        self.inertia_ = float(((Xs - centers[self.labels_]) ** 2).sum())
        return self

    @staticmethod
    def _dist2(X, centers):
        d = (X * X).sum(axis=1)[:, None] - 2 * X @ centers.T + (centers ** 2).sum(axis=1)
        return np.maximum(d, 0.0)

    def _nearest(self, X, centers):
        return np.argmin(self._dist2(X, centers), axis=1).astype(np.int64)

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
        d = self._dist2(Xs, self._centers_standardized())
        return -float(d.min(axis=1).sum())


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
        global scale; whitened to unit total covariance); the iterations start
        from each distinct labelling and the run with the largest penalised
        likelihood is kept (``init_`` names it). The likelihood is
        affine-invariant but k-means is not: z-scoring can hide clusters that
        differ along a few high-variance directions (noise coordinates then
        dominate), the raw geometry fails when features have different units,
        whitening when a few directions carry the separation. ``"sdp-..."``
        runs one of them; ``"kmeans"``: k-means++ (``n_init=10``) on the
        z-scored data; or given labels.
    max_iter : int, default=30
        Maximum outer iterations (SDP step + covariance update).
    tol : float, default=1e-3
        Stop when the labels repeat (as a partition) or when an iteration raises
        the average penalised log-likelihood per row, ``objective / (2 n)``, by
        less than ``tol``: GaussianMixture's rule and default (the
        specification's ``tol * |objective|`` with 1e-6 kept iterating for
        gains of 1e-5 per row on unstructured data).
    n_restarts : int, default=4
        Random nonnegative starts of the low-rank solver besides the warm start
        from the current labels and the previous solution. They are drawn at
        the first iteration; each later iteration continues every random start
        from its own previous solution (a few hundred solver steps instead of
        thousands for a fresh draw).
    rank : int, default=2
        Columns of each block's factor in the low-rank route.
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
        random subsample of this size (SDP k-means in each scaling, then the
        full iterations with ``n_restarts`` random starts); the winner is
        lifted to every row by the quadratic discriminant rule and the
        iterations continue on all rows from it (warm start and previous
        solution only). This keeps the cost of the search independent of n.
    proportions : {"equal", "estimated"}, default="equal"
        "equal": the specification's likelihood (equal mixing proportions).
        "estimated": proportions ``pi_k = n_k / n`` are parameters too (the
        objective gains ``2 sum_k n_k log pi_k``, each update is still an exact
        maximiser); ``predict`` then adds ``log weights_``.
    device : str, default="cpu"
        Torch device of the solvers ("cpu", "cuda", "cuda:N" or "auto").
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0

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
                 rank=2, standardize=True, max_exact_samples=50,
                 max_full_samples=100000, subsample_size=5000,
                 subsample_weighting="balanced", init_sample_size=2000,
                 proportions="equal", device="cpu", random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.solver = solver
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.rank = rank
        self.standardize = standardize
        self.max_exact_samples = max_exact_samples
        self.max_full_samples = max_full_samples
        self.subsample_size = subsample_size
        self.subsample_weighting = subsample_weighting
        self.init_sample_size = init_sample_size
        self.proportions = proportions
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def _initial_candidates(self, Xfit, Xraw, K, idx, route, device, rng, n_min=1):
        """``[(name, labels)]``: the initial labellings the iterations start from.

        ``Xfit`` are the standardised rows, ``Xraw`` the same rows centred in
        their original units (one global scale).
        """
        init = self.init
        n = Xfit.shape[0]
        if isinstance(init, str):
            _check_choice("init", init, _INITS)
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
                        labels, _, _ = _peng_wei(Z, K, route, None, self.n_restarts,
                                                 1e-5, 5000 if route == "exact" else 50000,
                                                 device, rng, self.verbose)
                    labels = _repair_small(_fill_empty(labels, np.zeros((n, K)), K), Z, K,
                                           n_min, rng)
                    if any("residual tolerance" in str(w.message) for w in caught):
                        failed.append((f"sdp-{scaling}", labels, caught))
                    elif not any(_same_partition(labels, c, K) for _, c in cands):
                        cands.append((f"sdp-{scaling}", labels))
                if not cands:  # no scaling's SDP converged: the first, with its warning
                    name, labels, caught = failed[0]
                    for w in caught:
                        warnings.warn(w.message, w.category, stacklevel=3)
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
        cov_type = _check_choice("covariance_type", self.covariance_type, _COV_TYPES)
        _check_choice("proportions", self.proportions, ("equal", "estimated"))
        reg = _check_float("reg_covar", self.reg_covar, 0.0, strict=True)
        max_iter = _check_int("max_iter", self.max_iter, 1)
        tol = _check_float("tol", self.tol, 0.0)
        rank = _check_int("rank", self.rank, 1)
        weighting = _check_choice("subsample_weighting", self.subsample_weighting,
                                  ("balanced", "uniform"))
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
        init_n = _check_int("init_sample_size", self.init_sample_size, 2)
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
                    device, rng, 0, cands=[(name, labels)])
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
        self.n_iter_ = int(n_iter)
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
                ConvergenceWarning, stacklevel=2)
        elif not status["converged"]:
            warnings.warn(
                f"ILASDP did not converge within max_iter={max_iter} iterations "
                "(labels still changing); increase max_iter or tol.",
                ConvergenceWarning, stacklevel=2)
        if status["solver_failures"]:
            warnings.warn(
                f"ILASDP: in {status['solver_failures']} of {n_iter} iterations no "
                "start of the LA-SDP solver reached its residual tolerance; those "
                "iterations kept the best feasible candidate (the current labels "
                "or the previous solution).", ConvergenceWarning, stacklevel=2)
        return self
    def _best_run(self, Xfit, Xraw, K, idx, init_route, route, cov_type, reg, max_iter,
                  tol, rank, device, rng, n_restarts, cands=None):
        """Iterate from every initial labelling; keep the largest penalised objective.

        A run whose initial clusters were too small for their covariances is
        kept only when every run was.
        """
        if cands is None:
            cands = self._initial_candidates(Xfit, Xraw, K, idx, init_route, device, rng,
                                             _min_cluster_size(cov_type, Xfit.shape[1]))
        runs = []
        for name, labels in cands:
            try:
                result = self._iterate(Xfit, labels, K, route, cov_type, reg, max_iter,
                                       tol, rank, device, rng, n_restarts)
            except _SingularCovariance as exc:
                raise ValueError(f"ILASDP: {exc}") from None
            runs.append((name, result))
            if self.verbose:
                print(f"[ILASDP] n={len(Xfit)} init {name}: objective "
                      f"{result[3][-1]:.6g} after {result[4]} iterations")
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
        status = {"converged": False, "degenerate": None, "solver_failures": 0}
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
            return finish(0)
        if counts.min() < n_min:
            # early exit: the likelihood of this labelling is unbounded (only reg
            # bounds it) and an LA-SDP step would chase ever smaller clusters
            k = int(np.argmin(counts))
            status["degenerate"] = (k, int(counts[k]))
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
                                       state=exact_state, tol=1e-5, max_iter=5000,
                                       verbose=self.verbose)
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
                U, info = solve_lowrank(problem, torch.cat(starts), verbose=self.verbose)
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
            if self.verbose:
                won = "labels" if cand_pts[best] is None else (
                    cand_names[best] if route == "lowrank" else "sdp")
                steps = "" if route == "exact" else (
                    f"; steps per start {info['n_iter_start'].tolist()}")
                print(f"[ILASDP] iter {it}: LA-SDP objective {float(F_all[best]):.6g} "
                      f"from {won} (labels {float(F_all[-1]):.6g}{steps})")
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
            if self.verbose:
                print(f"[ILASDP] iter {it}: {int((labels_new != labels).sum())} labels "
                      f"changed, objective {F_t:.6g}")
            small = (F_t - F_prev) < tol * 2.0 * n
            labels, F_prev = labels_new, F_t
            if same or small:
                status["converged"] = True
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
