"""
==========================================
DEPICT on handwritten digits
==========================================

Fit :class:`skdeepcluster.DEPICT` on scikit-learn's digits, compare it with
k-means, look at the learned embedding and at the training curves recorded in
``history_``.
"""

# %%
# Fit DEPICT and k-means
# ----------------------
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DEPICT
from skdeepcluster.metrics import clustering_accuracy

QUICK = os.environ.get("SKDEEPCLUSTER_EXAMPLE_QUICK") == "1"

X, y = load_digits(return_X_y=True)
if QUICK:  # the test suite runs a shortened version
    X, y = X[:400], y[:400]

t = time.perf_counter()
model = DEPICT(n_clusters=10, random_state=0,
               **(dict(pretrain_max_epochs=5, max_epochs=5) if QUICK else {}))
model.fit(X)
seconds = time.perf_counter() - t
km = KMeans(n_clusters=10, n_init=10, random_state=0).fit(X)

for name, labels in (("DEPICT", model.labels_), ("KMeans", km.labels_)):
    print(f"{name:7s} ACC={clustering_accuracy(y, labels):.3f} "
          f"NMI={normalized_mutual_info_score(y, labels):.3f}")
print(f"DEPICT fit in {seconds:.1f} s; phases stopped by: {model.stopped_}")

# %%
# The embedding, coloured by cluster
# ----------------------------------
# ``transform`` returns the clean 10-dimensional embedding; PCA shows two of
# its directions.
xy = PCA(n_components=2, random_state=0).fit_transform(model.transform(X))
fig, ax = plt.subplots(figsize=(5, 4.5))
ax.scatter(xy[:, 0], xy[:, 1], c=model.labels_, cmap="tab10", s=5)
ax.set_title("DEPICT embedding of digits (PCA)")
ax.set_xticks([])
ax.set_yticks([])

# %%
# Training curves
# ---------------
# Every phase keeps its per-epoch records; phase D also logs how much the
# targets changed, the quantity its label-free stopping rule watches.
hist = model.history_
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot([r["train_loss"] for r in hist["pretrain"]], label="train")
axes[0].plot([r["valid_loss"] for r in hist["pretrain"]], label="held-out")
axes[0].set_title("phase A: reconstruction loss")
axes[0].set_xlabel("epoch")
axes[0].legend()
axes[1].semilogy([r["q_change"] for r in hist["self_training"]])
axes[1].set_title("phase D: mean squared change of Q")
axes[1].set_xlabel("epoch")
fig.tight_layout()
plt.show()
