"""PBN's loss, as the criterion module of its skorch net."""

import torch.nn.functional as F
from torch import nn

__all__ = ["PBNLoss"]


class PBNLoss(nn.Module):
    """``w * CE(known rows) + (1 - w) * reconstruction``.

    Called as ``criterion(y_pred, y_true)`` with the network's output
    ``(z, logits, x_hat, x)`` and ``y_true`` the known-class code of each row of
    the batch (-1 for unlabelled rows). The reconstruction term is the per-row
    SUM of squared errors over the features, averaged over the batch; the
    cross-entropy averages over the batch's labelled rows (a batch without one
    contributes reconstruction only).

    Parameters
    ----------
    w : float in [0, 1]
        Weight of the classification loss.
    """

    def __init__(self, w=0.9):
        super().__init__()
        self.w = w

    def forward(self, y_pred, y_true):
        z, logits, x_hat, x = y_pred
        rec = ((x_hat - x) ** 2).sum(1).mean()
        if logits.shape[1] == 0:
            return rec
        if bool((y_true >= 0).any()):
            ce = F.cross_entropy(logits, y_true, ignore_index=-1)
        else:  # no labelled row in this batch: CE would be NaN
            ce = logits.sum() * 0.0
        return self.w * ce + (1.0 - self.w) * rec
