"""Model selection without labels (and, for NCD, by hiding known classes)."""

from ..metrics._label_free import (
    calinski_harabasz_scorer,
    davies_bouldin_scorer,
    dbcv_scorer,
    make_label_free_scorer,
    silhouette_scorer,
)
from ._label_free import (
    full_data_cv,
    held_out_likelihood_scorer,
    largest_n_clusters_within,
    make_stability_scorer,
    neg_aic,
    neg_bic,
    select_n_clusters,
    stability_scorer,
)
from ._ncd import ClassHidingCV, NCDSearchCV, ncd_cross_val_score

__all__ = [
    "ClassHidingCV",
    "NCDSearchCV",
    "ncd_cross_val_score",
    "calinski_harabasz_scorer",
    "davies_bouldin_scorer",
    "dbcv_scorer",
    "full_data_cv",
    "held_out_likelihood_scorer",
    "largest_n_clusters_within",
    "make_label_free_scorer",
    "make_stability_scorer",
    "neg_aic",
    "neg_bic",
    "select_n_clusters",
    "silhouette_scorer",
    "stability_scorer",
]
