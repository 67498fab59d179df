"""The SP2OT estimator."""

import math
import time
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import LambdaLR

from ..base import BaseDeepClusterer, ImageInputMixin
from ..utils import (
    as_device_tensor,
    check_input_shape,
    cluster_means,
    cpu_threads,
    fit_kmeans,
    make_net,
    seeded,
)
from ..utils._validation import clip_n_neighbors
from ._augment import DropoutViews, ImageViews, ScarfViews
from ._callbacks import TransportSchedule, cosine_after_ramp
from ._losses import ContrastiveLoss, PseudoLabelLoss
from ._module import _ARCH_ALIASES, SP2OTModule, conv_plan
from ._transport import partial_ot_pseudo_labels

__all__ = ["SP2OT"]

_POS_INT = [Interval(Integral, 1, None, closed="left")]
_NONNEG_INT = [Interval(Integral, 0, None, closed="left")]
_NONNEG = [Interval(Real, 0, None, closed="left")]
_POS = [Interval(Real, 0, None, closed="neither")]
_UNIT = [Interval(Real, 0, 1, closed="both")]

#: rows with at least this many features are treated as embeddings by views="auto"
EMBEDDING_MIN_FEATURES = 128
#: at most this many training rows are kept for SCARF's feature marginals
_BANK_SIZE = 2048


#: inference pads its input to a multiple of this many rows
_PAD_ROWS = 32


def _infer(net, X):
    """Clean soft assignments and projections of every row (float64 numpy),
    through skorch's ``forward_iter`` in eval mode.

    The rows are padded (with zeros) to a multiple of ``_PAD_ROWS``: matrix
    products take other kernels for a handful of rows than for many, which
    would make a row's float32 output depend on how many rows came with it.
    """
    param = next(net.module_.parameters())
    Xt = as_device_tensor(X, net.device, param.dtype)
    n = len(Xt)
    pad = (-n) % _PAD_ROWS
    if pad:
        Xt = torch.cat([Xt, Xt.new_zeros((pad,) + tuple(Xt.shape[1:]))])
    P, Z = [], []
    with torch.no_grad():
        for logits, z in net.forward_iter(Xt, training=False, device=net.device):
            P.append(torch.softmax(logits.double(), 1))
            Z.append(z)
    return (torch.cat(P)[:n].cpu().numpy(), torch.cat(Z)[:n].cpu().double().numpy())


