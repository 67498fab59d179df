import pickle

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset

from skdeepcluster.utils import (
    DeviceBatches,
    EpochSeeder,
    RandomHoldout,
    check_input_shape,
    check_n_clusters,
    fit_kmeans,
    resolve_device,
    seeded,
    torch_seed,
)


def test_resolve_device_cpu_and_auto():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda")
    assert resolve_device(torch.device("cpu")) == "cpu"


def test_resolve_device_missing_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        resolve_device("cuda:1")
    assert resolve_device("auto") == "cpu"


@pytest.mark.parametrize("bad", ["gpu0", 3, "tpu-ish"])
def test_resolve_device_garbage(bad):
    with pytest.raises((ValueError, RuntimeError)):
        resolve_device(bad)


def test_seeded_restores_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with seeded(7):
        a = torch.rand(2)
    after = torch.rand(3)
    assert torch.equal(after, expected)
    with seeded(7):
        b = torch.rand(2)
    assert torch.equal(a, b)
    assert torch_seed(0) == torch_seed(0)


def test_device_batches_cover_every_row_and_reshuffle():
    X = torch.arange(23, dtype=torch.float32).reshape(-1, 1)
    seeder = EpochSeeder(0)
    orders = []
    for _ in range(2):
        it = DeviceBatches(Dataset(X, None), batch_size=5, shuffle=True, seeder=seeder)
        assert len(it) == 5
        idx = torch.cat([yi for _, yi in it])
        rows = torch.cat([xi for xi, _ in it])
        assert sorted(idx.tolist()) == list(range(23))
        orders.append(idx.tolist())
        # each batch's rows are the rows of its indices
        assert torch.equal(rows.ravel().long().sort().values, torch.arange(23))
    assert orders[0] != orders[1], "each epoch must be reshuffled"
    # the whole run is reproducible from the seed
    seeder2 = EpochSeeder(0)
    again = torch.cat([yi for _, yi in DeviceBatches(Dataset(X, None), 5, True, seeder2)])
    assert again.tolist() == orders[0]
    # the seeder pickles (it travels with the fitted skorch net)
    pickle.loads(pickle.dumps(seeder))


def test_device_batches_full_batch():
    X = torch.ones(7, 2)
    batches = list(DeviceBatches(Dataset(X, None), batch_size=-1))
    assert len(batches) == 1 and batches[0][0].shape == (7, 2)


def test_random_holdout_is_disjoint_and_keeps_indices():
    X = torch.arange(50, dtype=torch.float32).reshape(-1, 1)
    tr, va = RandomHoldout(0.2, 0)(Dataset(X, None))
    assert len(va.X) == 10 and len(tr.X) == 40
    assert set(tr.y.tolist()).isdisjoint(va.y.tolist())
    assert torch.equal(va.X.ravel().long(), va.y)


def test_check_n_clusters_messages():
    assert check_n_clusters(3, 10) == 3
    with pytest.raises(ValueError, match="fewer samples than clusters"):
        check_n_clusters(11, 10)
    with pytest.raises(ValueError, match="positive integer"):
        check_n_clusters(2.5, 10)
    with pytest.raises(ValueError, match=">= 1"):
        check_n_clusters(0, 10)
    assert check_n_clusters("auto", 10, allow_auto=True) == "auto"


def test_check_input_shape():
    assert check_input_shape((28, 28), 784) == (1, 28, 28)
    assert check_input_shape((3, 4, 4), 48) == (3, 4, 4)
    with pytest.raises(ValueError, match="features"):
        check_input_shape((1, 28, 28), 100)
    with pytest.raises(ValueError, match="input_shape"):
        check_input_shape((1, 2, 3, 4), 24)


@pytest.mark.parametrize("backend", ["sklearn", "faiss"])
def test_fit_kmeans_backends_recover_blobs(backend):
    from sklearn.datasets import make_blobs

    from skdeepcluster.metrics import clustering_accuracy

    X, y = make_blobs(600, centers=4, cluster_std=0.5, random_state=0)
    labels, centers, inertia = fit_kmeans(X, 4, n_init=3, random_state=0, backend=backend)
    assert centers.shape == (4, 2) and inertia > 0
    assert clustering_accuracy(y, labels) == 1.0
    again, _, _ = fit_kmeans(X, 4, n_init=3, random_state=0, backend=backend)
    assert np.array_equal(labels, again)


