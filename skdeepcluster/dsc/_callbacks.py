"""skorch callbacks of DSC's stages: the label-free stopping rules and the
state that changes during training."""

import numpy as np
import torch
from skorch.callbacks import Callback

from ._postprocess import _spectral_partition

__all__ = ["PartitionUpdate", "SelfExpressionStop", "ZeroDiagonalGrad"]


class ZeroDiagonalGrad(Callback):
    """Zero the gradient of diag(C) after backward, so that diag(C) stays 0 under Adam."""

    def on_grad_computed(self, net, named_parameters=None, **kwargs):
        grad = net.module_.C.grad
        if grad is not None:
            grad.fill_diagonal_(0.0)


class SelfExpressionStop(Callback):
    """Label-free stop of stage 1 (spec 2.5); records ``rse`` every epoch.

    At the end of epoch ``t >= min_epochs``: stop if the relative self-expression
    error ``rSE_t <= tol_rse``, or if the relative loss change has stayed below
    ``tol`` for ``patience`` consecutive epochs. ``stop_reason_`` says which
    (``"rse"``, ``"loss_plateau"`` or ``"max_epochs"``).
    """

    def __init__(self, tol_rse, tol, patience, min_epochs):
        self.tol_rse = tol_rse
        self.tol = tol
        self.patience = patience
        self.min_epochs = min_epochs

    def on_train_begin(self, net, **kwargs):
        self.flat_ = 0
        self.stop_reason_ = "max_epochs"

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            net.history.record("rse", net.criterion_.rse)

    def on_epoch_end(self, net, **kwargs):
        hist = net.history
        epoch = len(hist)
        rse = hist[-1, "rse"]
        if epoch >= 2:
            prev, cur = hist[-2, "train_loss"], hist[-1, "train_loss"]
            rel = abs(cur - prev) / max(abs(prev), 1e-30)
            self.flat_ = self.flat_ + 1 if rel < self.tol else 0
        if epoch < self.min_epochs:
            return
        if self.tol_rse is not None and rse <= self.tol_rse:
            self.stop_reason_ = "rse"
            raise KeyboardInterrupt
        if self.flat_ >= self.patience:
            self.stop_reason_ = "loss_plateau"
            raise KeyboardInterrupt


class PartitionUpdate(Callback):
    """Stage 2: re-estimate the partition from C every epoch and decide when to stop.

    The partition is the spectral clustering of the retained affinity of C
    (k-means warm-started from the previous partition after the first epoch),
    written to the criterion. Stop when it has not changed (up to a permutation
    of labels) for ``patience`` epochs (``"stable_partition"``), or when the
    relative change of the cut falls below ``tol`` (``"cut_change"``).
    """

    def __init__(self, n_clusters, n_retained, kmeans_n_init, seed, tol, patience):
        self.n_clusters = n_clusters
        self.n_retained = n_retained
        self.kmeans_n_init = kmeans_n_init
        self.seed = seed
        self.tol = tol
        self.patience = patience

    def on_train_begin(self, net, **kwargs):
        self.prev_ = None
        self.stable_ = 0
        self.stop_reason_ = "max_epochs"

    def on_epoch_begin(self, net, **kwargs):
        labels, _, _ = _spectral_partition(
            net.module_.C.detach(), self.n_clusters, self.n_retained,
            n_init=self.kmeans_n_init, seed=self.seed, warm_labels=self.prev_,
        )
        if self.prev_ is not None and _same_partition(labels, self.prev_):
            self.stable_ += 1
        else:
            self.stable_ = 0
        self.prev_ = labels
        net.criterion_.partition = torch.as_tensor(labels, device=net.module_.C.device)
        net.history.record("stable_epochs", self.stable_)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            net.history.record("cut", net.criterion_.cut)

    def on_epoch_end(self, net, **kwargs):
        hist = net.history
        if self.stable_ >= self.patience:
            self.stop_reason_ = "stable_partition"
            raise KeyboardInterrupt
        if len(hist) >= 2:
            prev, cur = hist[-2, "cut"], hist[-1, "cut"]
            if abs(cur - prev) / max(abs(prev), 1e-30) < self.tol:
                self.stop_reason_ = "cut_change"
                raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        net.criterion_.partition = None
        self.prev_ = None


def _same_partition(a, b):
    """True when two labelings are equal up to a permutation (ARI = 1)."""
    pairs = len(set(zip(a.tolist(), b.tolist())))
    return pairs == len(np.unique(a)) == len(np.unique(b))
