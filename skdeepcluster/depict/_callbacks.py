"""skorch callbacks of DEPICT's clustering phases; they own the state that
changes during training."""

import torch
from skorch.callbacks import Callback
from sklearn.metrics import normalized_mutual_info_score

from ._losses import compute_targets

__all__ = ["TargetUpdate", "ValidNMI"]


def _clean_logits(module, X):
    return module.head(module.embed(X))


class ValidNMI(Callback):
    """Phase C: NMI between the clean argmax and the pseudo-labels (``y``) of
    the held-out rows, recorded as ``valid_nmi``."""

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        with torch.no_grad():
            net.module_.eval()
            logits = _clean_logits(net.module_, dataset_valid.X)
            net.module_.train()
        pred = logits.argmax(1).cpu().numpy()
        ref = dataset_valid.y.cpu().numpy()
        net.history.record("valid_nmi", normalized_mutual_info_score(ref, pred))


class TargetUpdate(Callback):
    """Phase D's alternation and label-free stopping rule.

    Holds the clean soft assignments ``P`` (refreshed for each batch right
    after its update) and the targets ``Q`` (recomputed from ``P`` once per
    epoch, written to the criterion); stops when ``Q`` changes by less than
    ``tol`` (mean squared change) or fewer than ``label_change_tol`` of the
    labels change. ``stopped_by_tol_`` says which ended training.

    Parameters
    ----------
    P : tensor of shape (n_samples, n_clusters)
        The clean soft assignments at the start of the phase.
    target : {"square", "sqrt"}
    tol : float
    label_change_tol : float or None
    every : int, default=1
        Recompute ``Q`` (and check the stopping rule) at the end of every
        ``every``-th epoch only; the changes are measured between updates.
    """

    def __init__(self, P, target, tol, label_change_tol, every=1):
        self.P = P
        self.target = target
        self.tol = tol
        self.label_change_tol = label_change_tol
        self.every = every

    def on_train_begin(self, net, **kwargs):
        self.Q_ = compute_targets(self.P, self.target)
        self.labels_prev_ = self.P.argmax(1)
        self.stopped_by_tol_ = False
        net.criterion_.targets = self.Q_

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        Xi, idx = batch
        with torch.no_grad():
            net.module_.eval()
            self.P[idx] = torch.softmax(_clean_logits(net.module_, Xi), 1)
            net.module_.train()

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) % self.every:
            return
        Q = compute_targets(self.P, self.target)
        change = float(((Q - self.Q_) ** 2).mean())
        labels = self.P.argmax(1)
        frac = float((labels != self.labels_prev_).double().mean())
        net.history.record("q_change", change)
        net.history.record("label_change", frac)
        self.Q_ = Q
        self.labels_prev_ = labels
        net.criterion_.targets = Q
        if change < self.tol or (
            self.label_change_tol is not None and frac < self.label_change_tol
        ):
            self.stopped_by_tol_ = True
            raise KeyboardInterrupt  # skorch's way to end training early

    def on_train_end(self, net, **kwargs):
        # the fitted net keeps weights only, no per-sample buffers
        net.criterion_.targets = None
        self.P = self.Q_ = self.labels_prev_ = None
