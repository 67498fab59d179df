"""
Discovering novel classes with known ones
=========================================

Novel class discovery (NCD): some rows are labelled with KNOWN classes, the
others (``y == -1``) may belong to NOVEL classes that we want to find. The
known classes tell the model which features separate classes; the novel rows
are then clustered in the representation learned from them.

Here the UCI Letter Recognition data (16 features per distorted printed
capital letter) play the part, with the paper's split: 19 letters known,
A D H M P V X novel; 5,000 rows keep the example fast. The table ships with
skdeepcluster (:func:`~skdeepcluster.datasets.load_letter_recognition`, CC BY
4.0), so nothing is downloaded. We tune :class:`~skdeepcluster.PBN` with
:class:`~skdeepcluster.model_selection.NCDSearchCV`, which never looks at a
novel label: it hides some KNOWN classes, pretends they are novel, and scores
how well the model rediscovers them (class-hiding cross-validation). The best
setting is refitted on all rows and its number of novel clusters is estimated
from the known classes too (``n_clusters="auto"``: some known classes are
hidden among the unlabelled rows, and k is the number of clusters at which
they are found again as that many clusters).
"""

# %%
# Data: a known / novel split
# ---------------------------
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from skdeepcluster import PBN, NCDKMeans
from skdeepcluster.datasets import load_letter_recognition, make_ncd_split
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.model_selection import ClassHidingCV, NCDSearchCV

torch.set_num_threads(1)  # small networks: one thread is fastest
letter = load_letter_recognition()
rows = np.random.RandomState(0).permutation(len(letter.data))[:5000]
split = make_ncd_split(letter.data[rows], letter.target[rows],
                       novel_classes=list("ADHMPVX"), standardize=True)
X_train, y_train = split.X_train, split.y_train  # y_train == -1 on novel rows
novel = split.novel_mask_train
print(f"{(~novel).sum()} labelled rows of {len(split.known_classes)} known classes, "
      f"{novel.sum()} unlabelled rows")

# %%
# Tuning PBN by hiding known classes
# ----------------------------------
# Each split of :class:`~skdeepcluster.model_selection.ClassHidingCV` hides 7
# of the 19 known classes; a candidate's score is the Hungarian accuracy on the
# hidden rows. ``k_mode="estimate"`` makes the folds estimate the number of
# clusters as the final model will.
search = NCDSearchCV(
    PBN(n_clusters="auto", k_range=(2, 12), max_epochs=40, batch_size=256,
        latent_dim=16, dropout=0.05, random_state=0),
    param_grid={"w": [0.5, 0.9], "lr": [5e-4, 5e-3]},
    cv=ClassHidingCV(n_splits=2, n_hidden=7, random_state=0),
    k_mode="estimate",
)
search.fit(X_train, y_train)
for params, score in zip(search.cv_results_["params"],
                         search.cv_results_["mean_test_score"]):
    print(params, f"hidden-class ACC {score:.3f}")
print("best:", search.best_params_, "estimated number of novel classes:",
      search.n_clusters_)

# %%
# How k was estimated
# -------------------
# The refitted model hid known classes among the unlabelled rows (6 splits,
# 40% of the known classes each) and clustered them with the novel rows into
# ``hidden + k`` clusters for each candidate k. ``k_scores_`` holds the number
# of clusters the hidden classes occupied per hidden class (below 1: merged,
# above 1: split); the estimate is the k where it is closest to 1, once made
# non-decreasing in k (the search stops when it has clearly passed 1).
ratios = search.best_estimator_.k_scores_
print({k: round(float(v), 2) for k, v in ratios.items() if v == v})

# %%
# Novel-class accuracy
# --------------------
# Only now are the novel labels used, to evaluate. The baselines cluster the
# same unlabelled rows with plain k-means and with NCD k-means (k-means seeded
# away from the known-class means), both told the true k = 7.
pbn = search.best_estimator_
truth = split.y_train_true[novel]
acc_pbn = clustering_accuracy(truth, pbn.labels_[novel])
km = KMeans(7, n_init=10, random_state=0).fit_predict(X_train[novel])
ncdkm = NCDKMeans(7, random_state=0).fit(X_train, y_train).labels_[novel]
print(f"PBN (k estimated = {pbn.n_clusters_}): ACC {acc_pbn:.3f}")
print(f"k-means (k = 7):             ACC {clustering_accuracy(truth, km):.3f}")
print(f"NCD k-means (k = 7):         ACC {clustering_accuracy(truth, ncdkm):.3f}")

# %%
# The latent space
# ----------------
# PBN's latent rows are L2-normalised; a 2-D PCA of them shows the known
# classes (grey) and the discovered novel clusters.
Z = PCA(2, random_state=0).fit_transform(pbn.transform(X_train))
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, colour, title in [
    (axes[0], np.unique(split.y_train_true, return_inverse=True)[1] % 10,
     "true letters (known and novel)"),
    (axes[1], pbn.labels_, "PBN: known rows (grey), novel clusters"),
]:
    if colour is pbn.labels_:
        ax.scatter(*Z[~novel].T, s=4, c="0.8")
        ax.scatter(*Z[novel].T, s=6, c=colour[novel], cmap="tab10")
    else:
        ax.scatter(*Z.T, s=6, c=colour, cmap="tab10")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
