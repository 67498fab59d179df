"""
Deep subspace clustering of hand-written digits
===============================================

:class:`~skdeepcluster.DSC` writes every image as a linear combination of the
other images, with ONE coefficient matrix ``C`` (by default from the pixels;
``layer_weights="all"`` adds every layer of a small convolutional autoencoder,
which is trained to be self-expressive with the same ``C``). Images of the same
digit should only use each other, so ``C`` becomes block diagonal once the rows
are sorted by class; spectral clustering of ``C`` gives the clusters.

Training needs no labels and no loss weights: each stage stops by itself. Here
we fit scikit-learn's 8x8 digits, compare the closed-form coefficients with the
released Adam optimiser, look at the coefficients, and assign held-out images
to the nearest cluster subspace with ``predict``.
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
# Why the coefficients are solved in closed form
# ----------------------------------------------
# Stage 1 sets ``C`` to the exact least-squares self-expression of the
# (scaled) images with ``diag(C) = 0`` and a ridge term ``lam ||C||^2``, with
# ``lam`` chosen so that the relative self-expression error equals ``tol_rse``.
# The released method trained ``C`` with Adam instead, which rescales every
# coefficient separately: the relative sizes that make ``C`` follow the
# subspaces are lost, and more so the longer it trains. Here is the released
# optimiser on the same images (and without the row normalisation of the
# coefficients, as released).
adam = DSC(n_clusters=10, input_shape=(1, 8, 8), coef_solver="adam", coef_norm=None,
           pretrain_max_epochs=20 if quick else 50, random_state=0).fit(X[train])
print(f"released optimiser (Adam on C): ACC {clustering_accuracy(y[train], adam.labels_):.3f}, "
      f"NMI {normalized_mutual_info_score(y[train], adam.labels_):.3f}")
stage1 = [row for row in dsc.history_ if row["stage"] == "self_expression"]
print(f"closed form: lam = {dsc.lam_:.3g} ({stage1[-1]['lam']:.2g} x the largest eigenvalue "
      f"of X X^T), relative self-expression error {stage1[-1]['rse']:.2f}")

# %%
# The coefficients, sorted by the true digit
# ------------------------------------------
# ``|C|`` of both fits, rows and columns sorted by the true digit: the
# closed-form ``C`` is nearly block diagonal. Right: the affinity actually
# clustered, keeping the ``n_retained=9`` leading (row-normalised) coefficients
# per column.
order = np.argsort(y[train], kind="stable")
fig, axes = plt.subplots(1, 3, figsize=(11, 4))
for ax, model, title in ((axes[0], dsc, "|C|, closed form"), (axes[1], adam, "|C|, Adam")):
    C = np.abs(model.coef_)[np.ix_(order, order)]
    ax.imshow(C, cmap="Greys", vmax=np.quantile(C, 0.995))
    ax.set_title(title)
A = dsc.affinity_.toarray()[np.ix_(order, order)]
axes[2].imshow(A > 0, cmap="Greys", interpolation="nearest")
axes[2].set_title("retained affinity (non-zeros)")
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
