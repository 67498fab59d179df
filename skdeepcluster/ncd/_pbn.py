"""PBN: Projection-Based NCD network (Troisemaine et al., 2024), trained with skorch."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import BaseDeepClusterer
from ..utils import (
    as_device_tensor,
    cluster_means,
    cpu_threads,
    fit_kmeans,
    knn_indices,
    make_net,
    seeded,
    standard_scaling,
)
from ..utils._graph import (
    _by_eigenvalue,
    _cluster_qr,
    _connectivity,
    _graph_embedding,
)
from ..utils._validation import clip_n_neighbors
from ._base import (
    NCDMixin,
    check_ncd_labels,
    check_ncd_n_clusters,
    choose_n_clusters,
    nearest_center,
    silhouette,
)
from ._kmeans import estimate_n_novel
from ._losses import PBNLoss
from ._module import PBNModule

__all__ = ["PBN"]

#: rows per batch of inference (``transform``)
INFER_BATCH = 1024


def _latent(net, X):
    """The latent rows of ``X`` (float64 numpy) through skorch's ``forward_iter``.

    The trained network is kept in float64, so that a row's code does not depend
    on the batch it comes in (float32 matrix products round differently for
    different batch shapes).
    """
    Xt = as_device_tensor(X, net.device, torch.float64)
    with torch.no_grad():
        Z = [out[0] for out in net.forward_iter(Xt, training=False, device=net.device)]
    return torch.cat(Z).cpu().numpy()


#: Default network sizes: hidden ``max(HIDDEN_MIN, 3d // 4)``, latent
#: ``max(LATENT_MIN, d // 2)`` (the authors' demo network, widened for narrow
#: tables, where ``3d // 4`` units would be a bottleneck).
HIDDEN_MIN = 64
LATENT_MIN = 16


def _spectral_labels(Z, max_m, n_neighbors, device, seed):
    """Spectral clustering of the k-NN graph of ``Z``: returns a function ``m ->
    labels`` for any ``m <= max_m`` from one eigendecomposition (the leading
    ``m`` eigenvectors, then the column-pivoted QR labels of
    :func:`skdeepcluster.utils.knn_spectral_clustering`)."""
    n = len(Z)
    A = _connectivity(knn_indices(Z, int(min(n_neighbors, n - 1)), device=device))
    top = int(min(max_m, n - 1))
    emb = _graph_embedding(A, top, torch.device(device), int(seed))
    # order the eigenvectors by eigenvalue (the solvers differ in their order)
    emb = emb[:, _by_eigenvalue(A, emb)[0]]

    def labels(m):
        if m <= 1:
            return np.zeros(n, dtype=np.int64)
        return _cluster_qr(emb[:, :m]).astype(np.int64)
    return labels


def _safe_batch_size(n, batch_size):
    """A batch size that never leaves a 1-row last batch (BatchNorm needs 2)."""
    bs = max(2, min(int(batch_size), n))
    while n % bs == 1:
        bs += 1
    return bs


class PBN(NCDMixin, BaseDeepClusterer):
    """Projection-Based NCD network: a latent space shaped by the known classes.

    An encoder (Linear, ReLU, BatchNorm, Dropout blocks and a linear latent layer)
    maps rows to an L2-normalised latent space; a linear classifier on the latent
    learns the known classes (cross-entropy on labelled rows) while a decoder
    reconstructs every row, labelled or not. The unlabelled rows are then
    clustered in that normalised latent space, which is used for training,
    clustering, ``transform`` and ``predict`` (``n_clusters="auto"`` estimates
    k in the input space, see below): by default
    with spectral clustering of their k-nearest-neighbour graph (one of the
    clusterings of the reference code; the paper uses k-means, available as
    ``clustering="kmeans"``). Trained with AdamW through skorch, reshuffled every
    epoch.

    Labels follow scikit-learn's semi-supervised convention: ``y`` holds the known
    class of each labelled row and ``-1`` for unlabelled rows (object arrays with
    ``-1`` or ``"-1"`` for string labels). ``y=None``: no classifier, a plain
    autoencoder followed by the clustering of all rows.

    Parameters
    ----------
    n_clusters : int or "auto", default="auto"
        Number of novel clusters. ``"auto"`` estimates it from the known
        classes as :class:`NCDKMeans` does, in the input space: some are
        hidden among the unlabelled rows and k is the number of clusters at
        which NCD k-means recovers the hidden classes as that many clusters
        (see the user guide, "Choosing the number of novel classes"). Not in
        the latent space: the network has learnt to separate every known
        class, so hidden ones would be easier to recover there than novel
        classes. Without known classes (``y=None``) the mean silhouette of the
        latent clusterings is used instead.
    latent_dim : int or None, default=None
        None: ``max(16, n_features // 2)``.
    hidden_dims : tuple of int or None, default=None
        None: ``(max(64, 3 * n_features // 4),)``: the authors' demo network,
        widened for narrow tables (``3d // 4`` units would be a bottleneck
        there). The paper's network is ``(3d // 4, d // 2)``.
    w : float in [0, 1], default=0.9
        Weight of the classification loss; ``1 - w`` weighs the reconstruction
        loss, a per-row SUM over features (so it grows with n_features).
    lr : float, default=5e-4
    dropout : float in [0, 1), default=0.2
    batch_size : int, default=512
    max_epochs : int, default=200
    weight_decay : float, default=0.01
        AdamW weight decay.
    normalize_latent : bool, default=True
        L2-normalise the latent rows (the method's design).
    clustering : {"spectral", "kmeans"}, default="spectral"
        How the unlabelled latent rows are clustered: spectral clustering of
        their ``n_neighbors``-nearest-neighbour graph (the column-pivoted QR
        labelling of :func:`skdeepcluster.utils.knn_spectral_clustering`; it
        follows non-convex clusters; the user guide compares both), or k-means
        (k-means++, ``n_init`` restarts, the paper's choice). ``predict``
        assigns new rows to the nearest cluster mean either way. Spectral clustering falls back to
        k-means, with a warning, when it leaves a cluster empty.
    n_neighbors : int, default=10
        Neighbours per row of the graph of ``clustering="spectral"``. A value of at
        least the number of unlabelled rows is reduced to that number minus
        one, with a :class:`UserWarning`.
    k_range : tuple of int, default=(1, 30)
        Candidate numbers of novel clusters for ``n_clusters="auto"`` (from 2
        without known classes).
    n_init : int, default=10
        k-means restarts (``clustering="kmeans"`` and the fallback).
    input_scaling : {"standard"} or None, default="standard"
        ``"standard"`` standardises each column with the training rows' mean
        and standard deviation (constant columns are only centred) before
        training, the estimate of k, ``transform`` and ``predict``, as the
        reference pipeline standardises its data sets beforehand; data that
        are already standardised are unchanged. None uses ``X`` as it is.
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto".
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
        0 silent; 1 a progress bar for the training and one line per step of
        the clustering; 2 also skorch's per-epoch table.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network (its ``module_`` has ``encoder``, ``decoder``,
        ``classifier``). It is kept in float64 after training, so that a row's
        latent code does not depend on the batch it is computed in.
    labels_ : ndarray of shape (n_samples,)
        Novel cluster of each unlabelled training row, -1 for labelled rows.
    transduction_ : ndarray of shape (n_samples,)
        ``i`` for rows of ``known_classes_[i]``, ``len(known_classes_) + c`` for
        rows of novel cluster ``c``.
    known_classes_ : ndarray
    cluster_centers_ : ndarray of shape (n_clusters_, latent_dim)
        Novel centres in the latent space (the mean latent row of each cluster).
    inertia_ : float
        Sum of squared latent distances of the unlabelled rows to their centre.
    n_clusters_ : int
    k_scores_ : dict or None
        With ``n_clusters="auto"`` and known classes: for each candidate k, the
        number of clusters the hidden known classes occupied per hidden class
        (averaged over the splits; k is where it reaches 1); with a single
        known class, the F1 score of the cluster that best matches it. Without
        known classes: the silhouette per candidate k. None otherwise.
    history_ : list of dict
        One record per training epoch: ``"stage"`` (``"train"``), ``"epoch"``,
        ``"train_loss"``, ``"dur"``.
    stop_reasons_ : dict
        Why the training stage ended (``{"train": "max_epochs"}``).
    n_iter_ : int
        Epochs run.
    fit_seconds_ : float
        Wall-clock seconds of ``fit``.
    input_mean_, input_scale_ : ndarray of shape (n_features_in_,) or None
        The standardisation of ``input_scaling="standard"`` (None otherwise).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.

    Notes
    -----
    Training costs O(n * max_epochs * size of the network). Spectral clustering
    builds a k-NN graph of the unlabelled latent rows (memory O(n *
    n_neighbors)) and takes its leading eigenvectors (dense up to 1,000 rows,
    LOBPCG above); ``"auto"`` runs NCD k-means (3 restarts) on up to 6 pools of
    at most 3,000 input rows per candidate k.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import PBN
    >>> X, t = make_blobs(200, centers=4, n_features=6, random_state=0)
    >>> y = np.where(t < 2, t, -1)
    >>> pbn = PBN(n_clusters=2, max_epochs=5, random_state=0).fit(X, y)
    >>> pbn.transform(X).shape, pbn.predict(X[:3]).shape
    ((200, 16), (3,))
    """

    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "n_clusters": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "latent_dim": [Interval(Integral, 1, None, closed="left"), None],
        "hidden_dims": ["array-like", None],
        "w": [Interval(Real, 0, 1, closed="both")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "normalize_latent": ["boolean"],
        "clustering": [StrOptions({"spectral", "kmeans"})],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "k_range": [tuple, list],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "input_scaling": [StrOptions({"standard"}), None],
    }

    _seed_names = ("module",)

    def __init__(self, n_clusters="auto", *, latent_dim=None, hidden_dims=None, w=0.9,
                 lr=5e-4, dropout=0.2, batch_size=512, max_epochs=200,
                 weight_decay=0.01, normalize_latent=True, clustering="spectral",
                 n_neighbors=10, k_range=(1, 30), n_init=10, input_scaling="standard",
                 device="cpu", random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.w = w
        self.lr = lr
        self.dropout = dropout
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.weight_decay = weight_decay
        self.normalize_latent = normalize_latent
        self.clustering = clustering
        self.n_neighbors = n_neighbors
        self.k_range = k_range
        self.n_init = n_init
        self.input_scaling = input_scaling
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _network_sizes(self, d):
        """``(latent_dim, hidden_dims)`` for ``d`` input features."""
        latent = (self.latent_dim if self.latent_dim is not None
                  else max(LATENT_MIN, d // 2))
        hidden = (self.hidden_dims if self.hidden_dims is not None
                  else (max(HIDDEN_MIN, 3 * d // 4),))
        try:
            hidden = tuple(int(h) for h in hidden)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"hidden_dims must be a tuple of ints, got {hidden!r}."
                             ) from exc
        if any(h < 1 for h in hidden):
            raise ValueError(f"hidden_dims must be positive, got {hidden!r}.")
        return int(latent), hidden

    def _check_n_clusters(self, X, y, n_samples):
        """``n_clusters`` (int or "auto") against the unlabelled rows of ``y``."""
        with warnings.catch_warnings():  # fit() checks y again and warns once
            warnings.simplefilter("ignore", UserWarning)
            known = check_ncd_labels(y, len(X))[0]
        return check_ncd_n_clusters(self.n_clusters, int((~known).sum()), self.k_range)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network on all rows, then cluster the unlabelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or None
            Known class per row, -1 for unlabelled rows; None: all unlabelled.

        Returns
        -------
        self : PBN
        """
        setup = self._fit_setup(X, y)
        X, k, device, seeds = setup
        known, codes, classes = check_ncd_labels(y, len(X))
        self.input_mean_, self.input_scale_ = (
            standard_scaling(X) if self.input_scaling == "standard" else (None, None))
        X = self._scale_input(X)
        n, d = X.shape
        latent, hidden = self._network_sizes(d)
        Xt = as_device_tensor(X, device)
        # small MLPs run as many tiny kernels: one CPU thread is faster (and on a
        # busy machine several times faster) than OpenMP's default team
        width = max((*hidden, latent, d))
        verbose, progress = self._net_verbosity("train", self.max_epochs)
        with seeded(seeds["module"], device), cpu_threads(
                device, min(self.batch_size, n) * width):
            module = PBNModule(d, hidden, latent, len(classes), float(self.dropout),
                               bool(self.normalize_latent))
            net = make_net(
                module, PBNLoss, device=device, seed=seeds["module"], lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=_safe_batch_size(n, self.batch_size),
                optimizer=torch.optim.AdamW,
                optimizer__weight_decay=self.weight_decay,
                criterion__w=float(self.w),
                iterator_valid__batch_size=INFER_BATCH,
                callbacks=progress, verbose=verbose)
            net.fit(Xt, torch.as_tensor(codes, device=device))
        net.module_.double()  # see _latent
        self.net_ = net
        self._record_net("train", net, "max_epochs")
        Z = _latent(net, X)
        Zu = Z[~known]
        km_seed = setup.rng.randint(2**31 - 1)
        self.k_scores_ = None
        if k == "auto" and len(classes):
            # hiding known classes in the latent space would be leaky: the
            # network has learnt to separate every known class, so hidden ones
            # form tighter clusters there than novel classes do. The estimate
            # is NCD k-means' one, in the input space.
            k, self.k_scores_ = estimate_n_novel(
                np.asarray(X, dtype=np.float64), codes, len(classes), self.k_range,
                km_seed, n_init=self.n_init, device=device)
        elif k == "auto":
            def run(kk):
                return Zu, self._cluster(Zu, kk, km_seed, device, warn=False)[0]

            k, self.k_scores_ = choose_n_clusters(self.k_range, codes, 0, None, run,
                                                  km_seed)
        labels, centers = self._cluster(Zu, k, km_seed, device)
        self.n_clusters_ = int(k)
        self.cluster_centers_ = np.asarray(centers, dtype=np.float64)
        Zu64 = np.asarray(Zu, dtype=np.float64)
        self.inertia_ = float(((Zu64 - self.cluster_centers_[labels]) ** 2).sum())
        self._n_features_out = latent
        self._set_ncd_results(known, codes, classes, labels)
        self._log(f"{k} novel clusters ({self.clustering})")
        self._finish_diagnostics()
        return self

    def _cluster(self, Zu, k, seed, device, warn=True):
        """Labels and centres of the unlabelled latent rows (``clustering``).

        ``warn``: say so when ``n_neighbors`` is reduced (False for the
        candidates of ``n_clusters="auto"``: fit warns once, on its result)."""
        Zu = np.asarray(Zu, dtype=np.float64)
        if k == 1:
            return np.zeros(len(Zu), dtype=np.int64), Zu.mean(0, keepdims=True)
        if self.clustering == "spectral" and len(Zu) > k + 1:
            n_neighbors = clip_n_neighbors(self.n_neighbors, len(Zu), owner="PBN",
                                           rows="the number of unlabelled rows",
                                           warn=warn, stacklevel=5)
            labels = _spectral_labels(Zu, k, n_neighbors, device, seed)(k)
            found = len(np.unique(labels))
            if found == k:
                return labels, cluster_means(Zu, labels, k)
            warnings.warn(
                f"PBN: spectral clustering of the unlabelled latent rows filled only "
                f"{found} of {k} clusters (duplicate or detached rows); k-means is "
                "used instead. Lower n_clusters or pass clustering='kmeans'.",
                UserWarning, stacklevel=3)
        labels, centers, _ = fit_kmeans(Zu, k, n_init=self.n_init, random_state=seed)
        return labels, centers

    def _scale_input(self, X):
        if self.input_mean_ is None:
            return X
        return ((np.asarray(X, dtype=np.float64) - self.input_mean_)
                / self.input_scale_).astype(X.dtype, copy=False)

    def transform(self, X):
        """L2-normalised latent representation, shape (n_samples, latent_dim)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return _latent(self.net_, self._scale_input(X))

    def predict(self, X):
        """Nearest novel centre in the latent space (0 .. n_clusters_-1)."""
        return nearest_center(self.transform(X), self.cluster_centers_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the latent rows come from the float64 network whatever the input dtype
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def score(self, X, y=None):
        """Mean silhouette of ``predict(X)`` in the latent space (higher is better).

        At most 2,000 rows (fixed subsample); ``-inf`` for a single cluster. The
        latent space changes with the hyper-parameters, so use it to compare
        ``n_clusters`` for one trained network, not networks with each other.
        ``y`` is ignored.
        """
        Z = self.transform(X)
        return silhouette(Z, nearest_center(Z, self.cluster_centers_))
