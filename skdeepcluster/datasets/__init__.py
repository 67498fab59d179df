"""Data set loaders (offline) and synthetic generators."""

from ._real import load_fashion_mnist, load_letter_recognition
from ._subspaces import make_subspaces
from ._ncd import make_ncd_split

__all__ = [
    "make_ncd_split",
    "load_fashion_mnist",
    "load_letter_recognition",
    "make_subspaces",
]
