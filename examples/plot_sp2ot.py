"""
============================================================
SP2OT: optimal-transport pseudo-labels on long-tailed digits
============================================================

:class:`skdeepcluster.SP2OT` trains a network on pseudo-labels obtained by
optimal transport. The default, progressive partial transport (P2OT), only
pulls the cluster sizes towards uniform, so small classes survive;
``transport="balanced"`` (SwAV's codes) forces equal sizes. This example fits
both to a long-tailed version of scikit-learn's digits (each class keeps
exponentially fewer images, the largest ten times the smallest), compares the
recall of every class, and looks at the learned projection and at the
training history (the transported mass ``rho`` ramps up to 1).
"""

# %%
# A long-tailed version of the digits
# -----------------------------------
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from skdeepcluster import SP2OT
from skdeepcluster.inspection import EmbeddingDisplay, HistoryDisplay
from skdeepcluster.metrics import clustering_accuracy

QUICK = os.environ.get("SKDEEPCLUSTER_EXAMPLE_QUICK") == "1"

X, y = load_digits(return_X_y=True)
rng = np.random.RandomState(0)
keep = []
for rank, digit in enumerate(rng.permutation(10)):
    n_keep = int(round(170 * 10 ** (-rank / 9)))  # 170 down to 17 images
    keep.append(rng.choice(np.flatnonzero(y == digit), n_keep, replace=False))
keep = np.sort(np.concatenate(keep))
X, y = X[keep], y[keep]
print("images per digit:", np.bincount(y).tolist())

# %%
# Fit progressive and balanced transport, and k-means
# ---------------------------------------------------
# The digits are 8x8 images: ``input_shape=(8, 8)`` gives them image views
# (crops, rotations, jitter, erasing, noise) on an MLP backbone.
epochs = dict(warmup_epochs=3, max_epochs=3) if QUICK else {}
models, seconds = {}, {}
for name, kw in (("P2OT (default)", {}), ("balanced (SwAV)", dict(transport="balanced"))):
    t = time.perf_counter()
    models[name] = SP2OT(n_clusters=10, input_shape=(8, 8), random_state=0,
                         **kw, **epochs).fit(X)
    seconds[name] = time.perf_counter() - t
labels = {name: m.labels_ for name, m in models.items()}
labels["KMeans"] = KMeans(n_clusters=10, n_init=10, random_state=0).fit_predict(X)


def recall_per_class(y, pred):
    """Recall of each class after matching clusters to classes (Hungarian)."""
    C = np.zeros((10, 10))
    np.add.at(C, (y, pred), 1)
    rows, cols = linear_sum_assignment(-C)
    return C[rows, cols] / C.sum(1)[rows]


for name, pred in labels.items():
    rec = recall_per_class(y, pred)
    extra = f" ({seconds[name]:.0f} s)" if name in seconds else ""
    print(f"{name:16s} ACC={clustering_accuracy(y, pred):.3f} "
          f"macro recall={rec.mean():.3f}{extra}")

# %%
# Recall of each class, largest class first
# -----------------------------------------
# A method that merges small classes into large ones can keep a high ACC;
# the per-class recall shows what happens to the tail.
order = np.argsort(-np.bincount(y))
fig, ax = plt.subplots(figsize=(7, 3.5))
width = 0.27
for i, (name, pred) in enumerate(labels.items()):
    ax.bar(np.arange(10) + (i - 1) * width, recall_per_class(y, pred)[order], width,
           label=name)
ax.set_xticks(np.arange(10), [f"{d}\n({np.bincount(y)[d]})" for d in order])
ax.set_xlabel("digit (images)")
ax.set_ylabel("recall")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The learned projection and the training history
# -----------------------------------------------
# ``transform`` returns the unit-norm projection the clustering head reads;
# the history shows the contrastive warm-up, then the clustering stage with
# its transported mass ``rho``.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
EmbeddingDisplay.from_estimator(models["P2OT (default)"], X, reference_labels=y,
                                ax=axes[0], title="P2OT clusters")
EmbeddingDisplay.from_estimator(models["balanced (SwAV)"], X, reference_labels=y,
                                ax=axes[1], title="balanced-transport clusters")
fig.tight_layout()

HistoryDisplay.from_estimator(models["P2OT (default)"], metrics=("train_loss", "rho"))
plt.show()
