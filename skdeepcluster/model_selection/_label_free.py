"""Label-free model selection: likelihood, information-criterion and stability
scorers, the fit-on-all split for transductive estimators, and a small
``select_n_clusters`` convenience around :class:`~sklearn.model_selection.GridSearchCV`.

Every scorer here is a callable ``scorer(estimator, X, y=None) -> float`` (higher
is better), the form ``GridSearchCV(scoring=...)`` calls on the held-out fold.
"""

import numbers
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils import Bunch, check_random_state

from ..utils import draw_seeds, final_step

__all__ = [
    "full_data_cv",
    "held_out_likelihood_scorer",
    "largest_n_clusters_within",
    "make_stability_scorer",
    "neg_aic",
    "neg_bic",
    "select_n_clusters",
    "stability_scorer",
]


# --------------------------------------------------------------------------- #
# splits
# --------------------------------------------------------------------------- #
def full_data_cv(n_samples):
    """The fit-on-all "split" ``[(all, all)]`` for transductive estimators.

    Transductive clusterers (no ``predict``, e.g. spectral methods) can only
    label the rows they were fitted on, and criteria that target the training
    data (BIC, AIC, silhouette of ``labels_``) are meant to be computed there.
    Pass the result as ``GridSearchCV(cv=full_data_cv(X))``: every candidate is
    fitted on all rows and scored on the same rows; with
    ``scoring=make_label_free_scorer(..., use_fitted_labels=True)`` the scorer
    reads the candidate's ``labels_`` instead of refitting a clone (one fit per
    candidate instead of two). It measures fit
    quality, not generalisation; use a held-out split (plain ``cv=5``) with an
    inductive estimator for the latter.

    Parameters
    ----------
    n_samples : int or array-like
        Number of rows, or the data itself (its ``len`` is used).

    Returns
    -------
    cv : list of one (train, test) tuple
        ``[(np.arange(n), np.arange(n))]``.

    Examples
    --------
    >>> from skdeepcluster.model_selection import full_data_cv
    >>> full_data_cv(4)
    [(array([0, 1, 2, 3]), array([0, 1, 2, 3]))]
    """
    if isinstance(n_samples, numbers.Integral):
        n = int(n_samples)
    else:
        n = len(n_samples) if hasattr(n_samples, "__len__") else np.shape(n_samples)[0]
    if n < 2:
        raise ValueError(
            f"full_data_cv needs at least 2 samples, got n_samples={n}."
        )
    idx = np.arange(n)
    return [(idx, idx.copy())]


# --------------------------------------------------------------------------- #
# likelihood and information criteria
# --------------------------------------------------------------------------- #
def _no_likelihood_error(estimator, what):
    name = type(final_step(estimator)).__name__
    return TypeError(
        f"{what} needs a model with a likelihood, i.e. a `score_samples(X)` "
        f"method returning per-sample log-densities (GaussianMixture, "
        f"skdeepcluster.ILASDP, ...); {name} has none. For models without a "
        "likelihood (KMeans, DEPICT, DSC, spectral methods) use "
        "skdeepcluster.metrics.silhouette_scorer (a fixed-space index) or "
        "skdeepcluster.model_selection.stability_scorer instead. Do not compare "
        "training objectives such as -inertia or a reconstruction loss across "
        "n_clusters: they improve monotonically with the number of clusters."
    )


def held_out_likelihood_scorer(estimator, X, y=None):
    """Mean held-out log-likelihood ``mean(estimator.score_samples(X))``.

    For density models (:class:`~sklearn.mixture.GaussianMixture`,
    :class:`skdeepcluster.ILASDP`) scored on a held-out fold (``cv=5``): the
    likelihood of unseen rows stops improving, and then drops, once extra
    components only fit noise, so unlike the training likelihood it can be
    compared across ``n_clusters``. Equal to ``GaussianMixture.score``.

    Parameters
    ----------
    estimator : fitted estimator with ``score_samples``
        A pipeline whose last step has ``score_samples`` works too.
    X : array-like of shape (n_samples, n_features)
        The held-out rows.
    y : ignored

    Returns
    -------
    score : float
        Mean log-density of the rows of ``X`` (higher is better).

    Raises
    ------
    TypeError
        If the estimator has no ``score_samples`` (no likelihood), naming the
        scorers to use instead.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.mixture import GaussianMixture
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdeepcluster.model_selection import held_out_likelihood_scorer
    >>> X, _ = make_blobs(400, centers=3, random_state=0)
    >>> search = GridSearchCV(GaussianMixture(random_state=0),
    ...                       {"n_components": [1, 2, 3, 4]},
    ...                       scoring=held_out_likelihood_scorer, cv=4)
    >>> search.fit(X).best_params_
    {'n_components': 3}
    """
    if not hasattr(estimator, "score_samples"):
        raise _no_likelihood_error(estimator, "held_out_likelihood_scorer")
    values = np.asarray(estimator.score_samples(X), dtype=np.float64)
    return float(np.mean(values))


