"""Tests of SDPKMeans and ILASDP (skdeepcluster.sdp) and their solvers.

scikit-learn's estimator checks, reproducibility and pickling run for both in
``test_common.py``; this module keeps the method-specific behaviour."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeepcluster
import skdeepcluster.sdp
from skdeepcluster import ILASDP, SDPKMeans
from skdeepcluster.sdp import _base as sdp_base
from skdeepcluster.sdp import _ilasdp as ilasdp_module
from skdeepcluster.datasets import make_heterogeneous_gaussians
from skdeepcluster.metrics import clustering_accuracy, silhouette_scorer
from skdeepcluster.sdp._exact import solve_exact
from skdeepcluster.sdp._lowrank import project_factors, solve_lowrank
from skdeepcluster.sdp._problem import SDPProblem, lasdp_problem, peng_wei_problem


def _blobs(n_per=20, seed=0, spreads=(0.3, 1.0, 1.5), sep=6.0):
    rng = np.random.RandomState(seed)
    centers = [(0, 0), (sep, 0), (0, sep), (sep, sep)][: len(spreads)]
    X = np.vstack([rng.randn(n_per, 2) * s + c for s, c in zip(spreads, centers)])
    y = np.repeat(np.arange(len(spreads)), n_per)
    return X, y


def _zscore(X):
    return (X - X.mean(0)) / X.std(0)


def _error(y, labels):
    return 1.0 - clustering_accuracy(y, labels)


# ----------------------------------------------------------------------------- solvers vs oracle
def _round_Z(Z, K):
    evals, evecs = np.linalg.eigh(Z)
    emb = evecs[:, -K:] * np.sqrt(np.maximum(evals[-K:], 0))
    return KMeans(K, n_init=10, random_state=0).fit_predict(emb)


def test_exact_peng_wei_matches_cvxpy():
    cp = pytest.importorskip("cvxpy")
    X, _ = _blobs(n_per=10, spreads=(0.5, 1.0, 1.5), sep=4.0)
    X = _zscore(X)
    n, K = X.shape[0], 3
    problem = peng_wei_problem(torch.tensor(X), K)
    C = problem.dense()
    B, info = solve_exact(C, problem.traces)
    assert info["converged"]
    Z = B[0].numpy()
    ours = float(np.sum(C[0].numpy() * Z))
    Zv = cp.Variable((n, n), PSD=True)
    prob = cp.Problem(cp.Maximize(cp.trace(X @ X.T @ Zv)),
                      [Zv >= 0, Zv @ np.ones(n) == 1, cp.trace(Zv) == K])
    prob.solve(solver="CLARABEL")
    assert abs(ours - prob.value) <= 1e-4 * abs(prob.value)
    assert adjusted_rand_score(_round_Z(Z, K), _round_Z(Zv.value, K)) == 1.0


def test_exact_lasdp_matches_cvxpy():
    cp = pytest.importorskip("cvxpy")
    X, _ = _blobs(n_per=12, spreads=(0.4, 1.5), sep=3.0)
    X = _zscore(X)
    n, K = X.shape[0], 2
    covs = torch.stack([0.1 * torch.eye(2, dtype=torch.float64),
                        0.8 * torch.eye(2, dtype=torch.float64)])
    problem = lasdp_problem(torch.tensor(X), torch.linalg.cholesky(covs))
    C = problem.dense()
    B, info = solve_exact(C, problem.traces)
    assert info["converged"]
    ours = float((C * B).sum())
    Bs = [cp.Variable((n, n), PSD=True) for _ in range(K)]
    cons = [sum(b @ np.ones(n) for b in Bs) == 1]
    for b in Bs:
        cons += [b >= 0, cp.trace(b) == 1]
    prob = cp.Problem(cp.Maximize(sum(cp.trace(C[k].numpy() @ Bs[k]) for k in range(K))),
                      cons)
    prob.solve(solver="CLARABEL")
    assert abs(ours - prob.value) <= 1e-4 * abs(prob.value)
    ours_labels = B.sum(dim=2).argmax(dim=0).numpy()
    oracle_labels = np.argmax(np.stack([b.value.sum(axis=1) for b in Bs]), axis=0)
    assert np.array_equal(ours_labels, oracle_labels)


def test_lowrank_agrees_with_exact():
    X, y = _blobs(n_per=20, spreads=(0.3, 1.0, 1.5))
    X = _zscore(X)
    n, K = X.shape[0], 3
    Xt = torch.tensor(X)
    gen = torch.Generator().manual_seed(0)
    # Peng-Wei
    problem = peng_wei_problem(Xt, K)
    B, _ = solve_exact(problem.dense(), problem.traces)
    exact = float((problem.dense() * B).sum())
    U, info = solve_lowrank(problem, torch.rand(3, 1, n, 2 * K, dtype=torch.float64,
                                                generator=gen))
    low = float(info["objective"].max())
    assert abs(low - exact) <= 0.01 * abs(exact)
    # LA-SDP with the true clusters' covariances
    covs = torch.stack([torch.tensor(np.cov(X[y == k].T) + 1e-6 * np.eye(2))
                        for k in range(K)])
    problem = lasdp_problem(Xt, torch.linalg.cholesky(covs))
    C = problem.dense()
    B, _ = solve_exact(C, problem.traces)
    exact = float((C * B).sum())
    U, info = solve_lowrank(problem, torch.rand(3, K, n, 2, dtype=torch.float64,
                                                generator=gen))
    best = int(info["objective"].argmax())
    assert abs(float(info["objective"][best]) - exact) <= 0.01 * abs(exact)
    w_low = (U[best] @ U[best].sum(dim=1, keepdim=True).transpose(1, 2))[..., 0]
    assert np.array_equal(w_low.argmax(dim=0).numpy(), B.sum(dim=2).argmax(dim=0).numpy())
    # and the estimators agree end to end
    a = ILASDP(3, solver="exact", random_state=0).fit(X)
    b = ILASDP(3, solver="lowrank", random_state=0).fit(X)
    assert a.solver_ == "exact" and b.solver_ == "lowrank"
    assert adjusted_rand_score(a.labels_, b.labels_) == 1.0


def test_identity_covariance_gives_peng_wei():
    """Spec 2.3: with Sigma_k = I, F(B) = <X X^T, sum_k B_k> - sum_i ||x_i||^2."""
    X, _ = _blobs(n_per=10)
    X = _zscore(X)
    K = 3
    Xt = torch.tensor(X)
    problem = lasdp_problem(Xt, torch.eye(2, dtype=torch.float64).expand(K, 2, 2))
    C = problem.dense()
    B, _ = solve_exact(C, problem.traces, max_iter=300)
    F = float((C * B).sum())
    Z = B.sum(dim=0)
    rhs = float((Xt @ Xt.T * Z).sum()) - float((Xt ** 2).sum())
    assert F == pytest.approx(rhs, rel=1e-8, abs=1e-8)
    # the factored matvec equals the dense product
    V = torch.rand(2, K, len(X), 2, dtype=torch.float64)
    dense = torch.einsum("kij,skjr->skir", C, V)
    assert torch.allclose(problem.matvec(V), dense, atol=1e-9)


# ----------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("solver", ["exact", "lowrank"])
def test_zero_error_well_separated(solver):
    X, y = _blobs(n_per=15, spreads=(0.3, 0.6, 0.9), sep=8.0, seed=1)
    for est in (SDPKMeans(3, solver=solver, random_state=0),
                ILASDP(3, solver=solver, random_state=0)):
        labels = est.fit_predict(X)
        assert _error(y, labels) == 0.0
        assert est.solver_ == solver


def test_auto_solver_records_choice():
    X, _ = _blobs(n_per=15)
    assert SDPKMeans(3, random_state=0).fit(X).solver_ == "exact"
    assert SDPKMeans(3, max_exact_samples=10, random_state=0).fit(X).solver_ == "lowrank"


def test_monotone_objective_and_attributes():
    X, y = make_heterogeneous_gaussians(160, 4, 2, separation=4.0, random_state=0)
    est = ILASDP(4, solver="lowrank", init="kmeans", random_state=0).fit(X)
    hist = np.asarray(est.objective_history_)
    assert len(hist) == est.n_iter_ + 1
    assert np.all(np.diff(hist) >= -1e-6 * np.abs(hist[:-1]))
    assert est.converged_
    assert est.means_.shape == (4, 2) and est.covariances_.shape == (4, 2, 2)
    assert np.allclose(est.memberships_.sum(axis=1), 1.0)
    assert np.isclose(est.weights_.sum(), 1.0)
    proba = est.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert est.score(X) == pytest.approx(est.score_samples(X).mean())
    assert _error(y, est.labels_) < 0.1
    # attributes are in the original units: means close to the true centres
    gm = GaussianMixture(4, random_state=0).fit(X)
    assert est.score(X) > gm.score(X) - 0.5


@pytest.mark.parametrize("cov_type", ["full", "diag", "spherical", "tied"])
def test_covariance_types(cov_type):
    X, y = _blobs(n_per=20, spreads=(0.3, 1.0, 1.5))
    est = ILASDP(3, covariance_type=cov_type, solver="lowrank", random_state=0).fit(X)
    assert np.all(np.isfinite(est.covariances_))
    hist = np.asarray(est.objective_history_)
    assert np.all(np.diff(hist) >= -1e-6 * np.abs(hist[:-1]))
    assert _error(y, est.labels_) < 0.1
    if cov_type == "tied":
        assert np.allclose(est.covariances_[0], est.covariances_[1])


def test_em_trap_anchor():
    """Spec 4: on the EM-trap data iLA-SDP beats single-init k-means and EM."""
    errs = {"ila": [], "km1": [], "gmm1": []}
    for seed in range(3):
        X, y = make_heterogeneous_gaussians(200, 8, 2, random_state=seed)
        Xs = StandardScaler().fit_transform(X)
        errs["ila"].append(_error(y, ILASDP(8, solver="lowrank", random_state=seed)
                                  .fit(X).labels_))
        errs["km1"].append(_error(y, KMeans(8, init="random", n_init=1,
                                            random_state=seed).fit_predict(Xs)))
        errs["gmm1"].append(_error(y, GaussianMixture(8, init_params="random_from_data",
                                                      random_state=seed)
                                   .fit(Xs).predict(Xs)))
    mean = {k: np.mean(v) for k, v in errs.items()}
    assert mean["ila"] < 0.05
    assert mean["ila"] <= mean["km1"]
    assert mean["ila"] < mean["gmm1"]


def test_affine_invariance_fixed_init():
    X, y = _blobs(n_per=20, spreads=(0.3, 1.0, 1.5))
    A = np.array([[2.0, 0.5], [-0.3, 0.7]])
    init = KMeans(3, n_init=10, random_state=0).fit_predict(X)
    a = ILASDP(3, init=init, solver="exact", random_state=0).fit(X)
    b = ILASDP(3, init=init, solver="exact", random_state=0).fit(X @ A.T + 5.0)
    assert adjusted_rand_score(a.labels_, b.labels_) == 1.0


def test_subsample_and_lift():
    X, y = make_heterogeneous_gaussians(900, 3, 2, separation=8.0,
                                        deviations=(0.5, 1.0, 1.5), random_state=0)
    for est in (SDPKMeans(3, max_full_samples=300, subsample_size=150, random_state=0),
                ILASDP(3, max_full_samples=300, subsample_size=150, random_state=0)):
        est.fit(X)
        assert est.subsample_indices_ is not None and len(est.subsample_indices_) == 150
        assert est.labels_.shape == (900,)
        assert _error(y, est.labels_) < 0.02


class _NoSquareMode(torch.utils._python_dispatch.TorchDispatchMode):
    """Fail on any tensor op whose output has at least n*n/4 elements."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in (out if isinstance(out, (tuple, list)) else (out,)):
            if isinstance(t, torch.Tensor) and t.numel() >= self.limit:
                raise AssertionError(f"{func} produced {tuple(t.shape)}")
        return out


