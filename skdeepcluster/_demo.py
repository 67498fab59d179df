"""The package's main job: DEPICT against k-means on scikit-learn's digits."""

import os
import time

from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from .depict import DEPICT
from .metrics import clustering_accuracy

__all__ = ["run_demo"]


def _row(name, y, labels, seconds):
    return (name, clustering_accuracy(y, labels), normalized_mutual_info_score(y, labels),
            adjusted_rand_score(y, labels), seconds)


def run_demo(output_dir="demo_output", device="cpu", random_state=0, verbose=1):
    """Fit DEPICT and KMeans on digits, print a table, save an embedding plot.

    Parameters
    ----------
    output_dir : str
        Where ``depict_digits_embedding.png`` is written.
    device : str
        Device of DEPICT (``"cpu"``, ``"cuda"``, ``"auto"``).
    random_state : int
    verbose : int
        1 shows DEPICT's progress per phase and epoch.

    Returns
    -------
    rows : list of tuple
        ``(method, ACC, NMI, ARI, seconds)`` per method.
    """
    X, y = load_digits(return_X_y=True)
    print(f"digits: {X.shape[0]} images of 8x8 pixels, 10 classes (labels used "
          "only for scoring)", flush=True)
    rows = []
    t = time.perf_counter()
    km = KMeans(n_clusters=10, n_init=10, random_state=random_state).fit(X)
    rows.append(_row("KMeans (n_init=10)", y, km.labels_, time.perf_counter() - t))

    t = time.perf_counter()
    model = DEPICT(n_clusters=10, device=device, random_state=random_state,
                   verbose=verbose).fit(X)
    rows.append(_row(f"DEPICT ({model.net_.device})", y, model.labels_,
                     time.perf_counter() - t))

    print()
    print(f"{'method':<22}{'ACC':>8}{'NMI':>8}{'ARI':>8}{'seconds':>10}")
    for name, acc, nmi, ari, sec in rows:
        print(f"{name:<22}{acc:>8.3f}{nmi:>8.3f}{ari:>8.3f}{sec:>10.1f}")

    try:
        import matplotlib
    except ImportError:
        print("\nmatplotlib is not installed: no picture (pip install matplotlib, or "
              "install the package with its [plot] extra).")
        return rows
    matplotlib.use("Agg")
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "depict_digits_embedding.png")
    _plot_embedding(model, km, X, y, path)
    print(f"\nembedding plot written to {path}")
    return rows


def _plot_embedding(model, km, X, y, path):
    """DEPICT's embedding twice, coloured by DEPICT's clusters and by k-means's,
    both matched to the true digits so that equal colours mean the same digit."""
    import matplotlib.pyplot as plt

    from .inspection import EmbeddingDisplay

    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    EmbeddingDisplay.from_estimator(model, X, labels=model.labels_, reference_labels=y,
                                    ax=axes[0], title="DEPICT clusters")
    EmbeddingDisplay.from_estimator(model, X, labels=km.labels_, reference_labels=y,
                                    ax=axes[1], title="k-means clusters")
    fig.suptitle("DEPICT embedding of digits (PCA); colours matched to the true digits")
    fig.savefig(path, dpi=110)
    plt.close(fig)
