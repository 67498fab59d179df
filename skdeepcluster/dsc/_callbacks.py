"""skorch callbacks of DSC's stages: the label-free stopping rules and the
state that changes during training."""

import numpy as np
import torch
from skorch.callbacks import Callback

from ._coefficients import RidgeSelfExpression
from ._postprocess import _spectral_partition

__all__ = ["ClosedFormCoefficients", "LipschitzStep", "PartitionUpdate", "SelfExpressionStop",
           "ZeroDiagonalGrad"]


class ZeroDiagonalGrad(Callback):
    """Zero the gradient of diag(C) after backward, so that diag(C) stays 0 under Adam."""

    def on_grad_computed(self, net, named_parameters=None, **kwargs):
        grad = net.module_.C.grad
        if grad is not None:
            grad.fill_diagonal_(0.0)


class ClosedFormCoefficients(Callback):
    """Stage 1, ``coef_solver="closed_form"``: solve ``C`` exactly at the start of every epoch.

    From the current layers (computed without gradient on the full batch) the
    weighted layers ``H_w = [sqrt(w_v) H_v]`` give the ridge self-expression
    coefficients with ``diag(C) = 0`` (:class:`RidgeSelfExpression`), with
    ``lam`` set so that the relative self-expression error equals ``tol_rse``
    (the discrepancy principle). The factored ``C`` is handed to the criterion,
    which trains the encoder for it; ``coef_`` keeps the last one (with the
    input layer alone, ``C`` is solved once: the input does not change) and the
    history records ``lam`` (relative to the largest eigenvalue of
    ``H_w H_w^T``) and the rank.
    """

    def __init__(self, weights, tol_rse):
        self.weights = tuple(float(w) for w in weights)
        self.tol_rse = tol_rse

    def on_train_begin(self, net, **kwargs):
        self.coef_ = None

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        X = batch[0]
        input_only = self.weights[0] > 0 and not any(w > 0 for w in self.weights[1:])
        # the input layer does not change between epochs (full batch in row
        # order): with it alone, C is solved once
        if self.coef_ is None or not input_only:
            with torch.no_grad():
                layers = [X] if input_only else net.module_(X)
                Hw = torch.cat([w ** 0.5 * H for w, H in zip(self.weights, layers) if w > 0],
                               dim=1)
                self.coef_ = RidgeSelfExpression(Hw, tol_rse=self.tol_rse)
        net.criterion_.coef = self.coef_

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            coef = self.coef_
            net.history.record("lam", coef.lam / max(coef.s_max, 1e-300))
            net.history.record("rank", coef.rank)

    def on_train_end(self, net, **kwargs):
        net.criterion_.coef = None


class LipschitzStep(Callback):
    """Stage 1, ``coef_solver="gradient"``: step ``1/L`` for ``C`` at every update.

    ``L = 2 sigma_max(H_w)^2`` is the Lipschitz constant of the gradient of
    ``sum_v w_v ||H_v - C H_v||^2`` in ``C``, estimated by the criterion; the
    step is written to the optimiser's coefficient group after backward.
    """

    def on_grad_computed(self, net, named_parameters=None, **kwargs):
        L = net.criterion_.lipschitz
        for group in net.optimizer_.param_groups:
            if group.get("coef"):
                group["lr"] = 1.0 / max(L, 1e-30)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            net.history.record("lipschitz", net.criterion_.lipschitz)


class SelfExpressionStop(Callback):
    """Label-free stop of stage 1 (the method's self-stopping rule); records ``rse`` every epoch.

    At the end of epoch ``t >= min_epochs``: stop if the relative self-expression
    error ``rSE_t <= tol_rse``, or if the relative loss change has stayed below
    ``tol`` for ``patience`` consecutive epochs. ``stop_reason_`` says which
    (``"rse"``, ``"loss_plateau"`` or ``"max_epochs"``). ``tol_rse=None``
    leaves only the plateau rule (closed-form ``C``, whose error is held at
    ``tol_rse`` by the choice of ``lam``).
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

    def __init__(self, n_clusters, n_retained, kmeans_n_init, seed, tol, patience,
                 coef_norm=None):
        self.n_clusters = n_clusters
        self.coef_norm = coef_norm
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
            coef_norm=self.coef_norm,
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
