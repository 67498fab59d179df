"""The DEPICT estimator."""

import contextlib
import copy
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from threadpoolctl import threadpool_limits
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import BaseDeepClusterer, ImageInputMixin
from ..utils import (
    RandomHoldout,
    as_device_tensor,
    check_input_shape,
    cluster_means,
    cpu_threads,
    early_stopping,
    fit_kmeans,
    knn_spectral_clustering,
    make_net,
    seeded,
)
from ..utils._validation import clip_n_neighbors
from ._callbacks import TargetUpdate, ValidNMI
from ._losses import (
    PseudoLabelLoss,
    ReconstructionLoss,
    SelfTrainingLoss,
    compute_targets,
    reconstruction_loss,
)
from ._module import DEPICTModule, conv_shapes

__all__ = ["DEPICT"]

_POS_INT = [Interval(Integral, 1, None, closed="left")]
_NONNEG = [Interval(Real, 0, None, closed="left")]
_POS = [Interval(Real, 0, None, closed="neither")]
_AUTO_INT = [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})]

#: Optimiser steps that ``"auto"`` epoch caps allow each phase (converted to
#: epochs with the phase's mini-batches per epoch), so that the budget does not
#: grow with the number of rows; see the user guide for the measurements.
AUTO_STEPS = {"pretrain": 2000, "init": 100, "self_training": 200}