def test_projection_survives_far_steps():
    # a step of ~1e153 squared overflows to inf; the projection must still land
    # on ||U||_F^2 = t (it used to return an all-zero factor, which the solver
    # then accepted as a degenerate "solution")
    U = torch.rand(2, 1, 50, 3, dtype=torch.float64) * 1e153
    U[1] = -U[1]  # and a start clipped to nothing is flagged, not zeroed
    P, bad = project_factors(U, torch.tensor([4.0], dtype=torch.float64), return_bad=True)
    norms = P.pow(2).sum(dim=(2, 3)).flatten()
    assert torch.allclose(norms, torch.full_like(norms, 4.0))
    assert bad.tolist() == [False, True]


def test_lowrank_recovers_blobs_where_steps_once_overflowed():
    # the fold of 4 simplex blobs on which the solver's growing step overflowed
    # and SDPKMeans returned one cluster (ARI 0); now it recovers them exactly
    X, y = make_blobs(400, centers=7.0 * np.eye(4, 5), cluster_std=1.0, random_state=0)
    m = SDPKMeans(n_clusters=4, solver="lowrank", n_restarts=1, random_state=0).fit(X[:200])
    assert adjusted_rand_score(y[:200], m.labels_) == 1.0


def test_lowrank_never_forms_n_by_n(monkeypatch):
    n = 1500
    X, _ = make_heterogeneous_gaussians(n, 3, 2, separation=6.0,
                                        deviations=(0.5, 1.0, 1.5), random_state=0)

    def _refuse(self):
        raise AssertionError("dense() called on the low-rank route")

    monkeypatch.setattr(SDPProblem, "dense", _refuse)
    with _NoSquareMode(n * n // 4):
        est = ILASDP(3, solver="lowrank", n_restarts=1, max_iter=3,
                     random_state=0).fit(X)
        SDPKMeans(3, solver="lowrank", n_restarts=1, random_state=0).fit(X)
    assert est.labels_.shape == (n,)


@pytest.mark.slow
def test_lowrank_large_n_completes():
    X, y = make_heterogeneous_gaussians(20000, 3, 2, separation=8.0,
                                        deviations=(0.5, 1.0, 1.5), random_state=0)
    est = SDPKMeans(3, solver="lowrank", n_restarts=1, random_state=0).fit(X)
    assert _error(y, est.labels_) < 0.02


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("Est", [SDPKMeans, ILASDP])
def test_bad_input(Est):
    X, _ = _blobs(n_per=10)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Est(3).fit(Xn)
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Est(3).fit(Xi)
    with pytest.raises(ValueError, match="fewer samples than clusters"):
        Est(5).fit(X[:4])
    with pytest.raises(ValueError, match="solver"):
        Est(3, solver="cvx").fit(X)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            Est(3, device="cuda").fit(X)


def test_exact_refuses_large_n(monkeypatch):
    X, _ = _blobs(n_per=10)
    monkeypatch.setattr(sdp_base, "EXACT_MEMORY_LIMIT", 1000)
    with pytest.raises(ValueError, match="solver='lowrank'"):
        SDPKMeans(3, solver="exact").fit(X)
    with pytest.raises(ValueError, match="solver='lowrank'"):
        ILASDP(3, solver="exact").fit(X)
    # auto falls back to the low-rank route
    assert SDPKMeans(3, random_state=0).fit(X).solver_ == "lowrank"


def test_ilasdp_bad_params():
    X, _ = _blobs(n_per=10)
    with pytest.raises(ValueError, match="covariance_type"):
        ILASDP(3, covariance_type="banana").fit(X)
    with pytest.raises(ValueError, match="reg_covar"):
        ILASDP(3, reg_covar=0.0).fit(X)
    with pytest.raises(ValueError, match="init"):
        ILASDP(3, init=np.zeros(5, dtype=int)).fit(X)


@pytest.mark.parametrize("solver", ["exact", "lowrank"])
def test_tiny_clusters_are_regularised(solver):
    rng = np.random.RandomState(0)
    # two big clusters plus one isolated point and a duplicated point
    X = np.vstack([rng.randn(15, 2), rng.randn(15, 2) + 8, [[30.0, -30.0]],
                   [[4.0, 4.0]], [[4.0, 4.0]]])
    # an isolated point and a duplicate pair: initial clusters too small for a
    # covariance are repaired (merged, the largest cluster split), so it iterates
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = ILASDP(5, solver=solver, random_state=0).fit(X)
    assert est.n_iter_ >= 1
    assert np.all(np.isfinite(est.covariances_))
    assert np.all(np.isfinite(est.objective_history_))
    assert np.all(np.isfinite(est.score_samples(X)))
    assert np.all(np.isfinite(est.predict_proba(X)))
    # as many clusters as points: no repair possible, the iterations are skipped
    # with a warning and the covariances are reg_covar-regularised
    with pytest.warns(ConvergenceWarning, match="likelihood is unbounded"):
        est = ILASDP(4, solver=solver, random_state=0).fit(X[:4])
    assert np.all(np.isfinite(est.covariances_))


def test_convergence_warning_at_cap():
    X, y = make_heterogeneous_gaussians(120, 3, 2, separation=4.0,
                                        deviations=(0.5, 1.0, 1.5), random_state=0)
    init = np.random.RandomState(0).randint(0, 3, size=len(X))
    with pytest.warns(ConvergenceWarning):
        est = ILASDP(3, init=init, max_iter=1, solver="lowrank", random_state=0).fit(X)
    assert not est.converged_ and est.n_iter_ == 1


def test_deterministic_and_pickle():
    X, _ = _blobs(n_per=15)
    a = ILASDP(3, solver="lowrank", random_state=3).fit(X)
    b = ILASDP(3, solver="lowrank", random_state=3).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    assert np.allclose(a.means_, b.means_)
    c = pickle.loads(pickle.dumps(a))
    assert np.array_equal(c.predict(X), a.predict(X))


# ----------------------------------------------------------------------------- model selection
def test_pipeline_and_grid_search():
    X, _ = _blobs(n_per=20, spreads=(0.3, 0.5, 0.7), sep=8.0)
    X = X[np.random.RandomState(0).permutation(len(X))]
    pipe = make_pipeline(StandardScaler(), SDPKMeans(solver="lowrank", n_restarts=1,
                                                     random_state=0))
    search = GridSearchCV(pipe, {"sdpkmeans__n_clusters": [2, 3, 4]},
                          scoring=silhouette_scorer, cv=3, error_score=np.nan)
    search.fit(X)
    assert search.best_params_["sdpkmeans__n_clusters"] == 3
    search = GridSearchCV(ILASDP(solver="lowrank", n_restarts=1, random_state=0),
                          {"covariance_type": ["full", "spherical"], "n_clusters": [3]},
                          cv=3)
    search.fit(X)
    assert np.isfinite(search.best_score_)


def test_make_heterogeneous_gaussians():
    X, y = make_heterogeneous_gaussians(random_state=0)
    assert X.shape == (400, 2) and np.bincount(y).tolist() == [50] * 8
    X, y = make_heterogeneous_gaussians(103, 4, 10, separation=4.0, layout="axes",
                                        deviations=(0.5, 1.0, 1.5, 1.0), stretch=3.0,
                                        random_state=0)
    assert X.shape == (103, 10) and set(y) == {0, 1, 2, 3}
    stds = [X[y == k, 5].std() for k in range(4)]
    assert stds[0] < stds[2]          # noise coordinates follow each cluster's spread
    a, _ = make_heterogeneous_gaussians(50, 2, random_state=1)
    b, _ = make_heterogeneous_gaussians(50, 2, random_state=1)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="n_features"):
        make_heterogeneous_gaussians(40, 8, 3, layout="axes")
    with pytest.raises(ValueError, match="n_samples"):
        make_heterogeneous_gaussians(3, 8)


