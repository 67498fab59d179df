"""PBN's network: an MLP autoencoder with a linear known-class classifier on its
(L2-normalised) latent layer."""

import torch.nn.functional as F
from torch import nn

from ..utils import mlp_stack

__all__ = ["PBNModule"]


_BLOCK = ("relu", "batchnorm", "dropout")


class PBNModule(nn.Module):
    """Encoder -> (L2-normalised) latent -> {linear classifier, decoder}.

    Encoder and decoder are the package's shared fully connected stacks
    (:func:`~skdeepcluster.utils.mlp_stack`).

    ``forward`` returns ``(z, logits, x_hat, x)``: the latent rows, the known-class
    logits (zero columns without known classes), the reconstruction and the
    input itself (the reconstruction target of :class:`~._losses.PBNLoss`).

    Parameters
    ----------
    n_features : int
    hidden_dims : tuple of int
        Widths of the encoder's hidden blocks (Linear, ReLU, BatchNorm,
        Dropout); the decoder mirrors them.
    latent_dim : int
    n_known : int
        Number of known classes; 0 builds no classifier.
    dropout : float
    normalize_latent : bool
    """

    def __init__(self, n_features, hidden_dims, latent_dim, n_known, dropout,
                 normalize_latent):
        super().__init__()
        # the latent layer and the reconstruction are purely linear
        self.encoder = mlp_stack(n_features, (*hidden_dims, latent_dim), block=_BLOCK,
                                 last_block=(), dropout=dropout)
        self.decoder = mlp_stack(latent_dim, (*reversed(hidden_dims), n_features),
                                 block=_BLOCK, last_block=(), dropout=dropout)
        self.classifier = nn.Linear(latent_dim, n_known) if n_known > 0 else None
        self.normalize_latent = normalize_latent

    def encode(self, x):
        z = self.encoder(x)[-1]
        return F.normalize(z, dim=1) if self.normalize_latent else z

    def forward(self, x):
        z = self.encode(x)
        logits = self.classifier(z) if self.classifier is not None else z[:, :0]
        return z, logits, self.decoder(z)[-1], x