def _n_parameters(estimator):
    est = final_step(estimator)
    if hasattr(est, "_n_parameters"):
        return int(est._n_parameters())
    if hasattr(est, "n_parameters_"):
        return int(est.n_parameters_)
    return None


def _criterion(estimator, X, which):
    est = final_step(estimator)
    if hasattr(est, which) and estimator is est:
        return float(getattr(est, which)(X))
    if not hasattr(estimator, "score_samples"):
        raise _no_likelihood_error(estimator, f"neg_{which}")
    p = _n_parameters(estimator)
    if p is None:
        raise TypeError(
            f"neg_{which} needs the number of free parameters of "
            f"{type(est).__name__} (a `{which}(X)` method, a `_n_parameters()` "
            "method or an `n_parameters_` attribute); it has none. Use "
            "held_out_likelihood_scorer with cv=5 instead."
        )
    n = len(X)
    log_lik = float(np.sum(estimator.score_samples(X)))
    penalty = p * np.log(n) if which == "bic" else 2.0 * p
    return -2.0 * log_lik + penalty


def neg_bic(estimator, X, y=None):
    """Minus the Bayesian information criterion, ``-estimator.bic(X)``.

    Higher is better. BIC penalises the training likelihood by the number of
    free parameters, so it compares models with different ``n_clusters``. It
    targets the data the model was fitted on: use it with
    ``cv=full_data_cv(X)`` (on a small held-out fold the ``log n`` penalty is
    too small relative to the fitted fold and the choice is biased).

    Uses the estimator's own ``bic`` when it has one, else
    ``-2 sum(score_samples(X)) + p log n`` with ``p`` from ``_n_parameters()``
    or ``n_parameters_``.

    Parameters
    ----------
    estimator : fitted density estimator
    X : array-like of shape (n_samples, n_features)
    y : ignored

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.mixture import GaussianMixture
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdeepcluster.model_selection import full_data_cv, neg_bic
    >>> X, _ = make_blobs(400, centers=4, cluster_std=0.6, random_state=1)
    >>> search = GridSearchCV(GaussianMixture(random_state=0),
    ...                       {"n_components": [1, 2, 3, 4, 5, 6]},
    ...                       scoring=neg_bic, cv=full_data_cv(X))
    >>> search.fit(X).best_params_
    {'n_components': 4}
    """
    return -_criterion(estimator, X, "bic")


def neg_aic(estimator, X, y=None):
    """Minus the Akaike information criterion, ``-estimator.aic(X)``.

    As :func:`neg_bic` with the penalty ``2 p`` (weaker than BIC's ``p log n``;
    tends to pick more clusters). Use with ``cv=full_data_cv(X)``.

    Parameters
    ----------
    estimator : fitted density estimator
    X : array-like of shape (n_samples, n_features)
    y : ignored

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.mixture import GaussianMixture
    >>> from skdeepcluster.model_selection import neg_aic
    >>> X, _ = make_blobs(200, centers=2, random_state=0)
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> bool(neg_aic(gm, X) == -gm.aic(X))
    True
    """
    return -_criterion(estimator, X, "aic")


# --------------------------------------------------------------------------- #
# stability
# --------------------------------------------------------------------------- #
def _random_state_params(estimator):
    """The ``random_state`` parameters of ``estimator``, nested ones included
    (a pipeline's ``step__random_state``)."""
    return [name for name in estimator.get_params(deep=True)
            if name == "random_state" or name.endswith("__random_state")]


def _estimator_seeds(estimator, rng, n):
    if not _random_state_params(estimator):
        return [None] * n
    return draw_seeds(rng, n)


def _fit_clone(estimator, X, seed, fit_predict):
    est = clone(estimator)
    if seed is not None:
        est.set_params(**{name: seed for name in _random_state_params(est)})
    with warnings.catch_warnings():
        # tiny halves may trigger convergence warnings; the score reflects them
        warnings.simplefilter("ignore", category=UserWarning)
        if fit_predict:
            return est, np.asarray(est.fit_predict(X))
        return est.fit(X), None


