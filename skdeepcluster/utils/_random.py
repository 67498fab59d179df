"""Seeding helpers: every random draw of a fit comes from ``random_state``."""

import contextlib
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["draw_seeds", "torch_seed", "seeded", "torch_generator"]

#: Seeds are drawn in [0, SEED_HIGH): valid for numpy, torch and faiss alike.
SEED_HIGH = 2**31 - 1

# torch's global generator is shared by all threads of a process: two fits in
# threads (joblib's threading backend, a Dask worker with several threads) would
# draw from it in an interleaved, run-dependent order. Seeded blocks therefore
# hold this lock; in-process threads then fit one after the other (use processes
# for parallel searches).
_GLOBAL_RNG_LOCK = threading.RLock()


def torch_seed(random_state):
    """Draw one integer seed (for torch, numpy or faiss) from a ``random_state``.

    Every seed of the package is drawn this way (or by :func:`draw_seeds`).

    Parameters
    ----------
    random_state : int, RandomState instance or None

    Returns
    -------
    seed : int

    Examples
    --------
    >>> from skdeepcluster.utils import torch_seed
    >>> torch_seed(0) == torch_seed(0)
    True
    """
    return int(check_random_state(random_state).randint(0, SEED_HIGH))


def draw_seeds(random_state, n):
    """Draw ``n`` integer seeds at once from a ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance or None
    n : int

    Returns
    -------
    seeds : list of int
    """
    return [int(s) for s in check_random_state(random_state).randint(0, SEED_HIGH, size=n)]


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
