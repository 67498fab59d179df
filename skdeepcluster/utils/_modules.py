"""Torch building blocks shared by the estimators' networks."""

from torch import nn

__all__ = ["mlp_layers"]

_LAYERS = {
    "relu": lambda width, dropout: nn.ReLU(),
    "relu_inplace": lambda width, dropout: nn.ReLU(inplace=True),
    "leaky_relu": lambda width, dropout: nn.LeakyReLU(0.01),
    "tanh": lambda width, dropout: nn.Tanh(),
    "batchnorm": lambda width, dropout: nn.BatchNorm1d(width),
    "dropout": lambda width, dropout: nn.Dropout(dropout),
}


def mlp_layers(n_features, hidden_dims, *, block=("relu", "batchnorm"), dropout=0.0):
    """Fully connected blocks: each a ``Linear`` followed by ``block``'s layers.

    Parameters
    ----------
    n_features : int
    hidden_dims : sequence of int
        Output width of each block.
    block : sequence of {"relu", "relu_inplace", "leaky_relu", "tanh", \
            "batchnorm", "dropout"}
        The layers after each ``Linear``, in order (``"relu_inplace"`` is the
        in-place ReLU, ``"leaky_relu"`` has slope 0.01). PBN uses ReLU,
        BatchNorm, Dropout; SP2OT BatchNorm, ReLU; DEPICT leaky ReLU.
    dropout : float, default=0.0
        Rate of the ``"dropout"`` layers.

    Returns
    -------
    layers : list of torch.nn.Module
        Built in order, so a seeded construction draws the same weights as
        an inline one.
    n_out : int
        Width of the last block (``n_features`` without blocks).

    Examples
    --------
    >>> from skdeepcluster.utils import mlp_layers
    >>> layers, width = mlp_layers(4, (8,), block=("relu", "batchnorm"))
    >>> [type(m).__name__ for m in layers], width
    (['Linear', 'ReLU', 'BatchNorm1d'], 8)
    """
    layers, prev = [], int(n_features)
    for width in hidden_dims:
        layers.append(nn.Linear(prev, int(width)))
        layers += [_LAYERS[kind](int(width), dropout) for kind in block]
        prev = int(width)
    return layers, prev
