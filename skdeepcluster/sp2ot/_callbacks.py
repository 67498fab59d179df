"""skorch callbacks of SP2OT's clustering stage; they own the state that
changes during training (the transported mass and the memory)."""

import torch
from skorch.callbacks import Callback

from ._transport import rho_schedule

__all__ = ["Memory", "TransportSchedule"]


class Memory:
    """Recent predictions and projections of the training rows.

    Per-row buffers (log predictions and unit-norm projections of the first
    view, as last seen) and a FIFO of the most recently seen row indices; the
    memory handed to a batch is the FIFO's rows outside the batch.
    """

    def __init__(self, n_samples, n_clusters, dim, size, device, dtype):
        self.log_proba = torch.zeros(n_samples, n_clusters, device=device, dtype=dtype)
        self.z = torch.zeros(n_samples, dim, device=device, dtype=dtype)
        self.size = int(min(size, n_samples))
        self.queue = torch.full((max(self.size, 1),), -1, dtype=torch.long, device=device)
        self.ptr = 0
        self.in_batch = torch.zeros(n_samples, dtype=torch.bool, device=device)

    def rows(self, idx):
        """``(log_proba, z)`` of the remembered rows that are not in ``idx``."""
        if self.size == 0:
            empty = self.log_proba[:0]
            return empty, self.z[:0]
        q = self.queue[self.queue >= 0]
        q = torch.unique(q)
        self.in_batch[idx] = True
        q = q[~self.in_batch[q]]
        self.in_batch[idx] = False
        return self.log_proba[q], self.z[q]

    def push(self, idx, log_proba, z):
        self.log_proba[idx] = log_proba
        self.z[idx] = z
        if self.size == 0:
            return
        idx = idx[-self.size:]
        m = len(idx)
        pos = (self.ptr + torch.arange(m, device=idx.device)) % self.size
        self.queue[pos] = idx
        self.ptr = (self.ptr + m) % self.size


class TransportSchedule(Callback):
    """The clustering stage's transported mass, memory and stopping rule.

    * ``rho`` follows P2OT's ramp ``rho0 + (1 - rho0) exp(-5 (1 - t)^2)``
      over the first ``ramp_epochs`` epochs (``t`` the fraction done), then
      stays 1; it is 1 throughout for balanced transport.
    * After every training batch the first view's log predictions and
      projections enter the memory that the criterion solves with.
    * Once ``rho`` is 1, each epoch ends with the clean (eval-mode) labels of
      every row; the stage stops when fewer than ``tol`` of them changed since
      the previous epoch. ``stopped_by_tol_`` says whether that happened.

    Records per epoch: ``rho`` and, once measured, ``label_change``.
    """

    def __init__(self, n_samples, n_clusters, dim, memory_size, *, progressive=True,
                 rho0=0.1, ramp_epochs=10, tol=0.001, batch_size=1024):
        self.n_samples = n_samples
        self.n_clusters = n_clusters
        self.dim = dim
        self.memory_size = memory_size
        self.progressive = progressive
        self.rho0 = rho0
        self.ramp_epochs = ramp_epochs
        self.tol = tol
        self.batch_size = batch_size

    def rho_at(self, epoch):
        """Transported mass of (1-based) ``epoch``."""
        if not self.progressive or self.ramp_epochs <= 0:
            return 1.0
        if epoch >= self.ramp_epochs:
            return 1.0
        return rho_schedule(epoch / self.ramp_epochs, self.rho0)

    def on_train_begin(self, net, X=None, **kwargs):
        param = next(net.module_.parameters())
        self.memory_ = Memory(self.n_samples, self.n_clusters, self.dim, self.memory_size,
                              param.device, param.dtype)
        net.criterion_.memory = self.memory_
        self.labels_prev_ = None
        self.stopped_by_tol_ = False

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history)
        rho = self.rho_at(epoch)
        net.criterion_.rho = rho
        net.history.record("rho", rho)

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training or y_pred is None:
            return
        idx = batch[1]
        B = len(idx)
        logits, z = y_pred
        with torch.no_grad():
            self.memory_.push(idx, torch.log_softmax(logits[:B].detach(), 1),
                              z[:B].detach())

    @torch.no_grad()
    def _clean_labels(self, net, X):
        module = net.module_
        was = module.training
        module.eval()
        out = []
        for start in range(0, len(X), self.batch_size):
            out.append(module(X[start : start + self.batch_size])[0].argmax(1))
        module.train(was)
        return torch.cat(out)

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        if net.criterion_.rho < 1.0 or dataset_train is None:
            return
        labels = self._clean_labels(net, dataset_train.X)
        if self.labels_prev_ is not None:
            change = float((labels != self.labels_prev_).double().mean())
            net.history.record("label_change", change)
            if change < self.tol:
                self.stopped_by_tol_ = True
                self.labels_prev_ = labels
                raise KeyboardInterrupt  # skorch's way to end training early
        self.labels_prev_ = labels

    def on_train_end(self, net, **kwargs):
        # the fitted net keeps weights only, no per-sample buffers
        net.criterion_.memory = None
        self.memory_ = None
        self.labels_prev_ = None