def test_ilasdp_information_criteria_match_gaussian_mixture_counting():
    from sklearn.datasets import make_blobs
    from sklearn.mixture import GaussianMixture

    from skdeepcluster.model_selection import neg_bic

    X, _ = make_blobs(200, centers=3, n_features=3, random_state=0)
    for cov in ("full", "diag", "spherical", "tied"):
        m = ILASDP(n_clusters=3, covariance_type=cov, solver="lowrank", n_restarts=1,
                   random_state=0).fit(X)
        gm = GaussianMixture(3, covariance_type=cov).fit(X)
        assert m._n_parameters() == gm._n_parameters()
        ll = m.score_samples(X).sum()
        assert m.bic(X) == pytest.approx(-2 * ll + m._n_parameters() * np.log(len(X)))
        assert m.aic(X) == pytest.approx(-2 * ll + 2 * m._n_parameters())
        assert neg_bic(m, X) == pytest.approx(-m.bic(X))


# ----------------------------------------------------------------------------- issue 11
def _rescaled_two_clusters(n_per=30, seed=0):
    """Two clusters split along a feature of scale 0.1; noise on a feature of scale 100."""
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1], n_per)
    informative = 0.1 * (np.where(y == 0, -3.0, 3.0) + 0.3 * rng.randn(2 * n_per))
    noise = 100.0 * rng.randn(2 * n_per)
    return np.column_stack([informative, noise]), y