class _StabilityScorer:
    """Callable ``(estimator, X, y=None) -> float`` (mean ARI, higher is better)."""

    def __init__(self, n_resamples=4, subsample="auto", reseed=False,
                 random_state=0):
        if not isinstance(n_resamples, numbers.Integral) or n_resamples < 1:
            raise ValueError(
                f"n_resamples must be a positive integer, got {n_resamples!r}."
            )
        if subsample != "auto" and not (
            isinstance(subsample, numbers.Real) and 0 < subsample < 1
        ):
            raise ValueError(
                f"subsample must be 'auto' or a fraction in (0, 1), got {subsample!r}."
            )
        self.n_resamples = n_resamples
        self.subsample = subsample
        self.reseed = reseed
        self.random_state = random_state

    def __call__(self, estimator, X, y=None):
        X = np.asarray(X) if not hasattr(X, "iloc") else X
        n = len(X)
        take = (lambda idx: X.iloc[idx]) if hasattr(X, "iloc") else (lambda idx: X[idx])
        inductive = hasattr(estimator, "predict")
        frac = self.subsample
        if frac == "auto":
            frac = 0.5 if inductive else 0.8
        m = int(round(frac * n))
        if m < 2:
            raise ValueError(
                f"stability_scorer: the scored fold has {n} rows, too few for "
                f"subsamples of fraction {frac}; use more data or fewer folds."
            )
        rng = check_random_state(self.random_state)
        seeds = (_estimator_seeds(estimator, rng, 2 * self.n_resamples)
                 if self.reseed else [None] * (2 * self.n_resamples))
        scores = []
        for r in range(self.n_resamples):
            perm = rng.permutation(n)
            if inductive and 2 * m <= n:
                a, b = perm[:m], perm[m:2 * m]          # disjoint halves
            else:
                a, b = perm[:m], rng.permutation(n)[:m]  # independent draws
            if inductive:
                est_a, _ = _fit_clone(estimator, take(a), seeds[2 * r], False)
                est_b, _ = _fit_clone(estimator, take(b), seeds[2 * r + 1], False)
                la, lb = est_a.predict(X), est_b.predict(X)
            else:
                _, la_sub = _fit_clone(estimator, take(a), seeds[2 * r], True)
                _, lb_sub = _fit_clone(estimator, take(b), seeds[2 * r + 1], True)
                # compare on the rows both subsamples contain
                pos_a = np.full(n, -1)
                pos_a[a] = np.arange(len(a))
                pos_b = np.full(n, -1)
                pos_b[b] = np.arange(len(b))
                both = np.flatnonzero((pos_a >= 0) & (pos_b >= 0))
                if len(both) < 2:
                    continue
                la, lb = la_sub[pos_a[both]], lb_sub[pos_b[both]]
            scores.append(adjusted_rand_score(np.asarray(la), np.asarray(lb)))
        if not scores:
            return -np.inf
        return float(np.mean(scores))

    def __repr__(self):
        return (f"make_stability_scorer(n_resamples={self.n_resamples}, "
                f"subsample={self.subsample!r}, reseed={self.reseed}, "
                f"random_state={self.random_state})")


