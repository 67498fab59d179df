"""DEPICT: deep clustering via joint convolutional autoencoder embedding and
relative entropy minimisation (Ghasedi Dizaji et al., ICCV 2017)."""

import numbers
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from .utils import (
    RandomHoldout,
    as_device_tensor,
    check_input_shape,
    check_n_clusters,
    cpu_threads,
    early_stopping,
    fit_kmeans,
    history_to_list,
    knn_spectral_clustering,
    make_net,
    resolve_device,
    run_in_batches,
    seeded,
    torch_seed,
)
from .utils._skorch import IndexedNet

__all__ = ["DEPICT"]

_LEAK = 0.01


# --------------------------------------------------------------------------- #
# Network
# --------------------------------------------------------------------------- #
def conv_geometry(height, width):
    """Kernel sizes and paddings of DEPICT's two stride-2 convolutions.

    Follows the paper's rule (2 layers, kernels about 5x5, conv2 output about
    10x10) and reproduces the published table for 28x28, 16x16, 32x32 and 55x55
    inputs. Returns ``(kernels, paddings)``.
    """
    table = {28: ((4, 5), (0, 2)), 16: ((4, 5), (0, 2)), 32: ((4, 5), (2, 2)),
             55: ((5, 4), (2, 0))}
    side = min(height, width)
    if height == width and side in table:
        return table[side]
    # generic: 4x4 then 5x5 kernels; pad the first conv more on larger inputs
    return (4, 5), ((2 if side >= 30 else 0), 2)


def _conv_out(n, k, p, s=2):
    return (n + 2 * p - k) // s + 1


def conv_shapes(input_shape, channels=(50, 50), kernel_sizes=None, paddings=None):
    """Kernels, paddings and the (C, H, W) of the input and both conv outputs."""
    c_in, h, w = input_shape
    if kernel_sizes is None or paddings is None:
        ks, ps = conv_geometry(h, w)
        kernel_sizes = kernel_sizes or ks
        paddings = paddings or ps
    (k0, k1), (p0, p1) = kernel_sizes, paddings
    h1, w1 = _conv_out(h, k0, p0), _conv_out(w, k0, p0)
    h2, w2 = _conv_out(h1, k1, p1), _conv_out(w1, k1, p1)
    shapes = [(c_in, h, w), (channels[0], h1, w1), (channels[1], h2, w2)]
    return tuple(kernel_sizes), tuple(paddings), shapes


