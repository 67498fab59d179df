"""The autoencoders of the neural estimators, written once.

An encoder or a decoder is a :class:`LayerStack`: a list of stages, each a
small ``nn.Sequential`` (a weight layer and what follows it), whose forward
pass returns the output of *every* stage. Layer-wise objectives need them all
(DEPICT's reconstruction pairs each encoder layer with its decoder mirror,
DSC's self-expression is written for every encoder layer); the others take the
last one.

Two builders cover every autoencoder of the package, each configured by the
estimator to its paper (activations, normalisation, dropout, initialisation,
convolution geometry):

- :func:`mlp_stack` fully connected stages (tables, flat inputs);
- :func:`conv_stacks` a convolutional encoder of stride-2 convolutions, its
  mirrored decoder of transposed convolutions and, optionally, a linear
  latent layer, in either of two geometries: explicit symmetric paddings with
  the transposed convolutions' ``output_padding`` solved to land on the
  encoder's sizes (DEPICT), or TensorFlow's ``"same"`` padding with the decoder
  cropping back to the encoder's sizes (DSC-Net).

:class:`Autoencoder` joins an encoder and a decoder for reconstruction
pretraining.
"""

from torch import nn

from ._modules import _LAYERS, mlp_layers

__all__ = ["Autoencoder", "LayerStack", "conv_stacks", "init_layers", "mlp_stack",
           "xavier_init"]

_WEIGHT_LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


class LayerStack(nn.Module):
    """Stages applied in order; ``forward`` returns every stage's output.

    Parameters
    ----------
    stages : sequence of torch.nn.Module
    input_shape : tuple (C, H, W) or None, default=None
        Flat rows are reshaped to it before the first stage (convolutional
        encoders fed with flattened images).

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.utils import mlp_stack
    >>> encoder = mlp_stack(4, (8, 2), block=("relu",))
    >>> [tuple(h.shape) for h in encoder(torch.zeros(3, 4))]
    [(3, 8), (3, 2)]
    """

    def __init__(self, stages, input_shape=None):
        super().__init__()
        self.stages = nn.ModuleList(stages)
        self.input_shape = None if input_shape is None else tuple(input_shape)

    def forward(self, x, noise=None):
        """Outputs of every stage, the input's first stage first.

        Parameters
        ----------
        x : torch.Tensor
        noise : callable or None
            ``noise(i, h)`` replaces the input ``h`` of stage ``i`` (DEPICT's
            noisy encoder path drops units there). The returned outputs are
            the stages' own, before any noise of the next stage.
        """
        if self.input_shape is not None:
            x = x.reshape(len(x), *self.input_shape)
        outs = []
        for i, stage in enumerate(self.stages):
            if noise is not None:
                x = noise(i, x)
            x = stage(x)
            outs.append(x)
        return outs


def xavier_init(layer):
    """Xavier-uniform weights and zero biases (DEPICT's and DSC-Net's
    initialisation).

    Zero biases also keep a final ReLU alive: with PyTorch's default uniform
    bias a negative last bias can zero every output pixel of a decoder, and the
    reconstruction gradient with it.

    Examples
    --------
    >>> from torch import nn
    >>> from skdeepcluster.utils import xavier_init
    >>> layer = nn.Linear(4, 2)
    >>> xavier_init(layer)
    >>> float(layer.bias.abs().sum())
    0.0
    """
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)


def init_layers(modules, init):
    """Apply ``init`` to every ``Linear``, ``Conv2d`` and ``ConvTranspose2d`` of
    ``modules``, in their order (which fixes the random draws); None does
    nothing.

    Examples
    --------
    >>> from torch import nn
    >>> from skdeepcluster.utils import init_layers, xavier_init
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> init_layers(net.modules(), xavier_init)
    >>> [float(m.bias.abs().sum()) for m in net if isinstance(m, nn.Linear)]
    [0.0, 0.0]
    """
    if init is not None:
        for m in modules:
            if isinstance(m, _WEIGHT_LAYERS):
                init(m)


