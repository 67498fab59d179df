"""
Deep subspace clustering of hand-written digits
===============================================

:class:`~skdeepcluster.DSC` writes every image as a linear combination of the
other images, jointly in the pixels and in every layer of a small convolutional
autoencoder, with ONE coefficient matrix ``C`` shared by all layers. Images of
the same digit should only use each other, so ``C`` becomes block diagonal once
the rows are sorted by class; spectral clustering of ``C`` gives the clusters.

Training needs no labels and no loss weights: each stage stops by itself. Here
we fit scikit-learn's 8x8 digits, look at the stopping rule of the
self-expression stage, the learned coefficients, and assign held-out images to
the nearest cluster subspace with ``predict``.
"""

# %%
# Data and fit
# ------------
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DSC
from skdeepcluster.metrics import clustering_accuracy

torch.set_num_threads(1)  # small full-batch networks: one thread is fastest
quick = bool(os.environ.get("SKDEEPCLUSTER_EXAMPLE_QUICK"))

X, y = load_digits(return_X_y=True)
perm = np.random.RandomState(0).permutation(len(X))
n_fit = 300 if quick else 1000
train, held_out = perm[:n_fit], perm[n_fit:n_fit + 300]

dsc = DSC(n_clusters=10, input_shape=(1, 8, 8), pretrain_max_epochs=20 if quick else 50,
          random_state=0)
dsc.fit(X[train])
stages = ("pretrain", "self_expression", "structured_norm")
print("epochs per stage:", {st: sum(r["stage"] == st for r in dsc.history_) for st in stages})
print(f"why each stage stopped: {dsc.stop_reasons_}")
print(f"ACC {clustering_accuracy(y[train], dsc.labels_):.3f}, "
      f"NMI {normalized_mutual_info_score(y[train], dsc.labels_):.3f}")

# %%
# The label-free stopping rule of stage 1
# ---------------------------------------
# Trained on, ``C`` drifts towards an identity-like least-squares solution and
# the clusters degrade, so stopping early is the only regulariser. Stage 1
# stops once the relative self-expression error
# ``rSE = sqrt(sum_v ||H_v - C H_v||^2 / sum_v ||H_v||^2)`` reaches ``tol_rse``
# (never before ``min_epochs``).
rse = [row["rse"] for row in dsc.history_ if row["stage"] == "self_expression"]
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, len(rse) + 1), rse, marker=".")
ax.axhline(dsc.tol_rse, color="k", ls="--", lw=1, label="tol_rse")
ax.set_xlabel("stage-1 epoch")
ax.set_ylabel("relative self-expression error")
ax.legend()
fig.tight_layout()

# %%
# The coefficients, sorted by the true digit
# ------------------------------------------
# Left: ``|C|`` after both training stages. Right: the affinity actually
# clustered, keeping the ``n_retained=9`` leading coefficients per column.
order = np.argsort(y[train], kind="stable")
C = np.abs(dsc.coef_)[np.ix_(order, order)]
A = dsc.affinity_.toarray()[np.ix_(order, order)]
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
axes[0].imshow(C, cmap="Greys", vmax=np.quantile(C, 0.995))
axes[0].set_title("|C|")
axes[1].imshow(A > 0, cmap="Greys", interpolation="nearest")
axes[1].set_title("retained affinity (non-zeros)")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# %%
# Out-of-sample images
# --------------------
# ``predict`` assigns new images to the nearest cluster subspace of the
# normalised last-layer features.
pred = dsc.predict(X[held_out])
print(f"held-out ACC {clustering_accuracy(y[held_out], pred):.3f}")