def test_predict_uses_the_fitted_scaling():
    X, y = _rescaled_two_clusters()
    km = SDPKMeans(2, random_state=0).fit(X)
    assert clustering_accuracy(y, km.labels_) == 1.0
    # distances in the original units would be dominated by the noise feature
    assert np.array_equal(km.predict(X), km.labels_)
    assert km.score(X) == pytest.approx(-km.inertia_)
    assert km.cluster_centers_[:, 0] == pytest.approx([-0.3, 0.3], abs=0.05) or \
        km.cluster_centers_[:, 0] == pytest.approx([0.3, -0.3], abs=0.05)
    ila = ILASDP(2, random_state=0).fit(X)
    assert clustering_accuracy(y, ila.labels_) == 1.0
    assert np.array_equal(ila.predict(X), ila.labels_)
    # the lift above max_full_samples uses the same units
    for est in (SDPKMeans(2, max_full_samples=40, subsample_size=30, random_state=0),
                ILASDP(2, max_full_samples=40, subsample_size=30, random_state=0)):
        est.fit(X)
        assert est.subsample_indices_ is not None
        assert clustering_accuracy(y, est.labels_) == 1.0
        assert np.array_equal(est.predict(X), est.labels_)


def test_ilasdp_density_is_in_original_units():
    # score_samples is a density of X itself: rescaling a feature by 10 lowers
    # every log-density by log(10) and leaves the labels alone
    X, y = _blobs(n_per=20, spreads=(0.3, 1.0, 1.5))
    a = ILASDP(3, random_state=0).fit(X)
    Xb = X * np.array([10.0, 1.0])
    b = ILASDP(3, random_state=0).fit(Xb)
    assert np.array_equal(a.labels_, b.labels_)
    assert b.score_samples(Xb) == pytest.approx(a.score_samples(X) - np.log(10.0))
    gm = GaussianMixture(3, random_state=0).fit(X)
    assert a.score(X) > gm.score(X) - 0.5


