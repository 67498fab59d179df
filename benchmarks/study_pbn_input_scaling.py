"""Study: does PBN's input standardisation (``input_scaling="standard"``, the
default since session 17) change the figures of ``bench_ncd.py``?

Every split of ``bench_ncd.py`` is already z-scored with its training rows'
statistics, so standardising again should be the identity up to rounding.
For each (split, seed) of ``bench_ncd.py``'s suite, this fits
``PBN(random_state=seed)`` with every default, with ``input_scaling="standard"``
and with ``None``, and compares the estimated k, ``labels_`` and the latent
codes of the training rows. Single-threaded; writes
``results/pbn_input_scaling.md``.

    python benchmarks/study_pbn_input_scaling.py
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ncd  # noqa: E402
from _common import table, write_section  # noqa: E402

from skdeepcluster import PBN  # noqa: E402

#: (split, seed) pairs: 17 splits on seed 0, 4 (letters among them) on seed 1
PAIRS = ([(i, 0) for i in (0, 2, 3, 5, 8, 12, 13, 15, 16, 18, 19, 20, 22, 24, 26, 27, 28)]
         + [(i, 1) for i in (0, 7, 11, 14)])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.parse_args()
    torch.set_num_threads(1)
    rows, cache = [], {}
    for i, seed in PAIRS:
        name, _, s = bench_ncd.suite_split(i, cache)
        a = PBN(random_state=seed).fit(s.X_train, s.y_train)
        b = PBN(random_state=seed, input_scaling=None).fit(s.X_train, s.y_train)
        gap = np.abs(a.transform(s.X_train) - b.transform(s.X_train)).max()
        rows.append({"split": f"{i}: {name}", "seed": seed,
                     "k̂ (standard / None)": f"{a.n_clusters_} / {b.n_clusters_}",
                     "labels_ identical": bool(np.array_equal(a.labels_, b.labels_)),
                     "max latent difference": f"{gap:.1e}"})
        print(rows[-1], flush=True)
    same = sum(r["labels_ identical"] for r in rows)
    body = (f"PBN with every default, `input_scaling='standard'` against `None`, on "
            f"(split, seed) pairs of `bench_ncd.py`'s suite (splits z-scored with the training "
            f"rows' statistics, as every `bench_ncd.py` section does); one torch thread. "
            f"labels_ identical in {same} of {len(rows)} pairs.\n\n"
            + table(rows, list(rows[0])))
    write_section("pbn_input_scaling", "NCD: PBN's input standardisation on standardised "
                  "splits (study)", body, "python benchmarks/study_pbn_input_scaling.py")


if __name__ == "__main__":
    main()
