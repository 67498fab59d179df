"""CPU thread control for small torch workloads."""

import torch

__all__ = ["cpu_threads"]


class cpu_threads:
    """Run small CPU work single-threaded, restoring torch's thread count after.

    Small tensors (narrow MLP layers, small dense eigensolves) run as many tiny
    kernels; on a few cores extra threads only add synchronisation, and on the
    2-core machines we measure on they made small fits several times slower.
    Active only when ``device`` is the CPU and ``n_elements`` (the size of the
    largest tensor a step works on) is at most ``threshold``.
    """

    def __init__(self, device, n_elements, threshold=2_000_000):
        self.active = str(device) == "cpu" and n_elements <= threshold
        self.saved = None

    def __enter__(self):
        if self.active:
            self.saved = torch.get_num_threads()
            torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            torch.set_num_threads(self.saved)
        return False
