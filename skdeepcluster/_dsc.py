"""Deep subspace clustering with layer-wise joint self-expression (LIHFSS-SVDSC).

The estimator follows Sindičić & Kopriva (arXiv 2504.18179) on the DSC-Net
architecture (Ji et al., NeurIPS 2017), with the faults of the released code
fixed (see ``doc/dsc.rst`` and the spec ``dsc.md``):

* stage 0: autoencoder reconstruction pretraining (conv for images, MLP for
  tabular data);
* stage 1: ONE self-expression matrix ``C`` (n x n, zero diagonal) shared by the
  input and every encoder layer, trained with the encoder on
  ``sum_v ||H_v - C H_v||_F^2``, stopped label-free by the relative
  self-expression error;
* stage 2: ``C`` alone fine-tuned on an S3C-style structured norm (square-root
  reweighted spectral cut of the current partition, re-estimated every epoch),
  stopped when the partition is stable;
* post-processing: keep the ``n_retained`` leading coefficients per column and
  cluster the shifted normalised Laplacian spectrally (or DSC-Net's
  ``thrC``/``post_proC``).

Out-of-sample points go to the nearest cluster subspace of the last encoder
layer (MLG-DSC's rule).
"""

import copy
import math
import numbers
import os
import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import eigsh, svds
from skorch.callbacks import Callback
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.cluster import SpectralClustering
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn
from torch.nn import functional as F

from .utils import (
    IndexedNet,
    as_device_tensor,
    check_input_shape,
    check_memory,
    check_n_clusters,
    fit_kmeans,
    history_to_list,
    make_net,
    resolve_device,
    seeded,
)

__all__ = [
    "DSC",
    "angular_affinity",
    "dense_memory_bytes",
    "dscnet_postprocess",
    "retained_affinity",
    "shifted_laplacian_clustering",
]

_EPS_SQRT = 1e-12  # inside the square root of the structured norm: finite gradients at 0


