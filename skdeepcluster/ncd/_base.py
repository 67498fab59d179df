"""Shared pieces of the novel-class-discovery (NCD) estimators.

Label convention (scikit-learn's semi-supervised one, as in
:class:`~sklearn.semi_supervised.SelfTrainingClassifier`): ``y`` holds the known
class of each labelled row and ``-1`` for each unlabelled row (the rows that may
belong to novel classes). String labels work: use an object array whose
unlabelled rows hold the integer ``-1`` (``np.array(["a", "b", -1],
dtype=object)``) or the string ``"-1"`` (what ``np.array(["a", "b", -1])`` turns
``-1`` into). ``y=None`` means every row is unlabelled: plain clustering.
"""

import itertools
import math
import numbers
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import silhouette_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils import check_n_clusters, cluster_means, squared_distances

__all__ = []

_POS_INT = [Interval(Integral, 1, None, closed="left")]

#: Parameters shared by the non-neural NCD estimators (scikit-learn's
#: declarative validation, checked by ``_fit_context`` before ``fit`` runs).
NCD_PARAMETER_CONSTRAINTS = {
    "n_clusters": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "n_init": _POS_INT,
    "max_iter": _POS_INT,
    "tol": [Interval(Real, 0, None, closed="left")],
    "seeding": [StrOptions({"distance", "squared"})],
    "k_range": [tuple, list],
    "device": [str, torch.device, None],
    "random_state": ["random_state"],
}

_UNLABELED_HELP = (
    "Mark each unlabelled (possibly novel) row with -1 (numeric y) or with -1 / "
    "'-1' (string labels in an object array), as scikit-learn's semi-supervised "
    "estimators do."
)


def _is_unlabeled_value(v):
    if isinstance(v, str):
        return v == "-1"
    if isinstance(v, (numbers.Number, np.number)) and not isinstance(v, (bool, np.bool_)):
        return v == -1
    return False


def check_ncd_labels(y, n_samples, require_unlabeled=True):
    """Validate NCD labels.

    Returns
    -------
    known_mask : ndarray of bool, shape (n_samples,)
    codes : ndarray of int64, shape (n_samples,)
        Index into ``classes`` for labelled rows, -1 for unlabelled rows.
    classes : ndarray
        The sorted known classes (empty when ``y`` is None).
    """
    if y is None:
        return (np.zeros(n_samples, dtype=bool), np.full(n_samples, -1, np.int64),
                np.array([], dtype=np.int64))
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per row), got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {len(y)} labels; pass one label per "
            "row (-1 for unlabelled rows).")
    kind = y.dtype.kind
    if kind in "iub":
        unlabeled = y == -1
    elif kind == "f":
        if np.isnan(y).any():
            raise ValueError("y contains NaN. " + _UNLABELED_HELP)
        unlabeled = y == -1
    elif kind in "US":
        unlabeled = y.astype(str) == "-1"
    elif kind == "O":
        unlabeled = np.fromiter((_is_unlabeled_value(v) for v in y), bool, len(y))
        known_vals = y[~unlabeled]
        is_str = np.fromiter((isinstance(v, str) for v in known_vals), bool,
                             len(known_vals))
        is_num = np.fromiter(
            (isinstance(v, (numbers.Number, np.number))
             and not isinstance(v, (bool, np.bool_)) for v in known_vals),
            bool, len(known_vals))
        if not np.all(is_str | is_num):
            bad = known_vals[~(is_str | is_num)][0]
            raise ValueError(
                f"y contains the label {bad!r}, which is neither a string nor a "
                "number. " + _UNLABELED_HELP)
        if is_str.any() and is_num.any():
            raise ValueError(
                "y mixes string and numeric known labels (e.g. "
                f"{known_vals[is_str][0]!r} and {known_vals[is_num][0]!r}); the only "
                "number allowed beside string labels is -1, the unlabelled marker. "
                "Convert all known labels to one type. " + _UNLABELED_HELP)
        if is_num.all() and len(known_vals):
            y = np.where(unlabeled, -1, y)
            known_vals = known_vals.astype(np.float64)
            if np.isnan(known_vals).any():
                raise ValueError("y contains NaN. " + _UNLABELED_HELP)
    else:
        raise ValueError(f"y has unsupported dtype {y.dtype}. " + _UNLABELED_HELP)
    known = ~unlabeled
    if not known.any():
        raise ValueError(
            "y has no labelled row: every row is marked -1 (unlabelled). Novel class "
            "discovery needs labelled rows of the known classes; pass y=None for "
            "plain clustering of all rows.")
    if not unlabeled.any() and require_unlabeled:
        # scikit-learn passes class labels to every clusterer (its estimator checks
        # do): like its clusterers, and like SelfTrainingClassifier, which warns
        # when y has no unlabelled row, we warn and ignore y (plain clustering).
        warnings.warn(
            "y has no unlabelled row (-1): there is nothing to discover, so y is "
            "ignored and all rows are clustered. " + _UNLABELED_HELP,
            UserWarning, stacklevel=3)
        return check_ncd_labels(None, n_samples)
    classes, codes_known, counts = np.unique(y[known], return_inverse=True,
                                             return_counts=True)
    if (counts < 2).any():
        single = classes[counts < 2]
        raise ValueError(
            f"known class(es) {list(single)[:5]} have a single labelled row; NCD needs "
            "at least 2 rows per known class (to learn it and to hide it in "
            "class-hiding cross-validation). Add rows, or mark that row -1 (unlabelled) "
            "or drop it.")
    codes = np.full(n_samples, -1, dtype=np.int64)
    codes[known] = codes_known
    return known, codes, classes


