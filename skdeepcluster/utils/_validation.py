"""Input validation and small input helpers shared by the estimators."""

import numbers
import warnings

import numpy as np

__all__ = ["check_n_clusters", "check_input_shape", "check_memory", "final_step",
           "standard_scaling"]


def check_n_clusters(n_clusters, n_samples, name="n_clusters", allow_auto=False):
    """Validate a number of clusters against the number of samples.

    Raises a :class:`ValueError` that says what to change.
    """
    if allow_auto and isinstance(n_clusters, str) and n_clusters == "auto":
        return n_clusters
    if isinstance(n_clusters, (bool, np.bool_)) or not isinstance(
        n_clusters, numbers.Integral
    ):
        raise ValueError(
            f"{name} must be a positive integer"
            + (" or 'auto'" if allow_auto else "")
            + f", got {n_clusters!r}."
        )
    if n_clusters < 1:
        raise ValueError(f"{name} must be >= 1, got {n_clusters}.")
    if n_clusters > n_samples:
        raise ValueError(
            f"n_samples={n_samples} should be >= {name}={n_clusters}: there are "
            f"fewer samples than clusters. Lower {name} or pass more samples."
        )
    return int(n_clusters)


def clip_n_neighbors(n_neighbors, n_rows, *, owner, rows="n_samples", warn=True,
                     stacklevel=3):
    """``min(n_neighbors, n_rows - 1)``: a row has at most ``n_rows - 1`` others.

    With ``warn``, a :class:`UserWarning` says when this reduces the user's
    ``n_neighbors``: ``owner`` names the estimator or function, ``rows`` the
    count that bounds it (``"n_samples"``, or a phrase). Callers warn once per
    fit: call it with ``warn=True`` once, outside any loop.
    """
    k = int(n_neighbors)
    if k < n_rows:
        return k
    if warn:
        warnings.warn(
            f"{owner}: n_neighbors={k} is not smaller than {rows} ({n_rows}); "
            f"reduced to {rows} - 1 = {n_rows - 1}.", UserWarning,
            stacklevel=stacklevel)
    return n_rows - 1


def check_input_shape(input_shape, n_features):
    """Validate an image shape ``(C, H, W)`` (or ``(H, W)``) against ``n_features``.

    Returns the shape as a ``(C, H, W)`` tuple of ints, or ``None``.
    """
    if input_shape is None:
        return None
    try:
        shape = tuple(int(s) for s in input_shape)
    except TypeError as exc:
        raise ValueError(
            f"input_shape must be a tuple (C, H, W) or (H, W), got {input_shape!r}."
        ) from exc
    if len(shape) == 2:
        shape = (1,) + shape
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"input_shape must be a tuple (C, H, W) or (H, W) of positive ints, "
            f"got {input_shape!r}."
        )
    if int(np.prod(shape)) != n_features:
        raise ValueError(
            f"input_shape={shape} holds {int(np.prod(shape))} values per sample but X "
            f"has {n_features} features. Pass images flattened to C*H*W features "
            "or fix input_shape."
        )
    return shape


def check_memory(n_bytes, limit_bytes, what, advice):
    """Raise a :class:`MemoryError` subclass-free ``ValueError`` before a huge allocation."""
    if n_bytes > limit_bytes:
        raise ValueError(
            f"{what} would need about {n_bytes / 2**30:.1f} GiB, above the limit of "
            f"{limit_bytes / 2**30:.1f} GiB. {advice}"
        )


def final_step(estimator):
    """The clusterer of a pipeline (its last step), else ``estimator`` itself.

    Parameters
    ----------
    estimator : estimator or :class:`~sklearn.pipeline.Pipeline`

    Returns
    -------
    estimator : estimator

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeepcluster.utils import final_step
    >>> final_step(make_pipeline(StandardScaler(), KMeans(3)))
    KMeans(n_clusters=3)
    """
    return estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator


def standard_scaling(X):
    """Column means and standard deviations of ``X`` (float64), the deviation
    of a constant column replaced by 1: ``(X - mean) / scale`` standardises
    ``X`` and only centres its constant columns.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    mean, scale : ndarray of shape (n_features,)

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.utils import standard_scaling
    >>> mean, scale = standard_scaling(np.array([[1.0, 5.0], [5.0, 5.0]]))
    >>> mean.tolist(), scale.tolist()
    ([3.0, 5.0], [2.0, 1.0])
    """
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 0, std, 1.0)
