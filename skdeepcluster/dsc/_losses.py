"""DSC's losses, one per stage, as criterion modules of its skorch nets."""

import math

import torch
from torch import nn

__all__ = ["ClosedFormSelfExpressionLoss", "ReconstructionLoss", "SelfExpressionLoss",
           "StructuredNormLoss"]

_EPS_SQRT = 1e-12  # inside the square root of the structured norm: finite gradients at 0


class ReconstructionLoss(nn.Module):
    """Stage 0: squared reconstruction error, summed over features, mean over rows.

    ``y_pred`` is the autoencoder's ``(reconstruction, input)``; ``y`` is unused.
    """

    def forward(self, y_pred, y_true=None):
        recon, X = y_pred
        return ((recon - X) ** 2).sum() / len(X)


class SelfExpressionLoss(nn.Module):
    """Stage 1 with ``C`` a parameter: ``sum_v w_v ||H_v - C H_v||_F^2``.

    ``y_pred`` is ``(layers, C)``. After each call, ``rse`` holds the relative
    self-expression error ``sqrt(sum_v w_v ||H_v - C H_v||^2 / sum_v w_v ||H_v||^2)``
    that stage 1's stopping rule reads, and ``lipschitz`` the Lipschitz constant
    ``2 sigma_max(H_w)^2`` of the gradient in ``C`` (``H_w`` the weighted layers
    side by side), estimated by power iteration (used by the gradient step).

    With ``weights=None`` every layer has weight 1 and the encoder is trained on
    the same sum (the released method, ``coef_solver="adam"``). With weights,
    ``C`` is trained on the weighted sum of the detached layers and the encoder
    on the relative errors of its layers, ``sum_{v >= 1} ||H_v - C H_v||^2 /
    ||H_v||^2`` with ``C`` detached: a relative error cannot be lowered by
    shrinking the features (Haeffele et al., 2021).
    """

    def __init__(self, weights=None):
        super().__init__()
        self.weights = None if weights is None else tuple(float(w) for w in weights)
        self._v = None

    def forward(self, y_pred, y_true=None):
        layers, C = y_pred
        if self.weights is None:
            loss = 0.0
            total = 0.0
            for H in layers:
                loss = loss + ((H - C @ H) ** 2).sum()
                total = total + (H.detach() ** 2).sum()
            self.rse = math.sqrt(float(loss.detach()) / max(float(total), 1e-30))
            self.lipschitz = None
            return loss
        coef_loss = 0.0
        total = 0.0
        for w, H in zip(self.weights, layers):
            if w > 0:
                Hd = H.detach()
                coef_loss = coef_loss + w * ((Hd - C @ Hd) ** 2).sum()
                total = total + w * float((Hd ** 2).sum())
        self.rse = math.sqrt(float(coef_loss.detach()) / max(total, 1e-30))
        self.lipschitz = self._lipschitz(layers)
        Cd = C.detach()
        enc_loss = 0.0
        for H in layers[1:]:
            enc_loss = enc_loss + ((H - Cd @ H) ** 2).sum() / (H ** 2).sum().clamp(min=1e-30)
        return coef_loss + enc_loss

    @torch.no_grad()
    def _lipschitz(self, layers, n_iter=30):
        Hw = torch.cat([math.sqrt(w) * H.detach() for w, H in zip(self.weights, layers) if w > 0],
                       dim=1)
        v = self._v
        if v is None or v.shape[0] != Hw.shape[1] or v.device != Hw.device:
            v = torch.ones(Hw.shape[1], dtype=Hw.dtype, device=Hw.device)
        v = v.to(Hw.dtype)
        sigma2 = 0.0
        for _ in range(n_iter):
            u = Hw.T @ (Hw @ v)
            sigma2 = float(torch.linalg.vector_norm(u)) / max(float(torch.linalg.vector_norm(v)), 1e-300)
            v = u / max(float(torch.linalg.vector_norm(u)), 1e-300)
        self._v = v
        return 2.0 * sigma2


class ClosedFormSelfExpressionLoss(nn.Module):
    """Stage 1 with closed-form ``C``: the encoder's loss for fixed coefficients.

    ``y_pred`` is the list of layers ``[H_0 = X, H_1, ..., H_L]``; ``coef`` (a
    :class:`~skdeepcluster.dsc._coefficients.RidgeSelfExpression`, owned by the
    :class:`~skdeepcluster.dsc._callbacks.ClosedFormCoefficients` callback, which
    re-solves it at the start of every epoch) applies ``C``. The loss is the sum
    of the relative self-expression errors of the encoder layers,
    ``sum_{v >= 1} ||H_v - C H_v||^2 / ||H_v||^2``, which shrinking the features
    cannot lower. After each call ``rse`` holds the relative error of the
    weighted layers that ``C`` was solved on.
    """

    def __init__(self):
        super().__init__()
        self.coef = None

    def forward(self, y_pred, y_true=None):
        layers = y_pred
        loss = layers[0].new_zeros(())
        for H in layers[1:]:
            loss = loss + ((H - self.coef.apply(H)) ** 2).sum() / (H ** 2).sum().clamp(min=1e-30)
        self.rse = self.coef.rse
        return loss


class StructuredNormLoss(nn.Module):
    """Stage 2: ``10 * sum_{y_i != y_j} sqrt(|c_ij| + |c_ji| + eps)`` on C only.

    ``partition`` (a LongTensor on the device) is owned by the
    :class:`~skdeepcluster.dsc._callbacks.PartitionUpdate` callback, which
    re-estimates it at the start of every epoch; after each call ``cut`` holds
    the unweighted sum.
    """

    def __init__(self):
        super().__init__()
        self.partition = None

    def forward(self, y_pred, y_true=None):
        C = y_pred
        absC = C.abs()
        W = torch.sqrt(absC + absC.T + _EPS_SQRT)
        y = self.partition
        lq = (W * (y[:, None] != y[None, :])).sum()
        self.cut = float(lq.detach())
        return 10.0 * lq