def check_ncd_n_clusters(n_clusters, n_unlabeled, k_range):
    """Validate ``n_clusters`` (int or "auto") and ``k_range`` against the unlabelled rows."""
    k = check_n_clusters(n_clusters, max(n_unlabeled, 1) if isinstance(
        n_clusters, str) else np.inf, name="n_clusters", allow_auto=True)
    if k != "auto" and k > n_unlabeled:
        raise ValueError(
            f"n_clusters={k} but there are only {n_unlabeled} unlabelled rows (y == -1) "
            "to cluster: fewer samples than clusters. Lower n_clusters or pass more "
            "unlabelled rows.")
    if k == "auto":
        try:
            lo, hi = (int(v) for v in k_range)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"k_range must be a pair (k_min, k_max), got {k_range!r}."
                             ) from exc
        if lo < 1 or hi < lo:
            raise ValueError(
                f"k_range must satisfy 1 <= k_min <= k_max, got {k_range!r}.")
        if n_unlabeled < 3:
            raise ValueError(
                f"n_clusters='auto' needs at least 3 unlabelled rows, got {n_unlabeled}; "
                "pass an integer n_clusters.")
    return k


def candidate_ks(k_range, n_unlabeled, k_min=1):
    """The candidate numbers of clusters: ``k_range`` clipped to ``[k_min, n - 1]``."""
    lo, hi = (int(v) for v in k_range)
    lo = max(lo, k_min)
    hi = min(hi, n_unlabeled - 1)
    return list(range(lo, max(lo, hi) + 1)) if lo <= hi else [max(k_min, min(
        lo, n_unlabeled - 1))]


def silhouette(Z, labels, random_state=0, sample_size=2000):
    """Mean silhouette (Euclidean); ``-inf`` where it is undefined."""
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(Z):
        return -np.inf
    size = None if len(Z) <= sample_size else sample_size
    return float(silhouette_score(Z, labels, sample_size=size,
                                  random_state=random_state))


def estimate_k(ks, cluster_fn, random_state=0):
    """Pick k by the mean silhouette (used when there is no known class).

    ``cluster_fn(k)`` returns ``(Z, labels)``: the space in which the silhouette
    is computed and the clustering of its rows. Returns ``(k_best, scores)``.
    """
    scores = {}
    for k in ks:
        Z, labels = cluster_fn(k)
        scores[k] = silhouette(Z, labels, random_state=random_state)
    best = max(scores, key=lambda k: (scores[k], -k))
    return best, scores


#: Splits and fraction of the known classes hidden per split when estimating k.
K_SPLITS = 6
K_HIDDEN_FRAC = 0.4
#: Rows of each pool clustered when estimating k (a random subsample above).
K_MAX_ROWS = 3000
#: k-means restarts, iterations and tolerance per candidate k when estimating k.
K_N_INIT = 3
K_MAX_ITER = 300
K_TOL = 1e-4
#: With a single known class: candidates whose F1 is within this of the best
#: recover the hidden class equally well (see :func:`estimate_k_by_hiding`).
K_F1_TOL = 0.05


