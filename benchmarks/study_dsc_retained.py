"""Study: should DSC's ``n_retained`` (9, the spec's subspace-dimension prior)
grow with the number of rows?

The issue that made DSC's closed-form ``C`` the default noted that with
``n_retained=9`` at 10,000 rows the affinity is very sparse; a k-nearest-
neighbour graph needs k of order log n to stay connected. This study fits
DSC once per data set with the settings under which ``labels_`` depend on
``C`` from the input layer only (``pretrain=None``, one stage-1 epoch, no
stage 2: the default's ``C``), then re-runs the post-processing
(:func:`skdeepcluster.dsc.shifted_laplacian_clustering`, the default
``coef_norm="l2"``) for several ``n_retained``.

Design data (no Fashion-MNIST, whose 10,000-image figure is the bar this
study might change): scikit-learn's digits, random subsamples of UCI Letter
Recognition (the shipped copy) and noisy unions of 10 nine-dimensional
subspaces, each at several n. ``--check`` adds Fashion-MNIST (10,000 images,
the subset of ``bench_dsc.py``), to be run once a rule is frozen.

    python benchmarks/study_dsc_retained.py
    python benchmarks/study_dsc_retained.py --check
"""

import argparse
import os
import sys
import time

import numpy as np
import scipy.sparse.csgraph as csgraph
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from _common import scores, table, write_section  # noqa: E402
from _tables import load_table  # noqa: E402

from skdeepcluster import DSC  # noqa: E402
from skdeepcluster.datasets import load_fashion_mnist, make_subspaces  # noqa: E402
from skdeepcluster.dsc import shifted_laplacian_clustering  # noqa: E402

GRID = (5, 9, 12, 16, 24, 32, 48)


def datasets(args):
    from sklearn.datasets import load_digits

    d = load_digits()
    out = [("digits", 1797, d.data.astype(np.float32), d.target, 10, (1, 8, 8))]
    X, y = load_table("letters")
    for n in args.sizes:
        idx = np.random.RandomState(0).choice(len(X), n, replace=False)
        out.append(("letters", n, X[idx], y[idx], 26, None))
    for noise in (0.3, 0.6):
        for n in args.sizes:
            Xs, ys = make_subspaces(n, 20, n_clusters=10, subspace_dim=9, noise=noise,
                                    random_state=0)
            out.append((f"subspaces 10 x 9-dim, D=20, noise {noise}", n, Xs, ys, 10, None))
    if args.check:
        fm = load_fashion_mnist(n_samples=10_000, random_state=0)
        out.append(("Fashion-MNIST (check)", 10_000, fm.data.astype(np.float32),
                    fm.target, 10, (1, 28, 28)))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000])
    p.add_argument("--grid", type=int, nargs="+", default=list(GRID))
    p.add_argument("--check", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--section", default="dsc_retained")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows, t_all = [], time.perf_counter()
    for name, n, X, y, K, shape in datasets(args):
        t0 = time.perf_counter()
        est = DSC(K, input_shape=shape, pretrain=None, self_expression_max_epochs=1,
                  min_epochs=1, structured_norm_max_epochs=0, fallback=None,
                  max_dense_samples=20_000, random_state=0).fit(X)
        fit_s = time.perf_counter() - t0
        C = est.coef_
        for r in args.grid:
            t1 = time.perf_counter()
            labels, A = shifted_laplacian_clustering(C, K, r, kmeans_n_init=est.kmeans_n_init,
                                                     coef_norm=est.coef_norm, random_state=0)
            s = scores(y, labels)
            ncomp = csgraph.connected_components(A, directed=False)[0]
            rows.append({"data": name, "n": n, "n_retained": r, "ACC": s["ACC"],
                         "NMI": s["NMI"], "affinity components": ncomp,
                         "seconds (C + post)": f"{fit_s:.0f} + {time.perf_counter() - t1:.1f}"})
            print(" | ".join(map(str, rows[-1].values())), flush=True)
        del C, est
    head = ["data", "n", "n_retained", "ACC", "NMI", "affinity components", "seconds (C + post)"]
    text = [f"DSC's closed-form `C` of the input layer (the default's; `pretrain=None`, one "
            f"stage-1 epoch, no stage 2, no fallback, dense), post-processed with "
            f"`n_retained` in {list(args.grid)}; one seed (0), {args.threads} torch thread(s). "
            f"Design data: digits, Letter Recognition subsamples and noisy unions of subspaces; "
            f"Fashion-MNIST only with `--check`. Whole study: {time.perf_counter() - t_all:.0f} s.",
            "", table(rows, head)]
    write_section(args.section, "DSC: n_retained against n (study)", "\n".join(text),
                  command=" ".join(["python benchmarks/study_dsc_retained.py"] + list(argv or sys.argv[1:])))


if __name__ == "__main__":
    main()
