"""Loaders for the offline data sets used by tests, examples and benchmarks."""

import gzip
import os

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["load_fashion_mnist", "load_letter_recognition"]

FASHION_MNIST_DIRS = (
    os.environ.get("SKDEEPCLUSTER_FASHION_MNIST", ""),
    "/usr/share/datasets/fashion-mnist",
)
MLBENCH_DIRS = (
    os.environ.get("SKDEEPCLUSTER_MLBENCH", ""),
    "/usr/lib/R/site-library/mlbench/data",
    "/tmp/mlbench/usr/lib/R/site-library/mlbench/data",
)


def _find(dirs, filename, how_to):
    for d in dirs:
        if d and os.path.exists(os.path.join(d, filename)):
            return os.path.join(d, filename)
    raise FileNotFoundError(
        f"{filename} was not found in any of {[d for d in dirs if d]}. {how_to}"
    )


def _read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load_fashion_mnist(*, n_samples=None, random_state=0, data_home=None):
    """Fashion-MNIST: 70,000 grey 28x28 images of 10 clothing classes.

    Reads the IDX files of the Debian package ``dataset-fashion-mnist``
    (``/usr/share/datasets/fashion-mnist``), or of ``data_home`` or the
    ``SKDEEPCLUSTER_FASHION_MNIST`` environment variable. Nothing is downloaded.

    Parameters
    ----------
    n_samples : int or None, default=None
        Return a stratified-at-random subset of this size (all 70,000 if None).
    random_state : int, RandomState instance or None, default=0
        Seed of that subset.
    data_home : str or None
        Folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``.

    Returns
    -------
    data : Bunch
        ``data`` (n, 784) uint8 pixels, ``target`` (n,) int64, ``images_shape``
        ``(1, 28, 28)``.
    """
    dirs = (data_home,) + FASHION_MNIST_DIRS if data_home else FASHION_MNIST_DIRS
    how = "Install it with `apt-get install dataset-fashion-mnist` or pass data_home."
    images, labels = [], []
    for part in ("train", "t10k"):
        images.append(_read_idx(_find(dirs, f"{part}-images-idx3-ubyte.gz", how), 16))
        labels.append(_read_idx(_find(dirs, f"{part}-labels-idx1-ubyte.gz", how), 8))
    X = np.concatenate(images).reshape(-1, 784)
    y = np.concatenate(labels).astype(np.int64)
    if n_samples is not None and n_samples < len(X):
        idx = np.sort(check_random_state(random_state).permutation(len(X))[:n_samples])
        X, y = X[idx], y[idx]
    return Bunch(data=X, target=y, images_shape=(1, 28, 28))


def load_letter_recognition(*, data_home=None):
    """UCI Letter Recognition (20,000 x 16, 26 letters) from R's mlbench.

    Reads ``LetterRecognition.rda`` of the Debian package ``r-cran-mlbench`` with
    the PyPI package ``rdata``.

    Returns
    -------
    data : Bunch
        ``data`` (20000, 16) float64, ``target`` (20000,) letters as str.
    """
    try:
        import rdata
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError("load_letter_recognition needs `pip install rdata`.") from exc
    dirs = (data_home,) + MLBENCH_DIRS if data_home else MLBENCH_DIRS
    how = ("Install the Debian package r-cran-mlbench (or `apt-get download "
           "r-cran-mlbench && dpkg -x r-cran-mlbench*.deb DIR`) or pass data_home.")
    path = _find(dirs, "LetterRecognition.rda", how)
    frame = rdata.read_rda(path)["LetterRecognition"]
    y = np.asarray(frame["lettr"].astype(str))
    X = frame.drop(columns=["lettr"]).to_numpy(dtype=np.float64)
    return Bunch(data=X, target=y, feature_names=list(frame.columns[1:]))
