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

from ..base import BaseDeepClusterer, ImageInputMixin
from ..utils import (Autoencoder, as_device_tensor, check_input_shape, check_memory,
                     fit_kmeans, make_net, seeded, standard_scaling)
from ._callbacks import (ClosedFormCoefficients, LipschitzStep, PartitionUpdate,
                         SelfExpressionStop, ZeroDiagonalGrad)
from ._coefficients import CoefficientGD
from ._losses import (ClosedFormSelfExpressionLoss, ReconstructionLoss, SelfExpressionLoss,
                      StructuredNormLoss)
from ._module import (Coefficients, EncoderLayers, SelfExpressive, conv_autoencoder,
                      mlp_autoencoder)
from ._postprocess import dscnet_postprocess, shifted_laplacian_clustering

__all__ = ["DSC", "check_space", "classification_loglik", "dense_memory_bytes", "offset_ratio"]

_INT = Interval(Integral, 1, None, closed="left")
_INT0 = Interval(Integral, 0, None, closed="left")
_POS = Interval(Real, 0, None, closed="neither")


def dense_memory_bytes(n_samples, layer_dims=(), coef_solver="closed_form", structured_norm=True):
    """Estimated peak bytes of a dense DSC fit on ``n_samples`` rows (float32).

    With ``C`` a trained parameter (``coef_solver="adam"`` or ``"gradient"``),
    ``C``, its gradient and the two Adam moments take ``16 n^2`` bytes; the
    temporaries of the losses and of the retention step (``|C| + |C|^T``, the
    square root, masks, ``top-k``) take about as much again, and the layer
    activations ``C H_v`` add ``16 n sum_v d_v``::

        bytes ~ 32 n^2 + 16 n sum_v d_v

    With ``coef_solver="closed_form"`` training keeps ``C`` factored (float64
    ``n x r`` factors, ``r <= sum_v d_v``); ``C`` is formed once, in float32,
    for the post-processing (``|C|``, ``|C| + |C|^T``, the mask of the
    retained entries), and stage 2, when it runs, trains it with Adam as
    above::

        bytes ~ 12 n^2 + 40 n sum_v d_v     (no stage 2)

    Examples
    --------
    >>> from skdeepcluster.dsc import dense_memory_bytes
    >>> round(dense_memory_bytes(10_000) / 2**30, 2)
    2.98
    >>> round(dense_memory_bytes(10_000, coef_solver="closed_form",
    ...                          structured_norm=False) / 2**30, 2)
    1.12
    """
    n = int(n_samples)
    if coef_solver == "closed_form" and not structured_norm:
        return 12 * n * n + 40 * n * int(sum(layer_dims))
    return 32 * n * n + 16 * n * int(sum(layer_dims))


#: ``max_dense_samples="auto"``: at most this many rows on any device (on a
#: GPU the memory estimate is the real limit) ...
_MAX_DENSE = 20000
#: ... and on the CPU only while ``n^2 d`` (the arithmetic of one stage-2
#: epoch's ``C X``, forward and backward) stays below this. Measured with one thread: Fashion-MNIST images
#: (d = 784) about 5 s an epoch at 5,000 rows, 12-22 s at 10,000
#: (``benchmarks/results/dsc_scaling_cpu.md``); 2e10 is 5,050 such images.
_CPU_DENSE_WORK = 2e10


def dense_sample_cap(max_dense_samples, device, n_features):
    """Largest ``n`` fitted densely by ``mode="auto"``.

    Parameters
    ----------
    max_dense_samples : int or "auto"
        The estimator's parameter; an int is returned as it is.
    device : str or torch.device
        The resolved device of the fit.
    n_features : int
        Width ``d`` of the rows the self-expression sees.

    Returns
    -------
    int
        ``max_dense_samples`` itself, or for ``"auto"`` 20,000 on a GPU and
        ``min(20000, sqrt(2e10 / d))`` on the CPU.

    Examples
    --------
    >>> from skdeepcluster.dsc._estimator import dense_sample_cap
    >>> dense_sample_cap("auto", "cpu", 784), dense_sample_cap("auto", "cpu", 16)
    (5050, 20000)
    >>> dense_sample_cap("auto", "cuda:0", 784), dense_sample_cap(800, "cpu", 784)
    (20000, 800)
    """
    if max_dense_samples != "auto":
        return int(max_dense_samples)
    if torch.device(device).type != "cpu":
        return _MAX_DENSE
    return int(min(_MAX_DENSE, np.sqrt(_CPU_DENSE_WORK / max(int(n_features), 1))))


