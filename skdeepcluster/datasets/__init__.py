"""Data set loaders (offline) and synthetic generators."""

from ._real import load_fashion_mnist, load_letter_recognition
from ._subspaces import make_subspaces

__all__ = [
    "load_fashion_mnist",
    "load_letter_recognition",
    "make_subspaces",
]
