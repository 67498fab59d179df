"""Data set loaders (offline) and synthetic generators."""

from ._real import load_fashion_mnist, load_letter_recognition
from ._subspaces import make_subspaces
from ._ncd import make_ncd_split
from ._gaussians import make_heterogeneous_gaussians

__all__ = [
    "make_ncd_split",
    "make_heterogeneous_gaussians",
    "load_fashion_mnist",
    "load_letter_recognition",
    "make_subspaces",
]
