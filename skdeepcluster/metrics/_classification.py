"""Metrics that compare a clustering with reference labels."""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils.validation import check_consistent_length, column_or_1d

__all__ = ["clustering_accuracy", "pairwise_f_score"]


def clustering_accuracy(labels_true, labels_pred):
    """Accuracy of a clustering under the best one-to-one matching of labels.

    The matching is the Hungarian assignment (:func:`scipy.optimize.linear_sum_assignment`)
    on the contingency matrix, padded to a square so that the numbers of true
    classes and clusters may differ (unmatched clusters count as errors).

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        Ground-truth classes (any hashable labels).
    labels_pred : array-like of shape (n_samples,)
        Cluster labels to evaluate.

    Returns
    -------
    acc : float
        In [0, 1]; 1 means identical partitions.

    Examples
    --------
    >>> from skdeepcluster.metrics import clustering_accuracy
    >>> clustering_accuracy([0, 0, 1, 1, 2], [1, 1, 0, 0, 0])
    0.8
    """
    labels_true = column_or_1d(labels_true)
    labels_pred = column_or_1d(labels_pred)
    check_consistent_length(labels_true, labels_pred)
    if len(labels_true) == 0:
        raise ValueError("clustering_accuracy needs at least one sample.")
    cm = contingency_matrix(labels_true, labels_pred)
    size = max(cm.shape)
    square = np.zeros((size, size), dtype=cm.dtype)
    square[: cm.shape[0], : cm.shape[1]] = cm
    rows, cols = linear_sum_assignment(-square)
    return float(square[rows, cols].sum() / len(labels_true))


def pairwise_f_score(labels_true, labels_pred):
    """Pairwise F-measure ``2PR/(P+R)`` over all pairs of samples.

    Precision is the share of pairs put together by ``labels_pred`` that share a
    true class; recall the share of same-class pairs that are put together.

    Examples
    --------
    >>> from skdeepcluster.metrics import pairwise_f_score
    >>> pairwise_f_score([0, 0, 1, 1], [0, 0, 1, 1])
    1.0
    """
    labels_true = column_or_1d(labels_true)
    labels_pred = column_or_1d(labels_pred)
    check_consistent_length(labels_true, labels_pred)
    cm = contingency_matrix(labels_true, labels_pred).astype(np.float64)
    together = (cm * (cm - 1)).sum() / 2
    pred_pairs = (cm.sum(0) * (cm.sum(0) - 1)).sum() / 2
    true_pairs = (cm.sum(1) * (cm.sum(1) - 1)).sum() / 2
    if together == 0:
        return 0.0
    p, r = together / pred_pairs, together / true_pairs
    return float(2 * p * r / (p + r))
