"""The DSC estimator: deep subspace clustering with one joint layer-wise
self-expression matrix (LIHFSS-SVDSC on the DSC-Net architecture)."""

import os
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from ..base import BaseDeepClusterer
from ..utils import as_device_tensor, check_input_shape, check_memory, make_net, seeded
from ._callbacks import PartitionUpdate, SelfExpressionStop, ZeroDiagonalGrad
from ._losses import ReconstructionLoss, SelfExpressionLoss, StructuredNormLoss
from ._module import AutoEncoder, Coefficients, ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder, SelfExpressive
from ._postprocess import dscnet_postprocess, shifted_laplacian_clustering

__all__ = ["DSC", "dense_memory_bytes"]

_INT = Interval(Integral, 1, None, closed="left")
_INT0 = Interval(Integral, 0, None, closed="left")
_POS = Interval(Real, 0, None, closed="neither")


def dense_memory_bytes(n_samples, layer_dims=()):
    """Estimated peak bytes of a dense DSC fit on ``n_samples`` rows (float32).

    ``C``, its gradient and the two Adam moments take ``16 n^2`` bytes; the
    temporaries of the losses and of the retention step (``|C| + |C|^T``, the
    square root, masks, ``top-k``) take about as much again, and the layer
    activations ``C H_v`` add ``16 n sum_v d_v``::

        bytes ~ 32 n^2 + 16 n sum_v d_v

    Examples
    --------
    >>> from skdeepcluster.dsc import dense_memory_bytes
    >>> round(dense_memory_bytes(10_000) / 2**30, 2)
    2.98
    """
    n = int(n_samples)
    return 32 * n * n + 16 * n * int(sum(layer_dims))


def _available_memory(device):
    """Bytes DSC may use: 90% of free GPU memory, or 50% of available RAM."""
    if device.startswith("cuda"):
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(0.9 * free)
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:  # pragma: no cover - non-Linux
        pass
    if avail is None:  # pragma: no cover
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 8 * 2**30
    return int(0.5 * avail)




