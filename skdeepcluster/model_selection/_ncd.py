"""Hyper-parameter tuning for novel class discovery by hiding known classes.

Novel labels are never available, not even for tuning. Class-hiding
cross-validation (Troisemaine et al., 2024, Sec. 4 and Alg. 1) builds NCD
problems from the labelled rows alone: each split hides a few KNOWN classes
(their rows become unlabelled, -1), fits the estimator on the labelled rows, and
scores the Hungarian accuracy of the discovered clusters on the hidden rows.
"""

import itertools
import math
import numbers
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..metrics import clustering_accuracy
from ..ncd._base import check_ncd_labels
from ..utils import final_step

__all__ = ["ClassHidingCV", "NCDSearchCV", "ncd_cross_val_score"]


def _labelled_codes(y, n_samples):
    known, codes, classes = check_ncd_labels(y, n_samples, require_unlabeled=False)
    if len(classes) == 0:
        raise ValueError("Class-hiding cross-validation needs labelled rows (y != -1).")
    return known, codes, classes


class ClassHidingCV:
    """Splits that hide known classes: NCD problems built from labelled rows only.

    Each split draws a distinct combination of ``n_hidden`` known classes.
    ``split`` yields ``(train, hidden)``: ``train`` holds every labelled row, and
    ``hidden`` (a subset of ``train``) the rows of the hidden classes, which are
    to be relabelled -1 when fitting and scored afterwards. The unlabelled rows of
    ``y`` (-1, the real novel rows) are never used.

    Parameters
    ----------
    n_splits : int, default=10
        Number of distinct class combinations; must not exceed
        ``C(n_known, n_hidden)``.
    n_hidden : int, float or None, default=None
        Classes hidden per split: an int, a fraction of the known classes, or None
        for ``round(0.4 * n_known)`` (the paper hides 2 of 5). Always clipped to
        ``[2, n_known - 1]`` (hiding one class would make the clustering trivial).
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.model_selection import ClassHidingCV
    >>> y = np.repeat([0, 1, 2, 3, 4, -1], 4)
    >>> cv = ClassHidingCV(n_splits=3, n_hidden=2, random_state=0)
    >>> [len(hidden) for _, hidden in cv.split(np.zeros((24, 1)), y)]
    [8, 8, 8]
    """

    def __init__(self, n_splits=10, n_hidden=None, random_state=None):
        self.n_splits = n_splits
        self.n_hidden = n_hidden
        self.random_state = random_state

    def _n_hidden(self, n_known):
        if n_known < 3:
            raise ValueError(
                f"Class-hiding CV needs at least 3 known classes (hide 2, keep 1), got "
                f"{n_known}.")
        r = self.n_hidden
        if r is None:
            r = round(0.4 * n_known)
        elif isinstance(r, numbers.Real) and not isinstance(r, numbers.Integral):
            if not 0 < r < 1:
                raise ValueError(f"A float n_hidden must be in (0, 1), got {r}.")
            r = round(r * n_known)
        elif not isinstance(r, numbers.Integral):
            raise ValueError(f"n_hidden must be an int, a float or None, got {r!r}.")
        elif not 2 <= r < n_known:
            raise ValueError(
                f"n_hidden={r} must be in [2, n_known - 1] = [2, {n_known - 1}].")
        return int(min(max(r, 2), n_known - 1))

    def combinations(self, y):
        """The hidden class codes of each split (indices into the sorted classes)."""
        _, _, classes = _labelled_codes(y, len(y))
        n_known = len(classes)
        r = self._n_hidden(n_known)
        total = math.comb(n_known, r)
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 1:
            raise ValueError(f"n_splits must be a positive int, got {self.n_splits!r}.")
        if self.n_splits > total:
            raise ValueError(
                f"n_splits={self.n_splits} exceeds the {total} distinct ways to hide "
                f"{r} of {n_known} known classes; lower n_splits or change n_hidden.")
        rng = check_random_state(self.random_state)
        if total <= 10_000:
            allc = list(itertools.combinations(range(n_known), r))
            pick = rng.choice(total, self.n_splits, replace=False)
            return [tuple(allc[i]) for i in pick]
        seen, out = set(), []
        while len(out) < self.n_splits:
            c = tuple(sorted(rng.choice(n_known, r, replace=False).tolist()))
            if c not in seen:
                seen.add(c)
                out.append(c)
        return out

    def split(self, X, y, groups=None):
        """Yield ``(train, hidden)`` index arrays (see the class docstring)."""
        y = np.asarray(y) if not hasattr(y, "iloc") else y.to_numpy()
        known, codes, _ = _labelled_codes(y, len(y))
        train = np.flatnonzero(known)
        for combo in self.combinations(y):
            yield train, np.flatnonzero(np.isin(codes, combo) & known)

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits


def _check_cv(cv, random_state=None):
    if cv is None:
        return ClassHidingCV(n_splits=5, random_state=random_state)
    if isinstance(cv, numbers.Integral):
        return ClassHidingCV(n_splits=int(cv), random_state=random_state)
    if not isinstance(cv, ClassHidingCV):
        raise ValueError(
            "cv must be None, an int or a ClassHidingCV: folds must hide known classes, "
            f"got {cv!r}.")
    return cv


