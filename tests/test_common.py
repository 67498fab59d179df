"""Properties every estimator of the package shares."""

import pickle

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from sklearn.datasets import make_blobs

import skdeepcluster
from test_utils import _torch_objects

FAST = {
    "DEPICT": dict(hidden_dims=(16, 16, 32), pretrain_max_epochs=5, init_max_epochs=3,
                   max_epochs=5, kmeans_n_init=2),
    "DSC": dict(pretrain_max_epochs=10, se_max_epochs=60, sn_max_epochs=10, kmeans_n_init=3),
    "PBN": dict(max_epochs=5),
    "NCDKMeans": dict(),
    "NCDSpectralClustering": dict(),
    "SDPKMeans": dict(),
    "ILASDP": dict(),
}
ESTIMATORS = [name for name in skdeepcluster.__all__ if name in FAST]


def test_public_api_lists_every_estimator():
    assert set(ESTIMATORS) == set(FAST), "a public estimator lacks a FAST entry here"


@pytest.mark.parametrize("name", ESTIMATORS)
def test_fitted_state_is_gpu_portable(name):
    """Everything a fitted estimator pickles must load on a machine without a GPU:
    fitted arrays are numpy, and torch objects live only inside skorch nets, whose
    pickling maps every tensor to the available device."""
    X, _ = make_blobs(90, centers=3, n_features=5, random_state=0)
    est = getattr(skdeepcluster, name)(n_clusters=3, random_state=0, **FAST[name]).fit(X)
    plain = {k: v for k, v in vars(est).items() if not isinstance(v, NeuralNet)}
    assert _torch_objects(plain) == [], f"{name} keeps torch objects outside its nets"
    for key, net in vars(est).items():
        if isinstance(net, NeuralNet):
            state = net.__getstate__()
            assert _torch_objects(state) == [], f"{name}.{key} pickles tensors as-is"
    again = pickle.loads(pickle.dumps(est))
    if hasattr(est, "predict"):
        assert np.array_equal(again.predict(X), est.predict(X))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimator_rejects_a_missing_gpu(name, monkeypatch):
    assert "device" in getattr(skdeepcluster, name)().get_params()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, _ = make_blobs(60, centers=3, n_features=4, random_state=0)
    est = getattr(skdeepcluster, name)(n_clusters=3, device="cuda", **FAST[name])
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        est.fit(X)
