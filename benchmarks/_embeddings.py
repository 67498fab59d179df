"""Model embeddings of labelled data for the SP2OT embeddings suite.

Each set is what a user would hand to a clustering method as "precomputed
features from a model": an encoder trained on one part of a data set (without
its labels), applied to a disjoint part, whose labels are then the ground truth.

* ``fashion-ae64`` / ``fashion-ae10``: an MLP autoencoder 784-512-256-d
  (ReLU, linear code, MSE on pixels / 255) trained with Adam on the 60,000
  Fashion-MNIST **train** images for ``AE_EPOCHS`` epochs; the 10,000 **test**
  images are embedded (d = 64 or 10).
* ``fashion-h256``: the same 64-d autoencoder's 256-unit hidden layer on the
  test images (a wide, ReLU "penultimate layer" feature).
* ``digits-ae32``: an MLP autoencoder 64-256-128-32 trained on a random half of
  scikit-learn's digits (``DIGITS_EPOCHS`` epochs), applied to the other half.

Everything is seeded and computed single-threaded on the CPU, so a set is the
same array run to run; the arrays are cached under
``~/.cache/skdeepcluster-embeddings/`` (override with
``SKDEEPCLUSTER_EMBEDDINGS_CACHE``) and never committed.
"""

import os
import time

import numpy as np

CACHE = os.environ.get("SKDEEPCLUSTER_EMBEDDINGS_CACHE",
                       os.path.expanduser("~/.cache/skdeepcluster-embeddings"))
#: bump when the recipe changes, so stale caches are not read
VERSION = 1
AE_EPOCHS = 15
DIGITS_EPOCHS = 200
SETS = ("fashion-ae64", "fashion-ae10", "fashion-h256", "digits-ae32")


def _mlp(dims, torch):
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(dims) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def train_autoencoder(X, dims, epochs, seed=0, batch_size=256, lr=1e-3, log=None):
    """Train an MLP autoencoder ``dims[0] -> ... -> dims[-1] -> ... -> dims[0]``
    on ``X`` (float32 rows) with MSE; returns the encoder (eval mode)."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    enc = _mlp(dims, torch)
    dec = _mlp(dims[::-1], torch)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=lr)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    for epoch in range(epochs):
        perm = torch.as_tensor(rng.permutation(len(X)))
        total = 0.0
        for s in range(0, len(X), batch_size):
            xb = Xt[perm[s : s + batch_size]]
            loss = torch.nn.functional.mse_loss(dec(enc(xb)), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(xb)
        if log:
            log(f"    autoencoder {dims} epoch {epoch + 1}/{epochs}: "
                f"MSE {total / len(X):.5f}")
    enc.eval()
    return enc


def _encode(enc, X, upto=None):
    import torch

    layers = list(enc)[:upto] if upto is not None else list(enc)
    with torch.no_grad():
        out = torch.as_tensor(X, dtype=torch.float32)
        for layer in layers:
            out = layer(out)
    return out.numpy().astype(np.float32)


def _build_fashion(data_home, log):
    import torch

    from skdeepcluster.datasets import load_fashion_mnist

    data = load_fashion_mnist(data_home=data_home)
    X = data.data.astype(np.float32) / 255.0
    y = data.target
    Xtr, Xte, yte = X[:60000], X[60000:], y[60000:]  # train images first, then t10k
    out = {}
    for d in (64, 10):
        t0 = time.perf_counter()
        enc = train_autoencoder(Xtr, (784, 512, 256, d), AE_EPOCHS, seed=0, log=log)
        out[f"fashion-ae{d}"] = (_encode(enc, Xte), yte)
        if d == 64:
            # Linear(784,512) ReLU Linear(512,256) ReLU -> the 256-unit layer
            out["fashion-h256"] = (_encode(enc, Xte, upto=4), yte)
        log(f"  fashion autoencoder d={d}: {time.perf_counter() - t0:.1f} s")
    return out


def _build_digits(log):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    perm = np.random.RandomState(0).permutation(len(X))
    train, test = np.sort(perm[: len(X) // 2]), np.sort(perm[len(X) // 2 :])
    t0 = time.perf_counter()
    enc = train_autoencoder(X[train], (64, 256, 128, 32), DIGITS_EPOCHS, seed=0,
                            batch_size=64)
    log(f"  digits autoencoder: {time.perf_counter() - t0:.1f} s")
    return {"digits-ae32": (_encode(enc, X[test]), y[test])}


def load_embeddings(name, data_home=None, log=print):
    """``(X, y)`` of one embedding set (see the module docstring), built on
    first use (single-threaded, seeded) and cached."""
    import torch

    if name not in SETS:
        raise ValueError(f"unknown embedding set {name!r}; choose from {SETS}")
    path = os.path.join(CACHE, f"{name}-v{VERSION}.npz")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            log(f"building embeddings for {name} (cached in {CACHE})")
            built = (_build_digits(log) if name.startswith("digits")
                     else _build_fashion(data_home, log))
        finally:
            torch.set_num_threads(threads)
        for key, (X, y) in built.items():
            np.savez(os.path.join(CACHE, f"{key}-v{VERSION}.npz"), X=X, y=y)
    with np.load(path) as f:
        return f["X"], f["y"]