def _n_clusters_param(est):
    if isinstance(est, Pipeline):
        return f"{est.steps[-1][0]}__n_clusters"
    if "n_clusters" not in est.get_params():
        raise ValueError(f"{type(est).__name__} has no n_clusters parameter.")
    return "n_clusters"


def _fit_and_score(estimator, params, X, codes, train, hidden, n_clusters, error_score):
    t0 = time.perf_counter()
    y_fold = codes[train].copy()
    hidden_in_train = np.isin(train, hidden)
    y_fold[hidden_in_train] = -1
    est = clone(estimator).set_params(**params)
    est.set_params(**{_n_clusters_param(est): n_clusters})
    try:
        est.fit(X[train], y_fold)
        labels = final_step(est).labels_[hidden_in_train]
        score = clustering_accuracy(codes[train][hidden_in_train], labels)
    except Exception:
        if error_score == "raise":
            raise
        score = float(error_score)
    return score, time.perf_counter() - t0


def _as_array(X):
    return X.to_numpy() if hasattr(X, "iloc") else np.asarray(X)


def ncd_cross_val_score(estimator, X, y, *, cv=None, k_mode="true", n_jobs=None,
                        error_score=np.nan, verbose=0):
    """Class-hiding cross-validation score of an NCD estimator.

    For each split of ``cv`` the rows of the hidden known classes are relabelled
    -1 and the estimator is fitted on the labelled rows; the score is the Hungarian
    accuracy of ``labels_`` on the hidden rows.

    Parameters
    ----------
    estimator : NCD estimator or Pipeline ending in one
        Must have an ``n_clusters`` parameter and ``labels_`` after fit.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Known classes, -1 for unlabelled rows (those rows are not used).
    cv : ClassHidingCV, int or None, default=None
        None: ``ClassHidingCV(n_splits=5)``; an int: that many splits.
    k_mode : {"true", "estimate"}, default="true"
        ``"true"``: ``n_clusters`` = number of hidden classes; ``"estimate"``:
        ``n_clusters="auto"`` (the realistic setting where k is unknown).
    n_jobs : int or None, default=None
        Splits fitted in parallel with joblib.
    error_score : "raise" or float, default=np.nan
    verbose : int, default=0

    Returns
    -------
    scores : ndarray of shape (n_splits,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import NCDKMeans
    >>> from skdeepcluster.model_selection import ClassHidingCV, ncd_cross_val_score
    >>> X, t = make_blobs(300, centers=6, cluster_std=0.4, random_state=0)
    >>> y = np.where(t < 4, t, -1)
    >>> scores = ncd_cross_val_score(NCDKMeans(random_state=0), X, y,
    ...                              cv=ClassHidingCV(3, n_hidden=2, random_state=0))
    >>> scores.shape
    (3,)
    """
    scores, _ = _cross_val(estimator, [{}], X, y, cv=cv, k_mode=k_mode, n_jobs=n_jobs,
                           error_score=error_score, verbose=verbose)
    return scores[0]


def _cross_val(estimator, candidates, X, y, *, cv, k_mode, n_jobs, error_score,
               verbose, random_state=None):
    if k_mode not in ("true", "estimate"):
        raise ValueError(f"k_mode must be 'true' or 'estimate', got {k_mode!r}.")
    X = _as_array(X)
    y = _as_array(y)
    _, codes, _ = _labelled_codes(y, len(X))
    cv = _check_cv(cv, random_state)
    splits = list(cv.split(X, y))
    jobs = []
    for params in candidates:
        for train, hidden in splits:
            k = len(np.unique(codes[hidden])) if k_mode == "true" else "auto"
            jobs.append(delayed(_fit_and_score)(estimator, params, X, codes, train,
                                                hidden, k, error_score))
    out = Parallel(n_jobs=n_jobs, verbose=verbose)(jobs)
    scores = np.array([o[0] for o in out], dtype=np.float64).reshape(
        len(candidates), len(splits))
    times = np.array([o[1] for o in out]).reshape(len(candidates), len(splits))
    return scores, times


class NCDSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Grid or random search of NCD hyper-parameters by class-hiding CV.

    Each candidate is scored by :func:`ncd_cross_val_score` (mean Hungarian
    accuracy on hidden known classes); the best candidate is refitted on all rows
    (labelled and unlabelled) with the estimator's own ``n_clusters`` (an int
    when the number of novel classes is known, ``"auto"`` otherwise).

    Parameters
    ----------
    estimator : NCD estimator or Pipeline ending in one
    param_grid : dict or list of dicts, default=None
        Grid search (exclusive with ``param_distributions``).
    param_distributions : dict or list of dicts, default=None
        Random search: lists or scipy distributions, ``n_iter`` draws.
    n_iter : int, default=10
    cv : ClassHidingCV, int or None, default=None
        None: ``ClassHidingCV(n_splits=5, random_state=random_state)``.
    k_mode : {"true", "estimate"}, default="true"
        Number of clusters used in the folds: the number of hidden classes, or
        ``"auto"`` (estimated as the final model will).
    n_jobs : int or None, default=None
    refit : bool, default=True
    random_state : int, RandomState instance or None, default=None
        Seeds the parameter sampler and the default ``cv``.
    error_score : "raise" or float, default=np.nan
    verbose : int, default=0

    Attributes
    ----------
    cv_results_ : dict of ndarrays
        ``params``, ``param_<name>``, ``split<i>_test_score``, ``mean_test_score``,
        ``std_test_score``, ``rank_test_score``, ``mean_fit_time``.
    best_index_ : int
    best_params_ : dict
    best_score_ : float
        Mean hidden-class accuracy of the best candidate.
    best_estimator_ : estimator
        Refitted on all data (only when ``refit``).
    n_splits_ : int
    labels_, transduction_, n_clusters_ :
        Those of ``best_estimator_`` (its last step for a Pipeline).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import NCDKMeans
    >>> from skdeepcluster.model_selection import NCDSearchCV
    >>> X, t = make_blobs(300, centers=6, cluster_std=0.4, random_state=0)
    >>> y = np.where(t < 4, t, -1)
    >>> search = NCDSearchCV(NCDKMeans(n_clusters=2, random_state=0),
    ...                      {"seeding": ["distance", "squared"]}, cv=3,
    ...                      random_state=0).fit(X, y)
    >>> sorted(search.best_params_)
    ['seeding']
    >>> search.labels_.shape
    (300,)
    """

    def __init__(self, estimator, param_grid=None, param_distributions=None, *,
                 n_iter=10, cv=None, k_mode="true", n_jobs=None, refit=True,
                 random_state=None, error_score=np.nan, verbose=0):
        self.estimator = estimator
        self.param_grid = param_grid
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.cv = cv
        self.k_mode = k_mode
        self.n_jobs = n_jobs
        self.refit = refit
        self.random_state = random_state
        self.error_score = error_score
        self.verbose = verbose

    def _candidates(self):
        if (self.param_grid is None) == (self.param_distributions is None):
            raise ValueError("Pass exactly one of param_grid (grid search) and "
                             "param_distributions (random search).")
        if self.param_grid is not None:
            cands = list(ParameterGrid(self.param_grid))
        else:
            cands = list(ParameterSampler(self.param_distributions, self.n_iter,
                                          random_state=self.random_state))
        name = _n_clusters_param(self.estimator)
        for c in cands:
            if name in c:
                raise ValueError(
                    f"{name} cannot be searched: the folds set it (k_mode) and the refit "
                    "uses the estimator's own value.")
        return cands

    def fit(self, X, y):
        """Run the search on the labelled rows, then refit on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Known classes, -1 for unlabelled rows.

        Returns
        -------
        self : NCDSearchCV
        """
        cands = self._candidates()
        scores, times = _cross_val(self.estimator, cands, X, y, cv=self.cv,
                                   k_mode=self.k_mode, n_jobs=self.n_jobs,
                                   error_score=self.error_score, verbose=self.verbose,
                                   random_state=self.random_state)
        n_splits = scores.shape[1]
        res = {"params": cands}
        for name in sorted({k for c in cands for k in c}):
            col = np.empty(len(cands), dtype=object)
            col[:] = [c.get(name, None) for c in cands]
            res[f"param_{name}"] = col
        for i in range(n_splits):
            res[f"split{i}_test_score"] = scores[:, i]
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(scores, axis=1) if np.isfinite(scores).any() else \
                np.full(len(cands), np.nan)
        res["mean_test_score"] = mean
        res["std_test_score"] = np.nanstd(scores, axis=1) if np.isfinite(
            scores).any() else np.full(len(cands), np.nan)
        order = np.where(np.isnan(mean), -np.inf, mean)
        res["rank_test_score"] = (
            np.argsort(np.argsort(-order, kind="stable"), kind="stable") + 1)
        res["mean_fit_time"] = times.mean(1)
        self.cv_results_ = res
        self.n_splits_ = n_splits
        self.best_index_ = int(np.argmax(order))
        self.best_params_ = cands[self.best_index_]
        self.best_score_ = float(mean[self.best_index_])
        if self.refit:
            best = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_ = best.fit(X, y)
            if hasattr(best, "n_features_in_"):
                self.n_features_in_ = best.n_features_in_
        return self

    def _final(self):
        check_is_fitted(self, "best_estimator_")
        return final_step(self.best_estimator_)

    @property
    def labels_(self):
        return self._final().labels_

    @property
    def transduction_(self):
        return self._final().transduction_

    @property
    def n_clusters_(self):
        return self._final().n_clusters_

    def _has(name):
        def check(self):
            est = getattr(self, "best_estimator_", self.estimator)
            return hasattr(est, name)
        return check

    @available_if(_has("predict"))
    def predict(self, X):
        """``best_estimator_.predict(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_has("transform"))
    def transform(self, X):
        """``best_estimator_.transform(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.transform(X)