#: ``affine="auto"`` fits a table affinely when its rows sit this far from the
#: origin relative to their spread (:func:`offset_ratio`). Measured: 2.6-20.6
#: on the 14 tables of ``benchmarks/_tables.py``, 1.5 for digits as a table,
#: 0.03-0.04 for unions of linear subspaces (``make_subspaces``).
_AFFINE_OFFSET = 2.0


def offset_ratio(X):
    """How far the rows sit from the origin relative to their spread.

    ``||mean(Z)|| / sqrt(mean_i ||z_i - mean(Z)||^2)`` with ``Z`` the columns
    of ``X`` divided by their largest absolute value. A union of linear
    subspaces through the origin (with points on both sides of it) has a ratio
    near 0; tables of positive measurements (lengths, weights, concentrations)
    have ratios of 2.6 to 21 in our suite: their classes are blobs away from
    the origin, which linear subspaces through it cannot separate. DSC's
    ``affine="auto"`` uses the affine model above 2.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    ratio : float

    Examples
    --------
    >>> from skdeepcluster.dsc import offset_ratio
    >>> from skdeepcluster.datasets import make_subspaces
    >>> from sklearn.datasets import load_iris
    >>> X, _ = make_subspaces(300, 10, n_clusters=3, subspace_dim=2, random_state=0)
    >>> offset_ratio(X) < 0.2, offset_ratio(load_iris().data) > 2
    (True, True)
    """
    X = np.asarray(X, dtype=np.float64)
    absmax = np.abs(X).max(axis=0)
    Z = X / np.where(absmax > 0, absmax, 1.0)
    mu = Z.mean(axis=0)
    spread = np.sqrt(((Z - mu) ** 2).sum(axis=1).mean())
    return float(np.linalg.norm(mu) / spread) if spread > 0 else float("inf")


#: Ridge added to every cluster covariance of the partition check (the
#: columns are standardised, so 1% of a column's variance): it keeps clusters
#: with fewer rows than features, or flat ones, from an infinite likelihood.
_CHECK_REG = 1e-2