def _few_steps(real):
    def solve(*args, **kwargs):
        kwargs["max_iter"] = 5
        return real(*args, **kwargs)
    return solve


def test_solver_non_convergence_warns(monkeypatch):
    X, y = _blobs(n_per=15)
    with pytest.warns(ConvergenceWarning, match="did not reach the residual tolerance"):
        SDPKMeans(3, solver="lowrank", solver_max_iter=5, random_state=0).fit(X)
    with pytest.warns(ConvergenceWarning, match="did not reach the residual tolerance"):
        SDPKMeans(3, solver="exact", solver_max_iter=3, random_state=0).fit(X)
    # no start of an LA-SDP solve converges: warned, and the safeguard keeps the
    # initial labelling (an unconverged start is never selected)
    init = KMeans(3, n_init=10, random_state=0).fit_predict(X)
    with pytest.warns(ConvergenceWarning, match="no start of the LA-SDP solver"):
        est = ILASDP(3, init=init, solver="lowrank", solver_max_iter=5,
                     random_state=0).fit(X)
    assert adjusted_rand_score(init, est.labels_) == 1.0
    # the same through the solver itself (every solve capped at 5 steps)
    monkeypatch.setattr(skdeepcluster.sdp._lowrank, "solve_lowrank",
                        _few_steps(solve_lowrank))
    with pytest.warns(ConvergenceWarning, match="no start of the LA-SDP solver"):
        est = ILASDP(3, init=init, solver="lowrank", random_state=0).fit(X)
    assert adjusted_rand_score(init, est.labels_) == 1.0


def test_unconverged_start_is_never_selected():
    info = {"objective": torch.tensor([5.0, 9.0, 7.0]),
            "residual": torch.tensor([1e-6, 2e-5, 5e-6]),
            "converged": torch.tensor([True, False, True])}
    assert sdp_base._best_start(info) == (2, True)
    info["converged"] = torch.tensor([False, False, False])
    assert sdp_base._best_start(info) == (0, False)


def test_singular_covariances_are_regularised_or_refused():
    # 20 rows, 8 clusters in 3 features (scikit-learn's check data): clusters of
    # 2-3 points have singular full covariances; it used to raise LinAlgError
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(20, 3))
    with pytest.warns(ConvergenceWarning, match="likelihood is unbounded"):
        est = ILASDP(random_state=0).fit(np.asfortranarray(X))
    assert est.n_iter_ == 0 and est.converged_ is False
    for attr in (est.covariances_, est.means_, est.score_samples(X), est.predict_proba(X)):
        assert np.all(np.isfinite(attr))
    assert np.all(np.linalg.eigvalsh(est.covariances_) > 0)
    assert np.array_equal(est.predict(X), est.predict(X.astype(np.float32)))
    # a spherical covariance needs two points per cluster only: it iterates
    est = ILASDP(covariance_type="spherical", random_state=0).fit(X)
    assert est.n_iter_ >= 1 and np.all(np.isfinite(est.covariances_))
    # without standardisation, a reg_covar negligible against the data's scale
    # cannot make a collinear cluster's covariance positive definite
    line = np.column_stack([np.arange(12.0), 2 * np.arange(12.0)]) * 1e12
    Xs = np.vstack([line, line + [[5e13, 0.0]]])
    with pytest.raises(ValueError, match="reg_covar"):
        ILASDP(2, standardize=False, init=np.repeat([0, 1], 12)).fit(Xs)


