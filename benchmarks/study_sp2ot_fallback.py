"""Study: would a label-free fallback to SP2OT's k-means start help on tables?

For each table of ``_tables.SUITE`` and seeds 0-2, fits ``SP2OT(K)`` with its
defaults and compares the final partition with the k-means partition that
started its head (``init_labels_``) by the Gaussian classification
log-likelihood on the standardised rows (``skdeepcluster.dsc.classification_loglik``,
the rule of DSC's ``fallback``). Prints the median ACC of the final, the start
and the selected partition per table and over the tables. Single-threaded.

    python benchmarks/study_sp2ot_fallback.py
"""
import sys, numpy as np, warnings, time, json
warnings.simplefilter("ignore")
import torch; torch.set_num_threads(1)
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from _tables import load_table, SUITE
from skdeepcluster import SP2OT
from skdeepcluster.dsc import classification_loglik
from skdeepcluster.metrics import clustering_accuracy
from sklearn.preprocessing import StandardScaler
res = {}
for name in SUITE:
    X, y = load_table(name); K = len(np.unique(y)); Xs = StandardScaler().fit_transform(X)
    rows = []
    for s in range(3):
        m = SP2OT(K, random_state=s).fit(X)
        lf, li = classification_loglik(Xs, m.labels_), classification_loglik(Xs, m.init_labels_)
        af, ai = clustering_accuracy(y, m.labels_), clustering_accuracy(y, m.init_labels_)
        rows.append((af, ai, af if lf >= li else ai, lf, li))
    r = np.array(rows); res[name] = r.tolist()
    print(f"{name:14s} final {np.median(r[:,0]):.3f} init {np.median(r[:,1]):.3f} selected {np.median(r[:,2]):.3f}  picks_final {int((r[:,3]>=r[:,4]).sum())}/3", flush=True)
med = lambda j: np.median([np.median(np.array(v)[:, j]) for v in res.values()])
print("medians final %.3f init %.3f selected %.3f" % (med(0), med(1), med(2)))

