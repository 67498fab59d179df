"""DSC: deep subspace clustering with one joint layer-wise self-expression matrix
(LIHFSS-SVDSC, Sindičić & Kopriva 2025, on the DSC-Net architecture)."""

from ._estimator import DSC, check_space, classification_loglik, dense_memory_bytes, offset_ratio
from ._postprocess import (
    angular_affinity,
    dscnet_postprocess,
    retained_affinity,
    shifted_laplacian_clustering,
)

__all__ = [
    "DSC",
    "angular_affinity",
    "check_space",
    "classification_loglik",
    "dense_memory_bytes",
    "dscnet_postprocess",
    "offset_ratio",
    "retained_affinity",
    "shifted_laplacian_clustering",
]