class DEPICTModule(nn.Module):
    """Autoencoder with noisy and clean encoder paths sharing weights, a decoder
    fed by the noisy embedding and a softmax clustering head.

    ``forward`` returns ``(logits_noisy, logits_clean, clean_hidden, decoded)``:
    ``clean_hidden`` lists the clean encoder outputs below the embedding (input
    first) and ``decoded`` the matching decoder outputs, so that the layer-wise
    reconstruction loss pairs them one to one.
    """

    def __init__(self, n_features, n_clusters, input_shape=None, channels=(50, 50),
                 kernel_sizes=None, paddings=None, hidden_dims=(500, 500, 2000),
                 dropout=(0.1, 0.1, 0.0)):
        super().__init__()
        self.input_shape = input_shape
        self.conv = input_shape is not None
        K = n_clusters
        if self.conv:
            kernel_sizes, paddings, shapes = conv_shapes(
                input_shape, channels, kernel_sizes, paddings)
            (k0, k1), (p0, p1) = kernel_sizes, paddings
            (c_in, h, w), (c1, h1, w1), (c2, h2, w2) = shapes
            if min(h2, w2) < 1:
                raise ValueError(
                    f"input_shape={input_shape} is too small for two stride-2 "
                    "convolutions; use the MLP variant (architecture='mlp')."
                )
            self.shapes = shapes
            self.enc = nn.ModuleList([
                nn.Conv2d(c_in, c1, k0, stride=2, padding=p0),
                nn.Conv2d(c1, c2, k1, stride=2, padding=p1),
                nn.Linear(c2 * h2 * w2, K),
            ])
            # output_padding makes the transpose convolutions land exactly on the
            # encoder's sizes for any input size
            op1 = (h1 - ((h2 - 1) * 2 - 2 * p1 + k1), w1 - ((w2 - 1) * 2 - 2 * p1 + k1))
            op0 = (h - ((h1 - 1) * 2 - 2 * p0 + k0), w - ((w1 - 1) * 2 - 2 * p0 + k0))
            self.dec = nn.ModuleList([
                nn.Linear(K, c2 * h2 * w2),
                nn.ConvTranspose2d(c2, c1, k1, stride=2, padding=p1, output_padding=op1),
                nn.ConvTranspose2d(c1, c_in, k0, stride=2, padding=p0, output_padding=op0),
            ])
        else:
            dims = [n_features, *hidden_dims, K]
            self.enc = nn.ModuleList(
                [nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])]
            )
            rdims = dims[::-1]
            self.dec = nn.ModuleList(
                [nn.Linear(a, b) for a, b in zip(rdims[:-1], rdims[1:])]
            )
        n_drop = len(self.enc)  # input + every hidden layer below the embedding
        dropout = tuple(dropout) + (dropout[-1],) * max(0, n_drop - len(dropout))
        self.dropout = dropout[:n_drop]
        self.head = nn.Linear(K, K)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def _hidden(self, x, noisy):
        """Encoder outputs ``[x, h1, ..., h_{L-1}]`` and the embedding."""
        drop = noisy and self.training
        if self.conv:
            x = x.reshape(len(x), *self.shapes[0])
        outs = [x]
        h = F.dropout(x, self.dropout[0], training=drop) if drop else x
        for i, layer in enumerate(self.enc[:-1]):
            h = F.leaky_relu(layer(h), _LEAK)
            outs.append(h)
            if drop and self.dropout[i + 1] > 0:
                h = F.dropout(h, self.dropout[i + 1], training=True)
        z = torch.tanh(self.enc[-1](h.flatten(1)))
        return outs, z

    def embed(self, x):
        """Clean embedding ``z`` (no dropout)."""
        return self._hidden(x, noisy=False)[1]

    def decode(self, z):
        """Decoder outputs, deepest first, ending with the reconstruction."""
        outs = []
        h = z
        for i, layer in enumerate(self.dec):
            last = i == len(self.dec) - 1
            h = layer(h)
            if self.conv and i == 0:
                h = h.reshape(len(h), *self.shapes[-1])
            h = torch.tanh(h) if last else F.leaky_relu(h, _LEAK)
            outs.append(h)
        return outs[::-1]  # reconstruction first, matching the encoder order

    def forward(self, x):
        clean, z = self._hidden(x, noisy=False)
        if self.training:
            _, z_noisy = self._hidden(x, noisy=True)
        else:
            z_noisy = z
        decoded = self.decode(z_noisy)
        return self.head(z_noisy), self.head(z), clean, decoded


def reconstruction_loss(clean, decoded, hidden_weight):
    """Input MSE plus ``hidden_weight`` times each hidden layer's MSE."""
    loss = F.mse_loss(decoded[0].reshape(clean[0].shape), clean[0])
    for c, d in zip(clean[1:], decoded[1:]):
        loss = loss + hidden_weight * F.mse_loss(d, c)
    return loss


def _cluster_means(Z, labels, n_clusters):
    """Mean row of ``Z`` per cluster; zeros for a cluster without members."""
    return np.stack([
        Z[labels == k].mean(0) if np.any(labels == k) else np.zeros(Z.shape[1])
        for k in range(n_clusters)
    ])


def compute_targets(P, rule):
    """DEPICT's E-step: auxiliary targets Q from the clean soft assignments P."""
    if rule == "square":  # the reference code (DEC sharpening)
        Q = P**2 / P.sum(0, keepdim=True)
    else:  # "sqrt", the paper's closed form
        Q = P / P.sum(0, keepdim=True).sqrt()
    return Q / Q.sum(1, keepdim=True)


# --------------------------------------------------------------------------- #
# skorch nets, one per phase
# --------------------------------------------------------------------------- #
class _ReconstructionNet(IndexedNet):
    """Phase A: layer-wise reconstruction through the noisy path."""

    def compute_loss(self, y_pred, idx, X, training):
        _, _, clean, decoded = y_pred
        return self.recon_weight_ * reconstruction_loss(
            clean, decoded, self.hidden_recon_weight_)


class _PseudoLabelNet(_ReconstructionNet):
    """Phase C: cross-entropy on k-means pseudo-labels plus reconstruction."""

    def compute_loss(self, y_pred, idx, X, training):
        logits_noisy = y_pred[0]
        ce = F.cross_entropy(logits_noisy, self.pseudo_labels_[idx])
        return super().compute_loss(y_pred, idx, X, training) + self.cluster_weight_ * ce


