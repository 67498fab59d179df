"""
Distributing a label-free grid search with Dask
===============================================

Every candidate of a grid search is an independent fit, so
``joblib.parallel_backend("dask")`` spreads a ``GridSearchCV`` over a Dask
cluster without any change to the estimator or the scorer. This example runs
the same label-free search (number of clusters chosen by clustering
stability) locally and on a 2-worker :class:`~dask.distributed.LocalCluster`,
and checks that both pick the same ``n_clusters`` with identical scores.

For a real cluster replace the ``LocalCluster`` by
``Client("tcp://scheduler:8786")``; with GPUs run one worker per GPU (see the
GPU page of the user guide).

.. note::

   Optional packages: this example needs ``dask`` and ``distributed``
   (``pip install "dask[distributed]"``; the ``test`` extra installs both).
   Without them it says so and runs the second search on 2 threads of
   joblib's own ``threading`` back-end instead, which makes the same point:
   the parallel back-end changes neither the scores nor the choice.

.. note::

   The cluster here runs its workers as threads of this process
   (``processes=False``) so that the example needs no
   ``if __name__ == "__main__":`` guard. That is fine for scikit-learn
   estimators; for torch-based estimators (DEPICT, DSC, PBN) use worker
   *processes* (the default; put the code under a ``__main__`` guard), because
   concurrent torch fits in threads share one random generator and are not
   reproducible.
"""

# %%
# Data and search
# ---------------
import os
import time

import joblib
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV

from skdeepcluster.model_selection import (
    largest_n_clusters_within,
    make_stability_scorer,
)

try:
    from dask.distributed import Client, LocalCluster
except ImportError:  # optional: fall back to joblib's threading back-end
    Client = LocalCluster = None

QUICK = os.environ.get("SKDEEPCLUSTER_EXAMPLE_QUICK") == "1"
n_samples = 400 if QUICK else 3000
grid = {"n_clusters": list(range(2, 9))}
X, _ = make_blobs(n_samples, n_features=8, centers=6, cluster_std=1.2,
                  random_state=7)


def make_search():
    return GridSearchCV(
        KMeans(n_init=3, random_state=0), grid,
        scoring=make_stability_scorer(n_resamples=3), cv=2,
        refit=largest_n_clusters_within(0.02),
    )


# %%
# Local run
# ---------
t0 = time.perf_counter()
local = make_search().fit(X)
t_local = time.perf_counter() - t0
print(f"local:        n_clusters={local.best_params_['n_clusters']}  "
      f"{t_local:.1f} s")

# %%
# The same search on a Dask cluster
# ---------------------------------
# ``n_jobs`` stays at its default: inside ``parallel_backend("dask")`` the
# search uses every worker of the connected client. Without Dask installed
# the same search runs on two threads of joblib's ``threading`` back-end.
if LocalCluster is not None:
    where = "Dask, 2 workers"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster):
        t0 = time.perf_counter()
        with joblib.parallel_backend("dask"):
            remote = make_search().fit(X)
        t_remote = time.perf_counter() - t0
else:
    where = "joblib threading, 2 threads"
    print("dask.distributed is not installed (pip install \"dask[distributed]\"): "
          "running the second search on joblib's threading back-end instead.")
    t0 = time.perf_counter()
    with joblib.parallel_backend("threading", n_jobs=2):
        remote = make_search().fit(X)
    t_remote = time.perf_counter() - t0
print(f"{where}: n_clusters={remote.best_params_['n_clusters']}  "
      f"{t_remote:.1f} s")

assert remote.best_params_ == local.best_params_
np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                           local.cv_results_["mean_test_score"])

# %%
# Both runs give the same selection curve
# ---------------------------------------
fig, ax = plt.subplots(figsize=(5, 3.2))
ks = grid["n_clusters"]
ax.plot(ks, local.cv_results_["mean_test_score"], "o-", label="local")
ax.plot(ks, remote.cv_results_["mean_test_score"], "x--", label=where)
ax.axvline(local.best_params_["n_clusters"], color="tab:red", lw=1, ls=":")
ax.set_xlabel("n_clusters")
ax.set_ylabel("stability (mean ARI)")
ax.legend()
fig.tight_layout()
plt.show()
