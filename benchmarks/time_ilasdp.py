"""Time one ILASDP fit on the full data (no subsample) of the spec's cost setting.

Usage::

    python benchmarks/time_ilasdp.py [N] [DEVICE]

Prints seconds, error % and iLA iterations: the iLA-SDP cell of
``bench_sdp.py``'s speed table, for sizes that table skips on the CPU.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_sdp import cost_data, error_pct  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skdeepcluster import ILASDP  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    device = sys.argv[2] if len(sys.argv) > 2 else "cpu"
    X, y = cost_data(n)
    Xs = StandardScaler().fit_transform(X)
    t = time.perf_counter()
    est = ILASDP(4, solver="lowrank", random_state=0, device=device,
                 max_full_samples=10**7).fit(Xs)
    print(f"ILASDP n={n} on {device}: {time.perf_counter() - t:.1f}s, "
          f"error {error_pct(y, est.labels_):.2f}%, {est.n_iter_} iters", flush=True)


if __name__ == "__main__":
    main()
