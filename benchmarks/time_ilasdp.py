"""Time ILASDP fits on the full data (no subsample) of the spec's cost setting.

Usage::

    python benchmarks/time_ilasdp.py [--sizes 1000,10000] [--device cpu] [--out FILE]

For each n: seconds, error %, the initialisation kept, and where the time went:
the SDP k-means initialisations, the search over initialisations (on a
subsample of ``init_sample_size`` rows when n is larger), and the outer
iterations on all n rows (their number, and seconds and solver steps per
iteration). Writes ``benchmarks/results/sdp_speed_ilasdp.md`` (or ``--out``).
"""

import argparse
import datetime
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import machine  # noqa: E402
from bench_sdp import cost_data, error_pct  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skdeepcluster.sdp._lowrank as sdp  # noqa: E402
from skdeepcluster import ILASDP  # noqa: E402


def _instrument(record, device):
    """Wrap the low-rank solver: (rows, blocks, starts, steps, seconds) per solve."""
    real = sdp.solve_lowrank

    def solve(problem, U0, **kwargs):
        if device.startswith("cuda"):
            import torch
            torch.cuda.synchronize()
        t = time.perf_counter()
        U, info = real(problem, U0, **kwargs)
        if device.startswith("cuda"):
            import torch
            torch.cuda.synchronize()
        record.append((problem.n, problem.n_blocks, U0.shape[0], int(info["n_iter"]),
                       time.perf_counter() - t))
        return U, info

    sdp.solve_lowrank = solve
    return real


def time_one(n, device):
    X, y = cost_data(n)
    Xs = StandardScaler().fit_transform(X)
    record = []
    real = _instrument(record, device)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, c = time.perf_counter(), time.process_time()
            est = ILASDP(4, random_state=0, device=device, max_full_samples=10**7).fit(Xs)
            total, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        sdp.solve_lowrank = real
    full = [r for r in record if r[0] == n and r[1] == 4]   # LA-SDP solves on all rows
    init_pw = [r for r in record if r[1] == 1]               # SDP k-means solves
    t = time.perf_counter()
    gm = GaussianMixture(4, random_state=0).fit(Xs)
    gm_sec = time.perf_counter() - t
    return {
        "n": n, "seconds": total, "cpu": cpu, "error": error_pct(y, est.labels_), "init": est.init_,
        "n_iter": est.n_iter_, "full_iters": len(full),
        "full_sec": sum(r[4] for r in full), "full_steps": [r[3] for r in full],
        "pw_sec": sum(r[4] for r in init_pw), "pw_count": len(init_pw),
        "search_sec": sum(r[4] for r in record if r[0] != n and r[1] == 4),
        "gmm_sec": gm_sec, "gmm_error": error_pct(y, gm.predict(Xs)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "results", "sdp_speed_ilasdp.md"))
    args = parser.parse_args(argv)
    cmd = "python benchmarks/time_ilasdp.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    lines = [
        "# iLA-SDP: cost as n grows\n",
        f"Machine: {machine(args.device)}; date "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
        f"device={args.device}.  ",
        f"Command: `{cmd.strip()}`. Timings on the shared 2-core machine are indicative "
        "only (other jobs were running): total s is wall-clock, CPU s the process's CPU "
        "time (single-threaded, so about the wall-clock time of an idle core).\n",
        "The cost setting of the method's specification (K = 4, p = 10, centres 4 e_k, deviations (0.5, 1, 1.5, 1), "
        "cluster 4 stretched x3 on axis 1), z-scored; `ILASDP(4, random_state=0, "
        "max_full_samples=10**7)`: every row is fitted, defaults otherwise. SDP k-means: "
        "seconds of the SDP k-means initialisations (one per scaling). Search: seconds "
        "of the outer iterations run on the `init_sample_size` = 2,000-row subsample "
        "from the initial labelling of largest objective after classification-EM "
        "polishing (none when n <= 2,000). Full-data iterations: "
        "their number, seconds per iteration and projected-gradient steps of each "
        "(all starts solved as one batch).\n",
        "| n | total s (CPU s) | error % | init kept | SDP k-means s | search s | "
        "full-data iterations | s per iteration | steps per iteration | GMM s (error %) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in [int(v) for v in args.sizes.split(",")]:
        r = time_one(n, args.device)
        per = r["full_sec"] / max(r["full_iters"], 1)
        lines.append(
            f"| {n:,} | {r['seconds']:.1f} ({r['cpu']:.1f}) | {r['error']:.2f} | "
            f"{r['init']} | "
            f"{r['pw_sec']:.1f} ({r['pw_count']}) | {r['search_sec']:.1f} | "
            f"{r['full_iters']} | {per:.1f} | {r['full_steps']} | "
            f"{r['gmm_sec']:.2f} ({r['gmm_error']:.2f}) |")
        print(lines[-1], flush=True)
    lines.append("")
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
