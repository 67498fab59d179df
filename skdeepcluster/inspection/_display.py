"""Displays (scikit-learn's plotting convention) of fitted clustering estimators.

``Display.from_estimator(est, X)`` computes what to draw and plots it;
``Display(...).plot()`` draws precomputed values. Each display keeps ``ax_``
and ``figure_``. matplotlib is optional (``pip install skdeepcluster[plot]``).
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.utils.validation import check_is_fitted

from ..utils import final_step

__all__ = ["EmbeddingDisplay", "HistoryDisplay", "match_labels"]


def check_matplotlib_support(caller_name):
    """Raise an ImportError naming the remedy when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib. Install it with `pip install "
            "matplotlib` (or `pip install skdeepcluster[plot]`).") from exc


def match_labels(labels, reference):
    """Rename ``labels`` so that each cluster takes the id of the reference
    group it overlaps most (Hungarian matching); unmatched clusters get new ids
    after the reference's.

    Two clusterings drawn with the same colour map then show the same colour
    for corresponding groups.

    Parameters
    ----------
    labels, reference : array-like of shape (n_samples,)

    Returns
    -------
    matched : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skdeepcluster.inspection import match_labels
    >>> match_labels([1, 1, 0, 0, 2], [0, 0, 1, 1, 1]).tolist()
    [0, 0, 1, 1, 2]
    """
    labels = np.asarray(labels)
    reference = np.asarray(reference)
    lab_ids, lab = np.unique(labels, return_inverse=True)
    ref_ids, ref = np.unique(reference, return_inverse=True)
    overlap = np.zeros((len(lab_ids), len(ref_ids)), dtype=np.int64)
    np.add.at(overlap, (lab, ref), 1)
    rows, cols = linear_sum_assignment(-overlap)
    new = np.empty(len(lab_ids), dtype=np.int64)
    new[rows] = cols
    spare = np.setdiff1d(np.arange(len(lab_ids)), rows)
    new[spare] = len(ref_ids) + np.arange(len(spare))
    return new[lab]


def _project_2d(Z, random_state):
    Z = np.asarray(Z, dtype=np.float64)
    if Z.shape[1] == 1:
        return np.column_stack([Z[:, 0], np.zeros(len(Z))])
    if Z.shape[1] == 2:
        return Z
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=random_state).fit_transform(Z)


class EmbeddingDisplay:
    """A 2-D view of an embedding, coloured by cluster.

    Parameters
    ----------
    embedding_2d : ndarray of shape (n_samples, 2)
        Coordinates to draw (e.g. the PCA of an estimator's ``transform``).
    labels : ndarray of shape (n_samples,)
        Cluster of each point (already matched to a reference if wanted).
    estimator_name : str, default=None

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    scatter_ : matplotlib PathCollection

    See Also
    --------
    match_labels : colours that agree across two clusterings.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.cluster import KMeans
    >>> from skdeepcluster.inspection import EmbeddingDisplay
    >>> X, y = make_blobs(60, centers=3, random_state=0)
    >>> km = KMeans(3, n_init=3, random_state=0).fit(X)
    >>> disp = EmbeddingDisplay.from_estimator(km, X, reference_labels=y)
    >>> disp.ax_.get_title()
    'KMeans'
    """

    def __init__(self, embedding_2d, labels, *, estimator_name=None):
        self.embedding_2d = embedding_2d
        self.labels = labels
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, cmap="tab10", s=6, title=None, **scatter_kwargs):
        """Draw the points.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw (a new figure if None).
        cmap : str, default="tab10"
        s : float, default=6
            Marker size.
        title : str, default=None
            Axes title (default: the estimator's name).
        **scatter_kwargs
            Passed to ``ax.scatter``.

        Returns
        -------
        display : EmbeddingDisplay
        """
        check_matplotlib_support("EmbeddingDisplay.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4.5))
        labels = np.asarray(self.labels)
        n_colors = max(int(labels.max()) + 1, 1) if labels.size else 1
        self.scatter_ = ax.scatter(self.embedding_2d[:, 0], self.embedding_2d[:, 1],
                                   c=labels, cmap=cmap, s=s, vmin=0,
                                   vmax=max(n_colors - 1, 9) if cmap == "tab10" else None,
                                   **scatter_kwargs)
        ax.set_title(title if title is not None else (self.estimator_name or ""))
        ax.set_xticks([])
        ax.set_yticks([])
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, *, labels=None, reference_labels=None,
                       use_transform=True, random_state=0, ax=None, **plot_kwargs):
        """Embed ``X`` with a fitted estimator and draw it coloured by cluster.

        Parameters
        ----------
        estimator : fitted clustering estimator
            Its ``transform`` (if any and ``use_transform``) gives the space to
            draw; PCA reduces it to 2-D. Without ``transform``, ``X`` is drawn.
        X : array-like of shape (n_samples, n_features)
        labels : array-like of shape (n_samples,), default=None
            Clusters to colour by; default ``estimator.predict(X)``, or
            ``labels_`` for a transductive estimator (``X`` = training data).
        reference_labels : array-like of shape (n_samples,), default=None
            A labelling (true classes, or another clustering) the colours are
            matched to, so that panels drawn against the same reference agree.
        use_transform : bool, default=True
        random_state : int, default=0
            Seed of the PCA.
        ax : matplotlib Axes, default=None
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : EmbeddingDisplay
        """
        check_matplotlib_support("EmbeddingDisplay.from_estimator")
        check_is_fitted(estimator)
        if labels is None:
            # a pipeline ending in a transductive clusterer: its last step's labels_
            final = final_step(estimator)
            labels = (estimator.predict(X) if hasattr(estimator, "predict")
                      else getattr(final, "labels_", None))
            if labels is None:
                raise ValueError(
                    f"{type(final).__name__} has neither predict nor labels_: pass "
                    "labels=... to colour the points.")
        labels = np.asarray(labels)
        if reference_labels is not None:
            labels = match_labels(labels, reference_labels)
        else:
            labels = np.unique(labels, return_inverse=True)[1]
        Z = estimator.transform(X) if use_transform and hasattr(estimator, "transform") else X
        xy = _project_2d(Z, random_state)
        name = type(estimator).__name__
        return cls(xy, labels, estimator_name=name).plot(ax=ax, **plot_kwargs)


