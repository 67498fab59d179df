"""Properties every public estimator of the package shares, run once for all.

The estimators come from ``skdeepcluster.__all__`` and their settings from the
one table ``common.EPOCHS`` (defaults apart from epoch counts): a new public
estimator is checked here as soon as it is exported, and fails the first test
until it has an entry.
"""

import pickle

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from sklearn.datasets import make_blobs
from sklearn.utils.estimator_checks import parametrize_with_checks

import skdeepcluster
from common import EPOCHS, make, public_estimators
from skdeepcluster.metrics import clustering_accuracy
from test_utils import _torch_objects

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ESTIMATORS = public_estimators()

# Code paths that the defaults do not reach but scikit-learn's checks should
# see too: (name, extra parameters).
VARIANTS = [
    ("DEPICT", dict(init="spectral")),
]


def test_every_public_estimator_has_an_entry():
    exported = [name for name in skdeepcluster.__all__ if name != "__version__"]
    assert exported, "skdeepcluster exports nothing"
    assert ESTIMATORS == sorted(exported), "__all__ lists something that is no estimator"
    missing = set(ESTIMATORS) - set(EPOCHS)
    assert not missing, f"public estimators without an entry in common.EPOCHS: {missing}"
    assert not set(EPOCHS) - set(ESTIMATORS), "common.EPOCHS names a non-public estimator"


@parametrize_with_checks(
    [make(name) for name in ESTIMATORS] + [make(name, **kw) for name, kw in VARIANTS]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _blobs():
    X, _ = make_blobs(90, centers=3, n_features=5, random_state=0)
    return X


@pytest.mark.parametrize("name", ESTIMATORS)
def test_reproducible_with_random_state(name):
    X = _blobs()
    a = make(name, n_clusters=3, random_state=0).fit(X)
    b = make(name, n_clusters=3, random_state=0).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    if hasattr(a, "predict"):  # not the transductive ones
        np.testing.assert_array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_fitted_state_is_gpu_portable(name):
    """Everything a fitted estimator pickles must load on a machine without a GPU:
    fitted arrays are numpy, and torch objects live only inside skorch nets, whose
    pickling maps every tensor to the available device."""
    X = _blobs()
    est = make(name, n_clusters=3, random_state=0).fit(X)
    plain = {k: v for k, v in vars(est).items() if not isinstance(v, NeuralNet)}
    assert _torch_objects(plain) == [], f"{name} keeps torch objects outside its nets"
    for key, net in vars(est).items():
        if isinstance(net, NeuralNet):
            state = net.__getstate__()
            assert _torch_objects(state) == [], f"{name}.{key} pickles tensors as-is"
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.labels_, est.labels_)
    if hasattr(est, "predict"):
        np.testing.assert_array_equal(again.predict(X), est.predict(X))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimator_rejects_a_missing_gpu(name, monkeypatch):
    assert "device" in make(name).get_params()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, _ = make_blobs(60, centers=3, n_features=4, random_state=0)
    est = make(name, n_clusters=3, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        est.fit(X)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_predict_uses_the_fitted_preprocessing(name):
    """Two clusters split along a feature of scale 0.1, noise on a feature of
    scale 100: whatever scaling fit applied, predict must apply it too, so that
    predict(X_train) reproduces labels_."""
    est = make(name, n_clusters=2, random_state=0)
    if not hasattr(est, "predict"):
        pytest.skip(f"{name} is transductive (no predict)")
    rng = np.random.RandomState(0)
    side = np.repeat([-1.0, 1.0], 60)
    X = np.column_stack([0.1 * side + 0.01 * rng.randn(120), 100.0 * rng.randn(120)])
    est.fit(X)
    agreement = clustering_accuracy(est.labels_, est.predict(X))
    assert agreement >= 0.95, f"{name}: predict(X_train) agrees with labels_ on {agreement:.2f}"


@pytest.mark.parametrize("name", ["DEPICT", "DSC", "SP2OT"])
def test_channels_last_images_are_rejected_not_misread(name):
    # (n, H, W, C) arrays (numpy/PIL/Keras layout) were read as H channels of
    # W x C pixels and trained on silently
    X = np.random.RandomState(0).rand(40, 16, 16, 3).astype(np.float32)
    with pytest.raises(ValueError, match=r"channels-last.*moveaxis"):
        make(name, n_clusters=2, random_state=0).fit(X)
    # channels-first works, and input_shape confirms an unusual (C, H, W) layout
    m = make(name, n_clusters=2, random_state=0).fit(np.moveaxis(X, -1, 1))
    assert m.predict(np.moveaxis(X, -1, 1)).shape == (40,)
    with pytest.raises(ValueError, match="channels-last"):
        m.predict(X)
    make(name, n_clusters=2, random_state=0, input_shape=(16, 16, 3)).fit(X)
