"""k-means and nearest-neighbour back-ends: scikit-learn for small data, faiss at scale."""

import numpy as np
from sklearn.cluster import KMeans

from ._random import torch_seed

__all__ = ["fit_kmeans", "FAISS_MIN_SAMPLES"]

#: Above this many samples ``backend="auto"`` uses faiss (when installed).
FAISS_MIN_SAMPLES = 20_000


def _faiss():
    try:
        import faiss  # noqa: F401
    except ImportError:  # pragma: no cover - faiss-cpu is a dependency
        return None
    return faiss


def fit_kmeans(X, n_clusters, *, n_init=10, max_iter=300, random_state=None,
               backend="auto", init="k-means++"):
    """k-means returning ``(labels, centers, inertia)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    n_init, max_iter : int
    random_state : int, RandomState instance or None
    backend : {"auto", "sklearn", "faiss"}, default="auto"
        ``"auto"`` uses faiss above :data:`FAISS_MIN_SAMPLES` rows, scikit-learn's
        :class:`~sklearn.cluster.KMeans` (k-means++) below.
    init : str or ndarray, default="k-means++"
        Passed to scikit-learn (an array fixes the initial centres).
    """
    X = np.asarray(X)
    faiss = _faiss()
    use_faiss = backend == "faiss" or (
        backend == "auto" and faiss is not None and len(X) >= FAISS_MIN_SAMPLES
        and isinstance(init, str)
    )
    if use_faiss:
        if faiss is None:
            raise ImportError("backend='faiss' needs the faiss-cpu package.")
        seed = torch_seed(random_state)
        Xf = np.ascontiguousarray(X, dtype=np.float32)
        km = faiss.Kmeans(Xf.shape[1], int(n_clusters), niter=int(max_iter),
                          nredo=int(n_init), seed=seed, verbose=False,
                          max_points_per_centroid=max(256, len(Xf) // n_clusters + 1))
        km.train(Xf)
        dist, labels = km.index.search(Xf, 1)
        centers = km.centroids.astype(X.dtype if X.dtype.kind == "f" else np.float64)
        return labels.ravel().astype(np.int64), centers, float(dist.sum())
    km = KMeans(n_clusters=int(n_clusters), n_init=n_init, max_iter=max_iter,
                random_state=random_state, init=init)
    labels = km.fit_predict(X)
    return labels.astype(np.int64), km.cluster_centers_, float(km.inertia_)