class HistoryDisplay:
    """Training history per stage: one panel per stage, a curve per metric.

    Reads the package's diagnostics schema: ``history_`` records with
    ``"stage"`` and ``"epoch"``.

    Parameters
    ----------
    history : list of dict
        Records with ``"stage"`` and ``"epoch"`` keys.
    metrics : tuple of str, default=("train_loss", "valid_loss")
        Record keys to draw; a panel shows those its stage recorded.
    estimator_name : str, default=None

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdeepcluster.inspection import HistoryDisplay
    >>> history = [{"stage": "pretrain", "epoch": i + 1, "train_loss": 1.0 / (i + 1)}
    ...            for i in range(5)]
    >>> HistoryDisplay(history).plot().axes_.shape
    (1,)
    """

    def __init__(self, history, *, metrics=("train_loss", "valid_loss"),
                 estimator_name=None):
        self.history = history
        self.metrics = metrics
        self.estimator_name = estimator_name

    def plot(self, axes=None, *, logy=False):
        """Draw one panel per stage.

        Parameters
        ----------
        axes : array of matplotlib Axes, default=None
            One per stage (a new figure if None).
        logy : bool, default=False
            Logarithmic y axis.

        Returns
        -------
        display : HistoryDisplay
        """
        check_matplotlib_support("HistoryDisplay.plot")
        import matplotlib.pyplot as plt

        stages = list(dict.fromkeys(r["stage"] for r in self.history))
        if not stages:
            raise ValueError("history is empty: nothing to draw.")
        if axes is None:
            fig, axes = plt.subplots(1, len(stages), figsize=(4 * len(stages), 3.2),
                                     squeeze=False)
            axes = axes[0]
        axes = np.asarray(axes, dtype=object).ravel()
        if len(axes) != len(stages):
            raise ValueError(f"need {len(stages)} axes (one per stage), got {len(axes)}.")
        for ax, stage in zip(axes, stages):
            rows = [r for r in self.history if r["stage"] == stage]
            epochs = [r["epoch"] for r in rows]
            for key in self.metrics:
                values = [r.get(key) for r in rows]
                if any(isinstance(v, (int, float)) for v in values):
                    values = [np.nan if v is None else v for v in values]
                    (ax.semilogy if logy else ax.plot)(epochs, values, label=key)
            ax.set_title(stage)
            ax.set_xlabel("epoch")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="small")
        self.axes_ = axes
        self.figure_ = axes[0].figure
        if self.estimator_name:
            self.figure_.suptitle(self.estimator_name)
        return self

    @classmethod
    def from_estimator(cls, estimator, *, metrics=("train_loss", "valid_loss"),
                       axes=None, logy=False):
        """Draw a fitted estimator's ``history_``.

        Parameters
        ----------
        estimator : fitted estimator with a ``history_`` list of records
            (or a fitted pipeline whose last step has one)
        metrics : tuple of str, default=("train_loss", "valid_loss")
        axes : array of matplotlib Axes, default=None
        logy : bool, default=False

        Returns
        -------
        display : HistoryDisplay
        """
        check_matplotlib_support("HistoryDisplay.from_estimator")
        check_is_fitted(estimator)
        estimator = final_step(estimator)  # a pipeline: its clusterer's history
        history = getattr(estimator, "history_", None)
        if not isinstance(history, list):
            raise ValueError(
                f"{type(estimator).__name__} has no history_ list of records to draw.")
        return cls(history, metrics=metrics,
                   estimator_name=type(estimator).__name__).plot(axes=axes, logy=logy)
