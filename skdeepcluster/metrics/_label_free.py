"""Label-free scorers for ``GridSearchCV(scoring=...)`` on unlabeled data.

A scorer is called as ``scorer(estimator, X, y=None)`` by scikit-learn's search
objects. The cluster labels come from ``estimator.predict(X)`` (or, for
transductive estimators without ``predict``, from a refit with ``fit_predict``
on the scored rows, or from ``labels_`` with ``use_fitted_labels=True`` when the
scored rows are the fitted rows, as with ``cv=full_data_cv(X)``), and the index
is computed in a FIXED space (the input ``X`` by default, or a user-supplied
reference embedding), never in each candidate's own learned embedding, so that
different settings, including different numbers of clusters, are comparable.
"""

import numpy as np
from sklearn.base import clone
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from ..utils import final_step
from ._dbcv import dbcv_score

__all__ = [
    "make_label_free_scorer",
    "silhouette_scorer",
    "calinski_harabasz_scorer",
    "davies_bouldin_scorer",
    "dbcv_scorer",
]

_INDICES = {
    "silhouette": (silhouette_score, 1.0),
    "calinski_harabasz": (calinski_harabasz_score, 1.0),
    "davies_bouldin": (davies_bouldin_score, -1.0),  # lower is better
    "dbcv": (dbcv_score, 1.0),
}


def _scoring_space(estimator, X, space):
    """The fixed space of the index: ``space.transform(X)`` if given, else ``X``
    as the clusterer saw it (mapped by the earlier steps of a pipeline)."""
    if space is not None:
        return space.transform(X)
    if hasattr(estimator, "steps") and len(estimator.steps) > 1:
        return estimator[:-1].transform(X)
    return X


def _cluster_labels(estimator, X, use_fitted_labels=False):
    if hasattr(estimator, "predict"):
        return np.asarray(estimator.predict(X))
    if use_fitted_labels:
        # transductive estimator scored on the rows it was fitted on, i.e. with
        # ``cv=full_data_cv(X)`` (the documented split for such estimators); in a
        # pipeline the labels are the last step's
        labels = getattr(final_step(estimator), "labels_", None)
        if labels is None or len(labels) != len(X):
            raise ValueError(
                "use_fitted_labels=True scores the estimator's labels_, which "
                "needs the scored rows to be the fitted rows (cv=full_data_cv(X)); "
                f"got {len(X)} scored rows and "
                f"{'no labels_' if labels is None else f'{len(labels)} fitted rows'}."
            )
        return np.asarray(labels)
    return np.asarray(clone(estimator).fit_predict(X))


class _LabelFreeScorer:
    """Callable ``(estimator, X, y=None) -> float``, higher is better."""

    def __init__(self, index, space=None, sample_size=None, random_state=0,
                 use_fitted_labels=False):
        if index not in _INDICES:
            raise ValueError(
                f"index must be one of {sorted(_INDICES)}, got {index!r}."
            )
        self.index = index
        self.space = space
        self.sample_size = sample_size
        self.random_state = random_state
        self.use_fitted_labels = use_fitted_labels

    def __call__(self, estimator, X, y=None):
        labels = _cluster_labels(estimator, X, self.use_fitted_labels)
        Z = np.asarray(_scoring_space(estimator, X, self.space), dtype=np.float64)
        n_labels = len(np.unique(labels))
        if n_labels < 2 or n_labels >= len(Z):
            # the index is undefined: the worst possible score, not an exception
            return -np.inf
        func, sign = _INDICES[self.index]
        if self.index == "silhouette":
            value = func(Z, labels, sample_size=self.sample_size,
                         random_state=self.random_state)
        elif self.index == "dbcv" and self.sample_size is not None \
                and self.sample_size < len(Z):
            rng = np.random.RandomState(self.random_state)
            rows = rng.choice(len(Z), self.sample_size, replace=False)
            if len(np.unique(labels[rows][labels[rows] != -1])) < 2:
                return -np.inf
            value = func(Z[rows], labels[rows])
        else:
            value = func(Z, labels)
        return float(sign * value)

    def __repr__(self):
        space = "input" if self.space is None else type(self.space).__name__
        return f"make_label_free_scorer({self.index!r}, space={space})"


def make_label_free_scorer(index="silhouette", *, space=None, sample_size=None,
                           random_state=0, use_fitted_labels=False):
    """Build a scorer that needs no labels, for ``GridSearchCV(scoring=...)``.

    Parameters
    ----------
    index : {"silhouette", "calinski_harabasz", "davies_bouldin", "dbcv"}, \
            default="silhouette"
        The internal validity index. Davies-Bouldin is negated so that higher is
        better for all. DBCV (:func:`~skdeepcluster.metrics.dbcv_score`) rewards
        density-connected, possibly non-convex clusters.
    space : fitted transformer or None, default=None
        The fixed space in which the index is computed: ``None`` uses ``X`` as
        the clusterer sees it: the input ``X`` as passed to the scorer, or, when
        the estimator is a :class:`~sklearn.pipeline.Pipeline`, ``X`` mapped by
        its steps before the last (e.g. standardised by a ``StandardScaler``
        step; keep those steps out of the searched grid so that the space stays
        fixed); a fitted transformer (e.g. a PCA fitted once on all data, or a
        reference embedding) maps the input ``X`` first. Never the candidate's
        own embedding, which changes from candidate to candidate.
    sample_size : int or None
        Silhouette or DBCV on a random subsample of this size (their cost is
        quadratic).
    random_state : int, default=0
        Seed of that subsample.
    use_fitted_labels : bool, default=False
        For transductive estimators (no ``predict``): score their ``labels_``
        instead of refitting a clone on the scored rows. Only valid when the
        scored rows are the fitted rows, i.e. with ``cv=full_data_cv(X)``
        (a ``ValueError`` is raised when the row counts differ); it halves the
        cost of such searches. In a pipeline the last step's ``labels_`` are
        scored. Inductive estimators always use ``predict``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``; ``-inf`` when the clustering
        has a single cluster (the index is undefined there).

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdeepcluster.metrics import make_label_free_scorer
    >>> X, _ = make_blobs(300, centers=3, random_state=0)
    >>> search = GridSearchCV(KMeans(n_init=3, random_state=0),
    ...                       {"n_clusters": [2, 3, 4, 5]},
    ...                       scoring=make_label_free_scorer("silhouette"))
    >>> search.fit(X).best_params_
    {'n_clusters': 3}
    """
    return _LabelFreeScorer(index, space=space, sample_size=sample_size,
                            random_state=random_state,
                            use_fitted_labels=use_fitted_labels)


#: Silhouette computed in the input space (higher is better).
silhouette_scorer = make_label_free_scorer("silhouette")
#: Calinski-Harabasz index in the input space (higher is better).
calinski_harabasz_scorer = make_label_free_scorer("calinski_harabasz")
#: Negated Davies-Bouldin index in the input space (higher is better).
davies_bouldin_scorer = make_label_free_scorer("davies_bouldin")
#: DBCV (density-based clustering validation) in the input space (higher is
#: better; O(n^2), use ``make_label_free_scorer("dbcv", sample_size=...)`` on
#: large folds).
dbcv_scorer = make_label_free_scorer("dbcv")
