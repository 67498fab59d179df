"""DSC's losses, one per stage, as criterion modules of its skorch nets."""

import math

import torch
from torch import nn

__all__ = ["ReconstructionLoss", "SelfExpressionLoss", "StructuredNormLoss"]

_EPS_SQRT = 1e-12  # inside the square root of the structured norm: finite gradients at 0


class ReconstructionLoss(nn.Module):
    """Stage 0: squared reconstruction error, summed over features, mean over rows.

    ``y_pred`` is the autoencoder's ``(reconstruction, input)``; ``y`` is unused.
    """

    def forward(self, y_pred, y_true=None):
        recon, X = y_pred
        return ((recon - X) ** 2).sum() / len(X)


class SelfExpressionLoss(nn.Module):
    """Stage 1: ``sum_v ||H_v - C H_v||_F^2`` over the input and every layer.

    ``y_pred`` is ``(layers, C)``. After each call, ``rse`` holds the relative
    self-expression error ``sqrt(loss / sum_v ||H_v||^2)`` that stage 1's
    stopping rule reads.
    """

    def forward(self, y_pred, y_true=None):
        layers, C = y_pred
        loss = 0.0
        total = 0.0
        for H in layers:
            loss = loss + ((H - C @ H) ** 2).sum()
            total = total + (H.detach() ** 2).sum()
        self.rse = math.sqrt(float(loss.detach()) / max(float(total), 1e-30))
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
