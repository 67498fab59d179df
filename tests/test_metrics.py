import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV

from skdeepcluster.metrics import (
    calinski_harabasz_scorer,
    clustering_accuracy,
    davies_bouldin_scorer,
    make_label_free_scorer,
    pairwise_f_score,
    silhouette_scorer,
)


def test_clustering_accuracy_is_permutation_invariant():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 5, 200)
    perm = rng.permutation(5)
    assert clustering_accuracy(y, perm[y]) == 1.0
    noisy = perm[y].copy()
    noisy[:20] = (noisy[:20] + 1) % 5
    assert clustering_accuracy(y, noisy) == pytest.approx(0.9)


def test_clustering_accuracy_unequal_numbers_of_clusters():
    # 3 classes, everything in one cluster: only the largest class is matched
    assert clustering_accuracy([0, 0, 0, 1, 2], [7, 7, 7, 7, 7]) == pytest.approx(0.6)
    # more clusters than classes: extra clusters count as errors
    assert clustering_accuracy([0, 0, 1, 1], [0, 1, 2, 3]) == pytest.approx(0.5)
    # string labels work
    assert clustering_accuracy(["a", "a", "b"], [1, 1, 0]) == 1.0


def test_clustering_accuracy_bad_input():
    with pytest.raises(ValueError):
        clustering_accuracy([0, 1], [0])
    with pytest.raises(ValueError):
        clustering_accuracy([], [])


def test_pairwise_f_score():
    assert pairwise_f_score([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    assert 0 < pairwise_f_score([0, 0, 1, 1], [0, 0, 0, 1]) < 1


@pytest.mark.parametrize(
    "scorer", [silhouette_scorer, calinski_harabasz_scorer, davies_bouldin_scorer]
)
def test_label_free_scorers_pick_true_k_on_unlabeled_data(scorer):
    centers = [[0, 0], [8, 0], [0, 8], [8, 8]]
    X, _ = make_blobs(400, centers=centers, cluster_std=0.8, random_state=1)
    search = GridSearchCV(
        KMeans(n_init=5, random_state=0), {"n_clusters": [2, 3, 4, 5, 6, 8]},
        scoring=scorer, cv=3,
    )
    search.fit(X)  # no y anywhere
    assert search.best_params_ == {"n_clusters": 4}


def test_label_free_scorer_fixed_space_and_degenerate_case():
    from sklearn.decomposition import PCA

    X, _ = make_blobs(200, centers=3, n_features=6, random_state=0)
    scorer = make_label_free_scorer("silhouette", space=PCA(2).fit(X))
    km = KMeans(3, n_init=3, random_state=0).fit(X)
    assert scorer(km, X) > 0.5
    one = KMeans(1, n_init=1, random_state=0).fit(X)
    assert scorer(one, X) == -np.inf
    with pytest.raises(ValueError, match="index"):
        make_label_free_scorer("accuracy")


def test_label_free_scorer_in_a_pipeline_uses_the_pipeline_space_and_labels():
    # the index is computed in X as the clusterer sees it (after the scaler),
    # and a transductive last step's labels_ are read under full_data_cv
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdeepcluster.model_selection import select_n_clusters

    X, _ = make_blobs(300, centers=4, n_features=2, random_state=0)
    Xw = np.c_[X, 100 * np.random.RandomState(0).randn(len(X))]  # a large-scale feature
    pipe = make_pipeline(StandardScaler(), KMeans(4, n_init=3, random_state=0)).fit(Xw)
    Z = pipe[0].transform(Xw)
    assert silhouette_scorer(pipe, Xw) == pytest.approx(
        silhouette_score(Z, pipe.predict(Xw)))

    fitted = make_label_free_scorer("silhouette", use_fitted_labels=True)
    agg = make_pipeline(StandardScaler(), AgglomerativeClustering(4)).fit(X)
    assert fitted(agg, X) == pytest.approx(
        silhouette_score(agg[0].transform(X), agg[-1].labels_))
    res = select_n_clusters(make_pipeline(StandardScaler(), AgglomerativeClustering()),
                            X, [2, 3, 4, 5, 6])
    assert np.isfinite(res.mean_score).all()
    assert res.n_clusters == 4