class _SelfTrainingNet(_ReconstructionNet):
    """Phase D: cross-entropy towards the frozen targets Q plus reconstruction;
    the clean assignments of each batch are refreshed after its update."""

    def compute_loss(self, y_pred, idx, X, training):
        logp = F.log_softmax(y_pred[0], dim=1)
        ce = -(self.Q_[idx] * logp).sum(1).mean()
        return super().compute_loss(y_pred, idx, X, training) + self.cluster_weight_ * ce

    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        Xi, idx = batch
        with torch.no_grad():
            self.module_.eval()
            self.P_[idx] = torch.softmax(self.module_.head(self.module_.embed(Xi)), 1)
            self.module_.train()
        return step


class _ValidNMI(Callback):
    """Records NMI between clean argmax and pseudo-labels on the held-out rows."""

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        with torch.no_grad():
            net.module_.eval()
            logits = net.module_.head(net.module_.embed(dataset_valid.X))
            net.module_.train()
        pred = logits.argmax(1).cpu().numpy()
        ref = net.pseudo_labels_[dataset_valid.y].cpu().numpy()
        net.history.record("valid_nmi", normalized_mutual_info_score(ref, pred))


class _TargetUpdate(Callback):
    """Recomputes Q once per epoch and stops on the label-free criterion."""

    def __init__(self, target, tol, label_change_tol):
        self.target = target
        self.tol = tol
        self.label_change_tol = label_change_tol

    def on_epoch_end(self, net, **kwargs):
        Q = compute_targets(net.P_, self.target)
        change = float(((Q - net.Q_) ** 2).mean())
        labels = net.P_.argmax(1)
        frac = float((labels != net.labels_prev_).double().mean())
        net.history.record("q_change", change)
        net.history.record("label_change", frac)
        net.Q_ = Q
        net.labels_prev_ = labels
        if change < self.tol or (
            self.label_change_tol is not None and frac < self.label_change_tol
        ):
            net.stopped_by_tol_ = True
            raise KeyboardInterrupt  # skorch's way to end training early


