"""Label-free model selection: scorers, splits and n_clusters selection.

To add an estimator to the selection test, add ONE entry to ``CASES`` below:
``(id, "module:Class", params, param_name, scoring, cv[, "slow"])``. A class that
cannot be imported fails its case.
"""

import importlib

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdeepcluster.metrics import dbcv_score, dbcv_scorer, silhouette_scorer
from skdeepcluster.model_selection import (
    full_data_cv,
    make_label_free_scorer,
    held_out_likelihood_scorer,
    largest_n_clusters_within,
    make_stability_scorer,
    neg_aic,
    neg_bic,
    select_n_clusters,
    stability_scorer,
)

TRUE_K = 4
GRID = [2, 3, 4, 5, 6]


@pytest.fixture(autouse=True)
def _one_thread():
    # 2 shared cores: OpenMP oversubscription makes small KMeans fits 10-100x slower
    with threadpool_limits(limits=1):
        yield


def _simplex_blobs(n=400, random_state=0):
    """4 equidistant, well-separated Gaussian clusters in 5-D (no hierarchy)."""
    centers = 7.0 * np.eye(TRUE_K, 5)
    X, y = make_blobs(n, centers=centers, cluster_std=1.0, random_state=random_state)
    return X, y


def _hierarchical_blobs(n=400):
    """2 groups of 2 clusters: a coarse split (k=2) is as stable as k=4."""
    centers = np.array([[0.0, 0.0], [0.0, 6.0], [30.0, 0.0], [30.0, 6.0]])
    return make_blobs(n, centers=centers, cluster_std=0.8, random_state=0)


SCORERS = {
    "silhouette": silhouette_scorer,
    "dbcv": dbcv_scorer,
    "likelihood": held_out_likelihood_scorer,
    "bic": neg_bic,
    "aic": neg_aic,
    "stability": make_stability_scorer(3),
}

# (id, "module:Class", constructor params, searched parameter, scorer, cv[, "slow"])
# cv: an int (held-out k-fold) or "full" (full_data_cv, for transductive
# estimators and training-data criteria such as BIC); a trailing "slow" marks
# the case slow (excluded from the default run).
CASES = [
    ("kmeans-silhouette", "sklearn.cluster:KMeans",
     dict(n_init=3, random_state=0), "n_clusters", "silhouette", 5),
    ("kmeans-dbcv", "sklearn.cluster:KMeans",
     dict(n_init=3, random_state=0), "n_clusters", "dbcv", 5),
    ("kmeans-stability", "sklearn.cluster:KMeans",
     dict(n_init=3, random_state=0), "n_clusters", "stability", 2),
    ("gmm-likelihood", "sklearn.mixture:GaussianMixture",
     dict(random_state=0), "n_components", "likelihood", 5),
    ("gmm-bic-full", "sklearn.mixture:GaussianMixture",
     dict(random_state=0), "n_components", "bic", "full"),
    ("gmm-silhouette", "sklearn.mixture:GaussianMixture",
     dict(random_state=0), "n_components", "silhouette", 5),
    ("agglomerative-silhouette-full", "sklearn.cluster:AgglomerativeClustering",
     dict(), "n_clusters", "silhouette", "full"),
    # --- skdeepcluster estimators ----------------------------------------------
    # SDP fits take seconds each on 2 busy cores (25-50 s per search): slow
    ("ILASDP-likelihood", "skdeepcluster:ILASDP",
     dict(solver="lowrank", n_restarts=1, random_state=0),
     "n_clusters", "likelihood", 2, "slow"),
    ("SDPKMeans-silhouette-full", "skdeepcluster:SDPKMeans",
     dict(solver="lowrank", n_restarts=1, random_state=0),
     "n_clusters", "silhouette", "full", "slow"),
    ("DEPICT-silhouette-full", "skdeepcluster:DEPICT",
     dict(hidden_dims=(16, 16), batch_size=64, pretrain_max_epochs=20,
          init_max_epochs=5, max_epochs=20, kmeans_n_init=3, random_state=0),
     "n_clusters", "silhouette", "full"),
]


def _load(spec):
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)  # a missing class fails


