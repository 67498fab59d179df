"""Why DSC's partition of Fashion-MNIST was degenerate, and what the closed-form C gives.

On a random Fashion-MNIST subset (default 2,000 images on a CPU; the GPU
suite used 10,000) this script fits

1. the released optimiser (``coef_solver="adam"``, no coefficient
   normalisation) with the GPU suite's caps,
2. the same Adam stage 1 on ``C`` alone with the pretrained encoder frozen,
3. the closed-form ``C`` (the default) with the layers the default uses
   (``layer_weights="auto"``), with every layer, and without the coefficient
   normalisation,

and reports for each: ACC/NMI/ARI, the sorted cluster sizes, the connected
components of the retained affinity (number, largest sizes), the number of
distinct rows among the retained neighbours ("hubs": how many samples appear
in anybody's top-``n_retained``), and the epochs. Writes
``benchmarks/results/dsc_fashion_study[_cpu].md``.

Examples::

    python benchmarks/study_dsc_fashion.py --n-samples 2000            # CPU
    python benchmarks/study_dsc_fashion.py --device cuda --n-samples 10000
"""

import argparse
import os
import sys
import time

import numpy as np
import scipy.sparse.csgraph as csgraph
import torch
from sklearn.cluster import KMeans

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from _common import scores, table, write_section  # noqa: E402

from skdeepcluster import DSC  # noqa: E402
from skdeepcluster.datasets import load_fashion_mnist  # noqa: E402
from skdeepcluster.dsc import retained_affinity, shifted_laplacian_clustering  # noqa: E402
from skdeepcluster.dsc._losses import SelfExpressionLoss  # noqa: E402


def graph_stats(A, labels):
    n_comp, comp = csgraph.connected_components(A, directed=False)
    comp_sizes = np.sort(np.bincount(comp))[::-1]
    sizes = np.sort(np.bincount(labels, minlength=labels.max() + 1))[::-1]
    indeg = np.asarray((A > 0).sum(axis=0)).ravel()
    return dict(sizes=" ".join(map(str, sizes)), components=n_comp,
                largest_components=" ".join(map(str, comp_sizes[:3])),
                max_degree=int(indeg.max()), median_degree=float(np.median(indeg)))


def frozen_adam(X, y, caps, device, seed, n_retained=9):
    """Stage 1 of the released method with the pretrained encoder frozen."""
    pre = DSC(n_clusters=10, input_shape=(1, 28, 28), coef_solver="adam",
              self_expression_max_epochs=1, min_epochs=1, structured_norm_max_epochs=0,
              device=device, random_state=seed,
              **{k: v for k, v in caps.items() if k.startswith("pretrain") or k == "batch_size"})
    pre.fit(X)
    enc = pre.net_.module_.encoder.float().to(device)
    Xt = torch.as_tensor((X * pre.scale_).astype(np.float32), device=device)
    with torch.no_grad():
        layers = [Xt] + [h.reshape(len(h), -1) for h in enc(Xt)]
    n = len(X)
    C = torch.full((n, n), 1e-8, device=device)
    C.fill_diagonal_(0.0)
    C.requires_grad_(True)
    opt = torch.optim.Adam([C], lr=1e-3)
    crit = SelfExpressionLoss()
    epochs, reason = 0, "max_epochs"
    for epoch in range(1, caps["self_expression_max_epochs"] + 1):
        loss = crit((layers, C))
        opt.zero_grad()
        loss.backward()
        C.grad.fill_diagonal_(0.0)
        opt.step()
        epochs = epoch
        if epoch >= 10 and crit.rse <= 0.25:
            reason = "rse"
            break
    Cd = C.detach()
    labels, A = shifted_laplacian_clustering(Cd, 10, n_retained, random_state=seed)
    return labels, A, f"stage 1 only, {epochs} epochs, stop {reason}"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-samples", type=int, default=2000)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variants", nargs="+",
                   default=["adam", "adam_frozen", "closed_form", "closed_form_all",
                            "closed_form_unnormalised", "kmeans"])
    p.add_argument("--section", default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    fm = load_fashion_mnist(n_samples=args.n_samples, random_state=args.seed)
    X, y = fm.data.astype(np.float32), fm.target
    caps = dict(pretrain_max_epochs=20, batch_size=1000, self_expression_max_epochs=300,
                structured_norm_max_epochs=40)
    rows = []
    for v in args.variants:
        t0 = time.perf_counter()
        if v == "kmeans":
            labels = KMeans(10, n_init=10, random_state=args.seed).fit_predict(X)
            A, note = None, "sklearn, n_init 10"
        elif v == "adam_frozen":
            labels, A, note = frozen_adam(X, y, caps, args.device, args.seed)
        else:
            params = dict(coef_solver="closed_form")
            if v == "adam":
                params = dict(coef_solver="adam", coef_norm=None)
            elif v == "closed_form_all":
                params["layer_weights"] = "all"
            elif v == "closed_form_unnormalised":
                params["coef_norm"] = None
            m = DSC(n_clusters=10, input_shape=(1, 28, 28), device=args.device,
                    random_state=args.seed, **caps, **params).fit(X)
            labels, A = m.labels_, m.affinity_
            ep = [m._stage_epochs(s) for s in ("pretrain", "self_expression",
                                               "structured_norm")]
            note = (f"epochs {tuple(ep)}, stop {m.stop_reasons_['self_expression']}/"
                    f"{m.stop_reasons_['structured_norm']}, layer weights "
                    f"{m.layer_weights_}")
            if m.lam_ is not None:
                note += f", lam/s_max {m.history_[-1 - ep[2]]['lam']:.2g}"
        sec = time.perf_counter() - t0
        row = dict(variant=v, **scores(y, labels), seconds=sec)
        if A is not None:
            row.update(graph_stats(A, labels))
        else:
            row["sizes"] = " ".join(map(str, np.sort(np.bincount(labels))[::-1]))
        row["notes"] = note
        rows.append(row)
        print(row, flush=True)
    body = "\n".join([
        f"- Fashion-MNIST, {len(X)} random images (seed {args.seed}), K = 10; conv AE "
        "1->10->20 (k3, stride 2), pretraining 20 epochs in batches of 1000, stage-1 cap "
        "300, stage-2 cap 40 (the GPU suite's settings); n_retained 9",
        "- sizes: cluster sizes, largest first; components: connected components of the "
        "retained affinity; max/median degree: rows in which a sample is among the retained "
        "coefficients (a hub has a large degree)",
        f"- torch threads {args.threads}; the CPU was shared with other jobs, so seconds are "
        "indicative",
        "",
        table(rows, ["variant", "ACC", "NMI", "ARI", "sizes", "components",
                     "largest_components", "max_degree", "median_degree", "seconds",
                     "notes"]),
    ])
    section = args.section or ("dsc_fashion_study" if args.device.startswith("cuda")
                               else "dsc_fashion_study_cpu")
    write_section(section, f"DSC on Fashion-MNIST ({len(X)} images): the degenerate "
                  "partition and the closed-form C", body,
                  "python benchmarks/study_dsc_fashion.py " + " ".join(sys.argv[1:]),
                  device=args.device)


if __name__ == "__main__":
    main()
