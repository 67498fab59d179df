"""kNN graphs and spectral clustering on them (skdeepcluster.utils._graph)."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import make_circles, make_moons
from sklearn.manifold import spectral_embedding
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

import skdeepcluster.utils._graph as graph
from skdeepcluster.utils import knn_indices, knn_spectral_clustering


def _sklearn_knn(X, k):
    return NearestNeighbors(n_neighbors=k).fit(X).kneighbors(return_distance=False)


@pytest.mark.parametrize("n", [50, 700])
def test_knn_indices_match_scikit_learn(n):
    X = np.random.RandomState(0).randn(n, 4)
    ours = knn_indices(X, 7)
    assert ours.shape == (n, 7) and ours.dtype == np.int64
    assert not np.any(ours == np.arange(n)[:, None])  # never its own neighbour
    np.testing.assert_array_equal(np.sort(ours, 1), np.sort(_sklearn_knn(X, 7), 1))


def test_knn_indices_faiss_path_matches(monkeypatch):
    pytest.importorskip("faiss")
    monkeypatch.setattr(graph, "FAISS_MIN_SAMPLES", 100)
    X = np.random.RandomState(1).randn(400, 3)
    X[1] = X[0]  # an exact duplicate must not displace a row's own entry wrongly
    ours = knn_indices(X, 5)
    assert not np.any(ours == np.arange(400)[:, None])
    ref = _sklearn_knn(X, 5)
    agree = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(ours, ref)])
    assert agree > 0.99


def test_knn_indices_rejects_bad_k():
    with pytest.raises(ValueError, match="n_neighbors"):
        knn_indices(np.zeros((5, 2)), 5)


def test_knn_spectral_clustering_says_when_n_neighbors_is_reduced():
    # n_neighbors >= n_samples is still reduced to n_samples - 1, now with a
    # warning; a value that fits runs silently
    X, _ = make_moons(n_samples=30, noise=0.05, random_state=0)
    with pytest.warns(UserWarning, match=r"n_neighbors=40 .*reduced to n_samples - 1 = 29"):
        clipped = knn_spectral_clustering(X, 2, 40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitting = knn_spectral_clustering(X, 2, 29, random_state=0)
    np.testing.assert_array_equal(clipped, fitting)


@pytest.mark.parametrize("n", [600, 1600])  # dense eigh path, then LOBPCG
def test_spectral_recovers_non_convex_clusters_kmeans_misses(n):
    X, y = make_moons(n_samples=n, noise=0.05, random_state=0)
    labels = knn_spectral_clustering(X, 2, 10, random_state=0)
    km = KMeans(2, n_init=10, random_state=0).fit_predict(X)
    assert adjusted_rand_score(y, labels) > 0.95
    assert adjusted_rand_score(y, km) < 0.6


def test_lobpcg_embedding_agrees_with_scikit_learn_arpack():
    X, y = make_circles(n_samples=1500, factor=0.4, noise=0.04, random_state=0)
    A = graph._connectivity(knn_indices(X, 10))
    ref = spectral_embedding(A, n_components=2, eigen_solver="arpack",
                             random_state=0, drop_first=False)
    labels_arpack = graph._cluster_qr(ref)
    labels = knn_spectral_clustering(X, 2, 10, random_state=0)  # LOBPCG path
    assert adjusted_rand_score(y, labels_arpack) > 0.95
    assert adjusted_rand_score(labels_arpack, labels) > 0.99


def test_dense_and_lobpcg_paths_agree(monkeypatch):
    X, _ = make_moons(n_samples=900, noise=0.06, random_state=1)
    dense = knn_spectral_clustering(X, 2, 10, random_state=0)
    monkeypatch.setattr(graph, "_DENSE_MAX", 100)
    assert adjusted_rand_score(dense, knn_spectral_clustering(X, 2, 10, random_state=0)) > 0.99


def test_spectral_is_deterministic_and_tiny_inputs_work():
    X = np.random.RandomState(0).randn(40, 3)
    a = knn_spectral_clustering(X, 4, 10, random_state=3)
    b = knn_spectral_clustering(X, 4, 10, random_state=3)
    np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="reduced to n_samples - 1 = 2"):
        tiny = knn_spectral_clustering(X[:3], 2, 10, random_state=0)
    assert tiny.shape == (3,) and set(tiny) <= {0, 1}


def test_many_clusters_fall_back_to_the_dense_solver():
    # LOBPCG needs at least 3 rows per requested eigenvector
    X = np.random.RandomState(0).randn(1200, 3)
    labels = knn_spectral_clustering(X, 400, 5, random_state=0)
    assert labels.shape == (1200,) and labels.min() >= 0 and labels.max() < 400
    assert len(np.unique(labels)) > 200


def test_lobpcg_failure_falls_back_to_arpack(monkeypatch):
    def broken(*args, **kwargs):
        raise torch.linalg.LinAlgError("cholesky failed")

    monkeypatch.setattr(torch, "lobpcg", broken)
    X, y = make_circles(n_samples=1500, factor=0.4, noise=0.04, random_state=0)
    assert adjusted_rand_score(y, knn_spectral_clustering(X, 2, 10, random_state=0)) > 0.95


def test_knn_spectral_clustering_rejects_bad_input_clearly():
    # these reached scipy's eigh ("Requested eigenvalue indices are not valid")
    # and torch ("Dimension out of range") instead of a ValueError naming the cause
    X, _ = make_moons(50, noise=0.05, random_state=0)
    with pytest.raises(ValueError, match="fewer samples than clusters"):
        knn_spectral_clustering(X, 60)
    with pytest.raises(ValueError, match="2D array"):
        knn_spectral_clustering(X[:, 0], 2)
    with pytest.raises(ValueError, match="NaN"):
        knn_spectral_clustering(np.where(np.eye(50, 2) > 0, np.nan, X), 2)
    assert knn_spectral_clustering(X, 2, random_state=0).shape == (50,)
