"""Shared skorch machinery: on-device data, index-carrying mini-batches, nets.

Every neural estimator in the package trains a :class:`torch.nn.Module` through a
skorch :class:`~skorch.NeuralNet`. The data are moved to the device once; the
iterator below slices tensors instead of collating samples one by one, and each
batch carries the indices of its rows so that losses can read per-sample buffers
(targets, pseudo-labels, known-class labels) kept on the device.
"""

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset

__all__ = [
    "DeviceBatches",
    "DeviceNet",
    "EpochSeeder",
    "RandomHoldout",
    "as_device_tensor",
    "make_net",
]


def as_device_tensor(X, device, dtype=torch.float32):
    """Move an array to ``device`` once, as a contiguous tensor of ``dtype``."""
    if isinstance(X, torch.Tensor):
        return X.to(device=device, dtype=dtype).contiguous()
    return torch.as_tensor(np.ascontiguousarray(X), dtype=dtype, device=device)


class EpochSeeder:
    """Picklable source of one fresh shuffling seed per epoch.

    skorch builds a new iterator every epoch; the iterator asks this object for a
    seed, so each epoch is reshuffled while the whole run stays reproducible.
    """

    def __init__(self, seed):
        self.seed = int(seed)
        self.count = 0

    def next_generator(self):
        gen = torch.Generator()  # CPU generator: identical permutations on any device
        gen.manual_seed((self.seed * 1_000_003 + self.count) % (2**63 - 1))
        self.count += 1
        return gen


class DeviceBatches:
    """Mini-batches of an on-device skorch dataset by tensor slicing.

    Yields ``(X[idx], y[idx])`` where ``y`` defaults to the row indices, so a loss
    can gather per-sample buffers. Works as skorch's ``iterator_train`` and
    ``iterator_valid`` (skorch passes ``batch_size``; ``-1`` means full batch).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Its ``X`` must be a tensor; ``y`` a tensor of the same length or None.
    batch_size : int, default=128
    shuffle : bool, default=False
    seeder : EpochSeeder or None
        Source of the per-epoch permutation when ``shuffle`` is True.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, seeder=None):
        self.X = dataset.X
        y = dataset.y
        n = len(self.X)
        if y is None:
            y = torch.arange(n, device=self.X.device)
        self.y = y
        self.n = n
        self.batch_size = n if batch_size in (None, -1) else int(batch_size)
        self.shuffle = shuffle
        self.seeder = seeder

    def __len__(self):
        return max(1, math.ceil(self.n / self.batch_size))

    def __iter__(self):
        n, bs = self.n, self.batch_size
        if bs >= n and not self.shuffle:
            yield self.X, self.y
            return
        if self.shuffle:
            gen = self.seeder.next_generator() if self.seeder is not None else None
            order = torch.randperm(n, generator=gen).to(self.X.device)
            for start in range(0, n, bs):
                idx = order[start : start + bs]
                yield self.X[idx], self.y[idx]
        else:
            for start in range(0, n, bs):
                yield self.X[start : start + bs], self.y[start : start + bs]


class RandomHoldout:
    """skorch ``train_split`` holding out a seeded random fraction of the rows.

    The indices carried by the batches stay the global row indices, so per-sample
    buffers remain valid in both parts. The split never looks at labels.
    """

    def __init__(self, fraction, seed):
        self.fraction = float(fraction)
        self.seed = int(seed)

    def __call__(self, dataset, y=None, **kwargs):
        n = len(dataset.X)
        idx_all = (dataset.y if dataset.y is not None
                   else torch.arange(n, device=dataset.X.device))
        n_valid = max(1, int(round(self.fraction * n)))
        rng = np.random.RandomState(self.seed % (2**32 - 1))
        perm = torch.as_tensor(rng.permutation(n), device=dataset.X.device)
        valid, train = perm[:n_valid], perm[n_valid:]
        return (
            Dataset(dataset.X[train], idx_all[train]),
            Dataset(dataset.X[valid], idx_all[valid]),
        )


class DeviceNet(NeuralNet):
    """The package's skorch net: skorch's own loss path (``criterion_(y_pred,
    y_true)``) and pickling that maps every tensor to the available device.

    skorch pickles ``module_``/``optimizer_``/``criterion_`` so that a net
    trained on CUDA loads on a CPU-only machine. Our nets also hold the module
    *instance* passed as the ``module`` parameter (built under a seed) and may
    hold tensors in callbacks or the criterion; every tensor or module
    attribute is routed through the same device-aware path, or unpickling
    without CUDA would fail.
    """

    def __getstate__(self):
        saved = self.cuda_dependent_attributes_
        extra = [
            key for key, value in vars(self).items()
            if isinstance(value, (torch.Tensor, torch.nn.Module))
            and not any(key.startswith(p) for p in saved)
        ]
        self.cuda_dependent_attributes_ = list(saved) + extra
        try:
            return super().__getstate__()
        finally:
            self.cuda_dependent_attributes_ = saved


def make_net(
    module,
    criterion,
    *,
    device,
    seed,
    lr,
    max_epochs,
    batch_size,
    optimizer=torch.optim.Adam,
    train_split=None,
    callbacks=None,
    verbose=0,
    shuffle=True,
    **kwargs,
):
    """Build a skorch net wired to the fast on-device data path.

    ``module`` is an already-built :class:`torch.nn.Module` instance (build it under
    :func:`skdeepcluster.utils.seeded` to make its initialisation reproducible);
    ``criterion`` the loss module class, configured with ``criterion__*``
    keyword arguments. Mini-batches are slices of on-device tensors
    (:class:`DeviceBatches`), reshuffled every epoch from ``seed`` (in row
    order with ``shuffle=False``).
    """
    return DeviceNet(
        module=module,
        criterion=criterion,
        optimizer=optimizer,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        iterator_train=DeviceBatches,
        iterator_train__shuffle=shuffle,
        iterator_train__seeder=EpochSeeder(seed),
        iterator_valid=DeviceBatches,
        iterator_valid__shuffle=False,
        train_split=train_split,
        callbacks=callbacks,
        device=device,
        verbose=verbose,
        **kwargs,
    )


def _silent(*args, **kwargs):
    """A picklable no-op sink for skorch callbacks."""


def early_stopping(patience, monitor="valid_loss", threshold=1e-4, lower_is_better=True):
    """skorch EarlyStopping restoring the best weights (the package's common rule)."""
    return EarlyStopping(
        monitor=monitor,
        patience=patience,
        threshold=threshold,
        threshold_mode="rel",
        lower_is_better=lower_is_better,
        load_best=True,
        sink=_silent,
    )
