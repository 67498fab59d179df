"""Model selection without labels (and, for NCD, by hiding known classes)."""

from ..metrics._label_free import (
    calinski_harabasz_scorer,
    davies_bouldin_scorer,
    make_label_free_scorer,
    silhouette_scorer,
)

__all__ = [
    "calinski_harabasz_scorer",
    "davies_bouldin_scorer",
    "make_label_free_scorer",
    "silhouette_scorer",
]
