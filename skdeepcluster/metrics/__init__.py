"""Clustering metrics: accuracy under the best label matching, plus label-free indices."""

from ._classification import clustering_accuracy, pairwise_f_score
from ._dbcv import dbcv_score
from ._label_free import (
    calinski_harabasz_scorer,
    davies_bouldin_scorer,
    dbcv_scorer,
    make_label_free_scorer,
    silhouette_scorer,
)

__all__ = [
    "calinski_harabasz_scorer",
    "clustering_accuracy",
    "davies_bouldin_scorer",
    "dbcv_score",
    "dbcv_scorer",
    "make_label_free_scorer",
    "pairwise_f_score",
    "silhouette_scorer",
]