# --------------------------------------------------------------------------- #
# networks
# --------------------------------------------------------------------------- #
def _same_pads(size, kernel, stride=2):
    """TF-"SAME" padding (left, right) for one spatial axis, and the output size."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def _dscnet_init(layer):
    """DSC-Net's initialisation: Xavier-uniform weights, zero biases.

    Zero biases also keep the final ReLU of the decoder alive: with PyTorch's
    default uniform bias a negative last bias can zero every output pixel, and
    the reconstruction gradient with it.
    """
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)


class _ConvEncoder(nn.Module):
    """DSC-Net encoder: per layer TF-SAME padding, Conv2d(stride 2), ReLU.

    ``forward`` takes flattened images and returns the flattened output of every
    layer (the input itself is layer 0 and is added by the caller).
    """

    def __init__(self, input_shape, channels, kernel_sizes):
        super().__init__()
        self.input_shape = tuple(input_shape)
        c, h, w = self.input_shape
        self.convs = nn.ModuleList()
        self.pads = []
        self.sizes = [(h, w)]
        for c_out, k in zip(channels, kernel_sizes):
            ph0, ph1, h_out = _same_pads(h, k)
            pw0, pw1, w_out = _same_pads(w, k)
            self.pads.append((pw0, pw1, ph0, ph1))
            conv = nn.Conv2d(c, c_out, k, stride=2)
            _dscnet_init(conv)
            self.convs.append(conv)
            c, h, w = c_out, h_out, w_out
            self.sizes.append((h, w))
        self.out_shape = (c, h, w)

    def forward(self, x):
        z = x.reshape(len(x), *self.input_shape)
        outs = []
        for conv, pad in zip(self.convs, self.pads):
            z = F.relu(conv(F.pad(z, pad)))
            outs.append(z)
        return outs


class _ConvDecoder(nn.Module):
    """Mirror of :class:`_ConvEncoder`: ConvTranspose2d(stride 2) + crop + ReLU."""

    def __init__(self, encoder, channels, kernel_sizes, last_relu=True):
        super().__init__()
        in_ch = [encoder.input_shape[0]] + list(channels[:-1])
        self.deconvs = nn.ModuleList()
        self.targets = []
        for i in reversed(range(len(channels))):
            deconv = nn.ConvTranspose2d(channels[i], in_ch[i], kernel_sizes[i], stride=2)
            _dscnet_init(deconv)
            self.deconvs.append(deconv)
            self.targets.append(encoder.sizes[i])
        self.last_relu = last_relu

    def forward(self, z):
        n = len(self.deconvs)
        for i, (deconv, (h, w)) in enumerate(zip(self.deconvs, self.targets)):
            z = deconv(z)
            dh, dw = z.shape[-2] - h, z.shape[-1] - w
            z = z[..., dh // 2: dh // 2 + h, dw // 2: dw // 2 + w]
            if i < n - 1 or self.last_relu:
                z = F.relu(z)
        return z.reshape(len(z), -1)


class _MLPEncoder(nn.Module):
    """Fully connected encoder, Linear + ReLU per layer; returns every layer."""

    def __init__(self, n_features, hidden_dims):
        super().__init__()
        dims = [n_features] + list(hidden_dims)
        self.linears = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])
        )

    def forward(self, x):
        outs = []
        for lin in self.linears:
            x = F.relu(lin(x))
            outs.append(x)
        return outs


class _MLPDecoder(nn.Module):
    """Mirror of :class:`_MLPEncoder` (ReLU inside, linear output)."""

    def __init__(self, n_features, hidden_dims, last_relu=False):
        super().__init__()
        dims = [n_features] + list(hidden_dims)
        self.linears = nn.ModuleList(
            nn.Linear(b, a) for a, b in reversed(list(zip(dims[:-1], dims[1:])))
        )
        self.last_relu = last_relu

    def forward(self, z):
        n = len(self.linears)
        for i, lin in enumerate(self.linears):
            z = lin(z)
            if i < n - 1 or self.last_relu:
                z = F.relu(z)
        return z


class _AutoEncoder(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x):
        return self.decoder(self.encoder(x)[-1])


class _SelfExpressive(nn.Module):
    """Encoder plus ONE self-expression matrix ``C`` shared by all layers.

    ``forward`` returns the flattened layers ``[H_0 = X, H_1, ..., H_L]``.
    """

    def __init__(self, encoder, n_samples, c_init, zero_diagonal):
        super().__init__()
        self.encoder = encoder
        C = torch.full((n_samples, n_samples), float(c_init))
        if zero_diagonal:
            C.fill_diagonal_(0.0)
        self.C = nn.Parameter(C)

    def forward(self, x):
        return [x] + [h.reshape(len(h), -1) for h in self.encoder(x)]


class _Coefficients(nn.Module):
    """Stage 2 holds only ``C``; ``forward`` ignores the data and returns it."""

    def __init__(self, C):
        super().__init__()
        self.C = nn.Parameter(C)

    def forward(self, x):
        return self.C


# --------------------------------------------------------------------------- #
# skorch nets (one loss per stage)
# --------------------------------------------------------------------------- #
class _ReconstructionNet(IndexedNet):
    """Stage 0: squared reconstruction error, summed over features, mean over rows."""

    def compute_loss(self, y_pred, idx, X, training):
        return ((y_pred - X) ** 2).sum() / len(X)


class _ZeroDiagonalMixin:
    """Zero the gradient of diag(C) after backward, so that diag(C) stays 0 under Adam."""

    zero_diagonal = True

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        if self.zero_diagonal:
            grad = self.module_.C.grad
            if grad is not None:
                grad.fill_diagonal_(0.0)
        return step


class _SelfExpressionNet(_ZeroDiagonalMixin, IndexedNet):
    """Stage 1: ``sum_v ||H_v - C H_v||_F^2`` over the input and every layer."""

    def compute_loss(self, y_pred, idx, X, training):
        C = self.module_.C
        if len(X) != C.shape[0]:  # pragma: no cover - guarded by the estimator
            raise RuntimeError("the self-expression stage needs the full batch.")
        loss = 0.0
        total = 0.0
        for H in y_pred:
            loss = loss + ((H - C @ H) ** 2).sum()
            total = total + (H.detach() ** 2).sum()
        if training:
            rse = math.sqrt(float(loss.detach()) / max(float(total), 1e-30))
            self.history.record("rse", rse)
        return loss


class _StructuredNormNet(_ZeroDiagonalMixin, IndexedNet):
    """Stage 2: ``10 * sum_{y_i != y_j} sqrt(|c_ij| + |c_ji| + eps)`` on C only.

    ``partition_`` (a LongTensor on the device) is re-estimated at the start of
    every epoch by :class:`_PartitionUpdate`.
    """

    def compute_loss(self, y_pred, idx, X, training):
        C = y_pred
        absC = C.abs()
        W = torch.sqrt(absC + absC.T + _EPS_SQRT)
        y = self.partition_
        lq = (W * (y[:, None] != y[None, :])).sum()
        if training:
            self.history.record("cut", float(lq.detach()))
        return 10.0 * lq


class _SelfExpressionStop(Callback):
    """Label-free stop of stage 1 (spec 2.5).

    At the end of epoch ``t >= min_epochs``: stop if the relative self-expression
    error ``rSE_t <= tol_rse``, or if the relative loss change has stayed below
    ``tol`` for ``patience`` consecutive epochs.
    """

    def __init__(self, tol_rse, tol, patience, min_epochs):
        self.tol_rse = tol_rse
        self.tol = tol
        self.patience = patience
        self.min_epochs = min_epochs

    def on_train_begin(self, net, **kwargs):
        self.flat_ = 0
        net.stop_reason_ = "max_epochs"

    def on_epoch_end(self, net, **kwargs):
        hist = net.history
        epoch = len(hist)
        rse = hist[-1, "rse"]
        if epoch >= 2:
            prev, cur = hist[-2, "train_loss"], hist[-1, "train_loss"]
            rel = abs(cur - prev) / max(abs(prev), 1e-30)
            self.flat_ = self.flat_ + 1 if rel < self.tol else 0
        if epoch < self.min_epochs:
            return
        if self.tol_rse is not None and rse <= self.tol_rse:
            net.stop_reason_ = "rse"
            raise KeyboardInterrupt
        if self.flat_ >= self.patience:
            net.stop_reason_ = "loss_plateau"
            raise KeyboardInterrupt


class _PartitionUpdate(Callback):
    """Stage 2: re-estimate the partition from C every epoch and decide when to stop.

    The partition is the spectral clustering of the retained affinity of C
    (k-means warm-started from the previous partition after the first epoch).
    Stop when it has not changed (up to a permutation of labels) for ``patience``
    epochs, or when the relative change of the cut falls below ``tol``.
    """

    def __init__(self, n_clusters, n_retained, kmeans_n_init, seed, tol, patience):
        self.n_clusters = n_clusters
        self.n_retained = n_retained
        self.kmeans_n_init = kmeans_n_init
        self.seed = seed
        self.tol = tol
        self.patience = patience

    def on_train_begin(self, net, **kwargs):
        self.prev_ = None
        self.stable_ = 0
        net.stop_reason_ = "max_epochs"

    def on_epoch_begin(self, net, **kwargs):
        labels, _, _ = _spectral_partition(
            net.module_.C.detach(), self.n_clusters, self.n_retained,
            n_init=self.kmeans_n_init, seed=self.seed, warm_labels=self.prev_,
        )
        if self.prev_ is not None and _same_partition(labels, self.prev_):
            self.stable_ += 1
        else:
            self.stable_ = 0
        self.prev_ = labels
        net.partition_ = torch.as_tensor(labels, device=net.module_.C.device)
        net.history.record("stable_epochs", self.stable_)

    def on_epoch_end(self, net, **kwargs):
        hist = net.history
        if self.stable_ >= self.patience:
            net.stop_reason_ = "stable_partition"
            raise KeyboardInterrupt
        if len(hist) >= 2:
            prev, cur = hist[-2, "cut"], hist[-1, "cut"]
            if abs(cur - prev) / max(abs(prev), 1e-30) < self.tol:
                net.stop_reason_ = "cut_change"
                raise KeyboardInterrupt


def _same_partition(a, b):
    """True when two labelings are equal up to a permutation (ARI = 1)."""
    pairs = len(set(zip(a.tolist(), b.tolist())))
    return pairs == len(np.unique(a)) == len(np.unique(b))


# --------------------------------------------------------------------------- #
# post-processing
# --------------------------------------------------------------------------- #
def retained_affinity(C, n_retained=9):
    """Symmetric affinity keeping the ``n_retained`` leading coefficients per column.

    ``A = (|C| + |C|^T) / 2`` with a zero diagonal; per column the ``n_retained``
    largest entries are kept (ties keep more, zeros are dropped); the result is
    symmetrised again, ``(A + A^T) / 2``.

    Parameters
    ----------
    C : ndarray or torch.Tensor of shape (n, n)
        Self-expression coefficients (a tensor stays on its device for the
        dense part; only the kept entries are copied to the CPU).
    n_retained : int or None, default=9
        Coefficients kept per column; None or 0 keeps every non-zero entry.

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n, n), float64
    """
    with torch.no_grad():
        Ct = torch.as_tensor(C)
        n = Ct.shape[0]
        A = Ct.abs()
        A = A + A.T
        A.mul_(0.5)
        A.fill_diagonal_(0.0)
        if n_retained and n_retained < n - 1:
            kth = torch.topk(A, int(n_retained), dim=0).values[-1]
            mask = (A >= kth.unsqueeze(0)) & (A > 0)
        else:
            mask = A > 0
        rows, cols = torch.nonzero(mask, as_tuple=True)
        vals = A[rows, cols]
        del A, mask
    M = sp.csr_matrix(
        (vals.double().cpu().numpy(), (rows.cpu().numpy(), cols.cpu().numpy())),
        shape=(n, n),
    )
    return ((M + M.T) * 0.5).tocsr()


def _shifted_laplacian_embedding(A, n_clusters, seed):
    """Rows of the top-K eigenvectors of ``I + D^-1/2 A D^-1/2``, L2-normalised."""
    n = A.shape[0]
    deg = np.asarray(A.sum(axis=1)).ravel()
    eps = 1e-12 * max(float(deg.max(initial=0.0)), 1e-300)
    dm = 1.0 / np.sqrt(deg + eps)
    S = sp.diags(dm) @ A @ sp.diags(dm)
    L = (sp.identity(n, format="csr") + S).tocsr()
    if n <= 200 or n_clusters >= n // 4:
        _, V = scipy.linalg.eigh(L.toarray(), subset_by_index=[n - n_clusters, n - 1])
    else:
        v0 = np.random.RandomState(seed % (2**32 - 1)).uniform(0.5, 1.5, n)
        _, V = eigsh(L, k=n_clusters, which="LA", v0=v0)
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V / np.maximum(norms, 1e-12)


def angular_affinity(A, power=2.0):
    """MLG-DSC's affinity in the angular domain (``adjacency_matrix_angular_domain.m``).

    With the full SVD ``A = U S V^T`` of a symmetric affinity, ``Z = U S^1/2`` with
    unit rows and ``A' = |Z Z^T|^power`` (element-wise; MLG-DSC uses
    ``power = 2`` on EYaleB). Dense: ``O(n^3)`` time and several ``n^2`` float64
    arrays, so use it for a few thousand rows at most.

    Parameters
    ----------
    A : scipy.sparse matrix or ndarray of shape (n, n), symmetric
    power : float, default=2.0

    Returns
    -------
    A_angular : scipy.sparse.csr_matrix of shape (n, n) (dense content)
    """
    dense = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=np.float64)
    w, V = np.linalg.eigh(dense)  # symmetric: U S U^T with S = |w|
    G = (V * np.abs(w)) @ V.T
    zz = 1.0 / np.sqrt(np.maximum(np.diag(G), 0.0) + np.finfo(float).eps)
    G *= zz[:, None]
    G *= zz[None, :]
    return sp.csr_matrix(np.abs(G) ** float(power))


def _spectral_partition(C, n_clusters, n_retained, n_init=20, seed=0, warm_labels=None,
                        angular_power=None):
    A = retained_affinity(C, n_retained)
    if angular_power is not None:
        A = angular_affinity(A, angular_power)
    V = _shifted_laplacian_embedding(A, n_clusters, seed)
    if warm_labels is not None and len(np.unique(warm_labels)) == n_clusters:
        centers = np.stack([V[warm_labels == k].mean(0) for k in range(n_clusters)])
        labels, _, _ = fit_kmeans(V, n_clusters, n_init=1, max_iter=1000,
                                  random_state=seed, backend="sklearn", init=centers)
    else:
        labels, _, _ = fit_kmeans(V, n_clusters, n_init=n_init, max_iter=1000,
                                  random_state=seed, backend="sklearn")
    return labels, A, V


def shifted_laplacian_clustering(C, n_clusters, n_retained=9, *, kmeans_n_init=20,
                                 angular_power=None, random_state=0):
    """LIHFSS/MLG-DSC post-processing: retained affinity + shifted-Laplacian spectral.

    Keeps the ``n_retained`` leading coefficients per column of
    ``(|C| + |C|^T) / 2`` (diagonal zeroed), takes the top ``n_clusters``
    eigenvectors of ``I + D^-1/2 A D^-1/2`` (the smallest of the symmetric
    normalised Laplacian), normalises their rows and runs k-means
    (``kmeans_n_init`` restarts, 1000 iterations, fixed seed).

    Parameters
    ----------
    C : ndarray or torch.Tensor of shape (n, n)
    n_clusters : int
    n_retained : int or None, default=9
    kmeans_n_init : int, default=20
    angular_power : float or None, default=None
        If set, the retained affinity is mapped to MLG-DSC's angular domain
        (:func:`angular_affinity`) before the spectral step.
    random_state : int, default=0

    Returns
    -------
    labels : ndarray of shape (n,), int64
    affinity : scipy.sparse.csr_matrix of shape (n, n)
        The affinity that was clustered (retained, angular if requested).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster._dsc import shifted_laplacian_clustering
    >>> C = np.kron(np.eye(2), np.ones((3, 3)))
    >>> labels, A = shifted_laplacian_clustering(C, 2, n_retained=2)
    >>> len(set(labels[:3].tolist())), bool(labels[0] != labels[3])
    (1, True)
    """
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    labels, A, _ = _spectral_partition(C, n_clusters, n_retained, n_init=kmeans_n_init,
                                       seed=seed, angular_power=angular_power)
    return labels, A


def dscnet_postprocess(C, n_clusters, rho=0.2, dim=3, power=1.0, *, random_state=0):
    """DSC-Net's ``thrC`` + ``post_proC`` post-processing.

    ``thrC``: per column keep the largest ``|c|`` up to the first index where their
    cumulative sum exceeds ``rho * ||c||_1`` (``rho >= 1``: no-op). ``post_proC``:
    symmetrise, take the top ``dim * n_clusters + 1`` singular vectors scaled by
    ``sqrt(S)``, row-normalise, ``Z = U U^T`` clipped at 0, ``L = Z^power``
    normalised, then :class:`~sklearn.cluster.SpectralClustering` (precomputed,
    arpack, ``assign_labels="discretize"``).

    Returns
    -------
    labels : ndarray of shape (n,), int64
    affinity : scipy.sparse.csr_matrix of shape (n, n)
    """
    C = np.asarray(torch.as_tensor(C).detach().cpu().double().numpy())
    n = C.shape[0]
    if rho < 1:
        S = np.abs(C)
        order = np.argsort(-S, axis=0, kind="stable")
        Ss = np.take_along_axis(S, order, axis=0)
        cs = np.cumsum(Ss, axis=0)
        keep = np.minimum((cs <= rho * cs[-1:]).sum(axis=0) + 1, n)
        ranks = np.arange(n)[:, None] < keep[None, :]
        Cp = np.zeros_like(C)
        rows = order[ranks]
        cols = np.broadcast_to(np.arange(n)[None, :], (n, n))[ranks]
        Cp[rows, cols] = C[rows, cols]
        C = Cp
    C = 0.5 * (C + C.T)
    r = int(min(dim * n_clusters + 1, n - 1))
    U, s, _ = svds(C, k=r, v0=np.ones(n))
    U = U[:, ::-1] * np.sqrt(s[::-1])[None, :]
    U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), 1e-12)
    Z = U @ U.T
    Z[Z < 0] = 0
    Lm = np.abs(Z ** power)
    Lm /= max(Lm.max(), 1e-300)
    Lm = 0.5 * (Lm + Lm.T)
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    sc = SpectralClustering(n_clusters=n_clusters, affinity="precomputed",
                            eigen_solver="arpack", assign_labels="discretize",
                            random_state=seed)
    labels = sc.fit_predict(Lm).astype(np.int64)
    return labels, sp.csr_matrix(Lm)


def dense_memory_bytes(n_samples, layer_dims=()):
    """Estimated peak bytes of a dense DSC fit on ``n_samples`` rows (float32).

    ``C``, its gradient and the two Adam moments take ``16 n^2`` bytes; the
    temporaries of the losses and of the retention step (``|C| + |C|^T``, the
    square root, masks, ``top-k``) take about as much again, and the layer
    activations ``C H_v`` add ``16 n sum_v d_v``::

        bytes ~ 32 n^2 + 16 n sum_v d_v

    Examples
    --------
    >>> from skdeepcluster._dsc import dense_memory_bytes
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


