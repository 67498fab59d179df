"""DEPICT's losses, as criterion modules of its skorch nets.

Each criterion is built by skorch from ``criterion__*`` parameters and called
as ``criterion(y_pred, y_true)`` with the network's output tuple
``(logits_noisy, logits_clean, clean_hidden, decoded, z)``.
"""

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "PseudoLabelLoss",
    "ReconstructionLoss",
    "SelfTrainingLoss",
    "compute_targets",
    "reconstruction_loss",
]


def reconstruction_loss(clean, decoded, hidden_weight):
    """Input MSE plus ``hidden_weight`` times each hidden layer's MSE."""
    loss = F.mse_loss(decoded[0].reshape(clean[0].shape), clean[0])
    for c, d in zip(clean[1:], decoded[1:]):
        loss = loss + hidden_weight * F.mse_loss(d, c)
    return loss


def compute_targets(P, rule):
    """DEPICT's E-step: auxiliary targets Q from the clean soft assignments P."""
    if rule == "square":  # the reference code (DEC sharpening)
        Q = P**2 / P.sum(0, keepdim=True)
    else:  # "sqrt", the paper's closed form
        Q = P / P.sum(0, keepdim=True).sqrt()
    return Q / Q.sum(1, keepdim=True)


class ReconstructionLoss(nn.Module):
    """Phase A: layer-wise reconstruction through the noisy path; ``y`` unused.

    Parameters
    ----------
    recon_weight : float
        Multiplier of the whole reconstruction loss.
    hidden_weight : float
        Weight of each hidden layer's term (the input's is 1).
    """

    def __init__(self, recon_weight=1.0, hidden_weight=0.1):
        super().__init__()
        self.recon_weight = recon_weight
        self.hidden_weight = hidden_weight

    def forward(self, y_pred, y_true=None):
        clean, decoded = y_pred[2], y_pred[3]
        return self.recon_weight * reconstruction_loss(clean, decoded, self.hidden_weight)


class PseudoLabelLoss(ReconstructionLoss):
    """Phase C: cross-entropy of the noisy head on pseudo-labels ``y`` plus reconstruction."""

    def __init__(self, recon_weight=1.0, hidden_weight=0.1, cluster_weight=1.0):
        super().__init__(recon_weight, hidden_weight)
        self.cluster_weight = cluster_weight

    def forward(self, y_pred, y_true):
        ce = F.cross_entropy(y_pred[0], y_true)
        return super().forward(y_pred) + self.cluster_weight * ce


class SelfTrainingLoss(PseudoLabelLoss):
    """Phase D: cross-entropy towards the targets Q plus reconstruction.

    ``y`` holds the row indices of the batch; ``targets`` (n_samples, K) is
    owned by the :class:`~skdeepcluster.depict._callbacks.TargetUpdate`
    callback, which recomputes it every epoch.
    """

    def __init__(self, recon_weight=1.0, hidden_weight=0.1, cluster_weight=1.0):
        super().__init__(recon_weight, hidden_weight, cluster_weight)
        self.targets = None

    def forward(self, y_pred, y_true):
        logp = F.log_softmax(y_pred[0], dim=1)
        ce = -(self.targets[y_true] * logp).sum(1).mean()
        return ReconstructionLoss.forward(self, y_pred) + self.cluster_weight * ce
