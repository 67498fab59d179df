"""Label-free grid searches on a real Dask LocalCluster give the local result.

The cluster uses 2 worker processes (``processes=True``). In-process (thread)
workers start faster and are fine for scikit-learn estimators, but torch-based
estimators are not reproducible when fitted concurrently in threads of one
process (the global torch RNG is shared: dropout and ``utils.seeded`` use it),
so searches over them need process workers, as here.
"""

import importlib

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from skdeepcluster.metrics import silhouette_scorer
from skdeepcluster.model_selection import full_data_cv, make_stability_scorer

distributed = pytest.importorskip("dask.distributed")

# (id, "module:Class", params, searched parameter, grid, scorer, cv)
CASES = [
    ("kmeans-silhouette", "sklearn.cluster:KMeans", dict(n_init=3, random_state=0),
     "n_clusters", [2, 3, 4, 5], "silhouette", 3),
    ("kmeans-stability", "sklearn.cluster:KMeans", dict(n_init=2, random_state=0),
     "n_clusters", [3, 4, 5], "stability", 2),
    ("NCDKMeans-silhouette", "skdeepcluster:NCDKMeans", dict(n_init=3, random_state=0),
     "n_clusters", [2, 3, 4, 5], "silhouette", 3),
    ("DEPICT-silhouette-full", "skdeepcluster:DEPICT",
     dict(hidden_dims=(16, 16), pretrain_max_epochs=10, init_max_epochs=3,
          max_epochs=10, kmeans_n_init=2, random_state=0),
     "n_clusters", [3, 4], "silhouette", "full"),
]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


def _load(spec):
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)  # a missing class fails


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_dask_search_matches_local(client, case):
    _, spec, params, param, grid, scoring, cv = case
    est = _load(spec)(**params)
    X, _ = make_blobs(240, n_features=4, centers=4, cluster_std=0.6, random_state=1)
    scorer = silhouette_scorer if scoring == "silhouette" else make_stability_scorer(2)
    cv = full_data_cv(X) if cv == "full" else cv

    def search():
        # n_jobs=None: sequential locally, all Dask workers under the backend
        return GridSearchCV(est, {param: grid}, scoring=scorer, cv=cv,
                            error_score="raise")

    local = search().fit(X)
    assert len(client.scheduler_info()["workers"]) == 2
    with joblib.parallel_backend("dask"):
        remote = search().fit(X)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-6)
    np.testing.assert_array_equal(remote.best_estimator_.labels_,
                                  local.best_estimator_.labels_)
