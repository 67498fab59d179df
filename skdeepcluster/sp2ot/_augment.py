"""Random views computed on the device, one kind per input kind.

Every view draws from torch's global generator on the data's device, which the
estimator seeds around each fit (:func:`skdeepcluster.utils.seeded`): CPU fits
are reproducible, and no per-sample Python loop runs.

* :class:`ImageViews` — images ``(B, C, H, W)`` scaled to [0, 1]: a random
  resized crop with a small rotation (one affine resampling), optional
  horizontal flips, contrast and brightness jitter, random erasing of a
  rectangle and Gaussian noise.
* :class:`ScarfViews` — tables (standardised features): SCARF corruption,
  replacing a random fraction of each row's features with values drawn from
  that feature's empirical marginal (a bank of training rows), plus noise.
* :class:`DropoutViews` — precomputed embeddings (standardised): feature
  dropout (zeroing, i.e. setting to the feature mean) plus noise.
"""

import math

import torch
import torch.nn.functional as F

__all__ = ["DropoutViews", "ImageViews", "ScarfViews"]


def _uniform(shape, low, high, like):
    return torch.rand(shape, device=like.device, dtype=like.dtype) * (high - low) + low


class ImageViews:
    """Random image views (batched, on the device).

    Parameters
    ----------
    crop_scale : tuple of float, default=(0.7, 1.0)
        Range of the area fraction of the random crop (resized back to the
        input size).
    max_rotation : float, default=15
        Rotations are uniform in ``[-max_rotation, max_rotation]`` degrees.
    hflip : bool, default=False
        Flip half of the views left-right (clothes, natural images; not
        digits or letters).
    jitter : float, default=0.4
        Contrast factor uniform in ``[1 - jitter, 1 + jitter]`` and brightness
        shift uniform in ``[-jitter / 4, jitter / 4]``.
    erase_prob : float, default=0.5
        Probability of erasing one random rectangle (2-20 % of the image).
    noise : float, default=0.05
        Standard deviation of additive Gaussian noise.
    """

    def __init__(self, crop_scale=(0.7, 1.0), max_rotation=15.0, hflip=False,
                 jitter=0.4, erase_prob=0.5, noise=0.05):
        self.crop_scale = tuple(float(s) for s in crop_scale)
        self.max_rotation = float(max_rotation)
        self.hflip = bool(hflip)
        self.jitter = float(jitter)
        self.erase_prob = float(erase_prob)
        self.noise = float(noise)

    def __call__(self, x):
        B, C, H, W = x.shape
        ref = x[:1, 0, 0, 0]
        # random resized crop + rotation as one affine map of the sampling grid
        area = _uniform(B, *self.crop_scale, ref)
        log_r = _uniform(B, math.log(3 / 4), math.log(4 / 3), ref)
        ratio = torch.exp(log_r)
        sx = torch.sqrt(area * ratio).clamp(max=1.0)
        sy = torch.sqrt(area / ratio).clamp(max=1.0)
        tx = _uniform(B, -1.0, 1.0, ref) * (1.0 - sx)
        ty = _uniform(B, -1.0, 1.0, ref) * (1.0 - sy)
        angle = _uniform(B, -1.0, 1.0, ref) * math.radians(self.max_rotation)
        cos, sin = torch.cos(angle), torch.sin(angle)
        if self.hflip:
            flip = torch.where(torch.rand(B, device=x.device) < 0.5, -1.0, 1.0).to(x.dtype)
        else:
            flip = torch.ones(B, device=x.device, dtype=x.dtype)
        theta = torch.stack([
            torch.stack([cos * sx * flip, -sin * sy, tx], 1),
            torch.stack([sin * sx * flip, cos * sy, ty], 1),
        ], 1)
        grid = F.affine_grid(theta, (B, C, H, W), align_corners=False)
        out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros",
                            align_corners=False)
        # contrast and brightness
        if self.jitter > 0:
            contrast = _uniform((B, 1, 1, 1), 1 - self.jitter, 1 + self.jitter, ref)
            bright = _uniform((B, 1, 1, 1), -self.jitter / 4, self.jitter / 4, ref)
            out = out * contrast + bright
        # random erasing of one rectangle
        if self.erase_prob > 0:
            frac = _uniform(B, 0.02, 0.2, ref)
            asp = torch.exp(_uniform(B, math.log(0.3), math.log(3.3), ref))
            eh = (torch.sqrt(frac * asp) * H).clamp(1, H)
            ew = (torch.sqrt(frac / asp) * W).clamp(1, W)
            r0 = _uniform(B, 0, 1, ref) * (H - eh)
            c0 = _uniform(B, 0, 1, ref) * (W - ew)
            rows = torch.arange(H, device=x.device, dtype=x.dtype)[None, :, None]
            cols = torch.arange(W, device=x.device, dtype=x.dtype)[None, None, :]
            on = torch.rand(B, device=x.device) < self.erase_prob
            mask = ((rows >= r0[:, None, None]) & (rows < (r0 + eh)[:, None, None])
                    & (cols >= c0[:, None, None]) & (cols < (c0 + ew)[:, None, None])
                    & on[:, None, None])
            out = out.masked_fill(mask[:, None], 0.0)
        if self.noise > 0:
            out = out + self.noise * torch.randn_like(out)
        return out


class ScarfViews:
    """SCARF views of standardised table rows.

    Parameters
    ----------
    bank : tensor of shape (n_bank, n_features)
        Training rows whose columns are each feature's empirical marginal.
    corruption : float, default=0.3
        Fraction of each row's features replaced.
    noise : float, default=0.05
        Standard deviation of additive Gaussian noise (in feature units).
    """

    def __init__(self, corruption=0.3, noise=0.05):
        self.corruption = float(corruption)
        self.noise = float(noise)

    def __call__(self, x, bank):
        B, d = x.shape
        out = x
        if self.corruption > 0 and len(bank) > 0:
            replace = torch.rand(B, d, device=x.device) < self.corruption
            rows = torch.randint(0, len(bank), (B, d), device=x.device)
            drawn = torch.gather(bank, 0, rows)
            out = torch.where(replace, drawn, out)
        if self.noise > 0:
            out = out + self.noise * torch.randn_like(out)
        return out


class DropoutViews:
    """Feature dropout plus noise for standardised embeddings.

    Parameters
    ----------
    corruption : float, default=0.3
        Fraction of features set to zero (the feature mean), without the
        rescaling of :func:`torch.nn.functional.dropout`.
    noise : float, default=0.05
    """

    def __init__(self, corruption=0.3, noise=0.05):
        self.corruption = float(corruption)
        self.noise = float(noise)

    def __call__(self, x, bank=None):
        out = x
        if self.corruption > 0:
            keep = torch.rand(x.shape, device=x.device) >= self.corruption
            out = out * keep.to(x.dtype)
        if self.noise > 0:
            out = out + self.noise * torch.randn_like(out)
        return out