def classification_loglik(X, labels, reg=_CHECK_REG):
    """Mean classification log-likelihood of a partition under Gaussian clusters.

    Every cluster is a Gaussian with its own mean and full covariance (plus
    ``reg`` on the diagonal) and a weight equal to its share of the rows; the
    rows are scored by the Gaussian of their own cluster (the hard-assignment
    or *classification* likelihood of Celeux & Govaert, 1992)::

        (1/n) sum_k sum_{i in k} [log(n_k / n) + log N(x_i | mu_k, S_k + reg I)]

    The model fits both kinds of cluster DSC and k-means look for: a cluster
    near a low-dimensional (affine) subspace has a small covariance
    determinant, a round blob a small Mahalanobis spread. Two partitions into
    the same number of clusters have the same number of parameters, so
    comparing this value compares their BIC. Standardise the columns first
    (``reg`` is then relative to unit variance).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
    reg : float, default=1e-2

    Returns
    -------
    loglik : float
        Higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.dsc import classification_loglik
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.randn(50, 2), rng.randn(50, 2) + 6])
    >>> truth, halves = np.repeat([0, 1], 50), np.tile([0, 1], 50)
    >>> classification_loglik(X, truth) > classification_loglik(X, halves)
    True
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    n, p = X.shape
    total = 0.0
    for k in np.unique(labels):
        Xk = X[labels == k]
        nk = len(Xk)
        R = Xk - Xk.mean(axis=0)
        S = R.T @ R / nk + reg * np.eye(p)
        L = np.linalg.cholesky(S)
        logdet = 2.0 * np.log(np.diag(L)).sum()
        maha = (np.linalg.solve(L, R.T) ** 2).sum()
        total += nk * np.log(nk / n) - 0.5 * (nk * (p * np.log(2 * np.pi) + logdet) + maha)
    return float(total / n)


def _standardise(Z):
    mean, scale = standard_scaling(Z)
    return (Z - mean) / scale


def check_space(Z, n_clusters):
    """The rows on which DSC's partition check scores partitions.

    A full-covariance Gaussian per cluster needs more rows than dimensions:
    with ``p`` columns and fewer than ``2 p`` rows per cluster on average
    (``p > n / (2 K)``), the rows are projected on their top
    ``q = max(1, n // (2 K))`` principal components, each standardised.
    Otherwise a cluster of ``n_k <= p`` rows is flat in ``p - n_k + 1``
    directions, each scored at the ridge's density, and the check rewards
    partitions into clusters of similar sizes whatever the structure (a random
    balanced partition outscores the true one).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        The rows as the model sees them (standardised or max-abs scaled).
    n_clusters : int

    Returns
    -------
    Z_check : ndarray of shape (n_samples, q)
        ``Z`` itself when ``p <= n // (2 K)``, otherwise the standardised
        principal components of the centred rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.dsc import check_space
    >>> Z = np.random.RandomState(0).randn(60, 40)
    >>> check_space(Z, 3).shape, check_space(Z[:, :5], 3).shape
    ((60, 10), (60, 5))
    """
    n, p = Z.shape
    q = max(1, n // (2 * n_clusters))
    if p <= q:
        return Z
    U, S, _ = np.linalg.svd(Z - Z.mean(axis=0), full_matrices=False)
    return _standardise(U[:, :q] * S[:q])


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




class DSC(ImageInputMixin, BaseDeepClusterer):
    """Deep subspace clustering with one joint layer-wise self-expression matrix.

    LIHFSS-SVDSC (Sindičić & Kopriva, 2025) on a DSC-Net autoencoder: the data
    are assumed to lie near a union of low-dimensional subspaces, in the input
    and in every encoder layer. Training runs in stages, each with a single
    loss and a label-free stopping rule, so there are no loss weights to tune:

    0. reconstruction pretraining of the autoencoder (Adam, full batch by
       default);
    1. joint self-expression: the encoder and ONE coefficient matrix ``C``
       (``n x n``, zero diagonal) minimise ``sum_v w_v ||H_v - C H_v||_F^2``
       over ``H_0 = X`` and every encoder layer. With
       ``coef_solver="closed_form"`` (default) every epoch first sets ``C`` to
       the exact minimiser of that sum plus ``lam ||C||_F^2`` for the current
       layers (least-squares regression, LSR), with ``lam`` chosen so that the
       relative self-expression error ``rSE = sqrt(sum_v w_v ||H_v - C H_v||^2 /
       sum_v w_v ||H_v||^2)`` equals ``tol_rse`` (the discrepancy principle),
       then takes one Adam step of the encoder on the relative errors of its
       layers for that ``C``; it stops when the loss changed by less than
       ``tol`` for ``patience`` epochs, or at ``self_expression_max_epochs``.
       ``C`` is kept factored (``O(n sum_v d_v)`` memory) until the
       post-processing. ``coef_solver="gradient"`` trains ``C`` by gradient
       descent with step ``1/L`` (``L`` the Lipschitz constant) and
       ``"adam"`` (the released method) by Adam; both start from ``c_init``
       and stop at the first epoch ``t >= min_epochs`` with
       ``rSE_t <= tol_rse``, or on the plateau rule;
    2. clustering-quality fine-tuning of ``C`` alone with an S3C-style
       structured norm, ``sum_{i,j: y_i != y_j} sqrt(|c_ij| + |c_ji| + eps)``,
       where the partition ``y`` is re-estimated by spectral clustering at every
       epoch. Stops when the partition has not changed for ``patience`` epochs,
       when the relative change of the cut is below ``structured_norm_tol``,
       or at ``structured_norm_max_epochs``;
    3. post-processing: ``postprocess="shifted_laplacian"`` divides every
       sample's coefficients by their norm (``coef_norm``), keeps the
       ``n_retained`` leading coefficients per column of ``(|C| + |C|^T)/2``
       and clusters the top eigenvectors of the shifted normalised Laplacian
       with k-means; ``"dscnet"`` uses DSC-Net's ``thrC`` + ``post_proC``.

    ``predict`` assigns new points to the nearest cluster subspace (the affine
    span of the top ``n_retained`` principal directions of each cluster's
    L2-normalised last-layer features), MLG-DSC's out-of-sample rule.

    Inputs are divided by their maximum absolute value (globally for images,
    per feature for tabular data, as :class:`~sklearn.preprocessing.MaxAbsScaler`
    does); nothing is centred, so linear subspaces stay linear subspaces. Tables
    whose rows sit far from the origin are fitted with the affine model instead
    (``affine``).

    Memory: the closed-form ``C`` costs about ``12 n^2`` bytes at the
    post-processing (:func:`dense_memory_bytes`): 1.2 GB for 10,000 rows,
    4.8 GB for 20,000; a trained ``C`` with its gradient and Adam state
    (stage 1 with a trained ``C``, or stage 2) about ``32 n^2``. Above
    ``max_dense_samples`` rows (20,000 on a GPU by default; on the CPU
    about 5,000 for 28x28 images and 20,000 for tables of a few dozen features),
    or beyond the memory estimate (``mode="auto"``), the model is fitted on a random
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
        DSC-Net convolutional autoencoder. None selects the MLP autoencoder
        for 2-D ``X``; arrays of images, ``(n, H, W)`` or ``(n, C, H, W)``,
        select the convolutional one without it.
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
        Adam learning rate of every stage (of the encoder; with
        ``coef_solver="adam"`` also of ``C``).
    coef_solver : {"closed_form", "gradient", "adam"}, default="closed_form"
        How stage 1 updates ``C`` (see above). ``"closed_form"``: exact ridge
        self-expression of the current layers every epoch, ``lam`` from
        ``tol_rse``. ``"gradient"``: gradient descent with step ``1/L``,
        ``L = 2 sigma_max(H_w)^2`` (``H_w`` the weighted layers side by side).
        ``"adam"``: Adam on ``C`` as in the released code, whose per-coefficient
        scaling loses the subspace structure on noisy data (kept for
        comparison).
    layer_weights : {"input", "all"} or tuple of float, default="input"
        Weights ``w_v`` of the layers ``H_0 = X, H_1, ..., H_L`` in the
        self-expression that determines ``C``. ``"input"``: only ``X``; the
        encoder is still trained to be self-expressive with that ``C`` and
        gives ``transform`` and ``predict``. ``"all"``: 1 for every layer (the
        method's joint loss). With the closed-form ``C`` the encoder's layers
        did not improve the clustering in our measurements and spoilt it on
        noisy subspaces (ReLU layers do not keep linear subspaces), hence the
        default; the user guide gives the figures. Ignored by
        ``coef_solver="adam"`` (every layer weighs 1).
    pretrain_max_epochs : int, default=100
        Epochs of stage 0.
    batch_size : int or None, default=None
        Mini-batch size of stage 0; None uses the full batch up to 4096 rows and
        256 above. Stages 1 and 2 always use the full batch (``C`` is n x n).
    self_expression_max_epochs : int, default=1000
        Maximum epochs of stage 1 (self-expression).
    structured_norm_max_epochs : int, default=200
        Maximum epochs of stage 2 (structured-norm fine-tuning; 0 skips it).
    affine : bool or "auto", default="auto"
        Tables only (``input_shape=None``). True standardises the columns and
        appends a constant feature ``sqrt(n_features)`` (a homogeneous
        coordinate), so that self-expression becomes (softly) affine,
        ``sum_j c_ij ~ 1``: clusters may then be affine subspaces, blobs
        (0-dimensional affine subspaces) included. "auto" is True when the
        rows sit far from the origin, :func:`offset_ratio` above 2 (tables of
        positive measurements), and False otherwise (linear subspaces through
        the origin; images always). Standardise a table yourself and the rule
        sees it centred: pass ``affine=True`` then.
    tol_rse : float or None, default=0.25
        Relative self-expression error that sets ``lam`` of the closed-form
        ``C`` (required there); with a trained ``C``, stage 1 stops once the
        error is at most this (None: plateau rule only).
    tol : float, default=1e-2
        Stage 1 (also) stops when the relative loss change stayed below ``tol``
        for ``patience`` epochs.
    structured_norm_tol : float, default=1e-3
        Stage 2 stops when the relative change of the cut is below this.
    patience : int, default=10
        Epochs of the plateau rule (stage 1) and of partition stability
        (stage 2).
    min_epochs : int, default=10
        Stage 1 never stops before this epoch (Adam oscillates early).
        Lower it to spend less time on the encoder with the closed-form ``C``.
    zero_diagonal : bool, default=True
        Keep ``diag(C) = 0`` (a point may not represent itself).
    c_init : float, default=1e-8
        Initial value of every off-diagonal coefficient of a trained ``C``.
    postprocess : {"shifted_laplacian", "dscnet"}, default="shifted_laplacian"
        Final spectral step (see above): the retained affinity clustered on the
        shifted normalised Laplacian (LIHFSS, Sindičić & Kopriva), or DSC-Net's
        ``thrC`` + ``post_proC``.
    coef_norm : {"l2", "l1", "max"} or None, default="l2"
        With ``postprocess="shifted_laplacian"``, divide every sample's
        coefficients (a row of ``|C|``) by their norm before symmetrising, as
        SSC does (by the largest entry): otherwise samples with large
        coefficients (LSR's grow with the leverage) dominate the affinity.
        None keeps ``|C|`` as it is (the released code).
    dscnet_params : tuple (rho, dim, power) or None, default=None
        Parameters of ``postprocess="dscnet"``; None uses ``(0.2, 3, 1.0)``.
    angular_power : float or None, default=None
        With ``postprocess="shifted_laplacian"``, map the retained affinity to MLG-DSC's
        angular domain, ``|Z Z^T|^angular_power`` with ``Z`` the row-normalised
        ``U S^1/2`` of its full SVD (MLG-DSC used 2 on EYaleB; dropped by the
        LIHFSS release). Dense ``O(n^3)``: a few thousand rows at most.
    kmeans_n_init : int, default=20
        k-means restarts of the spectral step.
    fallback : {"kmeans"} or None, default="kmeans"
        Tables (``input_shape=None``): a label-free check of the subspace
        model against blobs. k-means' partition is a rival explanation of the
        same table: the partition of the fitted rows is compared with
        k-means' (10 restarts) of the standardised columns (whichever model
        DSC fitted) by their classification log-likelihood under Gaussian
        clusters with full covariances (:func:`classification_loglik`; flat,
        subspace-like clusters and round blobs are both Gaussians there, and
        both partitions have the same number of parameters), on the rows as
        the model sees them (standardised with the affine model, ridge 1% of
        a column's variance; max-abs scaled with the linear one, ridge 1% of
        the mean column variance), or on their top ``n // (2 K)`` principal
        components, standardised, when there are more columns
        (:func:`check_space`). The higher is kept as ``labels_``
        (``partition_`` says which). None always keeps DSC's partition.
        Images are never checked.
    mode : {"auto", "dense", "subsample"}, default="auto"
        ``"dense"`` fits ``C`` on every row and raises a ValueError when the
        memory estimate exceeds ``max_memory``; ``"subsample"`` always fits on
        ``n_subsample`` random rows; ``"auto"`` is dense up to
        ``max_dense_samples`` rows (and within the memory estimate), subsample
        above.
    n_subsample : int or None, default=None
        Rows of the subsample; None uses ``min(5000, max_dense_samples)``
        (``max_dense_samples`` resolved for the device), lowered if the memory
        estimate demands it.
    max_dense_samples : int or "auto", default="auto"
        Largest ``n`` fitted densely by ``mode="auto"``. ``"auto"`` is
        20000 on a GPU. On the CPU it is the largest ``n`` with
        ``n^2 d <= 2e10`` (``d`` the number of features), at most 20000:
        each stage-2 epoch multiplies the ``n x n`` matrix ``C`` with the
        ``n x d`` input, so 10,000 Fashion-MNIST images (``d = 784``) took
        12-22 s an epoch on one thread and a dense default fit more than 40
        minutes; "auto" fits them on a subsample of 5,000 instead, while
        tables of a few dozen features stay dense up to 20,000 rows.
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
        ``"lam"`` (``lam / s_max``) and ``"rank"`` for the closed-form ``C``,
        ``"lipschitz"`` for the gradient step, ``"cut"``, ``"stable_epochs"``,
        ``"dur"``).
    stop_reasons_ : dict
        Why each stage stopped: ``"max_epochs"`` (pretraining always),
        ``"rse"`` or ``"loss_plateau"`` (stage 1), ``"stable_partition"`` or
        ``"cut_change"`` (stage 2), ``"skipped"``.
    n_iter_ : int
        Total epochs of all stages.
    fit_seconds_ : float
        Duration of the fit.
    stage_seconds_ : dict
        Seconds spent in ``"pretrain"``, ``"self_expression"``,
        ``"coefficients"`` (forming the dense ``C``), ``"structured_norm"``,
        ``"postprocess"``, ``"partition_check"`` (``fallback``) and
        ``"subspaces"`` (cluster subspaces, and the
        assignment of the other rows in subsample mode).
    net_ : skorch.NeuralNet
        The stage-1 net; its encoder (kept in float64 after fitting) gives
        ``transform``. A trained ``C`` parameter is released after fitting
        (``coef_`` holds the final ``C``).
    partition_ : {"dsc", "kmeans"}
        Which partition ``labels_`` holds (see ``fallback``); ``"dsc"`` when
        the check did not run.
    partition_loglik_ : dict or None
        Classification log-likelihoods of the two partitions compared by
        ``fallback`` (``{"dsc": ..., "kmeans": ...}``), None when it did not run.
    layer_weights_ : tuple of float
        The weights ``w_v`` used for ``C``.
    lam_ : float or None
        ``lam`` of the final closed-form ``C`` (None for a trained ``C``).
    scale_ : ndarray of shape (n_features,)
        Multiplier applied to the inputs (after subtracting ``offset_``).
    offset_ : ndarray of shape (n_features,)
        Column means subtracted first (zeros unless ``affine_``).
    affine_ : bool
        Whether the affine model was used.
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
        "coef_solver": [StrOptions({"closed_form", "gradient", "adam"})],
        "layer_weights": [StrOptions({"all", "input"}), tuple, list],
        "affine": ["boolean", StrOptions({"auto"})],
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
        "coef_norm": [StrOptions({"l2", "l1", "max"}), None],
        "dscnet_params": [tuple, list, None],
        "angular_power": [_POS, None],
        "kmeans_n_init": [_INT],
        "fallback": [StrOptions({"kmeans"}), None],
        "mode": [StrOptions({"auto", "dense", "subsample"})],
        "n_subsample": [Interval(Integral, 2, None, closed="left"), None],
        "max_dense_samples": [Interval(Integral, 2, None, closed="left"),
                              StrOptions({"auto"})],
        "max_memory": [_INT, None],
    }
    _seed_names = ("module", "pretrain", "self_expression", "structured_norm",
                   "partition", "postprocess")

    def __init__(self, n_clusters=8, *, n_retained=9, input_shape=None, channels=(10, 20),
                 kernel_sizes=(3, 3), hidden_dims=None, pretrain="reconstruction",
                 lr=1e-3, coef_solver="closed_form", layer_weights="input", affine="auto",
                 pretrain_max_epochs=100, batch_size=None, self_expression_max_epochs=1000,
                 structured_norm_max_epochs=200, tol_rse=0.25, tol=1e-2, structured_norm_tol=1e-3, patience=10,
                 min_epochs=10, zero_diagonal=True, c_init=1e-8, postprocess="shifted_laplacian",
                 coef_norm="l2", dscnet_params=None, angular_power=None, kmeans_n_init=20,
                 fallback="kmeans", mode="auto",
                 n_subsample=None,
                 max_dense_samples="auto", max_memory=None, device="cpu",
                 random_state=None, verbose=0):
        self.n_clusters = n_clusters
        self.n_retained = n_retained
        self.input_shape = input_shape
        self.channels = channels
        self.kernel_sizes = kernel_sizes
        self.hidden_dims = hidden_dims
        self.pretrain = pretrain
        self.lr = lr
        self.coef_solver = coef_solver
        self.layer_weights = layer_weights
        self.affine = affine
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
        self.coef_norm = coef_norm
        self.dscnet_params = dscnet_params
        self.angular_power = angular_power
        self.kmeans_n_init = kmeans_n_init
        self.fallback = fallback
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
            return conv_autoencoder(shape, channels, kernels, last_relu=self._nonneg_)
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
        return mlp_autoencoder(n_features, hidden)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the network and cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or (n_samples, C, H, W)
            Rows to cluster: a table, flattened images with ``input_shape``,
            or an array of images (channels first). Must be finite.
        y : Ignored

        Returns
        -------
        self : DSC
        """
        X, img_shape = self._flatten_images(X)
        X, K, device, seeds = setup = self._fit_setup(X)
        rng = setup.rng
        if self.dscnet_params is not None and len(tuple(self.dscnet_params)) != 3:
            raise ValueError("dscnet_params must be a tuple (rho, dim, power) or None.")
        if self.coef_solver == "closed_form" and self.tol_rse is None:
            raise ValueError(
                "coef_solver='closed_form' chooses lam from tol_rse, so tol_rse=None is not "
                "allowed with it: pass a relative error such as tol_rse=0.25, or use "
                "coef_solver='gradient' or 'adam' to stop on the loss plateau alone.")
        n, d_in = X.shape
        shape = check_input_shape(img_shape, d_in)
        affine = self._resolve_affine(X, shape)
        self.affine_ = affine

        if affine:
            # standardise, then a constant feature t = sqrt(#features): the
            # self-expression becomes (softly) affine, sum_j c_ij ~ 1
            self.offset_ = X.mean(axis=0).astype(np.float64)
            std = X.std(axis=0).astype(np.float64)
            scale = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 1.0)
            self._homogeneous = float(np.sqrt(max(int((std > 0).sum()), 1)))
        else:
            # scaling only (no centring: linear subspaces stay linear)
            self.offset_ = np.zeros(d_in)
            absmax = np.abs(X).max(axis=0).astype(np.float64)
            if shape is not None:
                g = float(absmax.max())
                scale = np.full(d_in, 1.0 / g if g > 0 else 1.0)
            else:
                scale = np.where(absmax > 0, 1.0 / np.where(absmax > 0, absmax, 1.0), 1.0)
            self._homogeneous = None
        self.scale_ = scale
        Xp = self._prepare(X)
        d = Xp.shape[1]
        self._nonneg_ = bool(Xp.min() >= 0)

        with seeded(seeds["module"]):
            encoder, decoder = self._build_encoder(d, shape)
        with torch.no_grad():
            layer_dims = [d] + [int(np.prod(h.shape[1:]))
                                for h in encoder(torch.zeros(1, d))]
        self._n_features_out = layer_dims[-1]
        weights = self._resolve_layer_weights(len(layer_dims))
        self.layer_weights_ = weights
        self.lam_ = None

        # dense or subsample
        max_dense = dense_sample_cap(self.max_dense_samples, device, d)
        limit = self.max_memory if self.max_memory is not None else _available_memory(device)
        solver = self.coef_solver
        stage2 = self.structured_norm_max_epochs > 0 and K > 1
        need = dense_memory_bytes(n, layer_dims, solver, stage2)
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
            dense = n <= max_dense and need <= limit
        if dense:
            fit_idx = np.arange(n)
        else:
            m = self.n_subsample
            if m is None:
                m = min(5000, max_dense, n)
                while m > 2 * K and dense_memory_bytes(m, layer_dims, solver, stage2) > limit:
                    m = int(m * 0.8)
            m = min(int(m), n)
            check_memory(
                dense_memory_bytes(m, layer_dims, solver, stage2), limit,
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

        Xt = as_device_tensor(Xp[fit_idx], device)
        del Xp
        secs = self.stage_seconds_ = {}
        tick = time.perf_counter()

        def lap(name):
            nonlocal tick
            now = time.perf_counter()
            secs[name] = secs.get(name, 0.0) + now - tick
            tick = now

        # ---- stage 0: reconstruction pretraining -----------------------
        if self.pretrain == "reconstruction" and self.pretrain_max_epochs > 0:
            bs = self.batch_size
            if bs is None:
                bs = -1 if n_fit <= 4096 else 256
            with seeded(seeds["pretrain"], device):
                net0 = self._net("pretrain", Autoencoder(encoder, decoder),
                                 ReconstructionLoss, seeds["pretrain"],
                                 self.pretrain_max_epochs, batch_size=bs, shuffle=True)
                net0.fit(Xt, None)
            encoder = net0.module_.encoder
            self._record_net("pretrain", net0, "max_epochs")
            del net0
        lap("pretrain")

        # ---- stage 1: joint layer-wise self-expression -----------------
        if solver == "closed_form":
            stop = SelfExpressionStop(None, self.tol, self.patience, self.min_epochs)
            coef = ClosedFormCoefficients(weights, self.tol_rse)
            with seeded(seeds["self_expression"], device):
                net1 = self._net("self_expression", EncoderLayers(encoder),
                                 ClosedFormSelfExpressionLoss, seeds["self_expression"],
                                 self.self_expression_max_epochs,
                                 callbacks=[("coefficients", coef),
                                            ("self_expression_stop", stop)],
                                 iterator_valid__batch_size=2048)
                net1.fit(Xt, None)
            self._record_net("self_expression", net1, stop.stop_reason_)
            self.lam_ = float(coef.coef_.lam)
            lap("self_expression")
            C = coef.coef_.dense(torch.float32)
            del coef.coef_
            self._log(f"stage 1: rSE {net1.history[-1, 'rse']:.3f}, lam/s_max "
                      f"{net1.history[-1, 'lam']:.3g} (stop: {stop.stop_reason_})")
        else:
            stop = SelfExpressionStop(self.tol_rse, self.tol, self.patience, self.min_epochs)
            if solver == "gradient":
                extra = dict(criterion__weights=weights, optimizer=CoefficientGD,
                             optimizer__param_groups=[("C", {"coef": True})])
                callbacks = [("lipschitz", LipschitzStep())]
            else:
                extra, callbacks = {}, []
            with seeded(seeds["self_expression"], device):
                module = SelfExpressive(encoder, n_fit, self.c_init, self.zero_diagonal)
                net1 = self._net("self_expression", module, SelfExpressionLoss,
                                 seeds["self_expression"], self.self_expression_max_epochs,
                                 callbacks=(callbacks + [("self_expression_stop", stop)]
                                            + self._zero_diagonal()),
                                 iterator_valid__batch_size=2048, **extra)
                net1.fit(Xt, None)
            self._record_net("self_expression", net1, stop.stop_reason_)
            self._log(f"stage 1: rSE {net1.history[-1, 'rse']:.3f} (stop: {stop.stop_reason_})")
            C = net1.module_.C.detach().clone()
            # release C and its optimiser state from the stage-1 net (coef_ keeps C)
            net1.module_.C = nn.Parameter(torch.zeros(0, 0, device=C.device))
            net1.initialize_optimizer()
            lap("self_expression")

        lap("coefficients")  # forming the dense C (closed form)

        # ---- stage 2: structured-norm fine-tuning of C -----------------
        if self.structured_norm_max_epochs > 0 and K > 1:
            update = PartitionUpdate(K, self.n_retained, self.kmeans_n_init,
                                     seeds["partition"], self.structured_norm_tol,
                                     self.patience, coef_norm=self.coef_norm)
            with seeded(seeds["structured_norm"], device):
                # Adam steps relative to the size of C (the released code's C had
                # entries of about lr * epochs; a closed-form C's are far smaller)
                scale = 1.0
                if solver != "adam":
                    scale = float(C.abs().sum()) / max(n_fit * (n_fit - 1), 1)
                    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
                net2 = self._net("structured_norm", Coefficients(C, scale), StructuredNormLoss,
                                 seeds["structured_norm"], self.structured_norm_max_epochs,
                                 callbacks=[("partition", update)] + self._zero_diagonal())
                net2.fit(Xt, None)
            self._record_net("structured_norm", net2, update.stop_reason_)
            C = net2.module_.coefficients()
            del net2
        else:
            self.stop_reasons_["structured_norm"] = "skipped"
        lap("structured_norm")

        # ---- post-processing -------------------------------------------
        t0 = time.perf_counter()
        if self.postprocess == "shifted_laplacian":
            fit_labels, A = shifted_laplacian_clustering(
                C, K, self.n_retained, kmeans_n_init=self.kmeans_n_init,
                angular_power=self.angular_power, coef_norm=self.coef_norm,
                random_state=seeds["postprocess"])
        else:
            rho, dim, power = self.dscnet_params or (0.2, 3, 1.0)
            fit_labels, A = dscnet_postprocess(C, K, rho, int(dim), power,
                                               random_state=seeds["postprocess"])
        self._log(f"post-processing ({self.postprocess}): "
                  f"{time.perf_counter() - t0:.1f} s")
        self.coef_ = C.cpu().numpy().astype(np.float32, copy=False)
        del C
        self.affinity_ = A
        lap("postprocess")

        # ---- label-free check of the subspace model (tables) -----------
        self.partition_, self.partition_loglik_ = "dsc", None
        if self.fallback == "kmeans" and shape is None and 1 < K and 2 * K <= n_fit:
            # the rival is k-means of the standardised columns (what a user
            # runs), whichever model DSC used; both partitions are scored on
            # the rows as the model sees them (standardised with the affine
            # model, max-abs scaled with the linear one), see check_space
            Z = X[fit_idx].astype(np.float64)
            Zs = _standardise(Z)
            km_labels = fit_kmeans(Zs, K, n_init=10, random_state=seeds["postprocess"],
                                   backend="sklearn")[0]
            if affine:
                Z, reg = Zs, _CHECK_REG
            else:
                Z = Z * self.scale_
                reg = _CHECK_REG * float(Z.var(axis=0).mean() or 1.0)
            Zc = check_space(Z, K)
            if Zc is not Z:  # standardised principal components
                Z, reg = Zc, _CHECK_REG
            ll = {"dsc": classification_loglik(Z, fit_labels, reg=reg),
                  "kmeans": classification_loglik(Z, km_labels, reg=reg)}
            self.partition_loglik_ = ll
            if ll["kmeans"] > ll["dsc"]:
                self.partition_ = "kmeans"
                fit_labels = np.asarray(km_labels, dtype=np.int64)
            self._log(f"partition check: log-likelihood DSC {ll['dsc']:.4g}, k-means "
                      f"{ll['kmeans']:.4g}; labels from {self.partition_}")
        lap("partition_check")
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
        lap("subspaces")  # cluster subspaces, and the other rows in subsample mode
        del self._device
        self._finish_diagnostics()
        return self

    def _prepare(self, X):
        """Scaled (affine: standardised, plus the constant feature) float64 rows."""
        Xp = (np.asarray(X, dtype=np.float64) - self.offset_) * self.scale_
        if self._homogeneous is not None:
            Xp = np.hstack([Xp, np.full((len(Xp), 1), self._homogeneous)])
        return Xp

    def _resolve_affine(self, X, shape):
        if self.affine is True:
            if shape is not None:
                raise ValueError(
                    "affine=True is for tabular data (input_shape=None): images are "
                    "fitted as linear subspaces. Pass input_shape=None to treat the "
                    "pixels as table columns, or affine=False.")
            return True
        if self.affine == "auto" and shape is None:
            return offset_ratio(X) > _AFFINE_OFFSET
        return False

    def _resolve_layer_weights(self, n_layers):
        lw = self.layer_weights
        if self.coef_solver == "adam":
            return (1.0,) * n_layers
        if isinstance(lw, str):
            return (1.0,) * n_layers if lw == "all" else (1.0,) + (0.0,) * (n_layers - 1)
        weights = tuple(float(w) for w in lw)
        if (len(weights) != n_layers or not all(np.isfinite(weights))
                or min(weights) < 0 or max(weights) <= 0):
            raise ValueError(
                f"layer_weights must have one non-negative weight per layer, input "
                f"included ({n_layers} here), with at least one positive; got {lw!r}.")
        return weights

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
        Xs = torch.as_tensor(self._prepare(X), device=self.net_.device)
        out = [(y[0] if isinstance(y, tuple) else y)[-1] for y in
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
        X, _ = self._flatten_images(X)
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
        X, _ = self._flatten_images(X)
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
        X, _ = self._flatten_images(X)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return -float(np.mean(self._nearest_subspace(self._features(X))[1]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