def choose_n_clusters(k_range, codes, n_known, prepare_pool, silhouette_run,
                      random_state):
    """``n_clusters="auto"``: hide known classes when there are any (see
    :func:`estimate_k_by_hiding`), the silhouette otherwise.

    ``prepare_pool`` is that of :func:`estimate_k_by_hiding`;
    ``silhouette_run(k)`` returns ``(Z, labels)`` for the silhouette fallback.
    Returns ``(k, scores)``.
    """
    n_u = int((codes < 0).sum())
    if n_known == 0:
        return estimate_k(candidate_ks(k_range, n_u, k_min=2), silhouette_run)
    k, ratios = estimate_k_by_hiding(
        codes, n_known, candidate_ks(k_range, n_u), prepare_pool, n_splits=K_SPLITS,
        hidden_frac=K_HIDDEN_FRAC, max_rows=K_MAX_ROWS, random_state=random_state)
    if n_known == 1:
        ties = [kk for kk in f1_plateau(ratios) if kk >= 2]
    else:
        ties = [kk for kk in tied_candidates(ratios) if kk >= 2]
    if len(ties) > 1:
        # the hidden classes cannot tell these apart (they stay whole clusters
        # for all of them): the novel rows' own silhouette decides
        k, _ = estimate_k(ties, silhouette_run)
    return k, ratios


def f1_plateau(f1s, tol=None):
    """The candidates whose mean F1 is within ``tol`` (``K_F1_TOL``) of the best."""
    tol = K_F1_TOL if tol is None else tol
    tried = [k for k, v in f1s.items() if v == v]
    if not tried:
        return []
    best = max(f1s[k] for k in tried)
    return [k for k in tried if f1s[k] >= best - tol]


def tied_candidates(ratios):
    """The candidates whose (monotone-smoothed) ratio is closest to 1."""
    tried = [k for k, v in ratios.items() if v == v]
    if not tried:
        return []
    h = np.asarray([ratios[k] for k in tried])
    smooth = IsotonicRegression().fit_transform(np.arange(len(h)), h)
    dist = np.abs(smooth - 1.0)
    return [tried[i] for i in np.flatnonzero(dist <= dist.min() + 1e-9)]


def hidden_class_splits(n_known, n_splits, hidden_frac, rng):
    """``n_splits`` combinations of ``round(hidden_frac * n_known)`` known classes
    (at least 1, all of them when there is a single one), distinct while there
    are enough combinations, then repeated (with new clustering seeds)."""
    r = int(min(n_known, max(1, round(hidden_frac * n_known))))
    total = math.comb(n_known, r)
    if total <= 10_000:
        allc = list(itertools.combinations(range(n_known), r))
        order = rng.permutation(total)
        out = [np.array(allc[i]) for i in order[:n_splits]]
    else:
        seen, out = set(), []
        while len(out) < n_splits:
            c = tuple(sorted(rng.choice(n_known, r, replace=False).tolist()))
            if c not in seen:
                seen.add(c)
                out.append(np.array(c))
    while len(out) < n_splits:
        out.append(out[len(out) % total])
    return out


def hiding_pools(codes, n_known, ks, prepare_pool, *, n_splits, hidden_frac, max_rows,
                 rng):
    """The pools of :func:`estimate_k_by_hiding`: ``(r, [(pool, hidden, cluster)])``.

    One per split of :func:`hidden_class_splits`: ``pool`` indexes the
    unlabelled rows and those of the ``r`` ``hidden`` known classes (a random
    subsample of ``max_rows`` when larger), and ``cluster`` is
    ``prepare_pool``'s function ``m -> labels`` for it, or None when the pool
    is too small for ``r + ks[0]`` clusters. Draws from ``rng``.
    """
    splits = hidden_class_splits(n_known, n_splits, hidden_frac, rng)
    r = len(splits[0])
    unlabeled = np.flatnonzero(codes < 0)
    pools = []
    for hidden in splits:
        pool = np.sort(np.concatenate([unlabeled, np.flatnonzero(np.isin(codes, hidden))]))
        if len(pool) > max_rows:
            pool = np.sort(rng.choice(pool, max_rows, replace=False))
        rest = np.setdiff1d(np.arange(n_known), hidden)
        max_m = min(r + max(ks), len(pool) - 1)
        seed = int(rng.randint(2**31 - 1))
        cluster = prepare_pool(pool, rest, max_m, seed) if max_m >= r + ks[0] else None
        pools.append((pool, hidden, cluster))
    return r, pools