def test_lasdp_candidates_keep_estimable_covariances():
    # every kept point has at least n_features + 1 (effective) points per block
    X, y = make_blobs(100, n_features=4, centers=3, random_state=0)
    est = ILASDP(8, random_state=0).fit(X)
    assert est.solver_ == "lowrank"
    assert est.converged_ and 1 <= est.n_iter_ <= 10
    assert np.all(est.memberships_.sum(axis=0) >= X.shape[1] + 1 - 1e-6)
    assert np.all(np.isfinite(est.score_samples(X)))


DEGENERATE = {
    "duplicate rows": lambda X: np.repeat(X, 3, axis=0),
    "constant column": lambda X: np.column_stack([X, np.full(len(X), 7.0)]),
    "huge and tiny scales": lambda X: X * np.array([1e150, 1e-150]),
    "float32, F-ordered": lambda X: np.asfortranarray(X.astype(np.float32)),
    "two rows per cluster": lambda X: X[[0, 1, 20, 21, 40, 41]],
}


@pytest.mark.parametrize("case", list(DEGENERATE))
@pytest.mark.parametrize("Est", [SDPKMeans, ILASDP])
def test_degenerate_input_fits_or_says_why(Est, case):
    X0, y0 = _blobs(n_per=20, spreads=(0.3, 0.6, 0.9), sep=8.0, seed=1)
    X = DEGENERATE[case](X0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(3, random_state=0).fit(X)
    assert est.labels_.shape == (len(X),)
    assert np.all(np.bincount(est.labels_, minlength=3) > 0)
    assert est.predict(X).shape == (len(X),)
    assert np.isfinite(est.score(X))
    if case != "two rows per cluster":  # the structure is still there: found
        y = np.repeat(y0, 3) if case == "duplicate rows" else y0
        assert clustering_accuracy(y, est.labels_) == 1.0
        assert np.array_equal(est.predict(X), est.labels_)
    if Est is ILASDP:
        assert np.all(np.isfinite(est.covariances_))
        assert np.all(np.isfinite(est.score_samples(X)))


def test_constant_column_does_not_change_ilasdp():
    X, _ = _blobs(n_per=20, spreads=(0.3, 1.0, 1.5))
    a = ILASDP(3, random_state=0).fit(X)
    b = ILASDP(3, random_state=0).fit(np.column_stack([X, np.full(len(X), 3.0)]))
    assert np.array_equal(a.labels_, b.labels_)
    assert b.means_[:, 2] == pytest.approx(3.0)
    assert np.allclose(b.covariances_[:, :2, :2], a.covariances_)


@pytest.mark.parametrize("Est", [SDPKMeans, ILASDP])
def test_fewer_distinct_rows_than_clusters_warns(Est):
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 4, axis=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = Est(5, random_state=0).fit(X)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert any("3 distinct rows" in m for m in messages)
    assert set(est.labels_) == set(range(5))
    assert np.isfinite(est.score(X))


# ----------------------------------------------------------------------------- issue 16
def test_initialisation_scalings_are_chosen_by_likelihood():
    # EM-trap at p = 10 on raw data: z-scoring squeezes the grid axes while 8 noise
    # coordinates keep unit scale, so SDP k-means on z-scored features fails
    # (~45 % error) and on the raw geometry nearly succeeds; the likelihood, which
    # is affine-invariant, tells the runs apart
    X, y = make_heterogeneous_gaussians(400, 8, 10, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # capped: a slow creep
        z = ILASDP(8, init="sdp-standardized", max_iter=4, random_state=0).fit(X)
    both = ILASDP(8, max_iter=4, random_state=0).fit(X)
    assert _error(y, z.labels_) > 0.3
    assert both.init_ in ("sdp-raw", "sdp-whitened")
    assert _error(y, both.labels_) < 0.03
    assert both.objective_history_[-1] > z.objective_history_[-1]
    with pytest.raises(ValueError, match="init"):
        ILASDP(8, init="sdp-zscore").fit(X)


def test_small_initial_clusters_are_repaired():
    # two outliers that SDP k-means sets apart: the initial labels are repaired
    # (their points join the nearest cluster, the largest is split) instead of
    # skipping the likelihood iterations
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(60, 2) * 0.5, rng.randn(60, 2) * 1.5 + [8, 0],
                   [[40.0, 40.0], [41.0, 40.0]]])
    labels = np.r_[np.zeros(60, int), np.ones(60, int), [2, 2]]
    repaired = ilasdp_module._repair_small(labels, X, 3, 3, rng)
    assert np.bincount(repaired).min() >= 3
    assert set(repaired[-2:]) <= set(repaired[:120])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = ILASDP(3, random_state=0).fit(X)
    assert est.n_iter_ >= 1 and np.bincount(est.labels_).min() >= 3


