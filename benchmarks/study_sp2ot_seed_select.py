"""Study: can a label-free criterion pick SP2OT's better seeds on a table?

For each table (default: olive_area, olive_region, penguins, hawks, neurocog,
iris from ``_tables.py``) and seeds 0-5, fits ``SP2OT(K, random_state=seed)``
with its defaults and records the ACC, ``score(X)`` (minus the P2OT objective)
and the Gaussian classification log-likelihood of the partition on the
standardised rows (:func:`skdeepcluster.dsc.classification_loglik`, DSC's
``fallback`` rule). Reports per table the median ACC over the seeds, the ACC of
the seed each criterion picks and their Spearman correlation with ACC.
Single-threaded; writes ``results/sp2ot_seed_select.md``.

    python benchmarks/study_sp2ot_seed_select.py
"""

import argparse
import os
import sys

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import table, write_section  # noqa: E402
from _tables import load_table  # noqa: E402

from skdeepcluster import SP2OT  # noqa: E402
from skdeepcluster.dsc import classification_loglik  # noqa: E402
from skdeepcluster.metrics import clustering_accuracy  # noqa: E402

TABLES = ["olive_area", "olive_region", "penguins", "hawks", "neurocog", "iris"]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tables", nargs="+", default=TABLES)
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(6)))
    args = p.parse_args()
    torch.set_num_threads(1)
    out = []
    for name in args.tables:
        X, y = load_table(name)
        k = len(np.unique(y))
        Z = StandardScaler().fit_transform(X)
        acc, score, loglik = [], [], []
        for seed in args.seeds:
            m = SP2OT(n_clusters=k, random_state=seed).fit(X)
            acc.append(clustering_accuracy(y, m.labels_))
            score.append(m.score(X))
            loglik.append(classification_loglik(Z, m.labels_))
        acc = np.array(acc)
        row = {"table": name, "ACC per seed": " ".join(f"{a:.3f}" for a in acc),
               "median ACC": float(np.median(acc))}
        for label, crit in (("score", score), ("log-likelihood", loglik)):
            row[f"ACC of the {label} pick"] = float(acc[int(np.argmax(crit))])
            row[f"Spearman (ACC, {label})"] = float(spearmanr(acc, crit)[0])
        out.append(row)
        print(row, flush=True)
    body = ("SP2OT with its defaults, seeds " + ", ".join(map(str, args.seeds))
            + ", one torch thread. 'pick': the seed with the highest `score(X)` (minus "
            "the P2OT objective) or the highest Gaussian classification log-likelihood "
            "of the partition on the standardised rows (DSC's fallback rule). A "
            "criterion worth using would pick a seed above the median on most tables.\n\n"
            + table(out, list(out[0])))
    write_section("sp2ot_seed_select", "SP2OT: picking a seed without labels (CPU)", body,
                  "python benchmarks/study_sp2ot_seed_select.py "
                  + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
