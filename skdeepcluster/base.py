"""Base classes shared by the estimators of the package.

:class:`BaseDeepClusterer` is the base of every neural estimator (DEPICT, DSC,
PBN, SP2OT): it holds what they share, written once.

* **Parameters** are declared in ``_parameter_constraints`` (scikit-learn's
  declarative validation); ``fit`` is wrapped in
  :func:`sklearn.base._fit_context`, which checks them before anything runs.
* **Set-up**: :meth:`~BaseDeepClusterer._fit_setup` validates ``X`` first (so a
  NaN is reported before any check of ``n_clusters`` against the data), then
  the number of clusters, resolves the device and draws the fit's *named*
  seeds from ``random_state``.
* **Diagnostics** share one schema: ``history_`` is a list of records, one per
  epoch (or outer iteration), each with its ``"stage"`` and 1-based
  ``"epoch"`` plus what was measured (``"train_loss"``, ...); ``stop_reasons_``
  maps every stage to why it ended (``"max_epochs"``, ``"tol"``, ...);
  ``n_iter_`` counts all epochs of all stages.
* **Verbosity** means one thing everywhere: 0 is silent; 1 shows one progress
  bar per training stage (stage name, epochs, loss) and one line per stage
  without epochs; 2 also prints skorch's per-epoch table.

The SDP estimators are not neural but use the same validation and diagnostics
schema through :class:`DiagnosticsMixin`.
"""

import sys
import time
from numbers import Integral

import numpy as np
import torch
from skorch.callbacks import Callback
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

from .utils import (
    check_input_shape,
    check_n_clusters,
    draw_seeds,
    resolve_device,
    torch_seed,
)

__all__ = ["BaseDeepClusterer", "DiagnosticsMixin", "FitSetup", "ImageInputMixin",
           "StageProgress"]


class FitSetup:
    """What :meth:`BaseDeepClusterer._fit_setup` hands to ``fit``.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        The validated data (float64 or float32).
    n_clusters : int
        The validated number of clusters.
    device : str
        The resolved torch device.
    rng : numpy.random.RandomState
        The source the seeds were drawn from (for later draws, e.g. k-means).
    seeds : dict of str to int
        One integer seed per name in the estimator's ``_seed_names``.
    """

    def __init__(self, X, n_clusters, device, rng, seeds):
        self.X = X
        self.n_clusters = n_clusters
        self.device = device
        self.rng = rng
        self.seeds = seeds

    def __iter__(self):  # X, n_clusters, device, seeds = setup
        return iter((self.X, self.n_clusters, self.device, self.seeds))