def _torch_objects(obj, path="", seen=None):
    """Paths of torch tensors/modules reachable through plain containers."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return [path]
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += _torch_objects(v, f"{path}[{k!r}]", seen)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            found += _torch_objects(v, f"{path}[{i}]", seen)
    return found


class _Reconstruction(torch.nn.Module):
    def forward(self, y_pred, y_true):
        return ((y_pred - y_pred.detach().mean()) ** 2).mean()


def test_device_net_pickles_every_tensor_device_aware():
    """A net trained on CUDA must unpickle on a CPU-only machine: skorch maps
    only the attributes it routes through torch.load with map_location, so no
    tensor or module may be left in the ordinary pickled state."""
    from skdeepcluster.utils import as_device_tensor, make_net

    module = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Linear(2, 4))
    net = make_net(module, _Reconstruction, device="cpu", seed=0, lr=1e-2, max_epochs=2,
                   batch_size=8)
    X = as_device_tensor(np.random.RandomState(0).randn(20, 4), "cpu")
    net.fit(X, None)
    net.buffer_ = torch.zeros(20)  # a per-sample buffer left on the net
    state = net.__getstate__()
    assert _torch_objects({k: v for k, v in state.items()}) == []
    clone = pickle.loads(pickle.dumps(net))
    assert torch.equal(clone.buffer_, net.buffer_)
    assert clone.module is clone.module_  # the shared instance stays shared


def test_seeded_blocks_are_reproducible_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    def draw(seed):
        with seeded(seed):
            out = []
            for _ in range(50):
                out.append(torch.rand(1).item())
            return out

    expected = [draw(s) for s in range(6)]
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(draw, range(6)))
    assert got == expected


# --------------------------------------------------------------------------- #
# the shared autoencoders
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 27, 31), (1, 8, 8), (2, 16, 13)])
@pytest.mark.parametrize("padding", ["same", (1, 2)])
@pytest.mark.parametrize("latent_dim", [None, 5])
def test_conv_stacks_mirror_every_layer(shape, padding, latent_dim):
    from skdeepcluster.utils import conv_stacks

    enc, dec, shapes = conv_stacks(shape, (4, 6), (5, 3), padding=padding,
                                   latent_dim=latent_dim)
    x = torch.randn(3, int(np.prod(shape)))  # flat rows are reshaped
    hidden = enc(x)
    decoded = dec(hidden[-1])[::-1]  # reconstruction first
    assert len(hidden) == len(decoded) == 2 + (latent_dim is not None)
    # the decoder lands on the encoder's sizes, layer for layer
    expected = [(3, *shapes[0])] + [tuple(h.shape) for h in hidden[:-1]]
    assert [tuple(d.shape) for d in decoded] == expected
    assert [tuple(h.shape[1:]) for h in hidden[:2]] == shapes[1:]
    if latent_dim is not None:
        assert hidden[-1].shape == (3, latent_dim)


def test_conv_stacks_same_padding_matches_tensorflow_sizes():
    from skdeepcluster.utils import conv_stacks

    # TF "SAME" with stride 2: ceil(size / 2) whatever the kernel
    _, _, shapes = conv_stacks((1, 27, 31), (4, 4, 4), (5, 3, 4))
    assert shapes == [(1, 27, 31), (4, 14, 16), (4, 7, 8), (4, 4, 4)]


def test_mlp_stack_blocks_and_noise_hook():
    from skdeepcluster.utils import Autoencoder, mlp_stack

    enc = mlp_stack(6, (8, 4, 2), block=("leaky_relu",), last_block=("tanh",))
    kinds = [[type(m).__name__ for m in stage] for stage in enc.stages]
    assert kinds == [["Linear", "LeakyReLU"]] * 2 + [["Linear", "Tanh"]]
    x = torch.randn(5, 6)
    seen = []

    def noise(i, h):
        seen.append((i, tuple(h.shape)))
        return torch.zeros_like(h)

    out = enc(x, noise=noise)
    # the hook sees every stage's input, and replaces it
    assert seen == [(0, (5, 6)), (1, (5, 8)), (2, (5, 4))]
    bias = enc.stages[2][0].bias.detach()
    assert torch.allclose(out[-1], torch.tanh(bias).expand(5, 2))
    assert not torch.allclose(enc(x)[-1], out[-1])
    dec = mlp_stack(2, (4, 8, 6), block=("relu",), last_block=())
    recon, target = Autoencoder(enc, dec)(x)
    assert recon.shape == x.shape and target is x
    # a linear last stage can return negative values, a ReLU one cannot
    assert isinstance(dec.stages[-1][-1], torch.nn.Linear)


def test_estimators_build_on_the_shared_autoencoders():
    from skdeepcluster.depict._module import DEPICTModule
    from skdeepcluster.dsc._module import conv_autoencoder, mlp_autoencoder
    from skdeepcluster.ncd._module import PBNModule
    from skdeepcluster.utils import LayerStack

    stacks = [DEPICTModule(16, 3).enc, DEPICTModule(256, 3, input_shape=(1, 16, 16)).dec,
              *conv_autoencoder((1, 8, 8), (4, 4), (3, 3)), *mlp_autoencoder(5, (8, 4)),
              PBNModule(5, (8,), 3, 2, 0.1, True).encoder]
    assert all(isinstance(s, LayerStack) for s in stacks)
