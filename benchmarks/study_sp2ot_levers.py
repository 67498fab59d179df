"""Study: one lever at a time of SP2OT's row (table) defaults.

For each table and each configuration (one parameter changed from the
defaults, or the previous defaults), fits ``SP2OT(K, random_state=seed, **cfg)``
over --seeds and prints the median ACC per table, plus the median over the
tables and the median ACC of the head's k-means start (``init_labels_``).
Single-threaded. With --section, writes ``results/<section>.md``.

The tables are the development suite of ``_tables.py`` (the defaults were
chosen on it); R's mlbench, kernlab and mclust collections stay out of it.

    python benchmarks/study_sp2ot_levers.py --tables penguins olive_area hawks \
        neurocog --configs defaults previous "constant lr" "semantic 1"
    python benchmarks/study_sp2ot_levers.py --list
"""

import argparse
import os
import shlex
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Timer, table, write_section  # noqa: E402
from _tables import SUITE, load_table  # noqa: E402

from skdeepcluster import SP2OT  # noqa: E402
from skdeepcluster.metrics import clustering_accuracy  # noqa: E402

#: one change from the defaults each ("previous": the defaults before
#: lr_schedule and semantic_weight=2 for rows)
CONFIGS = {
    "defaults": {},
    "previous": dict(semantic_weight=1.0, lr_schedule="constant"),
    "constant lr": dict(lr_schedule="constant"),
    "semantic 1": dict(semantic_weight=1.0),
    "semantic 4": dict(semantic_weight=4.0),
    "corruption 0.15": dict(corruption=0.15),
    "corruption 0.1, noise 0.2": dict(corruption=0.1, noise=0.2),
    "lam 0.1": dict(lam=0.1),
    "lam 1": dict(lam=1.0),
    "rho0 0.5": dict(rho0=0.5),
    "lr 3e-4": dict(lr=3e-4),
    "no NT-Xent in clustering": dict(contrastive_weight=0.0),
    "warm-up 200 epochs": dict(warmup_epochs=200),
    "max_epochs 80": dict(max_epochs=80),
    "batch 64": dict(batch_size=64),
    "n_neighbors 10": dict(n_neighbors=10),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tables", nargs="*", default=None)
    p.add_argument("--configs", nargs="*", default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--section", default=None)
    p.add_argument("--list", action="store_true")
    args = p.parse_args(argv)
    if args.list:
        for name, cfg in CONFIGS.items():
            print(f"{name!r}: {cfg}")
        return
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    names = args.tables or SUITE
    configs = args.configs or list(CONFIGS)
    rows, per_config = [], {c: [] for c in configs}
    for name in names:
        X, y = load_table(name)
        k = len(np.unique(y))
        for c in configs:
            accs, init = [], []
            with Timer() as t:
                for seed in args.seeds:
                    m = SP2OT(k, random_state=seed, **CONFIGS[c]).fit(X)
                    accs.append(clustering_accuracy(y, m.labels_))
                    init.append(clustering_accuracy(y, m.init_labels_))
            per_config[c].append(float(np.median(accs)))
            rows.append({"table": name, "config": c, "ACC": float(np.median(accs)),
                         "ACC range": f"{min(accs):.3f}-{max(accs):.3f}",
                         "k-means start ACC": float(np.median(init)),
                         "seconds": t.seconds})
            print(f"{name:14s} {c:28s} ACC {np.median(accs):.3f} "
                  f"{np.round(accs, 3)} start {np.median(init):.3f}", flush=True)
    summary = {c: float(np.median(v)) for c, v in per_config.items()}
    for c, v in summary.items():
        print(f"median over {len(names)} tables, {c}: {v:.3f}")
    if args.section:
        body = (f"SP2OT on tables {names}, one lever at a time (`CONFIGS` in the "
                f"script); median ACC over seeds {args.seeds}, single-threaded CPU.\n\n"
                + table(rows, ["table", "config", "ACC", "ACC range",
                               "k-means start ACC", "seconds"])
                + "\n\nMedian over the tables: "
                + ", ".join(f"{c} {v:.3f}" for c, v in summary.items()) + ".")
        write_section(args.section, "SP2OT table levers", body,
                      "python benchmarks/study_sp2ot_levers.py " + shlex.join(
                          sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
