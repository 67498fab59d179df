"""Shared pieces of the SDP estimators: the base class, scaling, the solver routes.

Two solvers back both estimators:

* ``"exact"``: ADMM on the dense n x n blocks (torch, float64), O(K n^2) memory and
  one ``eigh`` per block and iteration: small n only (:mod:`._exact`);
* ``"lowrank"``: nonnegative Burer-Monteiro factorisation with an augmented
  Lagrangian and projected gradient + Armijo, several starts solved as one batch,
  O(n (p + K r)) memory: never an n x n array (:mod:`._lowrank`).

Above ``max_full_samples`` the estimators fit on a subsample and lift the
solution to every row (nearest centre for SDP k-means, the quadratic
discriminant rule for iLA-SDP).
"""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import DiagnosticsMixin
from ..utils import check_memory, check_n_clusters, fit_kmeans, resolve_device
from . import _lowrank
from ._exact import solve_exact
from ._problem import exact_memory_bytes, peng_wei_problem

#: The exact route refuses problems whose dense ADMM state exceeds this.
EXACT_MEMORY_LIMIT = 2 * 2**30


# ----------------------------------------------------------------------------- helpers
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



def _random_factors(S, n_blocks, n, rank, dtype, device, generator):
    return torch.rand(S, n_blocks, n, rank, dtype=dtype, device=device,
                      generator=generator)


def _round_embedding(emb, K, rng):
    """k-means++ (``n_init=10``) labels of the rows of an SDP solution's embedding."""
    seed = int(rng.randint(0, 2**31 - 1))
    with warnings.catch_warnings():
        # duplicate rows: the embedding has fewer distinct points than clusters;
        # _warn_distinct has said so once, and _fill_empty repairs the labels
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(K, n_init=10, random_state=seed).fit_predict(emb)
    return labels.astype(np.int64)


def _peng_wei(Xs, n_clusters, solver, rank, n_restarts, tol, max_iter, device, rng,
              verbose=0, all_starts=False):
    """Peng-Wei SDP k-means on the rows ``Xs``.

    Returns the labels (k-means++ on the solution's top-K embedding), the SDP
    objective, the solver steps and whether the solver reached ``tol``. The
    solvers print their progress when ``verbose > 1``. ``all_starts`` (low-rank
    route): the labels are a list, the best start's rounding first, then the
    rounding of every other start that reached ``tol`` (the nonconvex
    factorisation can stop at different points of similar SDP objective).
    """
    n = Xs.shape[0]
    K = n_clusters
    route = solver
    Xt = torch.as_tensor(Xs, dtype=torch.float64, device=device)
    problem = peng_wei_problem(Xt, K)
    gen = torch.Generator(device=device)
    gen.manual_seed(int(rng.randint(0, 2**31 - 1)))
    if K == 1:
        labels = np.zeros(n, dtype=np.int64)
        return ([labels] if all_starts else labels,
                float(Xt.sum(dim=0).pow(2).sum() / n), 0, True)
    if route == "exact":
        B, info = solve_exact(problem.dense(), problem.traces, tol=tol,
                              max_iter=max_iter, verbose=verbose)
        converged = bool(info["converged"])
        if not converged:
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
        U, info = _lowrank.solve_lowrank(problem, torch.cat(starts), tol=tol,
                                         max_iter=max_iter, verbose=verbose)
        best, ok = _best_start(info)
        converged = bool(ok)
        if not ok:
            _warn_solver("SDP k-means (low-rank)", max_iter, tol,
                         float(info["residual"].min()))
        Ub = U[best, 0]
        XtU = Xt.T @ Ub
        objective = float(XtU.pow(2).sum())
        left, svals, _ = torch.linalg.svd(Ub, full_matrices=False)
        emb = left[:, :K] * svals[:K]
        n_steps = info["n_iter"]
    labels = _round_embedding(emb.cpu().numpy(), K, rng)
    if all_starts:
        labels = [labels]
        if route != "exact":
            for s in range(U.shape[0]):
                if s != best and bool(info["converged"][s]):
                    left, svals, _ = torch.linalg.svd(U[s, 0], full_matrices=False)
                    labels.append(_round_embedding(
                        (left[:, :K] * svals[:K]).cpu().numpy(), K, rng))
    return labels, objective, n_steps, converged


def _warn_solver(what, max_iter, tol, residual):
    warnings.warn(
        f"{what} did not reach the residual tolerance solver_tol={tol:g} within "
        f"{max_iter} solver steps (residual {residual:.2g}); the least infeasible "
        "solution was used. Increase solver_max_iter or solver_tol.", ConvergenceWarning,
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
_POS_INT = [Interval(Integral, 1, None, closed="left")]
_NONNEG_INT = [Interval(Integral, 0, None, closed="left")]


class _SDPBase(DiagnosticsMixin, ClusterMixin, BaseEstimator):
    """Parameters, set-up and diagnostics shared by :class:`SDPKMeans` and :class:`ILASDP`.

    Parameters are declared in ``_parameter_constraints`` and checked by
    scikit-learn's ``_fit_context`` before ``fit`` runs; diagnostics follow the
    schema of :class:`skdeepcluster.base.DiagnosticsMixin` (``history_``
    records with ``"stage"`` and ``"epoch"``, ``stop_reasons_``,
    ``fit_seconds_``).
    """

    _parameter_constraints: dict = {
        "n_clusters": _POS_INT,
        "solver": [StrOptions({"auto", "exact", "lowrank"})],
        "n_restarts": _NONNEG_INT,
        "solver_max_iter": _POS_INT,
        "solver_tol": [Interval(Real, 0, None, closed="neither")],
        "max_exact_samples": _NONNEG_INT,
        "max_full_samples": [Interval(Integral, 2, None, closed="left")],
        "subsample_size": [Interval(Integral, 2, None, closed="left")],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _validate_common(self, X):
        """Validated float64 X, its number of rows, K and the resolved device."""
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        K = check_n_clusters(self.n_clusters, n)
        device = resolve_device(self.device)
        _warn_distinct(X, K)
        self._start_diagnostics()
        return X, n, K, device

    def _finish(self, n_iter):
        """Close the diagnostics; ``n_iter_`` as the estimator defines it."""
        self._finish_diagnostics()
        self.n_iter_ = int(n_iter)

    def _standardized(self, X):
        """X in the units the model was fitted in (the fitted z-scoring)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return _apply_scaling(np.asarray(X, dtype=np.float64), self.feature_mean_,
                              self.feature_scale_)