def mlp_stack(n_features, widths, *, block=("relu",), last_block=None, dropout=0.0,
              init=None):
    """Fully connected stages from ``n_features`` through each width of ``widths``.

    Parameters
    ----------
    n_features : int
    widths : sequence of int
        Output width of each stage.
    block : sequence of str, default=("relu",)
        The layers after each stage's ``Linear`` (see
        :func:`~skdeepcluster.utils.mlp_layers`; also ``"leaky_relu"``,
        slope 0.01, and ``"tanh"``).
    last_block : sequence of str or None, default=None
        The layers after the last ``Linear``; None repeats ``block``, ``()``
        leaves it linear.
    dropout : float, default=0.0
        Rate of ``"dropout"`` layers.
    init : callable or None, default=None
        Applied to each ``Linear`` right after it is built; None keeps
        PyTorch's default initialisation.

    Returns
    -------
    stack : LayerStack

    Examples
    --------
    >>> from skdeepcluster.utils import mlp_stack
    >>> decoder = mlp_stack(2, (8, 4), block=("relu",), last_block=())
    >>> [[type(m).__name__ for m in stage] for stage in decoder.stages]
    [['Linear', 'ReLU'], ['Linear']]
    """
    widths = [int(w) for w in widths]
    last_block = block if last_block is None else last_block
    stages, prev = [], int(n_features)
    for i, width in enumerate(widths):
        kinds = last_block if i == len(widths) - 1 else block
        layers, prev = mlp_layers(prev, (width,), block=kinds, dropout=dropout)
        init_layers(layers, init)
        stages.append(nn.Sequential(*layers))
    return LayerStack(stages)


