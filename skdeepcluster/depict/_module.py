"""DEPICT's network: a convolutional (images) or MLP (tables) autoencoder with
noisy and clean encoder paths sharing weights and a softmax clustering head."""

import torch.nn.functional as F
from torch import nn

from ..utils import conv_stacks, init_layers, mlp_stack, xavier_init

__all__ = ["DEPICTModule", "conv_geometry", "conv_shapes"]


def conv_geometry(height, width):
    """Kernel sizes and paddings of DEPICT's two stride-2 convolutions.

    Follows the paper's rule (2 layers, kernels about 5x5, conv2 output about
    10x10) and reproduces the published table for 28x28, 16x16, 32x32 and 55x55
    inputs. Returns ``(kernels, paddings)``.
    """
    table = {28: ((4, 5), (0, 2)), 16: ((4, 5), (0, 2)), 32: ((4, 5), (2, 2)),
             55: ((5, 4), (2, 0))}
    side = min(height, width)
    if height == width and side in table:
        return table[side]
    # generic: 4x4 then 5x5 kernels; pad the first conv more on larger inputs
    return (4, 5), ((2 if side >= 30 else 0), 2)


def _conv_out(n, k, p, s=2):
    return (n + 2 * p - k) // s + 1


def conv_shapes(input_shape, channels=(50, 50), kernel_sizes=None, paddings=None):
    """Kernels, paddings and the (C, H, W) of the input and both conv outputs."""
    c_in, h, w = input_shape
    if kernel_sizes is None or paddings is None:
        ks, ps = conv_geometry(h, w)
        kernel_sizes = kernel_sizes or ks
        paddings = paddings or ps
    (k0, k1), (p0, p1) = kernel_sizes, paddings
    h1, w1 = _conv_out(h, k0, p0), _conv_out(w, k0, p0)
    h2, w2 = _conv_out(h1, k1, p1), _conv_out(w1, k1, p1)
    shapes = [(c_in, h, w), (channels[0], h1, w1), (channels[1], h2, w2)]
    return tuple(kernel_sizes), tuple(paddings), shapes


class DEPICTModule(nn.Module):
    """Autoencoder with noisy and clean encoder paths sharing weights, a decoder
    fed by the noisy embedding and a softmax clustering head.

    The encoder and decoder are the package's shared stacks
    (:func:`~skdeepcluster.utils.mlp_stack`, or
    :func:`~skdeepcluster.utils.conv_stacks` with the paper's explicit
    paddings and a linear embedding layer), with leaky ReLUs (slope 0.01), a
    tanh embedding and a tanh reconstruction, all weights Xavier-uniform and
    biases zero. ``forward`` returns ``(logits_noisy, logits_clean,
    clean_hidden, decoded, z)``: ``clean_hidden`` lists the clean encoder
    outputs below the embedding (input first), ``decoded`` the matching
    decoder outputs, so that the layer-wise reconstruction loss pairs them one
    to one, and ``z`` is the clean embedding.
    """

    def __init__(self, n_features, n_clusters, input_shape=None, channels=(50, 50),
                 kernel_sizes=None, paddings=None, hidden_dims=(500, 500, 2000),
                 dropout=(0.1, 0.1, 0.0)):
        super().__init__()
        self.input_shape = input_shape
        self.conv = input_shape is not None
        K = n_clusters
        if self.conv:
            kernel_sizes, paddings, shapes = conv_shapes(
                input_shape, channels, kernel_sizes, paddings)
            if min(shapes[-1][1:]) < 1:
                raise ValueError(
                    f"input_shape={input_shape} is too small for two stride-2 "
                    "convolutions; use the MLP variant (architecture='mlp')."
                )
            self.enc, self.dec, self.shapes = conv_stacks(
                input_shape, channels, kernel_sizes, padding=paddings,
                activation="leaky_relu", output_activation="tanh", latent_dim=K,
                latent_activation="tanh")
        else:
            dims = (*hidden_dims, K)
            self.enc = mlp_stack(n_features, dims, block=("leaky_relu",),
                                 last_block=("tanh",))
            self.dec = mlp_stack(K, (*reversed(hidden_dims), n_features),
                                 block=("leaky_relu",), last_block=("tanh",))
        n_drop = len(self.enc.stages)  # input + every hidden layer below the embedding
        dropout = tuple(dropout) + (dropout[-1],) * max(0, n_drop - len(dropout))
        self.dropout = dropout[:n_drop]
        self.head = nn.Linear(K, K)
        init_layers(self.modules(), xavier_init)  # once the whole net is built

    def _noise(self, i, h):
        """Dropout on the input of encoder stage ``i`` (noisy path only)."""
        if i == 0 or self.dropout[i] > 0:
            return F.dropout(h, self.dropout[i], training=True)
        return h

    def _hidden(self, x, noisy):
        """Encoder outputs ``[x, h1, ..., h_{L-1}]`` and the embedding."""
        if self.conv:
            x = x.reshape(len(x), *self.shapes[0])
        noise = self._noise if (noisy and self.training) else None
        layers = self.enc(x, noise=noise)
        return [x] + layers[:-1], layers[-1]

    def embed(self, x):
        """Clean embedding ``z`` (no dropout)."""
        return self._hidden(x, noisy=False)[1]

    def decode(self, z):
        """Decoder outputs, deepest first, ending with the reconstruction."""
        return self.dec(z)[::-1]  # reconstruction first, matching the encoder order

    def forward(self, x):
        clean, z = self._hidden(x, noisy=False)
        if self.training:
            _, z_noisy = self._hidden(x, noisy=True)
        else:
            z_noisy = z
        decoded = self.decode(z_noisy)
        return self.head(z_noisy), self.head(z), clean, decoded, z