def make_stability_scorer(n_resamples=4, *, subsample="auto", reseed=False,
                          random_state=0):
    """Build a clustering-stability scorer (agreement of refits on resamples).

    For each of ``n_resamples`` rounds the scorer draws two random subsamples of
    the scored fold, fits an unfitted clone of the candidate on each, and
    measures the adjusted Rand index (ARI) between the two clusterings:

    * inductive estimators (with ``predict``): two disjoint halves
      (``subsample=0.5``), both clones predict the whole scored fold;
    * transductive estimators (no ``predict``): two random 80% subsamples,
      compared on the rows they share.

    The score is the mean ARI (in [-1, 1], higher is better). A number of
    clusters that matches the structure is reproduced from different samples;
    too many clusters split groups arbitrarily, too few merge them in varying
    ways, and both lower the agreement. ARI is chance-corrected, so the score
    compares across ``n_clusters`` (raw agreement would favour small k). Needs no
    likelihood and no fixed space, so it fits any estimator, deep models
    included (but costs ``2 * n_resamples`` extra fits per scored fold).

    Parameters
    ----------
    n_resamples : int, default=4
        Pairs of subsamples per scored fold.
    subsample : "auto" or float in (0, 1), default="auto"
        Fraction of the scored fold in each subsample ("auto": 0.5 for
        inductive, 0.8 for transductive estimators).
    reseed : bool, default=False
        If True, the clones also get different ``random_state`` values (every
        ``random_state`` of a pipeline's steps), so the score includes
        initialisation instability (a stricter test); if False they keep the
        candidate's ``random_state`` and only the data vary.
    random_state : int, default=0
        Seed of the subsampling (scores are reproducible).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``. The fitted ``estimator`` is
        used only as a template (its parameters are cloned).

    Notes
    -----
    Ben-Hur, Elisseeff and Guyon (2002), "A stability based method for
    discovering structure in clustered data"; Lange, Roth, Braun and Buhmann
    (2004), "Stability-based validation of clustering solutions". With a
    held-out split (``cv=5``) each scored fold is small; use fewer folds
    (``cv=2`` or ``3``) or ``cv=full_data_cv(X)`` to give the subsamples enough
    rows.

    On hierarchical data (groups of clusters) a coarse split is as stable as
    the true one; combine the scorer with
    ``GridSearchCV(refit=largest_n_clusters_within(0.02))`` to take the finest
    clustering that is still stable (see the example).

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdeepcluster.model_selection import make_stability_scorer
    >>> from skdeepcluster.model_selection import largest_n_clusters_within
    >>> X, _ = make_blobs(400, centers=4, cluster_std=0.6, random_state=1)
    >>> search = GridSearchCV(KMeans(n_init=3, random_state=0),
    ...                       {"n_clusters": [2, 3, 4, 5, 6]},
    ...                       scoring=make_stability_scorer(3), cv=2,
    ...                       refit=largest_n_clusters_within(0.02))
    >>> search.fit(X).best_params_
    {'n_clusters': 4}
    """
    return _StabilityScorer(n_resamples=n_resamples, subsample=subsample,
                            reseed=reseed, random_state=random_state)


#: Stability scorer with default settings (4 pairs of half-samples).
stability_scorer = make_stability_scorer()


# --------------------------------------------------------------------------- #
# selection rule and convenience
# --------------------------------------------------------------------------- #
def _find_param_key(cv_results, param_name):
    if param_name is not None:
        key = f"param_{param_name}"
        if key not in cv_results:
            raise ValueError(f"cv_results_ has no {key!r}; searched parameters: "
                             f"{[k[6:] for k in cv_results if k.startswith('param_')]}.")
        return key
    for key in cv_results:
        if key.startswith("param_") and (
            key.endswith("n_clusters") or key.endswith("n_components")
        ):
            return key
    raise ValueError(
        "cv_results_ has no n_clusters/n_components parameter; pass param_name."
    )


class _LargestWithin:
    def __init__(self, tol, param_name, metric):
        self.tol = tol
        self.param_name = param_name
        self.metric = metric

    def __call__(self, cv_results):
        key = "mean_test_score" if self.metric is None else f"mean_test_{self.metric}"
        scores = np.asarray(cv_results[key], dtype=np.float64)
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        if not np.any(np.isfinite(scores)):
            raise ValueError("every candidate failed (all scores are nan/-inf); "
                             "see the FitFailedWarning messages.")
        values = np.asarray(cv_results[_find_param_key(cv_results, self.param_name)],
                            dtype=np.float64)
        ok = np.flatnonzero(scores >= scores.max() - self.tol)
        return int(ok[np.argmax(values[ok])])

    def __repr__(self):
        return f"largest_n_clusters_within(tol={self.tol})"


def largest_n_clusters_within(tol=0.02, *, param_name=None, metric=None):
    """``GridSearchCV(refit=...)`` rule: the largest n_clusters scoring near the best.

    Picks, among the candidates whose mean test score is at least
    ``best - tol``, the one with the most clusters. Meant for
    :func:`make_stability_scorer`: when the data are hierarchical (groups of
    clusters), a coarse split is as stable as the true one (both score an ARI of
    about 1) and a plain argmax may stop at the coarse level; the finest
    clustering that is still (almost) perfectly stable is the usual choice
    (as in Tibshirani and Walther's prediction strength).

    Parameters
    ----------
    tol : float, default=0.02
        Allowed shortfall from the best mean score (0: argmax, ties to the
        larger k).
    param_name : str or None, default=None
        The searched parameter (default: the one named ``*n_clusters`` or
        ``*n_components``).
    metric : str or None, default=None
        For multi-metric searches, the scorer name to use.

    Returns
    -------
    refit : callable
        ``refit(cv_results) -> best_index``, for ``GridSearchCV(refit=...)``
        (``best_score_`` is then not defined, ``best_params_`` and
        ``best_estimator_`` are).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.model_selection import largest_n_clusters_within
    >>> rule = largest_n_clusters_within(0.02)
    >>> rule({"mean_test_score": np.array([1.0, 0.99, 0.8]),
    ...       "param_n_clusters": np.array([2, 4, 5])})
    1
    """
    return _LargestWithin(float(tol), param_name, metric)