def _case_params(cases):
    for case in cases:
        marks = [pytest.mark.slow] if case[-1] == "slow" else []
        yield pytest.param(case[:6], id=case[0], marks=marks)


@pytest.mark.parametrize("case", list(_case_params(CASES)))
def test_grid_search_finds_true_n_clusters(case):
    _, spec, params, param_name, scoring, cv = case
    est = _load(spec)(**params)
    X, _ = _simplex_blobs()
    search = GridSearchCV(
        est, {param_name: GRID}, scoring=SCORERS[scoring],
        cv=full_data_cv(X) if cv == "full" else cv, error_score="raise",
    )
    search.fit(X)
    assert search.best_params_[param_name] == TRUE_K, search.cv_results_["mean_test_score"]


def test_training_objective_pitfall():
    # the documented pitfall: KMeans.score (-inertia) improves with k, so the
    # default scoring picks the largest candidate; silhouette does not
    X, _ = _simplex_blobs()
    km = KMeans(n_init=3, random_state=0)
    naive = GridSearchCV(km, {"n_clusters": GRID}, cv=5).fit(X)
    assert naive.best_params_["n_clusters"] == max(GRID)
    fixed = GridSearchCV(km, {"n_clusters": GRID}, cv=5,
                         scoring=silhouette_scorer).fit(X)
    assert fixed.best_params_["n_clusters"] == TRUE_K


# --------------------------------------------------------------------------- #
# full_data_cv
# --------------------------------------------------------------------------- #
def test_full_data_cv():
    X = np.zeros((7, 2))
    for arg in (7, X, X.tolist()):
        ((train, test),) = full_data_cv(arg)
        np.testing.assert_array_equal(train, np.arange(7))
        np.testing.assert_array_equal(test, np.arange(7))
    with pytest.raises(ValueError, match="at least 2 samples"):
        full_data_cv(1)


def test_transductive_scoring_uses_labels_without_refit():
    X, _ = _simplex_blobs(200)

    class CountingAgglo(AgglomerativeClustering):
        n_fits = 0

        def fit(self, X, y=None):
            type(self).n_fits += 1
            return super().fit(X, y)

    fast = make_label_free_scorer("silhouette", use_fitted_labels=True)
    search = GridSearchCV(CountingAgglo(), {"n_clusters": GRID},
                          scoring=fast, cv=full_data_cv(X), refit=False).fit(X)
    assert search.best_params_["n_clusters"] == TRUE_K
    # one fit per candidate: the scorer read labels_ instead of refitting
    assert CountingAgglo.n_fits == len(GRID)
    # the default scorer refits on the scored rows (same result, 2 fits each)
    CountingAgglo.n_fits = 0
    slow = GridSearchCV(CountingAgglo(), {"n_clusters": GRID},
                        scoring=silhouette_scorer, cv=full_data_cv(X),
                        refit=False).fit(X)
    np.testing.assert_allclose(slow.cv_results_["mean_test_score"],
                               search.cv_results_["mean_test_score"])
    assert CountingAgglo.n_fits == 2 * len(GRID)


def test_fitted_labels_only_on_request():
    X, y = _simplex_blobs(200)
    fast = make_label_free_scorer("silhouette", use_fitted_labels=True)
    agglo = AgglomerativeClustering(TRUE_K).fit(X[:150])
    with pytest.raises(ValueError, match="full_data_cv"):
        fast(agglo, X[150:])
    # default: a held-out fold of the same size as the training fold (cv=2 on
    # an even number of rows) is clustered by a refit, never given the
    # training rows' labels_
    agglo = AgglomerativeClustering(TRUE_K).fit(X[:100])
    expected = silhouette_score(X[100:], AgglomerativeClustering(TRUE_K).fit_predict(X[100:]))
    assert silhouette_scorer(agglo, X[100:]) == pytest.approx(expected)


# --------------------------------------------------------------------------- #
# likelihood and information criteria
# --------------------------------------------------------------------------- #
def test_held_out_likelihood_matches_gmm_score():
    X, _ = _simplex_blobs(200)
    gm = GaussianMixture(4, random_state=0).fit(X[:150])
    assert held_out_likelihood_scorer(gm, X[150:]) == pytest.approx(gm.score(X[150:]))


