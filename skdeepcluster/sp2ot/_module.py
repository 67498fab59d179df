"""SP2OT's network: a backbone sized to the input (a small residual CNN for
images, an MLP for tables and embeddings), a projection head onto the unit
sphere and a K-way cosine clustering head (normalised prototypes)."""

import torch
import torch.nn.functional as F
from torch import nn

from ..utils import mlp_layers

#: earlier spellings of ``architecture`` values, still accepted
_ARCH_ALIASES = {"cnn": "conv"}

__all__ = ["SP2OTModule", "conv_backbone", "mlp_backbone"]


class ResBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity (or 1x1) shortcut."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


def conv_plan(input_shape, channels):
    """Strides of the stem and of each residual stage for an input size.

    The stem halves inputs of 24 pixels or more; every stage after the first
    halves the map while its side stays at least 4. Returns the stem stride
    and the stage strides.
    """
    side = min(input_shape[1:])
    stem = 2 if side >= 24 else 1
    side = (side + stem - 1) // stem
    strides = [1]
    for _ in channels[1:]:
        if side >= 8:
            strides.append(2)
            side = (side + 1) // 2
        else:
            strides.append(1)
    return stem, strides


def conv_backbone(input_shape, channels=(32, 64, 128)):
    """Small residual CNN: a 3x3 stem, one residual block per width, global
    average pooling. Returns ``(module, n_features_out)``."""
    c_in = input_shape[0]
    stem, strides = conv_plan(input_shape, channels)
    layers = [nn.Conv2d(c_in, channels[0], 3, stem, 1, bias=False),
              nn.BatchNorm2d(channels[0]), nn.ReLU(inplace=True)]
    prev = channels[0]
    for width, stride in zip(channels, strides):
        layers.append(ResBlock(prev, width, stride))
        prev = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), prev


def mlp_backbone(n_features, hidden_dims):
    """Linear-BatchNorm-ReLU layers. Returns ``(module, n_features_out)``."""
    layers, prev = mlp_layers(n_features, hidden_dims,
                              block=("batchnorm", "relu_inplace"))
    return nn.Sequential(*layers), prev


class SP2OTModule(nn.Module):
    """Backbone, projection head and cosine clustering head.

    ``forward(x)`` returns ``(logits, z)``: ``z`` the unit-norm projection and
    ``logits = z W^T / temperature`` with ``W`` the row-normalised
    prototypes. In training mode with ``views`` set, the batch is replaced by
    two random views of it (``2B`` rows: all first views, then all second
    views).

    Parameters
    ----------
    n_features : int
        Flat input width.
    n_clusters : int
    input_shape : tuple (C, H, W) or None
        Images are reshaped to it before the backbone (and the views).
    architecture : {"conv", "mlp"}
        ``"cnn"`` is accepted as an alias of ``"conv"`` (and stored as ``"conv"``).
    channels : tuple of int
        CNN widths.
    hidden_dims : tuple of int
        MLP widths.
    embedding_dim : int
        Dimension of the projection ``z``.
    temperature : float
    views : callable or None
        ``views(x)`` (images) or ``views(x, bank)`` (rows) returns a random view.
    bank : tensor or None
        Rows whose columns are the feature marginals (SCARF views).
    """

    def __init__(self, n_features, n_clusters, *, input_shape=None, architecture="mlp",
                 channels=(32, 64, 128), hidden_dims=(256, 256), embedding_dim=64,
                 temperature=0.1, views=None, bank=None):
        super().__init__()
        self.input_shape = None if input_shape is None else tuple(input_shape)
        architecture = _ARCH_ALIASES.get(architecture, architecture)
        self.architecture = architecture
        if architecture == "conv":
            self.backbone, width = conv_backbone(self.input_shape, tuple(channels))
        else:
            self.backbone, width = mlp_backbone(n_features, tuple(hidden_dims))
        self.projector = nn.Sequential(
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(inplace=True),
            nn.Linear(width, embedding_dim))
        self.prototypes = nn.Linear(embedding_dim, n_clusters, bias=False)
        self.temperature = float(temperature)
        self.views = views
        if bank is not None:
            self.register_buffer("bank", bank)
        else:
            self.bank = None

    def _shape(self, x):
        if self.input_shape is not None:
            return x.reshape(len(x), *self.input_shape)
        return x

    def _view(self, x):
        if self.input_shape is not None:
            return self.views(x)
        return self.views(x, self.bank)

    def embed(self, x):
        """Unit-norm projection ``z`` of (already shaped) inputs."""
        # a module pickled before the rename stores "cnn"
        h = self.backbone(x if self.architecture in ("conv", "cnn") else x.flatten(1))
        return F.normalize(self.projector(h), dim=1)

    def head(self, z):
        """Cosine scores over the temperature."""
        w = F.normalize(self.prototypes.weight, dim=1)
        return z @ w.T / self.temperature

    def forward(self, x):
        x = self._shape(x)
        if self.training and self.views is not None:
            x = torch.cat([self._view(x), self._view(x)])
        z = self.embed(x)
        return self.head(z), z