class SP2OT(ImageInputMixin, BaseDeepClusterer):
    """Deep clustering by optimal-transport pseudo-labels, for clusters of any size.

    A network (a small residual CNN for images, an MLP for tables and
    embeddings) maps two random views of each sample to a unit-norm projection
    ``z`` and a K-way cosine clustering head. Its predictions are turned into
    pseudo-labels by solving an optimal-transport problem over the batch and
    a memory of recent predictions, and each view is trained to predict the
    pseudo-labels of the other view.

    One class covers the family:

    * ``transport="progressive"`` (default, **P2OT**): progressive partial
      transport. Only a fraction ``rho`` of the mass is transported (the
      samples the model is most sure of get labels first; the rest go to a
      virtual cluster), ``rho`` ramps from ``rho0`` to 1, and the cluster
      sizes are only pulled towards uniform by a KL penalty of weight ``lam``,
      so clusters of very different sizes survive.
    * ``semantic_weight > 0`` (**SP2OT**; the default for tables and
      embeddings): neighbours in the input (rows) or projection (images)
      space should get similar pseudo-labels; the regulariser is handled by
      majorisation-minimisation (a modified transport cost, a few rounds).
    * ``transport="balanced"`` (**SwAV**'s codes): all the mass, exactly equal
      cluster sizes.

    Training runs two stages: a contrastive warm-up of the network (SimCLR's
    NT-Xent between the two views), then the clustering stage (the pseudo-label
    loss plus ``contrastive_weight`` times NT-Xent). Between them the
    clustering head starts from k-means (``head_init``). A cluster that loses
    all its samples gets a new prototype; the clustering stage stops, once
    ``rho`` is 1, when fewer than ``tol`` of the clean labels change in an
    epoch. On rows the learning rate then decays to 0 by ``max_epochs``
    (``lr_schedule``), so the partition settles.

    Parameters
    ----------
    n_clusters : int, default=8
    transport : {"progressive", "balanced"}, default="progressive"
        Progressive partial transport with KL-relaxed cluster sizes (P2OT), or
        balanced transport with equal cluster sizes and all mass (SwAV).
    rho0 : float in (0, 1], default=0.1
        Transported mass at the start of the ramp (``"progressive"``).
    ramp_epochs : int or None, default=None
        Epochs of the clustering stage over which ``rho`` ramps to 1 with
        P2OT's sigmoid-shaped schedule ``rho0 + (1 - rho0) exp(-5 (1 - t)^2)``;
        None means half of ``max_epochs``.
    lam : float, default=0.3
        Weight of the KL penalty pulling the cluster masses towards uniform
        (``"progressive"``); larger is closer to equal sizes. At 1 it already
        cut a 300-row blob to feed a 15-row one, like balanced transport;
        0.1 kept long-tailed digits best but let a dominant cluster swallow
        others on weakly structured tables (user guide).
    epsilon : float, default=0.5
        Entropic regularisation of the transport, on the cost ``-log P``
        (with ``temperature=0.1`` this is SwAV's 0.05 on cosine scores).
    semantic_weight : float or "auto", default="auto"
        Weight of SP2OT's semantic regulariser (0 turns it off, P2OT).
        ``"auto"``: 2 where the neighbour graph is built on the input rows
        (tables and embeddings, ``semantic_space="auto"``); 0 for images,
        where neighbours of raw pixels are not semantic. The user guide gives
        the measurements behind the choice.
    n_neighbors : int, default=20
        Neighbours (cosine similarity, within the batch and memory) of the
        semantic regulariser's graph. A value of at least the rows a graph
        spans (``n_samples``, or ``batch_size + memory_size`` when smaller) is
        reduced to that number minus one, with a :class:`UserWarning`.
    semantic_space : {"auto", "projection", "input"}, default="auto"
        Space of that graph: the network's projections, or the scaled input
        rows. ``"auto"``: projections for images, the input for rows (tables
        and embeddings are features already).
    semantic_iter : int, default=2
        Majorisation-minimisation rounds of the semantic regulariser.
    transport_iter : int, default=50
        Maximum scaling iterations per transport solve (they stop earlier at
        a relative change of 1e-4).
    memory_size : int, default=4096
        Rows of recent predictions solved together with each batch.
    architecture : {"auto", "conv", "mlp"}, default="auto"
        ``"conv"``: a residual CNN (images only); ``"mlp"``: a multilayer
        perceptron. ``"auto"``: the residual CNN for images at least 16
        pixels on their short side, the MLP otherwise (tables, embeddings,
        tiny images such as 8x8 digits, which still get image views).
        ``"cnn"`` is accepted as an alias of ``"conv"`` (SP2OT's earlier
        spelling, kept so existing code and pickles keep working; DEPICT
        names its convolutional path ``"conv"`` too).
    input_shape : tuple of int or None, default=None
        ``(C, H, W)`` or ``(H, W)`` of images passed as flat rows. 3-D
        ``(n, H, W)`` and 4-D ``(n, C, H, W)`` arrays set it themselves.
    views : {"auto", "image", "scarf", "dropout"}, default="auto"
        How the two random views are made (see the user guide): ``"image"``
        crops, rotations, jitter, erasing and noise; ``"scarf"`` replaces a
        fraction ``corruption`` of each row's features with draws from their
        marginals (tables); ``"dropout"`` zeroes that fraction (embeddings).
        ``"auto"``: images get ``"image"``, rows with at least 128 features
        ``"dropout"``, other rows ``"scarf"``.
    hflip : bool, default=False
        Image views flip left-right (clothes, natural scenes; not digits).
    crop_scale : tuple of float, default=(0.7, 1.0)
        Area fraction range of the image views' random crops.
    corruption : float in [0, 1], default=0.3
        Fraction of features replaced (``"scarf"``) or dropped (``"dropout"``).
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to every view (image
        intensities in [0, 1], standardised features for rows).
    channels : tuple of int, default=(32, 64, 128)
        Widths of the CNN's residual stages (one block each).
    hidden_dims : tuple of int or None, default=None
        MLP widths; None uses two layers of ``w`` units, ``w`` the power of
        two nearest ``4 * n_features`` clipped to [128, 512].
    embedding_dim : int, default=64
        Dimension of the projection ``z`` (what ``transform`` returns).
    temperature : float, default=0.1
        Temperature of the cosine clustering head.
    contrastive_weight : float, default=1.0
        Weight of NT-Xent during the clustering stage (0 drops it).
    contrastive_temperature : float, default=0.2
    warmup_epochs : int, default=20
        Epochs of the contrastive warm-up (0 skips it).
    head_init : {"auto", "embedding", "input", "random"}, default="auto"
        Start of the clustering head: k-means on the warmed-up projections
        (``"embedding"``) or on the scaled input (``"input"``), the
        prototypes being the normalised mean projection of each k-means
        cluster; or random prototypes. ``"auto"``: the projections for
        images, the input for rows.
    max_epochs : int, default=40
        Cap of the clustering stage's epochs.
    tol : float, default=0.001
        The clustering stage stops (after the ramp) when fewer than this
        fraction of the clean labels change in an epoch.
    lr : float, default=1e-3
        Adam learning rate.
    lr_schedule : {"auto", "constant", "cosine"}, default="auto"
        Learning rate of the clustering stage: ``"constant"``, or
        ``"cosine"``: ``lr`` until the end of the ramp, then a half cosine
        down to 0 at ``max_epochs``, so the partition settles instead of
        wandering with the last updates. ``"auto"``: ``"cosine"`` for rows
        (tables and embeddings), ``"constant"`` for images (see the user
        guide).
    weight_decay : float, default=1e-5
    batch_size : int, default=512
        Mini-batch size of both stages (NT-Xent's negatives are the batch:
        512 gave better warm-ups than 256 on digits).
    input_scaling : {"auto", "minmax", "standard"} or None, default="auto"
        ``"minmax"`` maps images to [0, 1] with the global minimum and maximum,
        ``"standard"`` standardises each feature; ``"auto"`` picks by the
        input kind; None uses the data as they are.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the views, the shuffling and k-means.
    verbose : int, default=0
        0 silent; 1 one progress bar per stage; 2 also skorch's tables.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (argmax of the clean prediction).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        The unit-norm prototypes of the clustering head, in the space of
        ``transform``.
    init_labels_ : ndarray of shape (n_samples,) or None
        The k-means labels that started the head (None with random init).
    head_init_, semantic_space_ : str
        What ``"auto"`` resolved to.
    semantic_weight_ : float
        What ``semantic_weight="auto"`` resolved to.
    lr_schedule_ : str
        What ``lr_schedule="auto"`` resolved to.
    net_ : skorch.NeuralNet
        The trained network of the clustering stage.
    architecture_, views_ : str
        What ``"auto"`` resolved to (``architecture_`` is ``"conv"`` or
        ``"mlp"``; the alias ``"cnn"`` is reported as ``"conv"``).
    input_shape_ : tuple or None
        Image shape used, None for rows.
    history_ : list of dict
        One record per epoch: ``"stage"`` (``"warmup"``, ``"clustering"``),
        ``"epoch"``, ``"train_loss"``, ``"dur"`` and, in the clustering stage,
        ``"rho"``, ``"reseeded"`` (clusters without any sample given a new
        prototype) and ``"label_change"`` (once ``rho`` is 1).
    stop_reasons_ : dict
        ``"max_epochs"`` or ``"tol"`` for each stage run.
    n_iter_ : int
    fit_seconds_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    skdeepcluster.sp2ot.partial_ot_pseudo_labels : The pseudo-label solver.
    DEPICT : Autoencoder-based deep clustering with balanced soft targets.

    References
    ----------
    C. Zhang, H. Ren, X. He, "P2OT: Progressive Partial Optimal Transport for
    Deep Imbalanced Clustering", ICLR 2024.
    C. Zhang, H. Ren, X. He, "SP2OT: Semantic-Regularized Progressive Partial
    Optimal Transport for Imbalanced Clustering", arXiv 2404.03446.
    M. Caron et al., "Unsupervised Learning of Visual Features by Contrasting
    Cluster Assignments" (SwAV), NeurIPS 2020.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import SP2OT
    >>> X, _ = make_blobs(n_samples=200, centers=3, n_features=5, random_state=0)
    >>> model = SP2OT(n_clusters=3, random_state=0, warmup_epochs=3,
    ...               max_epochs=6).fit(X)
    >>> model.labels_.shape
    (200,)
    >>> model.predict_proba(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "transport": [StrOptions({"progressive", "balanced"})],
        "rho0": [Interval(Real, 0, 1, closed="right")],
        "ramp_epochs": [*_NONNEG_INT, None],
        "lam": _POS,
        "epsilon": _POS,
        "semantic_weight": [*_NONNEG, StrOptions({"auto"})],
        "n_neighbors": _POS_INT,
        "semantic_space": [StrOptions({"auto", "projection", "input"})],
        "semantic_iter": _NONNEG_INT,
        "transport_iter": _POS_INT,
        "memory_size": _NONNEG_INT,
        # "cnn": alias of "conv" (SP2OT's earlier spelling), accepted, not listed
        "architecture": [StrOptions({"auto", "conv", "mlp"}), Hidden(StrOptions({"cnn"}))],
        "input_shape": [tuple, list, None],
        "views": [StrOptions({"auto", "image", "scarf", "dropout"})],
        "hflip": ["boolean"],
        "crop_scale": [tuple, list],
        "corruption": _UNIT,
        "noise": _NONNEG,
        "channels": [tuple, list],
        "hidden_dims": [tuple, list, None],
        "embedding_dim": _POS_INT,
        "temperature": _POS,
        "contrastive_weight": _NONNEG,
        "contrastive_temperature": _POS,
        "warmup_epochs": _NONNEG_INT,
        "head_init": [StrOptions({"auto", "embedding", "input", "random"})],
        "max_epochs": _POS_INT,
        "tol": _UNIT,
        "lr": _POS,
        "lr_schedule": [StrOptions({"auto", "constant", "cosine"})],
        "weight_decay": _NONNEG,
        "batch_size": _POS_INT,
        "input_scaling": [StrOptions({"auto", "minmax", "standard"}), None],
    }
    _private_rng = True
    _seed_names = ("module", "warmup", "head", "clustering")

    def __init__(self, n_clusters=8, *, transport="progressive", rho0=0.1,
                 ramp_epochs=None, lam=0.3, epsilon=0.5, semantic_weight="auto",
                 n_neighbors=20, semantic_space="auto", semantic_iter=2,
                 transport_iter=50, memory_size=4096,
                 architecture="auto", input_shape=None, views="auto", hflip=False,
                 crop_scale=(0.7, 1.0), corruption=0.3, noise=0.05,
                 channels=(32, 64, 128), hidden_dims=None, embedding_dim=64,
                 temperature=0.1, contrastive_weight=1.0, contrastive_temperature=0.2,
                 warmup_epochs=20, head_init="auto", max_epochs=40, tol=0.001,
                 lr=1e-3, lr_schedule="auto", weight_decay=1e-5, batch_size=512,
                 input_scaling="auto", device="cpu", random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.transport = transport
        self.rho0 = rho0
        self.ramp_epochs = ramp_epochs
        self.lam = lam
        self.epsilon = epsilon
        self.semantic_weight = semantic_weight
        self.n_neighbors = n_neighbors
        self.semantic_space = semantic_space
        self.semantic_iter = semantic_iter
        self.transport_iter = transport_iter
        self.memory_size = memory_size
        self.architecture = architecture
        self.input_shape = input_shape
        self.views = views
        self.hflip = hflip
        self.crop_scale = crop_scale
        self.corruption = corruption
        self.noise = noise
        self.channels = channels
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.temperature = temperature
        self.contrastive_weight = contrastive_weight
        self.contrastive_temperature = contrastive_temperature
        self.warmup_epochs = warmup_epochs
        self.head_init = head_init
        self.max_epochs = max_epochs
        self.tol = tol
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.input_scaling = input_scaling
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ input
    def __setstate__(self, state):
        # a model fitted before the rename reports architecture_="cnn"
        arch = state.get("architecture_")
        if arch in _ARCH_ALIASES:
            state = {**state, "architecture_": _ARCH_ALIASES[arch]}
        super().__setstate__(state)

    def _check_crop_scale(self):
        try:
            lo, hi = (float(v) for v in self.crop_scale)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"crop_scale must be a pair (low, high), got "
                             f"{self.crop_scale!r}.") from exc
        if not 0 < lo <= hi <= 1:
            raise ValueError(f"crop_scale must satisfy 0 < low <= high <= 1, got "
                             f"{self.crop_scale!r}.")
        return lo, hi

    def _scale(self, X):
        Xs = (np.asarray(X, dtype=np.float64) - self.scale_offset_) / self.scale_
        return Xs.astype(np.float32)

    def _resolve(self, X, shape):
        """Input kind, architecture, views and scaling constants."""
        n, d = X.shape
        shape = check_input_shape(shape, d)
        if self.views == "image" and shape is None:
            raise ValueError("views='image' needs images: pass input_shape=(C, H, W) "
                             "or a 3-D/4-D image array.")
        arch = _ARCH_ALIASES.get(self.architecture, self.architecture)
        if arch == "conv" and shape is None:
            raise ValueError(f"architecture={self.architecture!r} needs images: pass "
                             "input_shape=(C, H, W) or a 3-D/4-D image array.")
        views = self.views
        if views == "auto":
            if shape is not None:
                views = "image"
            else:
                views = "dropout" if d >= EMBEDDING_MIN_FEATURES else "scarf"
        if views != "image":
            shape = None
        if arch == "auto":
            arch = "conv" if shape is not None and min(shape[1:]) >= 16 else "mlp"
        scaling = self.input_scaling
        if scaling == "auto":
            scaling = "minmax" if views == "image" else "standard"
        if scaling == "minmax":
            lo, hi = float(X.min()), float(X.max())
            offset = np.full(d, lo)
            scale = np.full(d, hi - lo if hi > lo else 1.0)
        elif scaling == "standard":
            offset = X.mean(0, dtype=np.float64)
            std = X.std(0, dtype=np.float64)
            scale = np.where(std > 0, std, 1.0)
        else:
            offset, scale = np.zeros(d), np.ones(d)
        if not (np.isfinite(offset).all() and np.isfinite(scale).all()):
            raise ValueError("X has values too large to scale (the mean or spread "
                             "overflows float64); rescale X.")
        self.scale_offset_ = offset.astype(np.float64)
        self.scale_ = scale.astype(np.float64)
        self.input_shape_ = shape
        self.architecture_ = arch
        self.views_ = views
        return shape, arch, views

    def _hidden(self, d):
        if self.hidden_dims is not None:
            return tuple(int(h) for h in self.hidden_dims)
        w = int(2 ** np.round(np.log2(max(4 * d, 1))))
        w = int(np.clip(w, 128, 512))
        return (w, w)

    def _build_views(self, views):
        if views == "image":
            return ImageViews(crop_scale=self._check_crop_scale(), hflip=self.hflip,
                              noise=self.noise)
        if views == "scarf":
            return ScarfViews(corruption=self.corruption, noise=self.noise)
        return DropoutViews(corruption=self.corruption, noise=self.noise)

    def _net(self, stage, module, criterion, seed, max_epochs, callbacks=(), **kwargs):
        verbose, progress = self._net_verbosity(stage, max_epochs)
        return make_net(module, criterion, device=self._device, seed=seed, lr=self.lr,
                        max_epochs=max_epochs, batch_size=self.batch_size,
                        optimizer=torch.optim.Adam,
                        optimizer__weight_decay=self.weight_decay,
                        callbacks=progress + list(callbacks), verbose=verbose,
                        train_split=None, **kwargs)

    @property
    def _ramp(self):
        if self.ramp_epochs is not None:
            return int(self.ramp_epochs)
        return max(1, self.max_epochs // 2)

    def _resolve_semantic_space(self, views):
        if self.semantic_space != "auto":
            return self.semantic_space
        return "projection" if views == "image" else "input"

    def _resolve_semantic_weight(self, space):
        if self.semantic_weight != "auto":
            return float(self.semantic_weight)
        return 2.0 if space == "input" else 0.0

    def _resolve_lr_schedule(self, views):
        if self.lr_schedule != "auto":
            return self.lr_schedule
        return "constant" if views == "image" else "cosine"

    def _resolve_head_init(self, views):
        if self.head_init != "auto":
            return self.head_init
        return "embedding" if views == "image" else "input"

    def _init_head(self, module, Xt, Xs, K, where, seed, device):
        """k-means on the projections (or on the scaled input); the prototypes
        become the normalised mean projection of each k-means cluster.
        Returns the k-means labels."""
        module.eval()
        with torch.no_grad():
            Z = torch.cat([module.embed(module._shape(Xt[s : s + 1024]))
                           for s in range(0, len(Xt), 1024)]).cpu().double().numpy()
        module.train()
        space = Z if where == "embedding" else np.asarray(Xs, dtype=np.float64)
        with warnings.catch_warnings():
            # duplicate rows: fewer distinct points than clusters is reported
            # once, at the end of fit
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels, _, _ = fit_kmeans(space, K, n_init=10, random_state=seed)
        centers = cluster_means(Z, labels, K)
        norms = np.linalg.norm(centers, axis=1)
        keep = norms > 1e-12  # an empty cluster keeps its random prototype
        with torch.no_grad():
            w = torch.as_tensor(centers[keep] / norms[keep, None],
                                dtype=module.prototypes.weight.dtype, device=device)
            module.prototypes.weight[torch.as_tensor(keep, device=device)] = w
        return labels.astype(np.int64)

    # -------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the network and the clustering on ``X``; ``y`` is ignored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Rows (tables, embeddings, images flattened with ``input_shape``),
            or images as ``(n, H, W)`` / ``(n, C, H, W)`` arrays.
        y : Ignored

        Returns
        -------
        self : SP2OT
        """
        X, shape = self._flatten_images(X)
        X, K, device, seeds = setup = self._fit_setup(X)
        self._device = device
        n, d = X.shape
        shape, arch, views = self._resolve(X, shape)
        Xs = self._scale(X)
        if not np.isfinite(Xs).all():
            raise ValueError("X has values too large for float32 after scaling; "
                             "rescale X.")
        hidden = self._hidden(d)
        if arch == "conv":
            stem, _ = conv_plan(shape, tuple(self.channels))
            side = (shape[1] // stem) * (shape[2] // stem)
            width = self.batch_size * 2 * self.channels[0] * side
        else:
            width = self.batch_size * 2 * max(hidden)
        with seeded(seeds["module"], device), cpu_threads(device, width):
            bank = None
            if views == "scarf":
                pick = setup.rng.permutation(n)[:_BANK_SIZE]
                bank = torch.as_tensor(Xs[np.sort(pick)])
            module = SP2OTModule(
                d, K, input_shape=shape, architecture=arch, channels=tuple(self.channels),
                hidden_dims=hidden, embedding_dim=self.embedding_dim,
                temperature=self.temperature, views=self._build_views(views), bank=bank,
            ).to(device=device)
            Xt = as_device_tensor(Xs, device)

            # ---- stage 1: contrastive warm-up
            if self.warmup_epochs > 0:
                self._log("warm-up: contrastive training of the network")
                with seeded(seeds["warmup"], device):
                    net = self._net("warmup", module, ContrastiveLoss, seeds["warmup"],
                                    self.warmup_epochs,
                                    criterion__temperature=self.contrastive_temperature)
                    net.fit(Xt, None)
                self._record_net("warmup", net, "max_epochs")

            # ---- head initialisation
            self.init_labels_ = None
            self.head_init_ = head_init = self._resolve_head_init(views)
            if head_init != "random":
                t0 = time.perf_counter()
                self.init_labels_ = self._init_head(module, Xt, Xs, K, head_init,
                                                    seeds["head"], device)
                self._log(f"head from k-means of the {head_init} "
                          f"({time.perf_counter() - t0:.1f} s)")

            # ---- stage 2: clustering by transport pseudo-labels
            progressive = self.transport == "progressive"
            lam = self.lam if progressive else math.inf
            graph = None
            self.semantic_space_ = space = self._resolve_semantic_space(views)
            self.semantic_weight_ = sem = self._resolve_semantic_weight(space)
            self.lr_schedule_ = lr_schedule = self._resolve_lr_schedule(views)
            if sem > 0 and self.semantic_iter > 0:
                # the graph of a batch spans the batch and the memory's rows
                reach = self.batch_size + self.memory_size
                clip_n_neighbors(self.n_neighbors, min(n, reach), owner="SP2OT",
                                 rows="n_samples" if n <= reach
                                 else "batch_size + memory_size", stacklevel=4)
            if sem > 0 and space == "input":
                graph = torch.nn.functional.normalize(Xt, dim=1)
            schedule = TransportSchedule(
                n, K, self.embedding_dim, self.memory_size, progressive=progressive,
                rho0=self.rho0, ramp_epochs=self._ramp, tol=self.tol,
                graph_features=graph)
            # before the schedule, whose early stop skips later callbacks' epoch end
            lr = LRScheduler(LambdaLR, event_name="lr", lr_lambda=partial(
                cosine_after_ramp, ramp_epochs=self._ramp, max_epochs=self.max_epochs,
                decay=lr_schedule == "cosine"))
            self._log(f"clustering: {self.transport} transport pseudo-labels")
            with seeded(seeds["clustering"], device):
                net = self._net(
                    "clustering", module, PseudoLabelLoss, seeds["clustering"],
                    self.max_epochs, callbacks=[("lr", lr), ("transport", schedule)],
                    criterion__epsilon=self.epsilon, criterion__lam=lam,
                    criterion__semantic_weight=sem,
                    criterion__n_neighbors=self.n_neighbors,
                    criterion__semantic_iter=self.semantic_iter,
                    criterion__max_iter=self.transport_iter,
                    criterion__contrastive_weight=self.contrastive_weight,
                    criterion__contrastive_temperature=self.contrastive_temperature)
                net.fit(Xt, None)
            self._record_net("clustering", net,
                             "tol" if schedule.stopped_by_tol_ else "max_epochs")
            net.module_.eval()
            self.net_ = net
        del self._device

        proba, Z = _infer(self.net_, Xs)
        self.labels_ = proba.argmax(1).astype(np.int64)
        n_found = len(np.unique(self.labels_))
        if n_found < K:
            warnings.warn(
                f"Number of distinct clusters ({n_found}) found smaller than "
                f"n_clusters ({K}): the data support fewer clusters (duplicate or "
                "too few rows). Lower n_clusters, or pass more data.",
                ConvergenceWarning, stacklevel=3)
        with torch.no_grad():
            w = torch.nn.functional.normalize(self.net_.module_.prototypes.weight, dim=1)
        self.cluster_centers_ = w.detach().cpu().double().numpy()
        self._n_features_out = self.embedding_dim
        self._finish_diagnostics()
        self._log(f"done in {self.fit_seconds_:.1f} s ({self.n_iter_} epochs).")
        return self

    # -------------------------------------------------------------- inference
    def _prepare(self, X):
        check_is_fitted(self)
        X, _ = self._flatten_images(X)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return X, self._scale(X)

    def predict_proba(self, X):
        """Soft cluster assignments (softmax of the clean clustering head).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
        """
        X, Xs = self._prepare(X)
        return _infer(self.net_, Xs)[0].astype(X.dtype, copy=False)

    def predict(self, X):
        """Cluster of each sample (argmax of the clean prediction), inductively.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        _, Xs = self._prepare(X)
        return _infer(self.net_, Xs)[0].argmax(1).astype(np.int64)

    def transform(self, X):
        """Unit-norm projection ``z`` of ``X`` (dimension ``embedding_dim``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim)
        """
        X, Xs = self._prepare(X)
        return _infer(self.net_, Xs)[1].astype(X.dtype, copy=False)

    def score(self, X, y=None):
        """Minus the P2OT objective of the clean predictions on ``X``.

        The plan ``Q`` is the pseudo-label problem solved on all of ``X`` with
        the whole mass (``rho = 1``) and the fitted ``lam`` (infinite for
        balanced transport); the score is ``-(<Q, -log P> + lam KL(Q^T 1 ||
        u))`` with ``u`` uniform, the transport cost per sample plus the
        cluster-size penalty (so a model that puts everything in one cluster
        does not score well). Higher is better. It compares models with the
        same ``n_clusters`` (e.g. other learning rates); use a fixed-space
        scorer from :mod:`skdeepcluster.metrics` across ``n_clusters``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
        y : Ignored

        Returns
        -------
        score : float
        """
        X, Xs = self._prepare(X)
        P = np.clip(_infer(self.net_, Xs)[0], 1e-12, None)
        logP = np.log(P)
        lam = self.lam if self.transport == "progressive" else math.inf
        Q = partial_ot_pseudo_labels(logP, 1.0, epsilon=self.epsilon, lam=lam,
                                     max_iter=self.transport_iter, tol=1e-4)
        objective = float((Q * -logP).sum())
        if math.isfinite(lam):
            mass = np.clip(Q.sum(0), 1e-300, None)
            objective += lam * float((mass * np.log(mass * len(mass))).sum())
        return -objective
