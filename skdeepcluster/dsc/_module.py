"""DSC's networks: the DSC-Net convolutional autoencoder (images) or an MLP
autoencoder (tables), the self-expressive layer and stage 2's coefficients."""

import torch
from torch import nn

from ..utils import conv_stacks, mlp_stack, xavier_init

__all__ = ["Coefficients", "EncoderLayers", "SelfExpressive", "conv_autoencoder",
           "mlp_autoencoder"]


def conv_autoencoder(input_shape, channels, kernel_sizes, last_relu=True):
    """DSC-Net's autoencoder: TF-"SAME" padded stride-2 convolutions with ReLU,
    mirrored by transposed convolutions cropped to the encoder's sizes (ReLU
    inside; on the reconstruction too with ``last_relu``), each layer
    initialised by :func:`~skdeepcluster.utils.xavier_init` as it is built
    (DSC-Net's order). Returns the encoder and decoder
    :class:`~skdeepcluster.utils.LayerStack`."""
    enc, dec, _ = conv_stacks(input_shape, channels, kernel_sizes, padding="same",
                              activation="relu",
                              output_activation="relu" if last_relu else None,
                              init=xavier_init)
    return enc, dec


def mlp_autoencoder(n_features, hidden_dims):
    """Fully connected encoder (Linear + ReLU per layer, the last too) and its
    mirror (ReLU inside, linear output). Returns the two
    :class:`~skdeepcluster.utils.LayerStack`."""
    enc = mlp_stack(n_features, hidden_dims, block=("relu",))
    dec = mlp_stack(hidden_dims[-1], (*reversed(hidden_dims[:-1]), n_features),
                    block=("relu",), last_block=())
    return enc, dec


class SelfExpressive(nn.Module):
    """Encoder plus ONE self-expression matrix ``C`` shared by all layers.

    ``forward`` returns the flattened layers ``[H_0 = X, H_1, ..., H_L]`` and ``C``.
    """

    def __init__(self, encoder, n_samples, c_init, zero_diagonal):
        super().__init__()
        self.encoder = encoder
        C = torch.full((n_samples, n_samples), float(c_init))
        if zero_diagonal:
            C.fill_diagonal_(0.0)
        self.C = nn.Parameter(C)

    def forward(self, x):
        return [x] + [h.reshape(len(h), -1) for h in self.encoder(x)], self.C


class EncoderLayers(nn.Module):
    """The encoder of stage 1 when ``C`` is solved in closed form (not a parameter).

    ``forward`` returns the flattened layers ``[H_0 = X, H_1, ..., H_L]``.
    """

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, x):
        return [x] + [h.reshape(len(h), -1) for h in self.encoder(x)]


class Coefficients(nn.Module):
    """Stage 2 holds only ``C``; ``forward`` ignores the data and returns it.

    ``C`` is stored divided by ``scale`` (a buffer) and returned multiplied by
    it, so that Adam's steps of about ``lr`` per coefficient are steps of about
    ``lr * scale``: with ``scale`` the mean ``|c_ij|`` they are relative to the
    coefficients' size whatever the solver of stage 1 (a closed-form ``C`` has
    entries far below ``lr``, which unscaled steps would swamp).
    """

    def __init__(self, C, scale=1.0):
        super().__init__()
        self.register_buffer("scale", torch.as_tensor(float(scale), dtype=C.dtype, device=C.device))
        self.C = nn.Parameter(C / self.scale if scale != 1.0 else C)

    def forward(self, x):
        return self.C * self.scale if float(self.scale) != 1.0 else self.C

    def coefficients(self):
        """``C`` itself (detached)."""
        return self.forward(None).detach()