def test_estimated_proportions():
    # unbalanced clusters: with estimated proportions the objective gains
    # 2 sum_k n_k log pi_k, stays monotone, and predict adds log weights_
    X, y = make_heterogeneous_gaussians(300, 3, 2, separation=5.0,
                                        deviations=(0.5, 1.0, 1.5), random_state=0)
    keep = np.r_[np.flatnonzero(y == 0)[:30], np.flatnonzero(y != 0)]
    X, y = X[keep], y[keep]
    est = ILASDP(3, proportions="estimated", random_state=0).fit(X)
    hist = np.asarray(est.objective_history_)
    assert np.all(np.diff(hist) >= -1e-6 * np.abs(hist[:-1]))
    assert _error(y, est.labels_) < 0.05
    assert sorted(np.round(est.weights_ * len(X)).astype(int))[0] == pytest.approx(30, abs=5)
    assert np.array_equal(est.predict(X), np.argmax(est.predict_proba(X), axis=1))
    with pytest.raises(ValueError, match="proportions"):
        ILASDP(3, proportions="fitted").fit(X)


def test_large_n_searches_initialisations_on_a_subsample():
    X, y = make_heterogeneous_gaussians(700, 3, 2, separation=6.0,
                                        deviations=(0.5, 1.0, 1.5), random_state=0)
    est = ILASDP(3, init_sample_size=200, random_state=0).fit(X)
    assert est.subsample_indices_ is None and est.labels_.shape == (700,)
    assert _error(y, est.labels_) < 0.02


def test_classification_em_polish_is_monotone_and_a_fixed_point():
    X, y = make_heterogeneous_gaussians(300, 3, 2, separation=5.0,
                                        deviations=(0.4, 1.0, 2.0), random_state=0)
    Xt = torch.tensor(_zscore(X))
    start = KMeans(3, n_init=1, random_state=0).fit_predict(Xt.numpy()).astype(np.int64)
    F0 = ilasdp_module._label_objective(Xt, start, 3, "full", 1e-6, False)[0]
    labels, F, steps = ilasdp_module._cem(Xt, start, 3, "full", 1e-6, 3, False)
    assert steps >= 1 and F > F0
    assert F == pytest.approx(
        ilasdp_module._label_objective(Xt, labels, 3, "full", 1e-6, False)[0])
    again, F2, _ = ilasdp_module._cem(Xt, labels, 3, "full", 1e-6, 3, False)
    assert np.array_equal(again, labels) and F2 == pytest.approx(F)
    # the quadratic rule fits the unequal spreads better than k-means' bisectors
    assert _error(y, labels) < _error(y, start)


def test_peng_wei_all_starts_lists_the_best_start_first():
    Z = _zscore(_blobs(n_per=20)[0])
    one = sdp_base._peng_wei(Z, 3, "lowrank", None, 4, 1e-5, 50000, "cpu",
                             np.random.RandomState(0))
    every = sdp_base._peng_wei(Z, 3, "lowrank", None, 4, 1e-5, 50000, "cpu",
                               np.random.RandomState(0), all_starts=True)
    assert np.array_equal(one[0], every[0][0]) and one[1:] == every[1:]
    assert 1 <= len(every[0]) <= 5 and all(lab.shape == (60,) for lab in every[0])
    single = sdp_base._peng_wei(Z, 1, "lowrank", None, 4, 1e-5, 50000, "cpu",
                                np.random.RandomState(0), all_starts=True)
    assert len(single[0]) == 1 and not single[0][0].any()


def test_initial_runs_are_chosen_by_the_penalised_likelihood(monkeypatch):
    # two initial labellings offered in either order: the one whose polished
    # labelling has the larger objective is iterated and kept, never the first
    X, y = make_heterogeneous_gaussians(240, 3, 2, separation=6.0,
                                        deviations=(0.4, 1.0, 2.0), random_state=0)
    bad = np.arange(len(X)) % 3
    for offered in ([("bad", bad), ("good", y)], [("good", y), ("bad", bad)]):
        monkeypatch.setattr(ILASDP, "_initial_candidates",
                            lambda self, *a, offered=offered, **k: offered)
        est = ILASDP(3, random_state=0).fit(X)
        inits = {r["init"]: r for r in est.history_ if r["stage"] == "init"}
        assert inits["good"]["iterated"] and not inits["bad"]["iterated"]
        assert inits["good"]["screen_objective"] > inits["bad"]["screen_objective"]
        assert inits["bad"]["n_iter"] == 0
        assert est.init_ == "good" and _error(y, est.labels_) < 0.03
        both = ILASDP(3, n_init_runs=2, random_state=0).fit(X)
        inits = [r for r in both.history_ if r["stage"] == "init"]
        assert all(r["iterated"] for r in inits) and len(inits) == 2
        best = max(inits, key=lambda r: r["objective"])
        assert both.init_ == best["init"]
        assert both.objective_history_[-1] == pytest.approx(best["objective"])
    with pytest.raises(ValueError, match="n_init_runs"):
        ILASDP(3, n_init_runs=0).fit(X)