@pytest.mark.parametrize("scorer", [held_out_likelihood_scorer, neg_bic, neg_aic])
def test_likelihood_scorers_reject_models_without_likelihood(scorer):
    X, _ = _simplex_blobs(100)
    km = KMeans(3, n_init=1, random_state=0).fit(X)
    with pytest.raises(TypeError, match="score_samples.*silhouette_scorer"):
        scorer(km, X)


def test_neg_bic_aic_match_gmm_and_pipeline_fallback():
    X, _ = _simplex_blobs(200)
    gm = GaussianMixture(3, random_state=0).fit(X)
    assert neg_bic(gm, X) == pytest.approx(-gm.bic(X))
    assert neg_aic(gm, X) == pytest.approx(-gm.aic(X))
    # a pipeline has no bic(): computed from score_samples + _n_parameters
    pipe = make_pipeline(StandardScaler(), GaussianMixture(3, random_state=0)).fit(X)
    Z = pipe[0].transform(X)
    assert neg_bic(pipe, X) == pytest.approx(-pipe[-1].bic(Z))
    assert neg_aic(pipe, X) == pytest.approx(-pipe[-1].aic(Z))


def test_neg_bic_needs_parameter_count():
    class Density:
        def score_samples(self, X):
            return np.zeros(len(X))

    with pytest.raises(TypeError, match="number of free parameters"):
        neg_bic(Density(), np.zeros((5, 2)))


# --------------------------------------------------------------------------- #
# stability
# --------------------------------------------------------------------------- #
def test_stability_scorer_values_and_reproducibility():
    X, _ = _simplex_blobs(300)
    scorer = make_stability_scorer(3, random_state=1)
    good = KMeans(TRUE_K, n_init=3, random_state=0).fit(X)
    over = KMeans(TRUE_K + 2, n_init=3, random_state=0).fit(X)
    s_good = scorer(good, X)
    assert s_good > 0.95
    assert scorer(over, X) < s_good - 0.05
    assert scorer(good, X) == s_good  # deterministic given random_state
    assert -1.0 <= stability_scorer(over, X) <= 1.0


def test_stability_scorer_transductive():
    X, _ = _simplex_blobs(200)
    scorer = make_stability_scorer(2)
    good = scorer(AgglomerativeClustering(TRUE_K), X)
    over = scorer(AgglomerativeClustering(TRUE_K + 2), X)
    assert good > 0.95 and over < good