def _auto_epochs(value, stage, n_rows, batch_size):
    """An epoch cap: ``value``, or the ``"auto"`` step budget in epochs."""
    if value != "auto":
        return int(value)
    per_epoch = -(-n_rows // batch_size)
    return max(1, -(-AUTO_STEPS[stage] // per_epoch))


#: Phase B's ``"kmeans_balanced"``: restarts within this relative distance of
#: the lowest k-means inertia are candidates (see :func:`_balanced_kmeans`).
BALANCED_INERTIA_TOL = 0.05


def _balanced_kmeans(Z, K, n_init, random_state, inertia_tol=BALANCED_INERTIA_TOL):
    """k-means restarts; of those within ``inertia_tol`` of the lowest inertia,
    the one whose cluster sizes ``f`` are closest to DEPICT's uniform prior
    ``u`` (smallest ``KL(f||u)``, the prior term of DEPICT's objective).

    Every restart is a k-means fixed point; when several fit the embedding
    almost equally well, the prior decides, as it does during self-training.
    On digits the lowest-inertia restart typically splits one digit in two and
    merges two others, a local optimum the self-training does not leave.
    Returns ``(labels, centers)``.
    """
    runs = []
    for _ in range(n_init):
        labels, centers, inertia = fit_kmeans(Z, K, n_init=1, random_state=random_state)
        f = np.bincount(labels, minlength=K) / len(labels)
        kl = float(np.sum(f[f > 0] * np.log(f[f > 0] * K)))
        runs.append((inertia, kl, labels, centers))
    best = min(r[0] for r in runs)
    near = [r for r in runs if r[0] <= best * (1.0 + inertia_tol)]
    _, _, labels, centers = min(near, key=lambda r: (r[1], r[0]))
    return labels, centers


def _infer(net, X, hidden_weight=None):
    """Clean soft assignments and embedding of every row (float64 numpy), through
    skorch's ``forward_iter`` in eval mode; with ``hidden_weight``, the
    assignments of the (eval-mode) head and each row's batch reconstruction
    loss instead of the embedding."""
    param = next(net.module_.parameters())
    Xt = as_device_tensor(X, net.device, param.dtype)
    P, second = [], []
    with torch.no_grad():
        for out in net.forward_iter(Xt, training=False, device=net.device):
            if hidden_weight is None:
                P.append(torch.softmax(out[1], 1))
                second.append(out[4])
            else:
                P.append(torch.softmax(out[0], 1))
                rec = reconstruction_loss(out[2], out[3], hidden_weight)
                second.append(rec.expand(len(out[0])))
    return (torch.cat(P).cpu().double().numpy(),
            torch.cat(second).cpu().double().numpy())


def _objective(net, X, target, hidden_weight, recon_weight):
    """DEPICT's objective on ``X`` for the network ``net`` (lower is better):
    ``(KL(Q||P), KL(f||u), reconstruction)``, with ``P`` the clean assignments,
    ``Q`` their targets, ``f`` the targets' cluster frequencies and ``u`` uniform."""
    P, rec = _infer(net, X, hidden_weight)
    P = np.clip(P, 1e-12, None)
    Q = compute_targets(torch.as_tensor(P), target).numpy()
    kl_qp = float(np.mean(np.sum(Q * (np.log(Q + 1e-12) - np.log(P)), axis=1)))
    f = Q.mean(0)
    kl_fu = float(np.sum(f * np.log(f * len(f) + 1e-12)))
    return kl_qp, kl_fu, recon_weight * float(rec.mean())


class DEPICT(ImageInputMixin, BaseDeepClusterer):
    """Deep clustering with a denoising autoencoder and relative entropy minimisation.

    DEPICT stacks a softmax clustering head on the embedding of an autoencoder
    and trains both jointly: a noisy (dropout) encoder feeds the decoder and the
    head, a clean encoder with the same weights gives the reconstruction targets
    and the soft assignments ``P``. Training alternates an E-step, setting
    auxiliary targets ``Q`` from ``P`` with a cluster-frequency prior, and an
    M-step minimising the cross-entropy of ``Q`` against the noisy assignments
    plus the layer-wise reconstruction loss. Images get the paper's
    convolutional autoencoder, tabular data an MLP.

    Training runs four phases, each stopped by a label-free rule:

    A. autoencoder pretraining, early-stopped on the reconstruction loss of a
       random held-out fraction, restoring the best weights;
    B. an initial clustering (k-means of the clean embedding or, for tabular
       data, of the scaled input rows; or spectral clustering of the
       embedding's k-nearest-neighbour graph); the head is initialised with
       the normalised embedding centroids of its clusters;
    C. head fitting on the phase-B pseudo-labels (plus reconstruction),
       stopped when the held-out NMI to the pseudo-labels stops improving;
    D. self-training with targets recomputed after every epoch (or every
       ``target_update_steps`` optimiser steps), stopped when the targets stop
       changing (``tol``) or, optionally, when fewer than ``label_change_tol``
       of the labels change.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters; also the embedding dimension, as in the paper.
    input_shape : tuple of int or None, default=None
        ``(C, H, W)`` or ``(H, W)`` of images passed flattened as ``X`` of
        ``C*H*W`` features. 3-D ``(n, H, W)`` and 4-D ``(n, C, H, W)`` arrays are
        also accepted and set the shape themselves.
    architecture : {"auto", "conv", "mlp"}, default="auto"
        ``"auto"`` uses the convolutional autoencoder for images at least 16
        pixels on their short side, the MLP otherwise (tabular data, tiny images
        such as 8x8 digits, which two stride-2 convolutions would shrink to 2x2).
    channels : tuple of int, default=(50, 50)
        Feature maps of the two convolutions.
    kernel_sizes, paddings : tuple of int or None, default=None
        Of the two convolutions; None derives them from ``input_shape`` with the
        paper's rule (conv2 output about 10x10; the published table for 28x28,
        16x16, 32x32 and 55x55 inputs).
    hidden_dims : tuple of int or None, default=None
        MLP encoder widths (the decoder mirrors them). None chooses from the
        number of features ``d``: ``(w, w, 4w)`` with ``w`` the power of two
        nearest ``2d`` clipped to [64, 500] (500-500-2000 for inputs of 250
        features or more, as DEC's autoencoder; 128-128-512 for the 64 pixels
        of digits).
    dropout : tuple of float or None, default=None
        Dropout of the noisy path on the input and after each hidden layer.
        None means ``(0.1, 0.1, 0.0)`` for the convolutional network (input,
        conv1, conv2) and 0.1 everywhere for the MLP.
    target : {"square", "sqrt"}, default="square"
        E-step rule: ``"square"`` (the reference code, which produced the
        published numbers: ``q ∝ p²/f``) or ``"sqrt"`` (the paper's closed form,
        ``q ∝ p/√f``), with ``f`` the soft cluster frequencies.
    recon_weight, cluster_weight : float, default=1.0
        Multipliers of the reconstruction and clustering losses.
    hidden_recon_weight : float, default=0.1
        Weight of each hidden layer's reconstruction term (the input's is 1).
    lr : float, default=1e-3
        Adam learning rate of the pretraining (phase A), and of the clustering
        phases when ``clustering_lr`` is None (a fresh optimiser per phase).
    clustering_lr : float or None, default=None
        Adam learning rate of phases C and D; None uses ``lr``. The targets stay
        fixed for a whole epoch, so with many mini-batches per epoch a lower
        rate (the paper's 1e-4) moves less towards stale targets; the user
        guide reports what each rate gave on digits and Fashion-MNIST.
    batch_size : int, default=256
        Mini-batch size of every phase (the paper used 100).
    pretrain_max_epochs : int or "auto", default="auto"
        Cap of phase A epochs. ``"auto"`` allows 2,000 optimiser steps (see
        ``max_epochs``).
    pretrain_patience : int, default=10
        Phase A stops after this many epochs without a relative improvement of
        ``pretrain_tol`` of the held-out reconstruction loss.
    pretrain_tol : float, default=1e-3
    init_phase : bool, default=True
        Run phase C.
    init_max_epochs : int or "auto", default="auto"
        Cap of phase C epochs; ``"auto"`` allows 100 optimiser steps.
    init_patience : int, default=5
    max_epochs : int or "auto", default="auto"
        Cap of phase D epochs; ``"auto"`` allows 200 optimiser steps. The
        ``"auto"`` caps count mini-batches, not passes over the data, so the
        training budget does not grow with the number of rows: an epoch of
        70,000 images is 274 steps at batch 256, one of a 150-row table a
        single step. On data where self-training drifts away from a good
        initial clustering (Fashion-MNIST) a longer phase D costs accuracy;
        the user guide gives the measurements behind these budgets.
    target_update_steps : int, default=1
        Phase D recomputes the targets ``Q`` at the end of an epoch once at
        least this many optimiser steps have run since the last update; 1
        recomputes them after every epoch, as the reference does (whose epochs
        had 25 or more mini-batches on every data set). On a table of a few
        hundred rows an epoch is one step; larger values make the targets wait
        for the network there (the user guide reports what 25 did on tables).
    tol : float, default=1e-6
        Phase D stops when the mean squared change of ``Q`` between two
        updates falls below ``tol``.
    label_change_tol : float or None, default=0.001
        Phase D also stops when fewer than this fraction of the labels change
        between two target updates (None disables it).
    validation_fraction : float, default=0.1
        Random (never label-stratified) held-out fraction of phases A and C.
    init : {"auto", "kmeans", "kmeans_balanced", "input_kmeans", \
            "input_kmeans_balanced", "spectral"}, default="auto"
        Phase B's initial clustering. ``"kmeans"`` is the paper's k-means of
        the clean embedding (the restart of lowest inertia).
        ``"kmeans_balanced"`` runs the same ``kmeans_n_init`` restarts and, of
        those within 5% of the lowest inertia, keeps the one whose cluster
        sizes are closest to the uniform prior of DEPICT's objective (smallest
        ``KL(f||u)``); on digits the lowest-inertia restart often splits one
        digit and merges two others, a start that self-training does not leave
        (the user guide gives the measurements). ``"input_kmeans"`` and
        ``"input_kmeans_balanced"`` apply the same two rules to the scaled
        input rows instead of the embedding (the head then starts from the
        embedding centroids of that partition): on tables of a few features
        the ``n_clusters``-dimensional embedding of a freshly pretrained
        autoencoder loses structure that the input shows. ``"spectral"``
        clusters the embedding's symmetric k-nearest-neighbour graph
        (normalised spectral embedding, labels by column-pivoted QR; LOBPCG on
        the device): a scalable stand-in for the graph-based AC-PIC the
        reference code used on some data sets, it follows curved cluster
        shapes that k-means cuts. ``"auto"`` uses spectral for the
        convolutional network (images) and ``"input_kmeans_balanced"`` for the
        MLP (tabular data, where duplicated rows make detached graph
        components that spectral clustering turns into clusters). The user
        guide gives the measurements behind the choice.
    n_neighbors : int, default=10
        Neighbours per sample in the ``"spectral"`` graph. A value of at least
        ``n_samples`` is reduced to ``n_samples - 1``, with a
        :class:`UserWarning`.
    kmeans_n_init : int, default=40
        Restarts of the phase B k-means.
    fallback : {"start"} or None, default=None
        ``"start"`` evaluates DEPICT's objective (KL(Q||P) + KL(f||u) +
        reconstruction, as :meth:`score`) on the training data with the
        network at the start of phase D and after it, and keeps the start's
        network (``partition_ = "start"``) when self-training raised it. None
        always keeps the self-trained network. On the tables of the user
        guide self-training raised the objective on almost every fit, also
        where it improved the partition, so the rule mostly undoes phase D;
        not the default.
    input_scaling : {"auto", "minmax", "feature_minmax"} or None, default="auto"
        Map inputs into the tanh range [-1, 1]: ``"minmax"`` with the global
        minimum and maximum (images), ``"feature_minmax"`` per feature (tabular
        data), ``"auto"`` picks by the architecture, None if already scaled.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the network.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling, splits and k-means.
    verbose : int, default=0
        0 is silent; 1 shows one progress bar per training phase (epochs and
        loss) and one line per other step; 2 also prints skorch's per-epoch
        tables.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (argmax of the clean softmax). When
        it holds fewer than ``n_clusters`` distinct clusters (constant X,
        fewer distinct rows than clusters), fit issues one
        :class:`~sklearn.exceptions.ConvergenceWarning` saying so.
    cluster_centers_ : ndarray of shape (n_clusters, n_clusters)
        Mean clean embedding of each cluster.
    init_labels_ : ndarray of shape (n_samples,)
        The phase-B initial clustering.
    init_ : str
        The phase-B method used (``init`` with ``"auto"`` resolved).
    objectives_ : dict
        DEPICT's objective on the training data as ``(KL(Q||P), KL(f||u),
        reconstruction)`` (lower is better) at the start of phase D
        (``"start"``) and after it (``"self_trained"``).
    partition_ : str
        ``"self_trained"``, or ``"start"`` when ``fallback`` restored the
        network of the start of phase D.
    net_ : skorch.NeuralNet
        The trained network of the last phase (its ``module_`` is the DEPICT
        network).
    history_ : list of dict
        One record per epoch: ``"stage"`` (``"pretrain"``, ``"init"`` for
        phase C, ``"self_training"``), ``"epoch"`` (from 1 within its stage)
        and what skorch measured (``"train_loss"``, ``"valid_loss"``,
        ``"valid_nmi"``, ``"q_change"``, ``"label_change"``, ``"dur"``).
    stop_reasons_ : dict
        For each phase run, ``"tol"`` (its label-free rule) or ``"max_epochs"``.
    n_iter_ : int
        Epochs run over all phases.
    fit_seconds_ : float
        Duration of the fit.
    input_shape_ : tuple or None
        Image shape used, None for the MLP variant.
    scale_min_, scale_max_ : ndarray
        Scaling constants learned in fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    sklearn.cluster.KMeans : The shallow baseline.

    References
    ----------
    K. Ghasedi Dizaji, A. Herandi, C. Deng, W. Cai, H. Huang, "Deep Clustering
    via Joint Convolutional Autoencoder Embedding and Relative Entropy
    Minimization", ICCV 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DEPICT
    >>> X, _ = make_blobs(n_samples=200, centers=3, n_features=5, random_state=0)
    >>> model = DEPICT(n_clusters=3, random_state=0, pretrain_max_epochs=20,
    ...                max_epochs=20).fit(X)
    >>> model.labels_.shape
    (200,)
    >>> model.transform(X[:2]).shape
    (2, 3)
    """


    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "input_shape": [tuple, list, None],
        "architecture": [StrOptions({"auto", "conv", "mlp"})],
        "channels": [tuple, list],
        "kernel_sizes": [tuple, list, None],
        "paddings": [tuple, list, None],
        "hidden_dims": [tuple, list, None],
        "dropout": [tuple, list, None],
        "target": [StrOptions({"square", "sqrt"})],
        "recon_weight": _NONNEG,
        "cluster_weight": _NONNEG,
        "hidden_recon_weight": _NONNEG,
        "lr": _POS,
        "clustering_lr": [*_POS, None],
        "batch_size": _POS_INT,
        "pretrain_max_epochs": _AUTO_INT,
        "pretrain_patience": _POS_INT,
        "pretrain_tol": _NONNEG,
        "init_phase": ["boolean"],
        "init_max_epochs": _AUTO_INT,
        "init_patience": _POS_INT,
        "max_epochs": _AUTO_INT,
        "target_update_steps": _POS_INT,
        "tol": _NONNEG,
        "label_change_tol": [Interval(Real, 0, 1, closed="both"), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "init": [StrOptions({"auto", "kmeans", "kmeans_balanced", "input_kmeans",
                              "input_kmeans_balanced", "spectral"})],
        "fallback": [StrOptions({"start"}), None],
        "n_neighbors": _POS_INT,
        "kmeans_n_init": _POS_INT,
        "input_scaling": [StrOptions({"auto", "minmax", "feature_minmax"}), None],
        "dtype": [StrOptions({"float32", "float64"})],
    }
    _private_rng = True
    _seed_names = ("module", "pretrain", "pretrain_split", "init", "init_split",
                   "self_training", "unused_1", "unused_2")

    def __init__(self, n_clusters=8, *, input_shape=None, architecture="auto",
                 channels=(50, 50), kernel_sizes=None, paddings=None,
                 hidden_dims=None, dropout=None, target="square",
                 recon_weight=1.0, cluster_weight=1.0, hidden_recon_weight=0.1,
                 lr=1e-3, clustering_lr=None, batch_size=256, pretrain_max_epochs="auto",
                 pretrain_patience=10, pretrain_tol=1e-3, init_phase=True,
                 init_max_epochs="auto", init_patience=5, max_epochs="auto",
                 target_update_steps=1, tol=1e-6,
                 label_change_tol=0.001, validation_fraction=0.1,
                 init="auto", n_neighbors=10,
                 kmeans_n_init=40, fallback=None, input_scaling="auto", dtype="float32",
                 device="cpu", random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.input_shape = input_shape
        self.architecture = architecture
        self.channels = channels
        self.kernel_sizes = kernel_sizes
        self.paddings = paddings
        self.hidden_dims = hidden_dims
        self.dropout = dropout
        self.target = target
        self.recon_weight = recon_weight
        self.cluster_weight = cluster_weight
        self.hidden_recon_weight = hidden_recon_weight
        self.lr = lr
        self.clustering_lr = clustering_lr
        self.batch_size = batch_size
        self.pretrain_max_epochs = pretrain_max_epochs
        self.pretrain_patience = pretrain_patience
        self.pretrain_tol = pretrain_tol
        self.init_phase = init_phase
        self.init_max_epochs = init_max_epochs
        self.init_patience = init_patience
        self.max_epochs = max_epochs
        self.target_update_steps = target_update_steps
        self.tol = tol
        self.label_change_tol = label_change_tol
        self.validation_fraction = validation_fraction
        self.init = init
        self.n_neighbors = n_neighbors
        self.kmeans_n_init = kmeans_n_init
        self.fallback = fallback
        self.input_scaling = input_scaling
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ utils
    def _scale(self, X):
        Xs = (X - self.scale_min_) / self.scale_range_ * 2.0 - 1.0
        return Xs.astype(self._np_dtype, copy=False)

    @property
    def _np_dtype(self):
        return np.float32 if self.dtype == "float32" else np.float64

    @property
    def _torch_dtype(self):
        return torch.float32 if self.dtype == "float32" else torch.float64

    def _auto_hidden(self, d):
        w = int(2 ** np.round(np.log2(max(2 * d, 1))))
        w = int(np.clip(w, 64, 500))
        return (w, w, 4 * w)

    def _loss_params(self, cluster=True):
        params = dict(criterion__recon_weight=self.recon_weight,
                      criterion__hidden_weight=self.hidden_recon_weight)
        if cluster:
            params["criterion__cluster_weight"] = self.cluster_weight
        return params

    def _net(self, stage, module, criterion, seed, lr, max_epochs, callbacks=(),
             **kwargs):
        verbose, progress = self._net_verbosity(stage, max_epochs)
        if torch.device(self._device).type in ("cpu", "cuda"):
            # one fused kernel per Adam step: on the 2-core CPU ~2 ms of a
            # ~28 ms step of digits' network (the looped update took ~2.9 ms)
            kwargs.setdefault("optimizer__fused", True)
        return make_net(module, criterion, device=self._device, seed=seed, lr=lr,
                        max_epochs=max_epochs, batch_size=self.batch_size,
                        callbacks=progress + list(callbacks), verbose=verbose,
                        **kwargs)

    # -------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit DEPICT (phases A-D) on ``X``; ``y`` is ignored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data; images flattened with ``input_shape`` set, or as
            ``(n, H, W)`` / ``(n, C, H, W)`` arrays.
        y : Ignored

        Returns
        -------
        self : DEPICT
        """
        X, shape = self._flatten_images(X)
        X, K, device, seeds = setup = self._fit_setup(X)
        rs = setup.rng
        self._device = device
        n, d = X.shape
        shape = check_input_shape(shape, d)
        conv = (self.architecture == "conv"
                or (self.architecture == "auto" and shape is not None
                    and min(shape[1:]) >= 16))
        if self.architecture == "conv" and shape is None:
            raise ValueError("architecture='conv' needs input_shape=(C, H, W).")
        self.input_shape_ = shape if conv else None

        # scaling into the tanh range, constants learned here
        scaling = self.input_scaling
        if scaling == "auto":
            scaling = "minmax" if shape is not None else "feature_minmax"
        if scaling == "minmax":
            lo, hi = np.full(d, X.min()), np.full(d, X.max())
        elif scaling == "feature_minmax":
            lo, hi = X.min(0), X.max(0)
        else:
            lo, hi = np.full(d, -1.0), np.full(d, 1.0)
        span = hi - lo
        self.scale_min_ = lo.astype(np.float64)
        self.scale_range_ = np.where(span > 0, span, 1.0).astype(np.float64)
        self.scale_max_ = self.scale_min_ + self.scale_range_
        Xs = self._scale(X)

        hidden = self.hidden_dims if self.hidden_dims is not None else self._auto_hidden(d)
        dropout = self.dropout
        if dropout is None:
            dropout = (0.1, 0.1, 0.0) if conv else (0.1,) * (len(hidden) + 1)
        clustering_lr = self.lr if self.clustering_lr is None else self.clustering_lr
        # the widest activation of a mini-batch decides whether CPU threads help
        width = (max(c * h * w for c, h, w in conv_shapes(
            self.input_shape_, tuple(self.channels), self.kernel_sizes,
            self.paddings)[2]) if conv else max(hidden))
        bs = self.batch_size
        n_train = max(1, n - int(round(self.validation_fraction * n)))
        caps = {"pretrain": _auto_epochs(self.pretrain_max_epochs, "pretrain", n_train, bs),
                "init": _auto_epochs(self.init_max_epochs, "init", n_train, bs),
                "self_training": _auto_epochs(self.max_epochs, "self_training", n, bs)}
        threads = cpu_threads(device, bs * width)
        # small workloads: one thread for torch and for the BLAS/OpenMP pools of
        # scikit-learn's k-means too (on a busy 2-core machine two spinning
        # OpenMP threads made phase B's k-means ~100x slower)
        pools = threadpool_limits(1) if threads.active else contextlib.nullcontext()
        with seeded(seeds["module"], device), threads, pools:
            module = DEPICTModule(
                d, K, input_shape=self.input_shape_, channels=tuple(self.channels),
                kernel_sizes=self.kernel_sizes, paddings=self.paddings,
                hidden_dims=tuple(hidden), dropout=tuple(dropout),
            ).to(device=device, dtype=self._torch_dtype)
            Xt = as_device_tensor(Xs, device, self._torch_dtype)

            # ---- A: pretraining
            self._log("phase A: autoencoder pretraining")
            net = self._net(
                "pretrain", module, ReconstructionLoss, seeds["pretrain"], self.lr,
                caps["pretrain"],
                callbacks=[("stop", early_stopping(self.pretrain_patience,
                                                   threshold=self.pretrain_tol))],
                train_split=RandomHoldout(self.validation_fraction,
                                          seeds["pretrain_split"]),
                **self._loss_params(cluster=False))
            net.fit(Xt, None)
            self._record_net("pretrain", net, self._stop_reason(net, caps["pretrain"]))

            # ---- B: initial clustering, head from centroids; C: head fitting
            Z = _infer(net, Xt)[1]
            init = self.init
            if init == "auto":
                init = "spectral" if conv else "input_kmeans_balanced"
            self.init_ = init
            labels, centers = self._initial_clustering(init, Z, Xs, K, n, device, rs)
            self.init_labels_ = labels
            net = self._fit_head(module, net, Xt, labels, centers, seeds, clustering_lr,
                                 caps, device)

            # ---- D: self-training with per-epoch targets
            self.objectives_ = {"start": _objective(
                net, Xt, self.target, self.hidden_recon_weight, self.recon_weight)}
            start_state = (copy.deepcopy(module.state_dict())
                           if self.fallback == "start" else None)
            self._log("phase D: self-training")
            P = torch.as_tensor(_infer(net, Xt)[0], dtype=self._torch_dtype,
                                device=device)
            every = max(1, -(-self.target_update_steps // -(-n // bs)))
            targets = TargetUpdate(P, self.target, self.tol, self.label_change_tol,
                                   every=every)
            net = self._net("self_training", module, SelfTrainingLoss,
                            seeds["self_training"], clustering_lr, caps["self_training"],
                            callbacks=[("targets", targets)], train_split=None,
                            **self._loss_params())
            net.fit(Xt, None)
            self._record_net("self_training", net,
                             "tol" if targets.stopped_by_tol_ else "max_epochs")
            net.module_.eval()
            self.objectives_["self_trained"] = _objective(
                net, Xt, self.target, self.hidden_recon_weight, self.recon_weight)
            self.partition_ = "self_trained"
            if (start_state is not None and sum(self.objectives_["self_trained"])
                    > sum(self.objectives_["start"])):
                module.load_state_dict(start_state)
                net.module_.eval()
                self.partition_ = "start"
                self._log("self-training raised the objective: keeping the start")
            self.net_ = net
        del self._device

        proba, Z = self._forward(Xs)
        self.labels_ = proba.argmax(1).astype(np.int64)
        n_found = len(np.unique(self.labels_))
        if n_found < K:
            n_rows = len(np.unique(X, axis=0))
            why = (f"X has only {n_rows} distinct row{'s' if n_rows > 1 else ''}"
                   if n_rows < K else
                   "the data support fewer clusters (duplicate or too few rows, or "
                   "the cluster-frequency prior merged them)")
            warnings.warn(
                f"Number of distinct clusters ({n_found}) found smaller than "
                f"n_clusters ({K}): {why}. Lower n_clusters, or pass more data.",
                ConvergenceWarning, stacklevel=3)
        self.cluster_centers_ = cluster_means(Z, self.labels_, K)
        self._n_features_out = K
        self._finish_diagnostics()
        self._log(f"done in {self.fit_seconds_:.1f} s ({self.n_iter_} epochs).")
        return self

    def _initial_clustering(self, kind, Z, Xs, K, n, device, rs):
        """Phase B: labels of the initial clustering ``kind`` and the centroids of
        its clusters in the embedding ``Z``."""
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # too few distinct points for K clusters: scikit-learn's KMeans would
            # warn once per restart; fit() reports it once, at its end
            warnings.filterwarnings("ignore", message="Number of distinct clusters",
                                    category=ConvergenceWarning)
            labels, centers = self._initial_labels(kind, Z, Xs, K, n, device, rs)
        self._log(f"phase B: {kind} initial clustering "
                  f"({time.perf_counter() - t0:.1f} s)")
        return labels, centers

    def _initial_labels(self, kind, Z, Xs, K, n, device, rs):
        """The work of :meth:`_initial_clustering`, without its warning filter."""
        if kind == "spectral":
            k = clip_n_neighbors(self.n_neighbors, n, owner="DEPICT", stacklevel=6)
            labels = knn_spectral_clustering(Z, K, k, device=device, random_state=rs)
            centers = cluster_means(Z, labels, K)
        elif kind == "kmeans_balanced":
            labels, centers = _balanced_kmeans(Z, K, self.kmeans_n_init, rs)
        elif kind == "kmeans":
            labels, centers, _ = fit_kmeans(Z, K, n_init=self.kmeans_n_init,
                                            random_state=rs)
        else:  # k-means of the scaled input rows, centroids in the embedding
            X64 = Xs.astype(np.float64)
            if kind == "input_kmeans_balanced":
                labels, _ = _balanced_kmeans(X64, K, self.kmeans_n_init, rs)
            else:
                labels, _, _ = fit_kmeans(X64, K, n_init=self.kmeans_n_init,
                                          random_state=rs)
            centers = cluster_means(Z, labels, K)
        return labels, centers

    def _fit_head(self, module, net, Xt, labels, centers, seeds, clustering_lr, caps,
                  device):
        """Head from the normalised embedding centroids ``centers``, then phase C
        on ``labels``. Returns the net holding ``module``."""
        with torch.no_grad():
            norms = np.linalg.norm(centers, axis=1, keepdims=True)
            w = centers / np.where(norms > 0, norms, 1.0)
            module.head.weight.copy_(torch.as_tensor(w, dtype=self._torch_dtype))
            module.head.bias.zero_()
        if not self.init_phase:
            return net
        self._log("phase C: head fitting on the phase-B pseudo-labels")
        net = self._net(
            "init", module, PseudoLabelLoss, seeds["init"], clustering_lr,
            caps["init"],
            callbacks=[("nmi", ValidNMI()),
                       ("stop", early_stopping(
                           self.init_patience, monitor="valid_nmi",
                           threshold=0.0, lower_is_better=False))],
            train_split=RandomHoldout(self.validation_fraction, seeds["init_split"]),
            **self._loss_params())
        net.fit(Xt, torch.as_tensor(labels, device=device))
        self._record_net("init", net, self._stop_reason(net, caps["init"]))
        return net

    @staticmethod
    def _stop_reason(net, max_epochs):
        return "max_epochs" if len(net.history) >= max_epochs else "tol"

    # -------------------------------------------------------------- inference
    def _forward(self, Xs):
        return _infer(self.net_, Xs)

    def _prepare(self, X):
        check_is_fitted(self)
        X, _ = self._flatten_images(X)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return X, self._scale(X)

    def predict_proba(self, X):
        """Soft cluster assignments (the clean softmax ``P``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
        """
        X, Xs = self._prepare(X)
        return self._forward(Xs)[0].astype(X.dtype, copy=False)

    def predict(self, X):
        """Cluster of each sample (argmax of the clean softmax), inductively.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        _, Xs = self._prepare(X)
        return self._forward(Xs)[0].argmax(1).astype(np.int64)

    def transform(self, X):
        """Clean embedding of ``X`` (dimension ``n_clusters``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_clusters)
        """
        X, Xs = self._prepare(X)
        return self._forward(Xs)[1].astype(X.dtype, copy=False)

    def score(self, X, y=None):
        """Minus the DEPICT objective on ``X`` (higher is better).

        The objective is KL(Q||P) + KL(f||u) + the layer-wise reconstruction
        loss of the clean path, with ``Q`` the targets computed from ``X``'s
        own clean assignments ``P``, ``f`` the cluster frequencies and ``u``
        uniform. It compares models with the same ``n_clusters`` (e.g. other
        learning rates); it is a training objective, so do not compare it
        across ``n_clusters`` (use a fixed-space scorer from
        :mod:`skdeepcluster.metrics` for that).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        score : float
        """
        X, Xs = self._prepare(X)
        return -sum(_objective(self.net_, Xs, self.target, self.hidden_recon_weight,
                               self.recon_weight))
