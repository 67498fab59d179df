"""Novel-class-discovery splits of a labelled data set."""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_ncd_split"]


def make_ncd_split(X, y, novel_classes=None, *, n_novel=None, test_size=None,
                   standardize=False, random_state=None):
    """Turn a labelled data set into a novel class discovery problem.

    The rows of ``novel_classes`` lose their labels (-1); the other classes stay
    known. Optionally a stratified train/test split is made first and the
    features are z-scored with the TRAIN statistics (constant features are kept
    at 0 instead of dividing by zero).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Ground-truth classes.
    novel_classes : array-like or None, default=None
        Classes to treat as novel; None draws ``n_novel`` at random.
    n_novel : int or None, default=None
        Number of random novel classes when ``novel_classes`` is None (default
        half of the classes, rounded down, at least 1).
    test_size : float, int or None, default=None
        Size of a stratified test split (None: no test split).
    standardize : bool, default=False
        z-score the features with the training rows' mean and std.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    split : Bunch
        ``X_train``, ``y_train`` (known labels, -1 for novel rows; an object array
        when the labels are strings), ``y_train_true``, ``novel_mask_train``, and
        the same ``*_test`` keys (None without a test split), plus
        ``known_classes`` and ``novel_classes``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from skdeepcluster.datasets import make_ncd_split
    >>> X, y = load_iris(return_X_y=True)
    >>> split = make_ncd_split(X, y, novel_classes=[2])
    >>> np.unique(split.y_train).tolist()
    [-1, 0, 1]
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels.")
    classes = np.unique(y)
    rng = check_random_state(random_state)
    if novel_classes is None:
        n = len(classes) // 2 if n_novel is None else int(n_novel)
        if not 1 <= n < len(classes):
            raise ValueError(f"n_novel must be in [1, {len(classes) - 1}], got {n}.")
        novel = np.sort(rng.choice(classes, n, replace=False))
    else:
        novel = np.unique(np.asarray(novel_classes, dtype=y.dtype))
        missing = np.setdiff1d(novel, classes)
        if len(missing):
            raise ValueError(f"novel_classes {list(missing)} are not classes of y.")
        if len(novel) == len(classes):
            raise ValueError("novel_classes covers every class: keep at least one known.")
    known = np.setdiff1d(classes, novel)
    if test_size is not None:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=test_size, stratify=y,
            random_state=rng.randint(2**31 - 1))
    else:
        X_tr, X_te, y_tr, y_te = X, None, y, None
    if standardize:
        mu, sd = X_tr.mean(0), X_tr.std(0)
        sd[sd == 0] = 1.0
        X_tr = (X_tr - mu) / sd
        X_te = None if X_te is None else (X_te - mu) / sd

    def mask(yy):
        if yy is None:
            return None, None
        novel_mask = np.isin(yy, novel)
        if yy.dtype.kind in "iu":
            out = yy.astype(np.int64).copy()
        elif yy.dtype.kind == "f":
            out = yy.copy()
        else:
            out = yy.astype(object)
        out[novel_mask] = -1
        return out, novel_mask

    y_train, nm_tr = mask(y_tr)
    y_test, nm_te = mask(y_te)
    return Bunch(X_train=X_tr, y_train=y_train, y_train_true=y_tr,
                 novel_mask_train=nm_tr, X_test=X_te, y_test=y_test, y_test_true=y_te,
                 novel_mask_test=nm_te, known_classes=known, novel_classes=novel)
