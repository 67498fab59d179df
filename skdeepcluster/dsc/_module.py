"""DSC's networks: the DSC-Net convolutional autoencoder (images) or an MLP
autoencoder (tables), the self-expressive layer and stage 2's coefficients."""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["AutoEncoder", "Coefficients", "ConvDecoder", "ConvEncoder", "EncoderLayers",
           "MLPDecoder", "MLPEncoder", "SelfExpressive"]


def _same_pads(size, kernel, stride=2):
    """TF-"SAME" padding (left, right) for one spatial axis, and the output size."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def _dscnet_init(layer):
    """DSC-Net's initialisation: Xavier-uniform weights, zero biases.

    Zero biases also keep the final ReLU of the decoder alive: with PyTorch's
    default uniform bias a negative last bias can zero every output pixel, and
    the reconstruction gradient with it.
    """
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)


class ConvEncoder(nn.Module):
    """DSC-Net encoder: per layer TF-SAME padding, Conv2d(stride 2), ReLU.

    ``forward`` takes flattened images and returns the flattened output of every
    layer (the input itself is layer 0 and is added by the caller).
    """

    def __init__(self, input_shape, channels, kernel_sizes):
        super().__init__()
        self.input_shape = tuple(input_shape)
        c, h, w = self.input_shape
        self.convs = nn.ModuleList()
        self.pads = []
        self.sizes = [(h, w)]
        for c_out, k in zip(channels, kernel_sizes):
            ph0, ph1, h_out = _same_pads(h, k)
            pw0, pw1, w_out = _same_pads(w, k)
            self.pads.append((pw0, pw1, ph0, ph1))
            conv = nn.Conv2d(c, c_out, k, stride=2)
            _dscnet_init(conv)
            self.convs.append(conv)
            c, h, w = c_out, h_out, w_out
            self.sizes.append((h, w))
        self.out_shape = (c, h, w)

    def forward(self, x):
        z = x.reshape(len(x), *self.input_shape)
        outs = []
        for conv, pad in zip(self.convs, self.pads):
            z = F.relu(conv(F.pad(z, pad)))
            outs.append(z)
        return outs


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`: ConvTranspose2d(stride 2) + crop + ReLU."""

    def __init__(self, encoder, channels, kernel_sizes, last_relu=True):
        super().__init__()
        in_ch = [encoder.input_shape[0]] + list(channels[:-1])
        self.deconvs = nn.ModuleList()
        self.targets = []
        for i in reversed(range(len(channels))):
            deconv = nn.ConvTranspose2d(channels[i], in_ch[i], kernel_sizes[i], stride=2)
            _dscnet_init(deconv)
            self.deconvs.append(deconv)
            self.targets.append(encoder.sizes[i])
        self.last_relu = last_relu

    def forward(self, z):
        n = len(self.deconvs)
        for i, (deconv, (h, w)) in enumerate(zip(self.deconvs, self.targets)):
            z = deconv(z)
            dh, dw = z.shape[-2] - h, z.shape[-1] - w
            z = z[..., dh // 2: dh // 2 + h, dw // 2: dw // 2 + w]
            if i < n - 1 or self.last_relu:
                z = F.relu(z)
        return z.reshape(len(z), -1)


class MLPEncoder(nn.Module):
    """Fully connected encoder, Linear + ReLU per layer; returns every layer."""

    def __init__(self, n_features, hidden_dims):
        super().__init__()
        dims = [n_features] + list(hidden_dims)
        self.linears = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])
        )

    def forward(self, x):
        outs = []
        for lin in self.linears:
            x = F.relu(lin(x))
            outs.append(x)
        return outs


class MLPDecoder(nn.Module):
    """Mirror of :class:`MLPEncoder` (ReLU inside, linear output)."""

    def __init__(self, n_features, hidden_dims, last_relu=False):
        super().__init__()
        dims = [n_features] + list(hidden_dims)
        self.linears = nn.ModuleList(
            nn.Linear(b, a) for a, b in reversed(list(zip(dims[:-1], dims[1:])))
        )
        self.last_relu = last_relu

    def forward(self, z):
        n = len(self.linears)
        for i, lin in enumerate(self.linears):
            z = lin(z)
            if i < n - 1 or self.last_relu:
                z = F.relu(z)
        return z


class AutoEncoder(nn.Module):
    """Encoder + decoder of stage 0."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x):
        """The reconstruction and the input (the loss compares them)."""
        return self.decoder(self.encoder(x)[-1]), x


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