def test_stability_reseed_uses_different_seeds():
    X, _ = _simplex_blobs(200)
    km = KMeans(TRUE_K, n_init=1, random_state=0)
    assert make_stability_scorer(2, reseed=True)(km, X) > 0.9


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_resamples=0), "n_resamples"),
    (dict(subsample=1.5), "subsample"),
    (dict(subsample="half"), "subsample"),
])
def test_stability_scorer_bad_params(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_stability_scorer(**kwargs)


def test_stability_scorer_tiny_fold():
    with pytest.raises(ValueError, match="too few"):
        make_stability_scorer(subsample=0.2)(KMeans(2), np.zeros((4, 2)))


def test_largest_within_rule_on_hierarchical_data():
    X, _ = _hierarchical_blobs()
    km = KMeans(n_init=3, random_state=0)
    scorer = make_stability_scorer(3)
    rule = GridSearchCV(km, {"n_clusters": GRID}, scoring=scorer, cv=2,
                        refit=largest_n_clusters_within(0.02)).fit(X)
    assert rule.best_params_["n_clusters"] == TRUE_K
    assert rule.best_estimator_.n_clusters == TRUE_K


def test_largest_within_rule_errors():
    rule = largest_n_clusters_within(0.0)
    res = {"mean_test_score": np.array([0.5, 0.5, 0.2]),
           "param_n_clusters": np.array([2, 3, 4])}
    assert rule(res) == 1  # ties go to the larger k
    with pytest.raises(ValueError, match="every candidate failed"):
        rule({"mean_test_score": np.array([np.nan]), "param_n_clusters": np.array([2])})
    with pytest.raises(ValueError, match="param_name"):
        rule({"mean_test_score": np.array([1.0]), "param_alpha": np.array([2])})
    with pytest.raises(ValueError, match="param_k"):
        largest_n_clusters_within(param_name="k")(res)


# --------------------------------------------------------------------------- #
# select_n_clusters
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("est", [
    KMeans(n_init=3, random_state=0),            # silhouette, cv=5
    GaussianMixture(random_state=0),             # held-out likelihood, cv=5
    AgglomerativeClustering(),                   # silhouette, full_data_cv
    make_pipeline(StandardScaler(), KMeans(n_init=3, random_state=0)),
], ids=["kmeans", "gmm", "agglomerative", "pipeline"])
def test_select_n_clusters_defaults(est):
    X, _ = _simplex_blobs(300)
    res = select_n_clusters(est, X, GRID)
    assert res.n_clusters == TRUE_K
    assert res.mean_score.shape == (len(GRID),)
    np.testing.assert_array_equal(res.candidates, GRID)
    assert res.search.best_params_  # fitted search


def test_select_n_clusters_stability_with_tol():
    X, _ = _hierarchical_blobs()
    res = select_n_clusters(KMeans(n_init=3, random_state=0), X, GRID,
                            scoring=make_stability_scorer(3), cv=2, tol=0.02)
    assert res.n_clusters == TRUE_K


def test_select_n_clusters_errors():
    X, _ = _simplex_blobs(100)
    with pytest.raises(ValueError, match="empty"):
        select_n_clusters(KMeans(), X, [])
    with pytest.raises(ValueError, match="param_name"):
        select_n_clusters(StandardScaler(), X, [2, 3])


# --------------------------------------------------------------------------- #
# DBCV
# --------------------------------------------------------------------------- #
def test_dbcv_prefers_density_connected_clusters():
    from sklearn.datasets import make_moons

    X, y = make_moons(300, noise=0.06, random_state=0)
    km = KMeans(2, n_init=3, random_state=0).fit_predict(X)
    assert dbcv_score(X, y) > 0.3 > 0.0 > dbcv_score(X, km)
    # silhouette prefers the (wrong) convex k-means split, DBCV the moons
    single = GridSearchCV(AgglomerativeClustering(linkage="single"),
                          {"n_clusters": [2, 3, 4, 5]}, scoring=dbcv_scorer,
                          cv=full_data_cv(X)).fit(X)
    assert single.best_params_["n_clusters"] == 2


def test_dbcv_invariances_noise_and_errors():
    X, y = _simplex_blobs(200)
    base = dbcv_score(X, y)
    assert -1.0 <= base <= 1.0
    assert dbcv_score(3.0 * X + 1.0, y) == pytest.approx(base)
    assert dbcv_score(X, (y + 1) % TRUE_K) == pytest.approx(base)
    noisy = y.copy()
    noisy[:20] = -1  # noise rows count in n but belong to no cluster
    assert dbcv_score(X, noisy) < base
    with pytest.raises(ValueError, match="at least 2 clusters"):
        dbcv_score(X, np.zeros(len(X), dtype=int))
    with pytest.raises(ValueError, match="one label per row"):
        dbcv_score(X, y[:-1])
    sub = make_label_free_scorer("dbcv", sample_size=100)
    km = KMeans(TRUE_K, n_init=3, random_state=0).fit(X)
    assert sub(km, X) == sub(km, X) > 0.3


def test_stability_reseed_reaches_into_pipelines(monkeypatch):
    # reseed=True looked for random_state in the pipeline's own parameters only,
    # so a pipeline's clusterer was never reseeded (the same as reseed=False)
    import skdeepcluster.model_selection._label_free as lf

    seen = []
    fit_clone = lf._fit_clone

    def spy(estimator, X, seed, fit_predict):
        est, labels = fit_clone(estimator, X, seed, fit_predict)
        seen.append(est[-1].random_state)
        return est, labels

    monkeypatch.setattr(lf, "_fit_clone", spy)
    X, _ = _simplex_blobs(200)
    pipe = make_pipeline(StandardScaler(), KMeans(TRUE_K, n_init=1, random_state=0))
    assert make_stability_scorer(2, reseed=True)(pipe, X) > 0.9
    assert len(seen) == 4 and len(set(seen)) == 4 and 0 not in seen
