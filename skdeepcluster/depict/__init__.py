"""DEPICT: deep clustering via a joint autoencoder embedding and relative
entropy minimisation (Ghasedi Dizaji et al., ICCV 2017)."""

from ._estimator import DEPICT

__all__ = ["DEPICT"]