class DSC(BaseDeepClusterer):
    """Deep subspace clustering with one joint layer-wise self-expression matrix.

    LIHFSS-SVDSC (Sindičić & Kopriva, 2025) on a DSC-Net autoencoder: the data
    are assumed to lie near a union of low-dimensional subspaces, in the input
    and in every encoder layer. Training runs in stages, each with a single
    loss and a label-free stopping rule, so there are no loss weights to tune:

    0. reconstruction pretraining of the autoencoder (Adam, full batch by
       default);
    1. joint self-expression: the encoder and ONE coefficient matrix ``C``
       (``n x n``, zero diagonal, initialised to ``c_init``) minimise
       ``sum_v ||H_v - C H_v||_F^2`` over ``H_0 = X`` and every encoder layer.
       Stops at the first epoch ``t >= min_epochs`` where the relative
       self-expression error ``rSE_t = sqrt(sum_v ||H_v - C H_v||^2 /
       sum_v ||H_v||^2) <= tol_rse``, or where the relative loss change stayed
       below ``tol`` for ``patience`` epochs, or at ``self_expression_max_epochs``. Stopping
       early is the only regulariser: ``C`` drifts towards an identity-like
       least-squares solution if trained on;
    2. clustering-quality fine-tuning of ``C`` alone with an S3C-style
       structured norm, ``sum_{i,j: y_i != y_j} sqrt(|c_ij| + |c_ji| + eps)``,
       where the partition ``y`` is re-estimated by spectral clustering at every
       epoch. Stops when the partition has not changed for ``patience`` epochs,
       when the relative change of the cut is below ``structured_norm_tol``,
       or at ``structured_norm_max_epochs``;
    3. post-processing: ``postprocess="shifted_laplacian"`` keeps the ``n_retained``
       leading coefficients per column of ``(|C| + |C|^T)/2`` and clusters the
       top eigenvectors of the shifted normalised Laplacian with k-means;
       ``"dscnet"`` uses DSC-Net's ``thrC`` + ``post_proC``.

    ``predict`` assigns new points to the nearest cluster subspace (the affine
    span of the top ``n_retained`` principal directions of each cluster's
    L2-normalised last-layer features), MLG-DSC's out-of-sample rule.

    Inputs are divided by their maximum absolute value (globally for images,
    per feature for tabular data, as :class:`~sklearn.preprocessing.MaxAbsScaler`
    does); nothing is centred, so linear subspaces stay linear subspaces.

    Memory: ``C`` with its gradient and Adam state costs ``16 n^2`` bytes, about
    ``32 n^2`` bytes with temporaries (:func:`dense_memory_bytes`): 3.2 GB for
    10,000 rows, 12.8 GB for 20,000. On a CPU, time limits dense fits to a few
    thousand rows. Above ``max_dense_samples`` rows, or beyond the
    memory estimate (``mode="auto"``), the model is fitted on a random
    subsample of ``n_subsample`` rows and the other rows are assigned by
    nearest subspace.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    n_retained : int or None, default=9
        Leading coefficients kept per column of the affinity, and dimension of
        the subspaces used by ``predict``. 9 is the presumed subspace dimension
        of faces under varying light; None keeps every coefficient.
    input_shape : tuple (C, H, W) or (H, W) or None, default=None
        Shape of one image when ``X`` holds flattened images: selects the
        DSC-Net convolutional autoencoder. None selects the MLP autoencoder.
    channels : tuple of int, default=(10, 20)
        Output channels of the stride-2 conv layers (images).
    kernel_sizes : tuple of int, default=(3, 3)
        Kernel size of each conv layer (same length as ``channels``).
    hidden_dims : tuple of int or None, default=None
        Widths of the MLP encoder (tabular data). None uses ``(h, h // 2)`` with
        ``h = min(max(2 * n_features, 64), 512)``: the last layer must be wide
        enough to hold ``n_clusters`` distinct subspaces for ``predict``.
    pretrain : {"reconstruction"} or None, default="reconstruction"
        Stage 0. None skips pretraining (the encoder starts at random).
    lr : float, default=1e-3
        Adam learning rate of every stage.
    pretrain_max_epochs : int, default=100
        Epochs of stage 0.
    batch_size : int or None, default=None
        Mini-batch size of stage 0; None uses the full batch up to 4096 rows and
        256 above. Stages 1 and 2 always use the full batch (``C`` is n x n).
    self_expression_max_epochs : int, default=1000
        Maximum epochs of stage 1 (self-expression).
    structured_norm_max_epochs : int, default=200
        Maximum epochs of stage 2 (structured-norm fine-tuning; 0 skips it).
    tol_rse : float or None, default=0.25
        Stage 1 stops once the relative self-expression error is at most this.
    tol : float, default=1e-2
        Stage 1 also stops when the relative loss change stayed below ``tol``
        for ``patience`` epochs.
    structured_norm_tol : float, default=1e-3
        Stage 2 stops when the relative change of the cut is below this.
    patience : int, default=10
        Epochs of the plateau rule (stage 1) and of partition stability
        (stage 2).
    min_epochs : int, default=10
        Stage 1 never stops before this epoch (Adam oscillates early).
    zero_diagonal : bool, default=True
        Keep ``diag(C) = 0`` (a point may not represent itself).
    c_init : float, default=1e-8
        Initial value of every off-diagonal coefficient.
    postprocess : {"shifted_laplacian", "dscnet"}, default="shifted_laplacian"
        Final spectral step (see above): the retained affinity clustered on the
        shifted normalised Laplacian (LIHFSS, Sindičić & Kopriva), or DSC-Net's
        ``thrC`` + ``post_proC``.
    dscnet_params : tuple (rho, dim, power) or None, default=None
        Parameters of ``postprocess="dscnet"``; None uses ``(0.2, 3, 1.0)``.
    angular_power : float or None, default=None
        With ``postprocess="shifted_laplacian"``, map the retained affinity to MLG-DSC's
        angular domain, ``|Z Z^T|^angular_power`` with ``Z`` the row-normalised
        ``U S^1/2`` of its full SVD (MLG-DSC used 2 on EYaleB; dropped by the
        LIHFSS release). Dense ``O(n^3)``: a few thousand rows at most.
    kmeans_n_init : int, default=20
        k-means restarts of the spectral step.
    mode : {"auto", "dense", "subsample"}, default="auto"
        ``"dense"`` fits ``C`` on every row and raises a ValueError when the
        memory estimate exceeds ``max_memory``; ``"subsample"`` always fits on
        ``n_subsample`` random rows; ``"auto"`` is dense up to
        ``max_dense_samples`` rows (and within the memory estimate), subsample
        above.
    n_subsample : int or None, default=None
        Rows of the subsample; None uses ``min(5000, max_dense_samples)``,
        lowered if the memory estimate demands it.
    max_dense_samples : int, default=20000
        Largest ``n`` fitted densely by ``mode="auto"``.
    max_memory : int or None, default=None
        Bytes the dense fit may use; None is 90% of the free GPU memory, or 50%
        of the available RAM on the CPU.
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto".
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, subsampling and k-means.
    verbose : int, default=0
        0 is silent; 1 shows one progress bar per training stage (epochs and
        loss) and one line per other step; 2 also prints skorch's epoch tables.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,), int64
        Cluster of every training row.
    coef_ : ndarray of shape (n_fit, n_fit), float32
        Final self-expression matrix ``C`` (rows of ``subsample_indices_``).
    affinity_ : scipy.sparse.csr_matrix of shape (n_fit, n_fit)
        The affinity passed to the spectral step (retained coefficients).
    subsample_indices_ : ndarray of shape (n_fit,)
        Training rows ``C`` was fitted on (all rows in dense mode).
    subspace_means_ : ndarray of shape (n_clusters, n_features_out)
    subspace_bases_ : ndarray of shape (n_clusters, r, n_features_out)
        Orthonormal rows spanning each cluster subspace (zero-padded).
    history_ : list of dict
        One record per epoch: ``"stage"`` (``"pretrain"``,
        ``"self_expression"``, ``"structured_norm"``), ``"epoch"`` (from 1
        within its stage) and what was measured (``"train_loss"``, ``"rse"``,
        ``"cut"``, ``"stable_epochs"``, ``"dur"``).
    stop_reasons_ : dict
        Why each stage stopped: ``"max_epochs"`` (pretraining always),
        ``"rse"`` or ``"loss_plateau"`` (stage 1), ``"stable_partition"`` or
        ``"cut_change"`` (stage 2), ``"skipped"``.
    n_iter_ : int
        Total epochs of all stages.
    fit_seconds_ : float
        Duration of the fit.
    net_ : skorch.NeuralNet
        The stage-1 net; its encoder (kept in float64 after fitting) gives
        ``transform``. Its ``C`` parameter is released after fitting
        (``coef_`` holds the final ``C``).
    scale_ : ndarray of shape (n_features,)
        Multiplier applied to the inputs.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    References
    ----------
    L. Sindičić, I. Kopriva, "Label-independent hyperparameter-free
    self-supervised single-view deep subspace clustering", arXiv 2504.18179.
    P. Ji et al., "Deep subspace clustering networks", NeurIPS 2017.
    C.-G. Li, R. Vidal, "Structured sparse subspace clustering", CVPR 2015.

    Examples
    --------
    >>> from skdeepcluster import DSC
    >>> from skdeepcluster.datasets import make_subspaces
    >>> X, y = make_subspaces(120, 20, n_clusters=3, subspace_dim=3, random_state=0)
    >>> dsc = DSC(n_clusters=3, n_retained=3, pretrain_max_epochs=5,
    ...           random_state=0).fit(X)
    >>> dsc.labels_.shape, dsc.transform(X[:2]).shape
    ((120,), (2, 32))
    """


    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "n_retained": [_INT, None],
        "input_shape": [tuple, list, None],
        "channels": [tuple, list],
        "kernel_sizes": [tuple, list],
        "hidden_dims": [tuple, list, None],
        "pretrain": [StrOptions({"reconstruction"}), None],
        "lr": [_POS],
        "pretrain_max_epochs": [_INT0],
        "batch_size": [_INT, None],
        "self_expression_max_epochs": [_INT],
        "structured_norm_max_epochs": [_INT0],
        "tol_rse": [Interval(Real, 0, None, closed="left"), None],
        "tol": [_POS],
        "structured_norm_tol": [_POS],
        "patience": [_INT],
        "min_epochs": [_INT],
        "zero_diagonal": ["boolean"],
        "c_init": [Interval(Real, None, None, closed="neither")],
        "postprocess": [StrOptions({"shifted_laplacian", "dscnet"})],
        "dscnet_params": [tuple, list, None],
        "angular_power": [_POS, None],
        "kmeans_n_init": [_INT],
        "mode": [StrOptions({"auto", "dense", "subsample"})],
        "n_subsample": [Interval(Integral, 2, None, closed="left"), None],
        "max_dense_samples": [Interval(Integral, 2, None, closed="left")],
        "max_memory": [_INT, None],
    }
    _seed_names = ("module", "pretrain", "self_expression", "structured_norm",
                   "partition", "postprocess")

    def __init__(self, n_clusters=8, *, n_retained=9, input_shape=None, channels=(10, 20),
                 kernel_sizes=(3, 3), hidden_dims=None, pretrain="reconstruction",
                 lr=1e-3, pretrain_max_epochs=100, batch_size=None, self_expression_max_epochs=1000,
                 structured_norm_max_epochs=200, tol_rse=0.25, tol=1e-2, structured_norm_tol=1e-3, patience=10,
                 min_epochs=10, zero_diagonal=True, c_init=1e-8, postprocess="shifted_laplacian",
                 dscnet_params=None, angular_power=None, kmeans_n_init=20, mode="auto",
                 n_subsample=None,
                 max_dense_samples=20000, max_memory=None, device="cpu",
                 random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.n_retained = n_retained
        self.input_shape = input_shape
        self.channels = channels
        self.kernel_sizes = kernel_sizes
        self.hidden_dims = hidden_dims
        self.pretrain = pretrain
        self.lr = lr
        self.pretrain_max_epochs = pretrain_max_epochs
        self.batch_size = batch_size
        self.self_expression_max_epochs = self_expression_max_epochs
        self.structured_norm_max_epochs = structured_norm_max_epochs
        self.tol_rse = tol_rse
        self.tol = tol
        self.structured_norm_tol = structured_norm_tol
        self.patience = patience
        self.min_epochs = min_epochs
        self.zero_diagonal = zero_diagonal
        self.c_init = c_init
        self.postprocess = postprocess
        self.dscnet_params = dscnet_params
        self.angular_power = angular_power
        self.kmeans_n_init = kmeans_n_init
        self.mode = mode
        self.n_subsample = n_subsample
        self.max_dense_samples = max_dense_samples
        self.max_memory = max_memory
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ #
    def _build_encoder(self, n_features, shape):
        if shape is not None:
            channels = tuple(int(c) for c in self.channels)
            kernels = tuple(int(k) for k in self.kernel_sizes)
            if len(channels) == 0 or len(channels) != len(kernels) or min(channels + kernels) < 1:
                raise ValueError(
                    "channels and kernel_sizes must be non-empty tuples of positive "
                    f"ints of equal length, got {self.channels!r} and {self.kernel_sizes!r}."
                )
            enc = ConvEncoder(shape, channels, kernels)
            dec = ConvDecoder(enc, channels, kernels, last_relu=self._nonneg_)
            return enc, dec
        if self.hidden_dims is None:
            h = min(max(2 * n_features, 64), 512)
            hidden = (h, h // 2)
        else:
            hidden = tuple(int(h) for h in self.hidden_dims)
            if len(hidden) == 0 or min(hidden) < 1:
                raise ValueError(
                    f"hidden_dims must be a non-empty tuple of positive ints, got "
                    f"{self.hidden_dims!r}."
                )
        enc = MLPEncoder(n_features, hidden)
        dec = MLPDecoder(n_features, hidden, last_relu=False)
        return enc, dec

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the network and cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to cluster (flattened images when ``input_shape`` is set).
            Must be finite.
        y : Ignored

        Returns
        -------
        self : DSC
        """
        X, K, device, seeds = setup = self._fit_setup(X)
        rng = setup.rng
        if self.dscnet_params is not None and len(tuple(self.dscnet_params)) != 3:
            raise ValueError("dscnet_params must be a tuple (rho, dim, power) or None.")
        n, d = X.shape
        shape = check_input_shape(self.input_shape, d)

        # scaling (no centring: linear subspaces stay linear)
        absmax = np.abs(X).max(axis=0).astype(np.float64)
        if shape is not None:
            g = float(absmax.max())
            scale = np.full(d, 1.0 / g if g > 0 else 1.0)
        else:
            scale = np.where(absmax > 0, 1.0 / np.where(absmax > 0, absmax, 1.0), 1.0)
        self.scale_ = scale
        self._nonneg_ = bool(X.min() >= 0)

        with seeded(seeds["module"]):
            encoder, decoder = self._build_encoder(d, shape)
        with torch.no_grad():
            layer_dims = [d] + [int(np.prod(h.shape[1:]))
                                for h in encoder(torch.zeros(1, d))]
        self._n_features_out = layer_dims[-1]

        # dense or subsample
        limit = self.max_memory if self.max_memory is not None else _available_memory(device)
        need = dense_memory_bytes(n, layer_dims)
        if self.mode == "dense":
            check_memory(
                need, limit, f"A dense DSC fit on n_samples={n}",
                "Use mode='subsample' (or mode='auto') to fit on a random subsample and "
                "assign the other rows by nearest subspace, use a GPU with more memory, "
                "or raise max_memory if the estimate is too cautious.",
            )
            dense = True
        elif self.mode == "subsample":
            dense = False
        else:
            dense = n <= self.max_dense_samples and need <= limit
        if dense:
            fit_idx = np.arange(n)
        else:
            m = self.n_subsample
            if m is None:
                m = min(5000, self.max_dense_samples, n)
                while m > 2 * K and dense_memory_bytes(m, layer_dims) > limit:
                    m = int(m * 0.8)
            m = min(int(m), n)
            check_memory(
                dense_memory_bytes(m, layer_dims), limit,
                f"A DSC fit on a subsample of n_subsample={m} rows",
                "Lower n_subsample or raise max_memory.",
            )
            fit_idx = np.sort(rng.permutation(n)[:m])
        n_fit = len(fit_idx)
        if n_fit < 2 * K:
            warnings.warn(
                f"Too few samples per cluster: {n_fit} samples for n_clusters={K}. "
                "Self-expression writes every sample as a combination of other "
                "samples of its subspace, so each cluster needs at least 2 samples "
                f"(n_samples >= {2 * K}); some clusters will be single rows. Pass "
                "more samples or lower n_clusters.", UserWarning, stacklevel=2)
        self.subsample_indices_ = fit_idx
        self._log(f"n={n}, fitting C on {n_fit} rows ({'dense' if dense else 'subsample'}), "
                  f"layer dims {layer_dims}, device {device}")
        self._device = device

        Xt = as_device_tensor(X[fit_idx] * scale, device)

        # ---- stage 0: reconstruction pretraining -----------------------
        if self.pretrain == "reconstruction" and self.pretrain_max_epochs > 0:
            bs = self.batch_size
            if bs is None:
                bs = -1 if n_fit <= 4096 else 256
            with seeded(seeds["pretrain"], device):
                net0 = self._net("pretrain", AutoEncoder(encoder, decoder),
                                 ReconstructionLoss, seeds["pretrain"],
                                 self.pretrain_max_epochs, batch_size=bs, shuffle=True)
                net0.fit(Xt, None)
            encoder = net0.module_.encoder
            self._record_net("pretrain", net0, "max_epochs")
            del net0

        # ---- stage 1: joint layer-wise self-expression -----------------
        stop = SelfExpressionStop(self.tol_rse, self.tol, self.patience, self.min_epochs)
        with seeded(seeds["self_expression"], device):
            module = SelfExpressive(encoder, n_fit, self.c_init, self.zero_diagonal)
            net1 = self._net("self_expression", module, SelfExpressionLoss,
                             seeds["self_expression"], self.self_expression_max_epochs,
                             callbacks=[("se_stop", stop)] + self._zero_diagonal(),
                             iterator_valid__batch_size=2048)
            net1.fit(Xt, None)
        self._record_net("self_expression", net1, stop.stop_reason_)
        self._log(f"stage 1: rSE {net1.history[-1, 'rse']:.3f} (stop: {stop.stop_reason_})")
        C = net1.module_.C.detach().clone()
        # release C and its Adam state from the stage-1 net (coef_ keeps C)
        net1.module_.C = nn.Parameter(torch.zeros(0, 0, device=C.device))
        net1.initialize_optimizer()

        # ---- stage 2: structured-norm fine-tuning of C -----------------
        if self.structured_norm_max_epochs > 0 and K > 1:
            update = PartitionUpdate(K, self.n_retained, self.kmeans_n_init,
                                     seeds["partition"], self.structured_norm_tol,
                                     self.patience)
            with seeded(seeds["structured_norm"], device):
                net2 = self._net("structured_norm", Coefficients(C), StructuredNormLoss,
                                 seeds["structured_norm"], self.structured_norm_max_epochs,
                                 callbacks=[("partition", update)] + self._zero_diagonal())
                net2.fit(Xt, None)
            self._record_net("structured_norm", net2, update.stop_reason_)
            C = net2.module_.C.detach()
            del net2
        else:
            self.stop_reasons_["structured_norm"] = "skipped"

        # ---- post-processing -------------------------------------------
        t0 = time.perf_counter()
        if self.postprocess == "shifted_laplacian":
            fit_labels, A = shifted_laplacian_clustering(
                C, K, self.n_retained, kmeans_n_init=self.kmeans_n_init,
                angular_power=self.angular_power, random_state=seeds["postprocess"])
        else:
            rho, dim, power = self.dscnet_params or (0.2, 3, 1.0)
            fit_labels, A = dscnet_postprocess(C, K, rho, int(dim), power,
                                               random_state=seeds["postprocess"])
        self._log(f"post-processing ({self.postprocess}): "
                  f"{time.perf_counter() - t0:.1f} s")
        self.coef_ = C.cpu().numpy().astype(np.float32, copy=False)
        del C
        self.affinity_ = A
        # inference in float64 (in batches of 2048 rows) through the stage-1 net
        net1.module_.double()
        self.net_ = net1

        # ---- cluster subspaces for predict -----------------------------
        feats = self._features(X[fit_idx])
        r = self.n_retained if self.n_retained is not None else feats.shape[1]
        means = np.zeros((K, feats.shape[1]))
        bases = np.zeros((K, min(r, feats.shape[1]), feats.shape[1]))
        for k in range(K):
            Fk = feats[fit_labels == k]
            if len(Fk) == 0:  # pragma: no cover - k-means never leaves one empty
                continue
            means[k] = Fk.mean(axis=0)
            _, _, Vt = np.linalg.svd(Fk - means[k], full_matrices=False)
            q = min(bases.shape[1], len(Vt))
            bases[k, :q] = Vt[:q]
        self.subspace_means_ = means
        self.subspace_bases_ = bases
        labels = np.empty(n, dtype=np.int64)
        labels[fit_idx] = fit_labels
        if n_fit < n:
            rest = np.setdiff1d(np.arange(n), fit_idx)
            labels[rest] = self._nearest_subspace(self._features(X[rest]))[0]
        self.labels_ = labels
        del self._device
        self._finish_diagnostics()
        return self

    def _zero_diagonal(self):
        return [("zero_diagonal", ZeroDiagonalGrad())] if self.zero_diagonal else []

    def _net(self, stage, module, criterion, seed, max_epochs, batch_size=-1,
             shuffle=False, callbacks=(), **kwargs):
        verbose, progress = self._net_verbosity(stage, max_epochs)
        # stages 1 and 2 train on the full batch in row order (C is n x n)
        return make_net(module, criterion, device=self._device, seed=seed, lr=self.lr,
                        max_epochs=max_epochs, batch_size=batch_size, shuffle=shuffle,
                        callbacks=progress + list(callbacks), verbose=verbose,
                        **kwargs)

    # ------------------------------------------------------------------ #
    def _features(self, X):
        """L2-normalised last-layer features, computed in float64 (no attribute writes)."""
        Xs = torch.as_tensor(np.asarray(X, dtype=np.float64) * self.scale_,
                             device=self.net_.device)
        out = [layers[-1] for layers, _ in
               self.net_.forward_iter(Xs, training=False, device="cpu")]
        Fm = (torch.cat(out).numpy() if out
              else np.zeros((0, self._n_features_out)))
        return Fm / np.maximum(np.linalg.norm(Fm, axis=1, keepdims=True), 1e-12)

    def _nearest_subspace(self, feats):
        res = np.empty((len(feats), len(self.subspace_means_)))
        for k, (mu, B) in enumerate(zip(self.subspace_means_, self.subspace_bases_)):
            R = feats - mu
            R = R - (R @ B.T) @ B
            res[:, k] = np.linalg.norm(R, axis=1)
        return res.argmin(axis=1).astype(np.int64), res.min(axis=1)

    def transform(self, X):
        """L2-normalised last-encoder-layer features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features_out), float64
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self._features(X)

    def predict(self, X):
        """Assign rows to the nearest cluster subspace (MLG-DSC's rule).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int64
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self._nearest_subspace(self._features(X))[0]

    def score(self, X, y=None):
        """Negative mean distance of the rows to their nearest cluster subspace.

        Computed on the L2-normalised last-layer features (``transform``), so it
        lies in ``[-1, 0]`` and higher is better. It measures how well the fitted
        union of subspaces explains ``X``; it improves with more clusters, so do
        not compare it across ``n_clusters`` (use
        :func:`skdeepcluster.metrics.silhouette_scorer` for that).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return -float(np.mean(self._nearest_subspace(self._features(X))[1]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