class StageProgress(Callback):
    """skorch callback: one progress bar for one training stage.

    Shows the stage name, the epochs run out of ``max_epochs`` and the last
    training (and validation) loss. Uses tqdm (a dependency of skorch).
    """

    def __init__(self, stage, max_epochs, prefix=""):
        self.stage = stage
        self.max_epochs = max_epochs
        self.prefix = prefix

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=self.max_epochs, desc=f"{self.prefix}{self.stage}",
                         unit="epoch", file=sys.stdout, leave=True, dynamic_ncols=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        post = {k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss")
                if isinstance(row.get(k), (int, float))}
        self.bar_.set_postfix(post, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        bar = getattr(self, "bar_", None)
        if bar is not None:
            bar.close()
            del self.bar_

    def __getstate__(self):  # a fitted net pickles without its terminal handle
        state = dict(self.__dict__)
        state.pop("bar_", None)
        return state


class DiagnosticsMixin:
    """The diagnostics schema: ``history_``, ``stop_reasons_``, ``n_iter_``."""

    _log_name = None

    def _start_diagnostics(self):
        self.history_ = []
        self.stop_reasons_ = {}
        self._t_fit = time.perf_counter()

    def _record(self, stage, epoch, **values):
        """Append one record of ``stage`` (``epoch`` counts from 1)."""
        self.history_.append({"stage": stage, "epoch": int(epoch), **values})

    def _record_net(self, stage, net, reason):
        """Append a skorch net's epochs as records of ``stage`` and its stop reason."""
        for i, row in enumerate(net.history, start=1):
            values = {k: v for k, v in row.items() if k not in ("batches", "epoch")}
            self._record(stage, i, **values)
        self.stop_reasons_[stage] = reason

    def _finish_diagnostics(self):
        self.n_iter_ = max(1, len(self.history_))
        self.fit_seconds_ = time.perf_counter() - self._t_fit
        del self._t_fit

    def _stage_epochs(self, stage):
        """Number of records of ``stage`` in ``history_``."""
        return sum(1 for r in self.history_ if r["stage"] == stage)

    def _log(self, msg):
        """One line at ``verbose >= 1``."""
        if self.verbose:
            name = self._log_name or type(self).__name__
            print(f"[{name}] {msg}", flush=True)


class ImageInputMixin:
    """Images as input: ``(n, H, W)`` or ``(n, C, H, W)`` arrays, or flat rows with
    an ``input_shape`` parameter."""

    def _flatten_images(self, X):
        """Return 2-D ``X`` and the image shape ``(C, H, W)`` (or ``input_shape``)."""
        shape = self.input_shape
        if hasattr(X, "ndim") and X.ndim in (3, 4):
            img = tuple(X.shape[1:]) if X.ndim == 4 else (1,) + tuple(X.shape[1:])
            size = int(np.prod(img))
            confirmed = shape is not None and tuple(check_input_shape(shape, size)) == img
            if (X.ndim == 4 and img[2] in (1, 3, 4) and img[0] > 4
                    and min(img[0], img[1]) > img[2] and not confirmed):
                # (n, H, W, C) as numpy/PIL/Keras store images would silently be
                # read as C=H channels of H x C pixels
                raise ValueError(
                    f"X has shape {tuple(X.shape)}, which looks like channels-last "
                    f"images (n, H, W, C) with C={img[2]}; images are expected "
                    "channels-first, (n, C, H, W). Pass np.moveaxis(X, -1, 1), or "
                    f"input_shape={img} if the layout really is (C, H, W).")
            if shape is not None and tuple(check_input_shape(shape, size)) != img:
                raise ValueError(
                    f"X holds images of shape {img} but input_shape={tuple(shape)}. "
                    "Drop input_shape or pass matching images.")
            return np.reshape(X, (X.shape[0], -1)), tuple(int(s) for s in img)
        return X, shape


class BaseDeepClusterer(DiagnosticsMixin, ClassNamePrefixFeaturesOutMixin, ClusterMixin,
                        TransformerMixin, BaseEstimator):
    """Base class of the neural clustering estimators.

    Subclasses declare ``_parameter_constraints`` (extending this class's),
    ``_seed_names`` (the named seeds a fit draws, in order) and decorate ``fit``
    with ``@_fit_context(prefer_skip_nested_validation=True)``.
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: names of the seeds drawn by ``_fit_setup``, in drawing order
    _seed_names = ()

    #: True: a fit draws ONE number from ``random_state`` and seeds a private
    #: generator with it, so a RandomState instance passed by the user advances
    #: by one step per fit whatever the fit draws; False: the seeds come from
    #: ``random_state`` itself
    _private_rng = False

    def _random_source(self):
        """The RandomState the named seeds (and later draws) come from."""
        if self._private_rng:
            return np.random.RandomState(torch_seed(self.random_state))
        return check_random_state(self.random_state)

    def _check_n_clusters(self, X, y, n_samples):
        """The validated number of clusters (override for other rules, e.g.
        ``"auto"`` or a count of unlabelled rows in ``y``)."""
        return check_n_clusters(self.n_clusters, n_samples)

    def _fit_setup(self, X, y=None, *, ensure_min_samples=2, n_samples=None):
        """Validate ``X``, then ``n_clusters``; resolve the device; draw named seeds.

        ``n_samples`` (default: the rows of X) is what ``n_clusters`` is checked
        against by :meth:`_check_n_clusters`, which also receives ``y``.
        """
        X = validate_data(self, X, dtype=(np.float64, np.float32),
                          ensure_min_samples=ensure_min_samples)
        K = self._check_n_clusters(X, y, len(X) if n_samples is None else n_samples)
        device = resolve_device(self.device)
        rng = self._random_source()
        seeds = dict(zip(self._seed_names, draw_seeds(rng, len(self._seed_names))))
        self._start_diagnostics()
        return FitSetup(X, K, device, rng, seeds)

    def _net_verbosity(self, stage, max_epochs):
        """skorch ``verbose`` and progress callbacks of one training stage."""
        callbacks = []
        if self.verbose == 1:
            name = self._log_name or type(self).__name__
            callbacks.append(("progress", StageProgress(stage, max_epochs,
                                                        prefix=f"[{name}] ")))
        return int(self.verbose >= 2), callbacks

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