def estimate_k_by_hiding(codes, n_known, ks, prepare_pool, *, n_splits=6,
                         hidden_frac=0.4, max_rows=3000, stop_ratio=1.5,
                         random_state=None):
    """Estimate the number of novel classes from how the known classes cluster.

    Each split hides ``r`` known classes: their rows join the unlabelled rows
    in one pool, which is clustered into ``m = r + k`` clusters for every
    candidate ``k``. The hidden classes occupy
    ``h(m) = sum_c (hidden rows in c) / (rows in c)`` clusters: fewer than
    ``r`` while they are merged with each other or with novel rows, more than
    ``r`` once they are split. The estimate is the ``k`` at which the hidden
    classes occupy as many clusters as there are of them (``h(r + k) = r``,
    on ``h`` averaged over the splits and made non-decreasing in ``k``; the
    middle of a tie): the number of clusters at which the clustering recovers
    classes like the known ones, applied to the novel rows. Candidates are
    tried in increasing order and the search stops once ``h / r`` has exceeded
    ``stop_ratio`` for two candidates in a row.

    With a single known class (``n_known == 1``) every split hides that class,
    and the crossing measures class sizes more than structure: where the
    hidden class stays mixed with novel rows, each cluster holds about the
    hidden share ``p`` of the pool, ``h(m)`` grows like ``m p`` and crosses 1
    near ``m = 1 / p``, the size ratio of the pool to the hidden class, however
    many novel classes there are. The estimate is then the ``k`` at which the
    clustering best isolates the hidden class: the F1 score
    ``2 |c & H| / (|c| + |H|)`` of the cluster ``c`` that best matches the
    hidden class ``H`` penalises merging it with novel rows (precision) and
    splitting it (recall), and on unstructured data it falls with ``m``
    instead of drifting towards the size ratio. Once the hidden class is
    isolated, further clusters split novel rows and F1 stays on a plateau:
    the candidates whose mean F1 over the splits is within ``K_F1_TOL`` (0.05)
    of the best recover it equally well, and the smallest of them is returned
    (:func:`choose_n_clusters` lets the novel rows' silhouette choose among
    those from 2 up, as for ties of the crossing).

    Parameters
    ----------
    codes : ndarray of int, shape (n_samples,)
        Known-class code of each row, -1 for unlabelled rows.
    n_known : int
    ks : list of int
        Candidate numbers of novel clusters, increasing.
    prepare_pool : callable
        ``prepare_pool(pool, rest, max_m, seed)`` returns a function ``m ->
        labels`` clustering the rows ``pool`` (indices into the data) into ``m``
        clusters (``m <= max_m``), knowing that the known classes ``rest`` stay
        labelled.
    n_splits, hidden_frac, max_rows : int, float, int
        Splits, fraction of the known classes hidden per split, rows per pool
        (a random subsample above it).
    stop_ratio : float
    random_state : int, RandomState instance or None

    Returns
    -------
    k : int
    ratios : dict
        ``{k: h(r + k) / r}`` averaged over the splits (1 at the estimate; NaN
        for candidates not tried). With ``n_known == 1``: ``{k: mean F1}``.
    """
    rng = check_random_state(random_state)
    r, splits = hiding_pools(codes, n_known, ks, prepare_pool, n_splits=n_splits,
                             hidden_frac=hidden_frac, max_rows=max_rows, rng=rng)
    pools = [(pool, np.isin(codes[pool], hidden), cluster)
             for pool, hidden, cluster in splits]
    ratios = {kk: float("nan") for kk in ks}
    f1s = {kk: float("nan") for kk in ks}
    tried, h, above = [], [], 0
    for k in ks:
        counts, f1 = [], []
        for pool, is_hidden, cluster in pools:
            if cluster is None or r + k >= len(pool):
                continue
            labels = np.asarray(cluster(r + k))
            n = np.bincount(labels)
            nh = np.bincount(labels[is_hidden], minlength=len(n))
            counts.append(float((nh[n > 0] / n[n > 0]).sum()))
            if n_known == 1:
                f1.append(float((2 * nh / (is_hidden.sum() + n)).max()))
        if not counts:
            break
        tried.append(k)
        h.append(np.mean(counts) / r)
        ratios[k] = h[-1]
        if n_known == 1:
            f1s[k] = float(np.mean(f1))
        above = above + 1 if h[-1] > stop_ratio else 0
        if above >= 2:
            break
    if not tried:  # pools too small for any candidate
        return ks[0], (f1s if n_known == 1 else ratios)
    if n_known == 1:
        return int(min(f1_plateau(f1s))), f1s
    ties = tied_candidates(ratios)
    return int(ties[len(ties) // 2]), ratios


# --------------------------------------------------------------------------- #
# NCD k-means core (Troisemaine et al.): seeded away from known centroids, novel-only Lloyd
# --------------------------------------------------------------------------- #
def _seed_centers(X, k, known_centers, seeding, rng, X_sq):
    """Distance-weighted seeding on the device; the draws come from ``rng``."""
    n = len(X)
    chosen = []
    if known_centers is not None and len(known_centers):
        dmin = squared_distances(X, known_centers, X_sq).min(dim=1).values
    else:
        first = rng.randint(n)
        chosen.append(first)
        dmin = squared_distances(X, X[[first]], X_sq)[:, 0]
    while len(chosen) < k:
        weight = (dmin if seeding == "squared" else dmin.sqrt()).cpu().numpy()
        total = weight.sum()
        if total <= 0 or not np.isfinite(total):
            idx = rng.randint(n)
        else:
            idx = rng.choice(n, p=weight / total)
        chosen.append(idx)
        dmin = torch.minimum(dmin, squared_distances(X, X[[idx]], X_sq)[:, 0])
    return X[chosen].clone()


def ncd_kmeans(X, k, known_centers=None, *, n_init=10, max_iter=300, tol=1e-4,
               seeding="distance", random_state=None, device="cpu"):
    """NCD k-means: returns ``(labels, centers, inertia, n_iter)`` as numpy.

    Seeding draws each new centre with probability proportional to the distance
    (``seeding="distance"``, the reference code) or squared distance
    (``"squared"``, k-means++) to the nearest known or already chosen centre;
    Lloyd iterations then update only the novel centres (empty clusters stay put)
    until ``(sum_j ||c_j^new - c_j^old||)^2 < tol``. Of ``n_init`` runs the one of
    smallest inertia ``sum_x min_j ||x - c_j||`` (unsquared) is kept. The
    distances and updates run in float64 torch on ``device``; the random draws
    come from ``random_state`` (numpy), so a seed gives the same run anywhere.
    """
    rng = check_random_state(random_state)
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64), device=device)
    X_sq = (Xt * Xt).sum(1)
    kc = (None if known_centers is None
          else torch.as_tensor(np.asarray(known_centers, np.float64), device=device))
    best = None
    for _ in range(int(n_init)):
        C = _seed_centers(Xt, k, kc, seeding, rng, X_sq)
        n_iter = 0
        for n_iter in range(1, int(max_iter) + 1):
            labels = squared_distances(Xt, C, X_sq).argmin(dim=1)
            counts = torch.bincount(labels, minlength=k).to(Xt.dtype)
            sums = torch.zeros_like(C).index_add_(0, labels, Xt)
            nz = counts > 0
            new = C.clone()
            new[nz] = sums[nz] / counts[nz, None]
            shift = float(((new - C) ** 2).sum(1).sqrt().sum()) ** 2
            C = new
            if shift < tol:
                break
        d2 = squared_distances(Xt, C, X_sq)
        dist, labels = d2.min(dim=1)
        inertia = float(dist.sqrt().sum())
        if best is None or inertia < best[2]:
            best = (labels, C, inertia, n_iter)
    labels, C, inertia, n_iter = best
    return labels.cpu().numpy().astype(np.int64), C.cpu().numpy(), inertia, n_iter


def class_means(Z, codes, n_classes):
    """Mean of the rows of each known class (``codes`` >= 0) in space ``Z``."""
    known = codes >= 0
    return cluster_means(np.asarray(Z)[known], codes[known], n_classes)


def nearest_center(Z, centers):
    Zt = torch.as_tensor(np.asarray(Z, np.float64))
    Ct = torch.as_tensor(np.asarray(centers, np.float64))
    return squared_distances(Zt, Ct).argmin(dim=1).numpy().astype(np.int64)


class NCDMixin:
    """Fitted-attribute bookkeeping common to the NCD estimators."""

    def _set_ncd_results(self, known, codes, classes, cluster_labels):
        n = len(codes)
        labels = np.full(n, -1, dtype=np.int64)
        labels[~known] = cluster_labels
        self.labels_ = labels
        transduction = codes.copy()
        transduction[~known] = len(classes) + cluster_labels
        self.transduction_ = transduction
        self.known_classes_ = classes