def _same_pads(size, kernel, stride=2):
    """TF-"SAME" padding (before, after) for one spatial axis, and the output size."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class _Crop(nn.Module):
    """Centre crop of the last two axes to ``(height, width)``."""

    def __init__(self, height, width):
        super().__init__()
        self.size = (int(height), int(width))

    def forward(self, z):
        h, w = self.size
        dh, dw = z.shape[-2] - h, z.shape[-1] - w
        return z[..., dh // 2: dh // 2 + h, dw // 2: dw // 2 + w]

    def extra_repr(self):
        return f"size={self.size}"


def conv_stacks(input_shape, channels, kernel_sizes, *, padding="same",
                activation="relu", output_activation=None, latent_dim=None,
                latent_activation=None, init=None):
    """A convolutional encoder and its mirrored decoder.

    The encoder has one stride-2 ``Conv2d`` per entry of ``channels``, each
    followed by ``activation``, and with ``latent_dim`` a last stage that
    flattens the maps into a ``Linear`` layer. The decoder mirrors it (the
    latent ``Linear`` back to the deepest maps, then stride-2
    ``ConvTranspose2d``) and reproduces the encoder's sizes exactly.

    Parameters
    ----------
    input_shape : tuple (C, H, W)
    channels, kernel_sizes : sequence of int
        Output channels and kernel size of each convolution.
    padding : "same" or sequence of int, default="same"
        ``"same"``: TensorFlow's padding (possibly one more pixel after than
        before), the decoder crops the transposed convolutions' outputs back
        to the encoder's sizes (DSC-Net). A sequence: symmetric zero padding of
        each convolution, the decoder's ``output_padding`` is solved so that
        its outputs land on the encoder's sizes (DEPICT).
    activation : str, default="relu"
        After every convolution, the decoder's latent ``Linear`` and every
        transposed convolution but the last (``"relu"``, ``"leaky_relu"``,
        ``"tanh"``).
    output_activation : str or None, default=None
        After the last transposed convolution (the reconstruction).
    latent_dim : int or None, default=None
        Width of a linear latent layer on the flattened deepest maps; None
        ends the encoder at the deepest maps.
    latent_activation : str or None, default=None
        After the latent ``Linear``.
    init : callable or None, default=None
        Applied to each weight layer right after it is built.

    Returns
    -------
    encoder, decoder : LayerStack
        The encoder takes ``(n, C, H, W)`` tensors or flat rows; the decoder
        returns its stages' outputs, the reconstruction (images) last.
    shapes : list of tuple
        ``(C, H, W)`` of the input and of every convolution's output.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.utils import conv_stacks
    >>> enc, dec, shapes = conv_stacks((1, 28, 28), (8, 16), (5, 3))
    >>> shapes
    [(1, 28, 28), (8, 14, 14), (16, 7, 7)]
    >>> x = torch.zeros(2, 1, 28, 28)
    >>> tuple(dec(enc(x)[-1])[-1].shape)
    (2, 1, 28, 28)
    """
    act = (lambda kind: [] if kind is None else [_LAYERS[kind](0, 0.0)])
    c, h, w = (int(v) for v in input_shape)
    same = isinstance(padding, str)
    shapes, enc = [(c, h, w)], []
    for i, (c_out, k) in enumerate(zip(channels, kernel_sizes)):
        if same:
            ph0, ph1, h_out = _same_pads(h, k)
            pw0, pw1, w_out = _same_pads(w, k)
            conv = nn.Conv2d(c, c_out, k, stride=2)
            init_layers([conv], init)
            enc.append(nn.Sequential(nn.ZeroPad2d((pw0, pw1, ph0, ph1)), conv,
                                     *act(activation)))
        else:
            p = int(padding[i])
            h_out, w_out = (h + 2 * p - k) // 2 + 1, (w + 2 * p - k) // 2 + 1
            conv = nn.Conv2d(c, c_out, k, stride=2, padding=p)
            init_layers([conv], init)
            enc.append(nn.Sequential(conv, *act(activation)))
        c, h, w = int(c_out), h_out, w_out
        shapes.append((c, h, w))
    dec = []
    if latent_dim is not None:
        flat = c * h * w
        lin = nn.Linear(flat, int(latent_dim))
        init_layers([lin], init)
        enc.append(nn.Sequential(nn.Flatten(), lin, *act(latent_activation)))
        lin = nn.Linear(int(latent_dim), flat)
        init_layers([lin], init)
        dec.append(nn.Sequential(lin, nn.Unflatten(1, (c, h, w)), *act(activation)))
    for i in reversed(range(len(channels))):
        (c_in, h_in, w_in), (c_out, h_out, w_out) = shapes[i], shapes[i + 1]
        k = kernel_sizes[i]
        kind = output_activation if i == 0 else activation
        if same:
            deconv = nn.ConvTranspose2d(c_out, c_in, k, stride=2)
            init_layers([deconv], init)
            dec.append(nn.Sequential(deconv, _Crop(h_in, w_in), *act(kind)))
        else:
            p = int(padding[i])
            op = (h_in - ((h_out - 1) * 2 - 2 * p + k), w_in - ((w_out - 1) * 2 - 2 * p + k))
            deconv = nn.ConvTranspose2d(c_out, c_in, k, stride=2, padding=p,
                                        output_padding=op)
            init_layers([deconv], init)
            dec.append(nn.Sequential(deconv, *act(kind)))
    return LayerStack(enc, input_shape=shapes[0]), LayerStack(dec), shapes


class Autoencoder(nn.Module):
    """An encoder and a decoder trained to reconstruct the input.

    ``forward(x)`` returns ``(reconstruction, x)``, the reconstruction in
    ``x``'s shape, which is what a reconstruction loss compares.

    Parameters
    ----------
    encoder, decoder : LayerStack

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.utils import Autoencoder, mlp_stack
    >>> ae = Autoencoder(mlp_stack(4, (8, 2)), mlp_stack(2, (8, 4), last_block=()))
    >>> recon, x = ae(torch.zeros(3, 4))
    >>> tuple(recon.shape)
    (3, 4)
    """

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x):
        return self.decoder(self.encoder(x)[-1])[-1].reshape(x.shape), x