# --------------------------------------------------------------------------- #
# Estimator
# --------------------------------------------------------------------------- #
class DEPICT(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
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
    B. an initial clustering of the clean embedding (k-means, or spectral
       clustering of its k-nearest-neighbour graph); the head is initialised
       with the normalised cluster centroids;
    C. head fitting on the phase-B pseudo-labels (plus reconstruction),
       stopped when the held-out NMI to the pseudo-labels stops improving;
    D. self-training with targets recomputed every epoch, stopped when the
       targets stop changing (``tol``) or, optionally, when fewer than
       ``label_change_tol`` of the labels change.

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
        features or more, the DEC-style suggestion of the spec; 128-128-512 for
        the 64 pixels of digits).
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
        rate (the paper's 1e-4) moves less towards stale targets. On digits
        1e-3 refined more than 1e-4 in our runs (3 seeds). On
        Fashion-MNIST self-training did not improve on its initial clustering
        at any rate we tried (``benchmarks/RESULTS.md``).
    batch_size : int, default=256
        Mini-batch size of every phase (the paper used 100; 256 gave the same
        or better clusterings on digits at a lower cost per epoch).
    pretrain_max_epochs : int, default=300
    pretrain_patience : int, default=10
        Phase A stops after this many epochs without a relative improvement of
        ``pretrain_tol`` of the held-out reconstruction loss.
    pretrain_tol : float, default=1e-3
    init_phase : bool, default=True
        Run phase C.
    init_max_epochs : int, default=100
    init_patience : int, default=5
    max_epochs : int, default=300
        Cap of phase D epochs.
    tol : float, default=1e-6
        Phase D stops when the mean squared change of ``Q`` between epochs falls
        below ``tol``.
    label_change_tol : float or None, default=0.001
        Phase D also stops when fewer than this fraction of the labels change in
        an epoch (None disables it).
    validation_fraction : float, default=0.1
        Random (never label-stratified) held-out fraction of phases A and C.
    init : {"auto", "kmeans", "spectral"}, default="auto"
        Phase B's initial clustering of the clean embedding. ``"kmeans"`` is the
        paper's k-means. ``"spectral"`` clusters the embedding's symmetric
        k-nearest-neighbour graph (normalised spectral embedding, labels by
        column-pivoted QR; LOBPCG on the device): a scalable stand-in for the
        graph-based AC-PIC the reference code used on some data sets, it follows
        curved cluster shapes that k-means cuts. ``"auto"`` uses spectral for the
        convolutional network (images: on Fashion-MNIST its initial clustering
        reached ACC 0.61 against k-means' 0.56 on the same embedding) and
        k-means for the MLP (tabular data, where duplicated rows make detached
        graph components that spectral clustering turns into clusters: ACC 0.15
        against 0.32 on LetterRecognition; ``benchmarks/RESULTS.md``).
    n_neighbors : int, default=10
        Neighbours per sample in the ``"spectral"`` graph.
    kmeans_n_init : int, default=40
        Restarts of the phase B k-means.
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
        0 is silent; 1 prints each phase and skorch's per-epoch table.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (argmax of the clean softmax).
    cluster_centers_ : ndarray of shape (n_clusters, n_clusters)
        Mean clean embedding of each cluster.
    init_labels_ : ndarray of shape (n_samples,)
        The phase-B initial clustering.
    init_ : str
        The phase-B method used (``"kmeans"`` or ``"spectral"``).
    net_ : skorch.NeuralNet
        The trained network of the last phase (its ``module_`` is the DEPICT
        network; ``history`` its per-epoch log).
    history_ : dict
        Per-phase lists of epoch records: ``"pretrain"``, ``"init"``,
        ``"self_training"``; ``history_["seconds"]`` the phase durations.
    stopped_ : dict
        For each phase, ``"tol"`` (label-free rule) or ``"max_epochs"``.
    n_iter_ : int
        Phase D epochs run.
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

    def __init__(self, n_clusters=8, *, input_shape=None, architecture="auto",
                 channels=(50, 50), kernel_sizes=None, paddings=None,
                 hidden_dims=None, dropout=None, target="square",
                 recon_weight=1.0, cluster_weight=1.0, hidden_recon_weight=0.1,
                 lr=1e-3, clustering_lr=None, batch_size=256, pretrain_max_epochs=300,
                 pretrain_patience=10, pretrain_tol=1e-3, init_phase=True,
                 init_max_epochs=100, init_patience=5, max_epochs=300, tol=1e-6,
                 label_change_tol=0.001, validation_fraction=0.1,
                 init="auto", n_neighbors=10,
                 kmeans_n_init=40, input_scaling="auto", dtype="float32",
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
        self.tol = tol
        self.label_change_tol = label_change_tol
        self.validation_fraction = validation_fraction
        self.init = init
        self.n_neighbors = n_neighbors
        self.kmeans_n_init = kmeans_n_init
        self.input_scaling = input_scaling
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ utils
    def _check_params(self):
        if self.target not in ("square", "sqrt"):
            raise ValueError(f"target must be 'square' or 'sqrt', got {self.target!r}.")
        if self.init not in ("auto", "kmeans", "spectral"):
            raise ValueError(
                f"init must be 'auto', 'kmeans' or 'spectral', got {self.init!r}.")
        if self.architecture not in ("auto", "conv", "mlp"):
            raise ValueError(
                f"architecture must be 'auto', 'conv' or 'mlp', got {self.architecture!r}.")
        if self.input_scaling not in ("auto", "minmax", "feature_minmax", None):
            raise ValueError(
                "input_scaling must be 'auto', 'minmax', 'feature_minmax' or None, "
                f"got {self.input_scaling!r}.")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}.")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction}.")
        for name in ("batch_size", "pretrain_max_epochs", "max_epochs",
                     "init_max_epochs", "kmeans_n_init", "n_neighbors"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")

    def _flatten_images(self, X):
        """Accept (n, H, W) and (n, C, H, W) arrays; return 2-D X and a shape."""
        shape = self.input_shape
        if hasattr(X, "ndim") and X.ndim in (3, 4):
            img = X.shape[1:] if X.ndim == 4 else (1,) + tuple(X.shape[1:])
            if shape is not None and tuple(check_input_shape(shape, int(np.prod(img)))) != tuple(img):
                raise ValueError(
                    f"X holds images of shape {tuple(img)} but input_shape={shape}.")
            return np.reshape(X, (X.shape[0], -1)), tuple(int(s) for s in img)
        return X, shape

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

    # -------------------------------------------------------------------- fit
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
        X = validate_data(self, X, dtype=(np.float64, np.float32), ensure_min_samples=2)
        self._check_params()
        n, d = X.shape
        K = check_n_clusters(self.n_clusters, n)
        shape = check_input_shape(shape, d)
        device = resolve_device(self.device)
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
        rng = hi - lo
        self.scale_min_ = lo.astype(np.float64)
        self.scale_range_ = np.where(rng > 0, rng, 1.0).astype(np.float64)
        self.scale_max_ = self.scale_min_ + self.scale_range_
        Xs = self._scale(X)

        hidden = self.hidden_dims if self.hidden_dims is not None else self._auto_hidden(d)
        dropout = self.dropout
        if dropout is None:
            dropout = (0.1, 0.1, 0.0) if conv else (0.1,) * (len(hidden) + 1)
        seed = torch_seed(self.random_state)
        rs = np.random.RandomState(seed)
        seeds = rs.randint(0, 2**31 - 1, size=8)
        t_all = time.perf_counter()
        self.history_ = {"seconds": {}}
        self.stopped_ = {}
        # the widest activation of a mini-batch decides whether CPU threads help
        width = (max(c * h * w for c, h, w in conv_shapes(
            self.input_shape_, tuple(self.channels), self.kernel_sizes,
            self.paddings)[2]) if conv else max(hidden))
        with seeded(seeds[0], device), cpu_threads(device, self.batch_size * width):
            module = DEPICTModule(
                d, K, input_shape=self.input_shape_, channels=tuple(self.channels),
                kernel_sizes=self.kernel_sizes, paddings=self.paddings,
                hidden_dims=tuple(hidden), dropout=tuple(dropout),
            ).to(device=device, dtype=self._torch_dtype)
            Xt = as_device_tensor(Xs, device, self._torch_dtype)
            common = dict(device=device, lr=self.lr, batch_size=self.batch_size,
                          verbose=self.verbose)
            clustering = dict(common, lr=(self.lr if self.clustering_lr is None
                                          else self.clustering_lr))

            # ---- A: pretraining
            t0 = time.perf_counter()
            self._log("Phase A: autoencoder pretraining")
            net = self._make(_ReconstructionNet, module, seeds[1], common,
                             max_epochs=self.pretrain_max_epochs,
                             train_split=RandomHoldout(self.validation_fraction, seeds[2]),
                             callbacks=[("stop", early_stopping(
                                 self.pretrain_patience, threshold=self.pretrain_tol))])
            net.fit(Xt, None)
            self.history_["pretrain"] = history_to_list(net)
            self.stopped_["pretrain"] = self._stop_reason(net, self.pretrain_max_epochs)
            self.history_["seconds"]["pretrain"] = time.perf_counter() - t0

            # ---- B: initial clustering of the clean embedding, head from centroids
            t0 = time.perf_counter()
            Z = run_in_batches(module, Xt, lambda m, xb: m.embed(xb), device)
            init = self.init
            if init == "auto":
                init = "spectral" if conv else "kmeans"
            self.init_ = init
            if init == "spectral":
                self._log("Phase B: spectral clustering of the embedding's kNN graph")
                labels = knn_spectral_clustering(
                    Z, K, min(self.n_neighbors, n - 1), device=device, random_state=rs)
                centers = _cluster_means(Z, labels, K)
            else:
                self._log("Phase B: k-means on the clean embedding")
                labels, centers, _ = fit_kmeans(Z, K, n_init=self.kmeans_n_init,
                                                random_state=rs)
            self.init_labels_ = labels
            with torch.no_grad():
                norms = np.linalg.norm(centers, axis=1, keepdims=True)
                w = centers / np.where(norms > 0, norms, 1.0)
                module.head.weight.copy_(torch.as_tensor(w, dtype=self._torch_dtype))
                module.head.bias.zero_()
            self.history_["seconds"]["init_clustering"] = time.perf_counter() - t0

            # ---- C: head fitting on pseudo-labels
            self.history_["init"] = []
            if self.init_phase:
                t0 = time.perf_counter()
                self._log("Phase C: head fitting on the phase-B pseudo-labels")
                net = self._make(_PseudoLabelNet, module, seeds[3], clustering,
                                 max_epochs=self.init_max_epochs,
                                 train_split=RandomHoldout(self.validation_fraction, seeds[4]),
                                 callbacks=[("nmi", _ValidNMI()),
                                            ("stop", early_stopping(
                                                self.init_patience, monitor="valid_nmi",
                                                threshold=0.0, lower_is_better=False))])
                net.initialize()
                net.pseudo_labels_ = torch.as_tensor(labels, device=device)
                net.partial_fit(Xt, None)  # fit() would re-initialise the net
                self.history_["init"] = history_to_list(net)
                self.stopped_["init"] = self._stop_reason(net, self.init_max_epochs)
                self.history_["seconds"]["init"] = time.perf_counter() - t0

            # ---- D: self-training with per-epoch targets
            t0 = time.perf_counter()
            self._log("Phase D: self-training")
            net = self._make(_SelfTrainingNet, module, seeds[5], clustering,
                             max_epochs=self.max_epochs, train_split=None,
                             callbacks=[("targets", _TargetUpdate(
                                 self.target, self.tol, self.label_change_tol))])
            net.initialize()
            P = torch.as_tensor(
                run_in_batches(module, Xt, lambda m, xb: torch.softmax(m.head(m.embed(xb)), 1),
                               device), dtype=self._torch_dtype, device=device)
            net.P_ = P
            net.Q_ = compute_targets(P, self.target)
            net.labels_prev_ = P.argmax(1)
            net.stopped_by_tol_ = False
            net.partial_fit(Xt, None)
            self.n_iter_ = len(net.history)
            self.stopped_["self_training"] = "tol" if net.stopped_by_tol_ else "max_epochs"
            self.history_["self_training"] = history_to_list(net)
            self.history_["seconds"]["self_training"] = time.perf_counter() - t0
            # drop the per-sample training buffers: the fitted net holds weights only
            for attr in ("P_", "Q_", "labels_prev_"):
                delattr(net, attr)
            net.module_.eval()
            self.net_ = net

        proba, Z = self._forward(Xs)
        self.labels_ = proba.argmax(1).astype(np.int64)
        n_found = len(np.unique(self.labels_))
        if n_found < K:
            warnings.warn(
                f"Number of distinct clusters ({n_found}) found smaller than "
                f"n_clusters ({K}): the data support fewer clusters (duplicate or "
                "too few rows, or the cluster-frequency prior merged them). Lower "
                "n_clusters, or pass more data.", ConvergenceWarning, stacklevel=2)
        self.cluster_centers_ = _cluster_means(Z, self.labels_, K)
        self.history_["seconds"]["total"] = time.perf_counter() - t_all
        self._n_features_out = K
        self._log(f"Done in {self.history_['seconds']['total']:.1f} s "
                  f"({self.n_iter_} self-training epochs).")
        return self

    def _make(self, cls, module, seed, common, **kwargs):
        net = make_net(cls, module, seed=int(seed), **common, **kwargs)
        net.recon_weight_ = self.recon_weight
        net.hidden_recon_weight_ = self.hidden_recon_weight
        net.cluster_weight_ = self.cluster_weight
        return net

    @staticmethod
    def _stop_reason(net, max_epochs):
        return "max_epochs" if len(net.history) >= max_epochs else "tol"

    def _log(self, msg):
        if self.verbose:
            print(f"[DEPICT] {msg}", flush=True)

    # -------------------------------------------------------------- inference
    def _forward(self, Xs):
        module = self.net_.module_

        def fn(m, xb):
            z = m.embed(xb)
            return torch.softmax(m.head(z), 1), z

        return run_in_batches(module, Xs, fn, self.net_.device)

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

        def fn(m, xb):
            logits, _, clean, decoded = m(xb)
            rec = reconstruction_loss(clean, decoded, self.hidden_recon_weight)
            return torch.softmax(logits, 1), rec.expand(len(xb))

        P, rec = run_in_batches(self.net_.module_, Xs, fn, self.net_.device)
        P = np.clip(P, 1e-12, None)
        Q = compute_targets(torch.as_tensor(P), self.target).numpy()
        kl_qp = float(np.mean(np.sum(Q * (np.log(Q + 1e-12) - np.log(P)), axis=1)))
        f = Q.mean(0)
        kl_fu = float(np.sum(f * np.log(f * len(f) + 1e-12)))
        return -(kl_qp + kl_fu + self.recon_weight * float(rec.mean()))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