def test_stuck_solver_starts_are_abandoned():
    # Peng-Wei on outliers and duplicates in the raw geometry: random starts get
    # stuck with all their mass on a few rows; they stop after the patience
    # instead of burning 50,000 steps, and are reported unconverged
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(15, 2), rng.randn(15, 2) + 8, [[30.0, -30.0]],
                   [[4.0, 4.0]], [[4.0, 4.0]]])
    Z = (X - X.mean(0)) / X.std()
    problem = peng_wei_problem(torch.tensor(Z), 5)
    U0 = torch.rand(3, 1, len(X), 10, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(0))
    U, info = solve_lowrank(problem, U0, max_iter=50000)
    assert info["n_iter"] < 10000
    assert not bool(info["converged"].all())


# ----------------------------------------------------------------------------- issue 12
def test_estimators_are_exported_from_the_subpackage():
    assert skdeepcluster.sdp.ILASDP is skdeepcluster.ILASDP
    assert skdeepcluster.sdp.SDPKMeans is skdeepcluster.SDPKMeans
    assert set(skdeepcluster.sdp.__all__) == {"ILASDP", "SDPKMeans"}


def test_solver_parameters_are_named_apart_from_outer_iterations():
    # solver_max_iter / solver_tol: one SDP solve in both estimators; ILASDP's
    # max_iter / tol: its outer (likelihood) iterations
    for Est in (SDPKMeans, ILASDP):
        params = Est().get_params()
        assert params["solver_max_iter"] == 50000 and params["solver_tol"] == 1e-5
    assert "max_iter" not in SDPKMeans().get_params()
    assert "tol" not in SDPKMeans().get_params()
    X, _ = _blobs(n_per=15)
    with pytest.raises(ValueError, match="solver_max_iter"):
        SDPKMeans(3, solver_max_iter=0).fit(X)
    with pytest.raises(ValueError, match="solver_tol"):
        ILASDP(3, solver_tol=0.0).fit(X)
    with pytest.raises(ValueError, match="max_iter"):
        ILASDP(3, max_iter=0).fit(X)


def test_diagnostics_share_the_package_schema():
    X, y = _blobs(n_per=20)
    skm = SDPKMeans(3, random_state=0).fit(X)
    assert [r["stage"] for r in skm.history_] == ["sdp"]
    assert skm.history_[0]["epoch"] == 1
    assert skm.history_[0]["solver_steps"] == skm.n_iter_
    assert skm.stop_reasons_ == {"sdp": "solver_tol"}
    assert skm.fit_seconds_ > 0

    est = ILASDP(3, random_state=0).fit(X)
    stages = [r["stage"] for r in est.history_]
    inits = [r for r in est.history_ if r["stage"] == "init"]
    iters = [r for r in est.history_ if r["stage"] == "iterations"]
    assert inits and stages == ["init"] * len(inits) + ["iterations"] * len(iters)
    assert [r["epoch"] for r in inits] == list(range(1, len(inits) + 1))
    assert [r["epoch"] for r in iters] == list(range(1, est.n_iter_ + 1))
    # the kept run is the best initial run; its iterations are the objective history
    assert est.init_ in {r["init"] for r in inits}
    assert max(r["objective"] for r in inits) == pytest.approx(est.objective_history_[-1])
    assert [r["objective"] for r in iters] == est.objective_history_[1:]
    assert all(r["solver_steps"] > 0 for r in iters)
    assert set(est.stop_reasons_) == {"init", "iterations"}
    assert est.stop_reasons_["iterations"] in ("labels_repeat", "tol")
    assert est.fit_seconds_ > 0
    # one outer iteration allowed from a poor start: the stop reason says so
    bad = np.arange(len(X)) % 3
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        capped = ILASDP(3, init=bad, max_iter=1, tol=0.0, random_state=0).fit(X)
    assert capped.n_iter_ == 1 and capped.stop_reasons_["iterations"] == "max_iter"


def test_verbose_levels(capsys):
    X, _ = _blobs(n_per=15)
    ILASDP(3, random_state=0).fit(X)
    assert capsys.readouterr().out == ""
    ILASDP(3, random_state=0, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "[ILASDP]" in out and "iteration 1" in out and "[lowrank]" not in out
    SDPKMeans(3, random_state=0, verbose=1).fit(X)
    assert "[SDPKMeans] SDP" in capsys.readouterr().out


def test_covariance_type_chosen_by_bic_in_grid_search():
    # axis-aligned clusters with different per-feature spreads: the diagonal
    # model has 24 covariance parameters against the full model's 108, and BIC
    # (computed on the rows the model was fitted on) must prefer it
    from sklearn.model_selection import GridSearchCV

    from skdeepcluster.model_selection import full_data_cv, neg_bic

    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 60)
    centers = rng.uniform(-4, 4, size=(3, 8))
    spreads = rng.uniform(0.3, 1.5, size=(3, 8))
    X = centers[y] + spreads[y] * rng.randn(len(y), 8)
    search = GridSearchCV(
        ILASDP(3, random_state=0),
        {"covariance_type": ["full", "diag", "tied", "spherical"]},
        scoring=neg_bic, cv=full_data_cv(X)).fit(X)
    assert search.best_params_ == {"covariance_type": "diag"}
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0]  # diag's BIC beats full's
    assert clustering_accuracy(y, search.best_estimator_.labels_) >= 0.95
