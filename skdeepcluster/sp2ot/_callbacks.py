"""skorch callbacks of SP2OT's clustering stage; they own the state that
changes during training (the transported mass and the memory)."""

import math

import torch
from skorch.callbacks import Callback

from ._losses import candidate_graph
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
        """``(log_proba, z, indices)`` of the remembered rows not in ``idx``."""
        if self.size == 0:
            q = self.queue[:0]
        else:
            q = self.queue[self.queue >= 0]
            q = torch.unique(q)
            self.in_batch[idx] = True
            q = q[~self.in_batch[q]]
            self.in_batch[idx] = False
        return self.log_proba[q], self.z[q], q

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


def cosine_after_ramp(index, ramp_epochs, max_epochs, decay=True):
    """Learning-rate multiplier of the clustering epoch ``index + 1``
    (``LambdaLR`` counts from 0): 1 up to the end of the ``rho`` ramp, then
    ``(1 + cos(pi t)) / 2`` with ``t`` the fraction of the epochs from the end
    of the ramp to ``max_epochs`` done (0 at the last epoch); 1 throughout
    without ``decay``."""
    epoch, start = index + 1, max(int(ramp_epochs), 0)
    if not decay or epoch <= start:
        return 1.0
    t = min((epoch - start) / max(1, max_epochs - start), 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * t))


class TransportSchedule(Callback):
    """The clustering stage's transported mass, memory and stopping rule.

    * ``rho`` follows P2OT's ramp ``rho0 + (1 - rho0) exp(-5 (1 - t)^2)``
      over the first ``ramp_epochs`` epochs (``t`` the fraction done), then
      stays 1; it is 1 throughout for balanced transport.
    * After every training batch the first view's log predictions and
      projections enter the memory that the criterion solves with.
    * Each epoch ends with the clean (eval-mode) predictions of every row. A
      cluster that no row is predicted in gets a new prototype: the projection
      of the row its own prototype fits worst (DeepCluster's rule against empty
      clusters; weak cluster-size penalties otherwise let small clusters die).
    * Once ``rho`` is 1, the stage stops when fewer than ``tol`` of the clean
      labels changed since the previous epoch. ``stopped_by_tol_`` says
      whether that happened.

    Records per epoch: ``rho``, ``reseeded`` (clusters given a new prototype)
    and, once ``rho`` is 1, ``label_change``. The learning rate is skorch's
    ``LRScheduler`` with :func:`cosine_after_ramp`.
    """

    def __init__(self, n_samples, n_clusters, dim, memory_size, *, progressive=True,
                 rho0=0.1, ramp_epochs=10, tol=0.001, batch_size=1024,
                 graph_features=None):
        self.n_samples = n_samples
        self.n_clusters = n_clusters
        self.dim = dim
        self.memory_size = memory_size
        self.progressive = progressive
        self.rho0 = rho0
        self.ramp_epochs = ramp_epochs
        self.tol = tol
        self.batch_size = batch_size
        self.graph_features = graph_features

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
        if self.graph_features is not None and net.criterion_.semantic_iter > 0:
            # the semantic graph's space is fixed: each row's nearest rows of
            # all, once, from which each batch's graph over [batch; memory] is
            # read off (restrict_graph). Enough candidates that a row's k
            # nearest rows of even a lone first batch (the memory starts empty)
            # are among them on average twice over, at most 256 (a row short
            # of k gets its neighbours from its similarities to all the rows)
            crit = net.criterion_
            k = int(crit.n_neighbors)
            reach = max(1, min(self.n_samples, int(net.batch_size)))
            n_cand = max(k, min(256, max(2 * k, math.ceil(2 * k * self.n_samples / reach))))
            crit.graph_features = self.graph_features.to(param.device)
            crit.graph_candidates = candidate_graph(crit.graph_features, n_cand)
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
    def _clean_outputs(self, net, X):
        module = net.module_
        was = module.training
        module.eval()
        logits, zs = [], []
        for start in range(0, len(X), self.batch_size):
            lg, z = module(X[start : start + self.batch_size])
            logits.append(lg)
            zs.append(z)
        module.train(was)
        return torch.cat(logits), torch.cat(zs)

    @torch.no_grad()
    def _reseed_empty(self, net, logits, z):
        """Give each cluster without any (clean) sample a new prototype: the
        projection of the sample its own prototype fits worst (DeepCluster's
        rule against empty clusters). Returns the number of clusters reseeded."""
        labels = logits.argmax(1)
        counts = torch.bincount(labels, minlength=self.n_clusters)
        empty = torch.nonzero(counts == 0).flatten()
        if len(empty) == 0 or len(z) <= len(empty):
            return 0
        fit = logits.gather(1, labels[:, None]).flatten()  # cosine / temperature
        worst = torch.topk(-fit, len(empty)).indices
        w = net.module_.prototypes.weight
        w[empty] = z[worst].to(w.dtype)
        return len(empty)

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        if dataset_train is None:
            return
        logits, z = self._clean_outputs(net, dataset_train.X)
        net.history.record("reseeded", self._reseed_empty(net, logits, z))
        if net.criterion_.rho < 1.0:
            return
        labels = logits.argmax(1)
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
        net.criterion_.graph_candidates = None
        net.criterion_.graph_features = None
        self.graph_features = None
        self.memory_ = None
        self.labels_prev_ = None
