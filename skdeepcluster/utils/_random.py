"""Seeding helpers: every random draw of a fit comes from ``random_state``."""

import contextlib
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["torch_seed", "seeded", "torch_generator"]

# torch's global generator is shared by all threads of a process: two fits in
# threads (joblib's threading backend, a Dask worker with several threads) would
# draw from it in an interleaved, run-dependent order. Seeded blocks therefore
# hold this lock; in-process threads then fit one after the other (use processes
# for parallel searches).
_GLOBAL_RNG_LOCK = threading.RLock()


def torch_seed(random_state):
    """Draw an integer seed for torch from a scikit-learn ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance or None

    Returns
    -------
    seed : int
    """
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def torch_generator(seed, device="cpu"):
    """A :class:`torch.Generator` on ``device`` seeded with ``seed``."""
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(int(seed))
    return gen


@contextlib.contextmanager
def seeded(seed, device="cpu"):
    """Run a block with torch's global RNG seeded, restoring it afterwards.

    skorch initialises modules from torch's global generator (and dropout draws
    from it); wrapping a fit in this context makes that deterministic without
    leaking state to the caller. The block holds a process-wide lock, so fits in
    concurrent threads stay reproducible (they run one at a time).
    """
    devices = []
    dev = torch.device(device)
    if dev.type == "cuda":
        devices = [dev.index if dev.index is not None else torch.cuda.current_device()]
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed) % (2**63 - 1))
        yield np.random.RandomState(int(seed) % (2**32 - 1))
