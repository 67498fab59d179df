"""Where iLA-SDP's objective puts the known groupings of public tables (issue 16).

iLA-SDP maximises a penalised classification likelihood (equal proportions,
full covariances, ``reg_covar=1e-6``, z-scored features). For a few tables of
``_tables.SUITE`` this script evaluates that objective, after the same
classification-EM polishing ILASDP applies to its initial labellings
(``skdeepcluster.sdp._ilasdp._cem``), at:

* the known classes;
* ``ILASDP(K, random_state=0)`` with its defaults (its final objective);
* ``GaussianMixture(K, n_init=10, random_state=0)``'s labels;
* the polished labels of 20 one-start mixtures for each of scikit-learn's
  initialisations ``kmeans``, ``k-means++`` and ``random_from_data`` (seeds
  0..19): the largest objective found and that run's error.

It shows whether a gap to the 10-start mixture is one of search (a labelling
with a larger objective and a smaller error exists) or of the model (larger
objectives go with larger errors), i.e. whether adding initial candidates
chosen by the objective is a safe lever.

Example::

    OMP_NUM_THREADS=1 python benchmarks/bench_sdp_landscape.py
"""

import argparse
import datetime
import os
import sys
import time
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _common import machine  # noqa: E402
from _tables import load_table  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

from skdeepcluster import ILASDP  # noqa: E402
from skdeepcluster.metrics import clustering_accuracy  # noqa: E402
from skdeepcluster.sdp._base import _standardize  # noqa: E402
from skdeepcluster.sdp._ilasdp import _cem  # noqa: E402


def err(y, labels):
    return 100.0 * (1.0 - clustering_accuracy(y, labels))


def one_table(name, n_starts):
    X, y = load_table(name)
    K = int(np.unique(y).size)
    Xs, _, _, constant = _standardize(X)
    Xs = Xs[:, ~constant]
    Xt = torch.as_tensor(Xs, dtype=torch.float64)
    n_min = Xs.shape[1] + 1

    def polish(labels):
        lab, F, _ = _cem(Xt, np.asarray(labels, dtype=np.int64), K, "full", 1e-6, n_min,
                         False)
        return F, err(y, lab)

    row = {"name": f"{name} ({X.shape[0]}, {X.shape[1]}, {K})"}
    row["truth"] = polish(y)
    t = time.perf_counter()
    est = ILASDP(K, random_state=0).fit(X)
    row["ilasdp"] = (est.objective_history_[-1], err(y, est.labels_))
    row["ilasdp_sec"] = time.perf_counter() - t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row["gmm10"] = polish(GaussianMixture(K, n_init=10, random_state=0)
                              .fit_predict(Xs))
        for init in ("kmeans", "k-means++", "random_from_data"):
            runs = [polish(GaussianMixture(K, init_params=init, random_state=s)
                           .fit_predict(Xs)) for s in range(n_starts)]
            row[init] = max(runs, key=lambda r: r[0])
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default="iris,wine,olive_region,olive_area,hawks")
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--out", default=os.path.join(HERE, "results",
                                                      "sdp_landscape.md"))
    args = parser.parse_args(argv)
    cols = [("truth", "known classes"), ("ilasdp", "ILASDP defaults"),
            ("gmm10", "GMM n_init=10"), ("kmeans", "best of EM kmeans-init"),
            ("k-means++", "best of EM k-means++-init"),
            ("random_from_data", "best of EM random-from-data-init")]
    lines = [
        "# iLA-SDP: objective against error on public tables\n",
        f"Machine: {machine()}; date "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}.  ",
        "Command: `python benchmarks/bench_sdp_landscape.py"
        + ("".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:])))
        + "`.\n",
        "Cell: iLA-SDP's penalised classification log-likelihood (z-scored features, "
        "full covariances, equal proportions, reg_covar 1e-6; larger is better for the "
        "method) / error % of the labelling, each labelling polished by classification "
        "EM as ILASDP polishes its initial labellings. 'best of EM ...': the largest "
        f"objective over {args.starts} one-start `GaussianMixture` runs (seeds "
        f"0..{args.starts - 1}) with that initialisation, and its error.\n",
        "| table (n, p, K) | " + " | ".join(c[1] for c in cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for name in args.tables.split(","):
        row = one_table(name, args.starts)
        lines.append(f"| {row['name']} | " + " | ".join(
            f"{row[c][0]:.1f} / {row[c][1]:.1f}" for c, _ in cols) + " |")
        print(lines[-1], flush=True)
    lines.append("")
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
