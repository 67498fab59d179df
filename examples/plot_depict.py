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
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DEPICT
from skdeepcluster.inspection import EmbeddingDisplay, HistoryDisplay
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
print(f"DEPICT fit in {seconds:.1f} s; phases stopped by: {model.stop_reasons_}")

# %%
# The embedding, coloured by cluster
# ----------------------------------
# ``transform`` returns the clean 10-dimensional embedding; the display draws
# its PCA. Colouring DEPICT's and k-means' clusters after matching both to the
# true digits makes the two panels comparable at a glance: the same colour is
# the same digit.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
EmbeddingDisplay.from_estimator(model, X, reference_labels=y, ax=axes[0],
                                title="DEPICT clusters")
EmbeddingDisplay.from_estimator(model, X, labels=km.labels_, reference_labels=y,
                                ax=axes[1], title="k-means clusters")

# %%
# Training curves
# ---------------
# ``history_`` holds one record per epoch and stage; phase D also logs how much
# the targets changed, the quantity its label-free stopping rule watches.
HistoryDisplay.from_estimator(model, metrics=("train_loss", "valid_loss", "q_change"),
                              logy=True)
plt.show()