def _n_clusters_param(estimator):
    params = estimator.get_params()
    for name in ("n_clusters", "n_components"):
        if name in params:
            return name
    for name in params:  # pipelines: step__n_clusters
        if name.endswith("__n_clusters") or name.endswith("__n_components"):
            return name
    raise ValueError(
        f"{type(estimator).__name__} has no n_clusters or n_components "
        "parameter; pass param_name=... explicitly."
    )


def select_n_clusters(estimator, X, n_clusters_range, *, scoring=None,
                      cv="auto", tol=None, param_name=None, n_jobs=None,
                      error_score=np.nan, verbose=0):
    """Pick ``n_clusters`` without labels with a grid search over a range.

    A thin wrapper around :class:`~sklearn.model_selection.GridSearchCV`
    with label-free defaults:

    * ``scoring=None``: :func:`held_out_likelihood_scorer` for density models
      (with ``score_samples``), otherwise the silhouette in the input space
      (:obj:`skdeepcluster.metrics.silhouette_scorer`; for transductive
      estimators it scores ``labels_``, ``use_fitted_labels=True``); pass
      ``make_label_free_scorer(space=...)`` for another fixed space;
    * ``cv="auto"``: 5 folds for inductive estimators (with ``predict``),
      :func:`full_data_cv` for transductive ones.

    Parameters
    ----------
    estimator : estimator
        Unfitted clusterer.
    X : array-like of shape (n_samples, n_features)
    n_clusters_range : iterable of int
        Candidate numbers of clusters.
    scoring : callable or None, default=None
        ``scorer(estimator, X, y=None)``, higher is better.
    cv : "auto", int, splitter or iterable, default="auto"
    tol : float or None, default=None
        If given, pick the largest candidate within ``tol`` of the best mean
        score (:func:`largest_n_clusters_within`; advisable with a stability
        scorer), else the argmax.
    param_name : str or None, default=None
        The parameter to vary (default: ``n_clusters``, else ``n_components``,
        also found inside pipelines).
    n_jobs : int or None, default=None
        Passed to GridSearchCV (works with ``joblib.parallel_backend("dask")``).
    error_score : float, default=np.nan
        Score of a candidate whose fit or scoring fails.
    verbose : int, default=0

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``n_clusters`` (the best value), ``candidates`` (array),
        ``mean_score`` / ``std_score`` (per candidate, over folds), ``search``
        (the fitted GridSearchCV, refitted on all of ``X`` with the best value,
        as ``search.best_estimator_``).

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster.model_selection import select_n_clusters
    >>> X, _ = make_blobs(300, centers=4, random_state=0)
    >>> select_n_clusters(KMeans(n_init=3, random_state=0), X, range(2, 7)).n_clusters
    4
    """
    if param_name is None:
        param_name = _n_clusters_param(estimator)
    candidates = np.array(list(n_clusters_range))
    if candidates.size == 0:
        raise ValueError("n_clusters_range is empty; pass e.g. range(2, 11).")
    inductive = hasattr(estimator, "predict")
    auto_cv = isinstance(cv, str) and cv == "auto"
    if auto_cv:
        cv = 5 if inductive else full_data_cv(X)
    if scoring is None:
        if hasattr(estimator, "score_samples"):
            scoring = held_out_likelihood_scorer
        else:
            from ..metrics import make_label_free_scorer
            # under the fit-on-all split the fitted labels_ are the labels to score
            scoring = make_label_free_scorer(
                "silhouette", use_fitted_labels=auto_cv and not inductive)
    refit = True if tol is None else largest_n_clusters_within(
        tol, param_name=param_name)
    search = GridSearchCV(
        estimator, {param_name: [int(k) for k in candidates]}, scoring=scoring,
        cv=cv, refit=refit, n_jobs=n_jobs, error_score=error_score,
        verbose=verbose,
    )
    search.fit(X)
    res = search.cv_results_
    return Bunch(
        n_clusters=int(search.best_params_[param_name]),
        candidates=candidates,
        mean_score=np.asarray(res["mean_test_score"], dtype=np.float64),
        std_score=np.asarray(res["std_test_score"], dtype=np.float64),
        search=search,
    )
