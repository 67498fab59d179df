"""
Choosing the number of clusters without labels
==============================================

Selection curves over ``n_clusters`` for the label-free scorers of
:mod:`skdeepcluster.metrics` and :mod:`skdeepcluster.model_selection`, on data
with 5 known clusters (the labels are used only for the title, never for
selection).

The first panel shows the pitfall: a model's own training objective
(``KMeans.score`` = minus the inertia) keeps improving as ``n_clusters`` grows,
so ``GridSearchCV`` with its default ``scoring=None`` picks the largest
candidate. The other scorers peak at (or next to) the true number of clusters.
"""

# %%
# Data: 5 Gaussian clusters in 6 dimensions
# -----------------------------------------
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV

from skdeepcluster.metrics import (
    calinski_harabasz_scorer,
    davies_bouldin_scorer,
    silhouette_scorer,
)
from skdeepcluster.model_selection import (
    full_data_cv,
    held_out_likelihood_scorer,
    largest_n_clusters_within,
    make_stability_scorer,
    neg_bic,
)

QUICK = os.environ.get("SKDEEPCLUSTER_EXAMPLE_QUICK") == "1"
n_samples = 300 if QUICK else 1000
grid = list(range(2, 9))
X, y = make_blobs(n_samples, n_features=6, centers=5, cluster_std=1.5,
                  random_state=3)
print(f"{n_samples} rows, true number of clusters: {len(np.unique(y))}")

# %%
# One grid search per scorer
# --------------------------
# Inductive models (with ``predict``) are scored on held-out folds; BIC is
# computed on the data the model was fitted on (``cv=full_data_cv(X)``).
# The stability scorer refits the candidate on pairs of half-samples and
# measures their agreement (ARI); ``largest_n_clusters_within`` takes the
# finest clustering that is (almost) as stable as the best one.
kmeans = KMeans(n_init=3, random_state=0)
gmm = GaussianMixture(random_state=0)
setups = {
    "KMeans.score (-inertia): DON'T": (kmeans, "n_clusters", None, 3, True),
    "silhouette": (kmeans, "n_clusters", silhouette_scorer, 3, True),
    "Calinski-Harabasz": (kmeans, "n_clusters", calinski_harabasz_scorer, 3, True),
    "-Davies-Bouldin": (kmeans, "n_clusters", davies_bouldin_scorer, 3, True),
    "stability (ARI)": (kmeans, "n_clusters", make_stability_scorer(3), 2,
                        largest_n_clusters_within(0.02)),
    "GMM held-out log-lik.": (gmm, "n_components", held_out_likelihood_scorer, 3, True),
    "GMM -BIC (fit on all)": (gmm, "n_components", neg_bic, full_data_cv(X), True),
}

curves = {}
for name, (est, param, scoring, cv, refit) in setups.items():
    search = GridSearchCV(est, {param: grid}, scoring=scoring, cv=cv, refit=refit)
    search.fit(X)
    curves[name] = (search.cv_results_["mean_test_score"], search.best_params_[param])
    print(f"{name:32s} picks {search.best_params_[param]}")

# %%
# Selection curves
# ----------------
fig, axes = plt.subplots(2, 4, figsize=(13, 5.5), sharex=True)
for ax, (name, (scores, best)) in zip(axes.ravel(), curves.items()):
    ax.plot(grid, scores, "o-")
    ax.axvline(best, color="tab:red", ls="--", lw=1)
    ax.set_title(f"{name}\npicks {best}", fontsize=9)
    ax.set_xlabel("n_clusters")
axes.ravel()[-1].axis("off")
fig.suptitle("Label-free selection of n_clusters (true: 5)")
fig.tight_layout()
plt.show()

# %%
# Transductive estimators
# -----------------------
# Estimators without ``predict`` (here agglomerative clustering) cannot label
# a held-out fold. Score them on the rows they were fitted on; with
# ``use_fitted_labels=True`` the scorer reads ``labels_`` instead of refitting.
from sklearn.cluster import AgglomerativeClustering

from skdeepcluster.metrics import make_label_free_scorer

fitted_silhouette = make_label_free_scorer("silhouette", use_fitted_labels=True)
search = GridSearchCV(AgglomerativeClustering(), {"n_clusters": grid},
                      scoring=fitted_silhouette, cv=full_data_cv(X)).fit(X)
print("AgglomerativeClustering + full_data_cv picks", search.best_params_["n_clusters"])

# %%
# A deep model: DEPICT
# --------------------
# Deep clusterers learn a different embedding for every candidate, so an index
# computed in each candidate's own embedding compares different spaces. The
# label-free scorers compute it in a FIXED space (here the input space), and
# ``full_data_cv`` fits each candidate once on all rows. DEPICT's own
# ``score`` (minus its training objective) is shown for contrast: it is meant
# for comparing settings at a fixed ``n_clusters``, not across them. (A small
# network and few epochs, on tighter clusters, to keep the example fast.)
from skdeepcluster import DEPICT

X_deep, _ = make_blobs(300, n_features=6, centers=5, cluster_std=1.0,
                       random_state=3)
epochs = dict(pretrain_max_epochs=15, init_max_epochs=5, max_epochs=15) if QUICK \
    else dict(pretrain_max_epochs=30, init_max_epochs=10, max_epochs=30)
depict = DEPICT(hidden_dims=(32, 16), kmeans_n_init=3, random_state=0, **epochs)
deep_grid = [3, 4, 5, 6, 7]
cv_all = full_data_cv(X_deep)
by_silhouette = GridSearchCV(depict, {"n_clusters": deep_grid},
                             scoring=silhouette_scorer, cv=cv_all).fit(X_deep)
by_objective = GridSearchCV(depict, {"n_clusters": deep_grid}, scoring=None,
                            cv=cv_all, refit=False).fit(X_deep)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
for ax, search, title in ((ax1, by_silhouette, "silhouette in input space"),
                          (ax2, by_objective, "DEPICT.score (training objective)")):
    ax.plot(deep_grid, search.cv_results_["mean_test_score"], "o-")
    best = search.best_params_["n_clusters"]
    ax.axvline(best, color="tab:red", ls="--", lw=1)
    ax.set_title(f"{title}\npicks {best}", fontsize=9)
    ax.set_xlabel("n_clusters")
fig.tight_layout()
plt.show()
print("DEPICT + silhouette picks", by_silhouette.best_params_["n_clusters"])