# --------------------------------------------------------------------------- #
# estimator
# --------------------------------------------------------------------------- #
class DSC(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
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
       below ``tol`` for ``patience`` epochs, or at ``se_max_epochs``. Stopping
       early is the only regulariser: ``C`` drifts towards an identity-like
       least-squares solution if trained on;
    2. clustering-quality fine-tuning of ``C`` alone with an S3C-style
       structured norm, ``sum_{i,j: y_i != y_j} sqrt(|c_ij| + |c_ji| + eps)``,
       where the partition ``y`` is re-estimated by spectral clustering at every
       epoch. Stops when the partition has not changed for ``patience`` epochs,
       when the relative change of the cut is below ``sn_tol``, or at
       ``sn_max_epochs``;
    3. post-processing: ``postprocess="kopriva"`` keeps the ``n_retained``
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
    ``32 n^2`` bytes with temporaries (:func:`dense_memory_bytes`): 0.1 GB for
    1,797 rows, 3.2 GB for 10,000, 12.8 GB for 20,000; about 47,000 rows fill
    an 80 GB GPU (70,000 would need 157 GB). On a CPU, time limits dense fits
    to a few thousand rows. Above ``max_dense_samples`` rows, or beyond the
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
    se_max_epochs : int, default=1000
        Maximum epochs of stage 1.
    sn_max_epochs : int, default=200
        Maximum epochs of stage 2 (0 skips stage 2).
    tol_rse : float or None, default=0.25
        Stage 1 stops once the relative self-expression error is at most this.
    tol : float, default=1e-2
        Stage 1 also stops when the relative loss change stayed below ``tol``
        for ``patience`` epochs.
    sn_tol : float, default=1e-3
        Stage 2 stops when the relative change of the cut is below ``sn_tol``.
    patience : int, default=10
        Epochs of the plateau rule (stage 1) and of partition stability
        (stage 2).
    min_epochs : int, default=10
        Stage 1 never stops before this epoch (Adam oscillates early).
    zero_diagonal : bool, default=True
        Keep ``diag(C) = 0`` (a point may not represent itself).
    c_init : float, default=1e-8
        Initial value of every off-diagonal coefficient.
    postprocess : {"kopriva", "dscnet"}, default="kopriva"
        Final spectral step (see above).
    dscnet_params : tuple (rho, dim, power) or None, default=None
        Parameters of ``postprocess="dscnet"``; None uses ``(0.2, 3, 1.0)``.
    angular_power : float or None, default=None
        With ``postprocess="kopriva"``, map the retained affinity to MLG-DSC's
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
        1 prints a line per stage; 2 also prints skorch's epoch tables.

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
    stage_epochs_ : tuple of int
        Epochs run in stages 0, 1 and 2.
    stop_reasons_ : dict
        Why stages 1 and 2 stopped: ``"rse"``, ``"loss_plateau"``,
        ``"stable_partition"``, ``"cut_change"`` or ``"max_epochs"``.
    n_iter_ : int
        Total epochs of all stages.
    history_ : list of dict
        Per-epoch records of every stage (``stage``, ``train_loss``, ``rse``,
        ``cut``, ...).
    net_ : skorch.NeuralNet
        The stage-1 net; its encoder gives ``transform``. Its ``C`` parameter
        is released after fitting (``coef_`` holds the final ``C``).
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

    def __init__(self, n_clusters=8, *, n_retained=9, input_shape=None, channels=(10, 20),
                 kernel_sizes=(3, 3), hidden_dims=None, pretrain="reconstruction",
                 lr=1e-3, pretrain_max_epochs=100, batch_size=None, se_max_epochs=1000,
                 sn_max_epochs=200, tol_rse=0.25, tol=1e-2, sn_tol=1e-3, patience=10,
                 min_epochs=10, zero_diagonal=True, c_init=1e-8, postprocess="kopriva",
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
        self.se_max_epochs = se_max_epochs
        self.sn_max_epochs = sn_max_epochs
        self.tol_rse = tol_rse
        self.tol = tol
        self.sn_tol = sn_tol
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
    def _check_params(self):
        def pos_int(name, low=1, allow_none=False):
            v = getattr(self, name)
            if allow_none and v is None:
                return
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) \
                    or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}.")

        pos_int("n_retained", 1, allow_none=True)
        pos_int("pretrain_max_epochs", 0)
        pos_int("batch_size", 1, allow_none=True)
        pos_int("se_max_epochs", 1)
        pos_int("sn_max_epochs", 0)
        pos_int("patience", 1)
        pos_int("min_epochs", 1)
        pos_int("kmeans_n_init", 1)
        pos_int("n_subsample", 2, allow_none=True)
        pos_int("max_dense_samples", 2)
        pos_int("max_memory", 1, allow_none=True)
        for name in ("lr", "tol", "sn_tol"):
            v = getattr(self, name)
            if not isinstance(v, numbers.Real) or not v > 0:
                raise ValueError(f"{name} must be a positive number, got {v!r}.")
        if self.tol_rse is not None and not (isinstance(self.tol_rse, numbers.Real)
                                             and self.tol_rse >= 0):
            raise ValueError(f"tol_rse must be a number >= 0 or None, got {self.tol_rse!r}.")
        if not isinstance(self.c_init, numbers.Real) or not np.isfinite(self.c_init):
            raise ValueError(f"c_init must be a finite number, got {self.c_init!r}.")
        if self.pretrain not in ("reconstruction", None):
            raise ValueError(
                f"pretrain must be 'reconstruction' or None, got {self.pretrain!r}."
            )
        if self.postprocess not in ("kopriva", "dscnet"):
            raise ValueError(
                f"postprocess must be 'kopriva' or 'dscnet', got {self.postprocess!r}."
            )
        if self.mode not in ("auto", "dense", "subsample"):
            raise ValueError(
                f"mode must be 'auto', 'dense' or 'subsample', got {self.mode!r}."
            )
        if self.angular_power is not None and not (
                isinstance(self.angular_power, numbers.Real) and self.angular_power > 0):
            raise ValueError(
                f"angular_power must be a positive number or None, got {self.angular_power!r}."
            )
        if self.dscnet_params is not None and len(tuple(self.dscnet_params)) != 3:
            raise ValueError("dscnet_params must be a tuple (rho, dim, power) or None.")

    def _build_encoder(self, n_features, shape):
        if shape is not None:
            channels = tuple(int(c) for c in self.channels)
            kernels = tuple(int(k) for k in self.kernel_sizes)
            if len(channels) == 0 or len(channels) != len(kernels) or min(channels + kernels) < 1:
                raise ValueError(
                    "channels and kernel_sizes must be non-empty tuples of positive "
                    f"ints of equal length, got {self.channels!r} and {self.kernel_sizes!r}."
                )
            enc = _ConvEncoder(shape, channels, kernels)
            dec = _ConvDecoder(enc, channels, kernels, last_relu=self._nonneg_)
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
        enc = _MLPEncoder(n_features, hidden)
        dec = _MLPDecoder(n_features, hidden, last_relu=False)
        return enc, dec

    def _log(self, msg):
        if self.verbose:
            print(f"[DSC] {msg}", flush=True)

    # ------------------------------------------------------------------ #
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
        X = validate_data(self, X, dtype=(np.float64, np.float32), ensure_min_samples=2)
        self._check_params()
        n, d = X.shape
        shape = check_input_shape(self.input_shape, d)
        K = check_n_clusters(self.n_clusters, n)
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, 2**31 - 1, size=6)

        # scaling (no centring: linear subspaces stay linear)
        absmax = np.abs(X).max(axis=0).astype(np.float64)
        if shape is not None:
            g = float(absmax.max())
            scale = np.full(d, 1.0 / g if g > 0 else 1.0)
        else:
            scale = np.where(absmax > 0, 1.0 / np.where(absmax > 0, absmax, 1.0), 1.0)
        self.scale_ = scale
        self._nonneg_ = bool(X.min() >= 0)

        with seeded(seeds[0]):
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

        Xt = as_device_tensor(X[fit_idx] * scale, device)
        history = []
        skorch_verbose = int(self.verbose > 1)

        # ---- stage 0: reconstruction pretraining -----------------------
        e0 = 0
        if self.pretrain == "reconstruction" and self.pretrain_max_epochs > 0:
            bs = self.batch_size
            if bs is None:
                bs = -1 if n_fit <= 4096 else 256
            with seeded(seeds[1], device):
                net0 = make_net(_ReconstructionNet, _AutoEncoder(encoder, decoder),
                                device=device, seed=seeds[1], lr=self.lr,
                                max_epochs=self.pretrain_max_epochs, batch_size=bs,
                                verbose=skorch_verbose)
                net0.fit(Xt, None)
            encoder = net0.module_.encoder
            rows = history_to_list(net0)
            e0 = len(rows)
            history += [dict(r, stage=0) for r in rows]
            self._log(f"stage 0: {e0} epochs, reconstruction loss {rows[-1]['train_loss']:.4g}")
            del net0

        # ---- stage 1: joint layer-wise self-expression -----------------
        with seeded(seeds[2], device):
            module = _SelfExpressive(encoder, n_fit, self.c_init, self.zero_diagonal)
            net1 = make_net(_SelfExpressionNet, module, device=device, seed=seeds[2],
                            lr=self.lr, max_epochs=self.se_max_epochs, batch_size=-1,
                            callbacks=[("se_stop", _SelfExpressionStop(
                                self.tol_rse, self.tol, self.patience, self.min_epochs))],
                            verbose=skorch_verbose)
            net1.set_params(iterator_train__shuffle=False)
            net1.zero_diagonal = bool(self.zero_diagonal)
            net1.fit(Xt, None)
        rows = history_to_list(net1)
        e1 = len(rows)
        history += [dict(r, stage=1) for r in rows]
        reasons = {"stage1": net1.stop_reason_}
        self._log(f"stage 1: {e1} epochs, rSE {rows[-1]['rse']:.3f} "
                  f"(stop: {net1.stop_reason_})")
        C = net1.module_.C.detach().clone()
        # release C and its Adam state from the stage-1 net (coef_ keeps C)
        net1.module_.C = nn.Parameter(torch.zeros(0, 0, device=C.device))
        net1.initialize_optimizer()

        # ---- stage 2: structured-norm fine-tuning of C -----------------
        e2 = 0
        if self.sn_max_epochs > 0 and K > 1:
            with seeded(seeds[3], device):
                net2 = make_net(_StructuredNormNet, _Coefficients(C), device=device,
                                seed=seeds[3], lr=self.lr, max_epochs=self.sn_max_epochs,
                                batch_size=-1,
                                callbacks=[("partition", _PartitionUpdate(
                                    K, self.n_retained, self.kmeans_n_init, int(seeds[4]),
                                    self.sn_tol, self.patience))],
                                verbose=skorch_verbose)
                net2.set_params(iterator_train__shuffle=False)
                net2.zero_diagonal = bool(self.zero_diagonal)
                net2.fit(Xt, None)
            rows = history_to_list(net2)
            e2 = len(rows)
            history += [dict(r, stage=2) for r in rows]
            reasons["stage2"] = net2.stop_reason_
            C = net2.module_.C.detach()
            self._log(f"stage 2: {e2} epochs (stop: {net2.stop_reason_})")
            del net2
        else:
            reasons["stage2"] = "skipped"

        # ---- post-processing -------------------------------------------
        if self.postprocess == "kopriva":
            fit_labels, A = shifted_laplacian_clustering(
                C, K, self.n_retained, kmeans_n_init=self.kmeans_n_init,
                angular_power=self.angular_power, random_state=int(seeds[5]))
        else:
            rho, dim, power = self.dscnet_params or (0.2, 3, 1.0)
            fit_labels, A = dscnet_postprocess(C, K, rho, int(dim), power,
                                               random_state=int(seeds[5]))
        self.coef_ = C.cpu().numpy().astype(np.float32, copy=False)
        del C
        self.affinity_ = A
        self.net_ = net1
        self.stage_epochs_ = (e0, e1, e2)
        self.stop_reasons_ = reasons
        self.n_iter_ = e0 + e1 + e2
        self.history_ = history

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
        return self

    # ------------------------------------------------------------------ #
    @torch.no_grad()
    def _features(self, X, batch_size=2048):
        """L2-normalised last-layer features, computed in float64 (no attribute writes)."""
        device = self.net_.device
        enc = copy.deepcopy(self.net_.module_.encoder).to(device=device, dtype=torch.float64)
        enc.eval()
        Xs = np.asarray(X, dtype=np.float64) * self.scale_
        out = []
        for start in range(0, len(Xs), batch_size):
            xb = torch.as_tensor(Xs[start:start + batch_size], device=device)
            h = enc(xb)[-1].reshape(len(xb), -1)
            out.append(h.cpu().numpy())
        Fm = np.concatenate(out) if out else np.zeros((0, self._n_features_out))
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
