"""What each DSC stage costs as n grows (Fashion-MNIST subsets, dense mode).

For n in ``--sizes`` (default 1,000, 5,000, 10,000, 20,000 random Fashion-MNIST
images) one dense DSC fit with the default closed-form coefficients records
the seconds of every stage (``stage_seconds_``), the seconds per epoch of the
trained stages, the epochs, the peak resident memory of the process and the
ACC. Epoch caps keep the run short (the per-epoch figures are what scale):
pretraining ``--pretrain`` epochs, stage 1 at most ``--se`` epochs, stage 2 at
most ``--sn`` epochs (skipped above ``--no-stage2-above`` rows: Adam on a dense
``C`` needs about ``32 n^2`` bytes, 12.8 GB at n = 20,000).

Writes ``benchmarks/results/dsc_scaling_<device>.md``.

Examples::

    python benchmarks/bench_dsc_scaling.py                             # CPU, 1 thread
    python benchmarks/bench_dsc_scaling.py --device cuda --no-stage2-above 0 --sizes 1000 5000 10000 20000 40000
"""

import argparse
import os
import resource
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from _common import scores, table, write_section  # noqa: E402

from skdeepcluster import DSC  # noqa: E402
from skdeepcluster.datasets import load_fashion_mnist  # noqa: E402

STAGES = ("pretrain", "self_expression", "coefficients", "structured_norm", "postprocess",
          "subspaces")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--pretrain", type=int, default=2)
    p.add_argument("--se", type=int, default=12)
    p.add_argument("--sn", type=int, default=5)
    p.add_argument("--no-stage2-above", type=int, default=10000)
    p.add_argument("--section", default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for n in args.sizes:
        fm = load_fashion_mnist(n_samples=n, random_state=0)
        X, y = fm.data.astype(np.float32), fm.target
        sn = args.sn if (args.no_stage2_above <= 0 or n <= args.no_stage2_above) else 0
        m = DSC(n_clusters=10, input_shape=(1, 28, 28), mode="dense", device=args.device,
                pretrain_max_epochs=args.pretrain, self_expression_max_epochs=args.se,
                structured_norm_max_epochs=sn, random_state=0)
        if args.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        m.fit(X)
        total = time.perf_counter() - t0
        row = dict(n=n, **{k: v for k, v in scores(y, m.labels_).items() if k == "ACC"},
                   total_s=total)
        for st in STAGES:
            row[f"{st}_s"] = m.stage_seconds_.get(st, 0.0)
        for st in ("pretrain", "self_expression", "structured_norm"):
            durs = [r["dur"] for r in m.history_ if r["stage"] == st]
            row[f"{st}_epochs"] = len(durs)
            row[f"{st}_s_per_epoch"] = float(np.median(durs)) if durs else float("nan")
            if st == "self_expression":
                # the first epoch also solves C (once, from the input layer)
                row["self_expression_first_epoch_s"] = durs[0] if durs else float("nan")
        if args.device.startswith("cuda"):
            row["peak_GB"] = torch.cuda.max_memory_allocated() / 2**30
        else:
            row["peak_GB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        rows.append(row)
        print(row, flush=True)
        del m
    cols = (["n", "ACC", "total_s"] + [f"{st}_s" for st in STAGES]
            + ["pretrain_s_per_epoch", "self_expression_epochs", "self_expression_first_epoch_s",
               "self_expression_s_per_epoch",
               "structured_norm_epochs", "structured_norm_s_per_epoch", "peak_GB"])
    gpu = args.device.startswith("cuda")
    body = "\n".join([
        "- random Fashion-MNIST images (seed 0), dense mode, DSC defaults (closed-form C of the "
        f"input layer) with conv AE 1->10->20; caps: pretraining {args.pretrain} epochs "
        "(full batch up to 4,096 rows, batches of 256 above), stage 1 at most "
        f"{args.se} epochs, stage 2 at most {args.sn} epochs "
        + (f"(skipped above {args.no_stage2_above} rows)" if args.no_stage2_above > 0 else ""),
        "- `<stage>_s`: seconds in the stage (`coefficients`: forming the dense C from its "
        "factors; `subspaces`: the cluster subspaces of `predict`); `_s_per_epoch`: median "
        "seconds of one epoch (stage 1: one encoder step; its first epoch, "
        "`self_expression_first_epoch_s`, also solves C in closed form, once, from the input "
        "layer)",
        "- ACC is that of the capped fit, for orientation only",
        "- peak_GB: " + ("peak GPU memory allocated by torch" if gpu else
                         "peak resident memory of the process so far (cumulative over sizes)"),
        ("" if gpu else f"- torch threads {args.threads}; the 2-core CPU was shared with "
         "other jobs, so seconds are indicative"),
        "",
        table(rows, cols),
    ])
    section = args.section or f"dsc_scaling_{'gpu' if gpu else 'cpu'}"
    write_section(section, f"DSC: the cost of each stage as n grows ({'GPU' if gpu else 'CPU'})",
                  body, "python benchmarks/bench_dsc_scaling.py " + " ".join(sys.argv[1:]),
                  device=args.device)


if __name__ == "__main__":
    main()
