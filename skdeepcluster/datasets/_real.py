"""Loaders for the offline data sets used by tests, examples and benchmarks.

UCI Letter Recognition ships with the package (``data/letter_recognition.csv.gz``,
licence and source in ``data/letter_recognition.rst``). Fashion-MNIST is too
large to ship and is read from a folder on disk (the Debian package
``dataset-fashion-mnist``, or ``data_home``); it is used by benchmarks only.

Setting the environment variable ``SKDEEPCLUSTER_NO_SYSTEM_DATA=1`` turns off
every system-wide default location, so that nothing is read from data a machine
happens to have installed (``.ci/run`` sets it): only the shipped files, an
explicit ``data_home`` and the ``SKDEEPCLUSTER_FASHION_MNIST`` variable are used.
"""

import gzip
import os
from importlib import resources

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["load_fashion_mnist", "load_letter_recognition"]

#: system-wide default location of Fashion-MNIST (Debian's dataset-fashion-mnist)
FASHION_MNIST_SYSTEM_DIRS = ("/usr/share/datasets/fashion-mnist",)
NO_SYSTEM_DATA_ENV = "SKDEEPCLUSTER_NO_SYSTEM_DATA"
LETTER_FILE = "letter_recognition.csv.gz"


def _system_data_allowed():
    return os.environ.get(NO_SYSTEM_DATA_ENV, "").strip().lower() in (
        "", "0", "false", "no")


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


def load_fashion_mnist(*, n_samples=None, random_state=0, data_home=None,
                       return_X_y=False):
    """Fashion-MNIST: 70,000 grey 28x28 images of 10 clothing classes.

    Reads the IDX files from ``data_home``, else from the folder named by the
    ``SKDEEPCLUSTER_FASHION_MNIST`` environment variable, else from the Debian
    package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``;
    this system location is skipped when ``SKDEEPCLUSTER_NO_SYSTEM_DATA=1``).
    Nothing is downloaded and nothing ships with the package (the set is 30 MB):
    the benchmarks use it, the tests and examples do not.

    Parameters
    ----------
    n_samples : int or None, default=None
        Return a stratified-at-random subset of this size (all 70,000 if None).
    random_state : int, RandomState instance or None, default=0
        Seed of that subset.
    data_home : str or None
        Folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch, as scikit-learn's
        loaders do.

    Returns
    -------
    data : Bunch
        ``data`` (n, 784) uint8 pixels, ``target`` (n,) int64, ``images_shape``
        ``(1, 28, 28)``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the files are in none of those folders.
    """
    dirs = [data_home, os.environ.get("SKDEEPCLUSTER_FASHION_MNIST", "")]
    if _system_data_allowed():
        dirs += list(FASHION_MNIST_SYSTEM_DIRS)
    how = ("Install it with `apt-get install dataset-fashion-mnist`, or pass "
           "data_home / set SKDEEPCLUSTER_FASHION_MNIST to a folder holding the "
           "IDX files.")
    if not _system_data_allowed():
        how += f" ({NO_SYSTEM_DATA_ENV} is set: system folders are not searched.)"
    images, labels = [], []
    for part in ("train", "t10k"):
        images.append(_read_idx(_find(dirs, f"{part}-images-idx3-ubyte.gz", how), 16))
        labels.append(_read_idx(_find(dirs, f"{part}-labels-idx1-ubyte.gz", how), 8))
    X = np.concatenate(images).reshape(-1, 784)
    y = np.concatenate(labels).astype(np.int64)
    if n_samples is not None and n_samples < len(X):
        idx = np.sort(check_random_state(random_state).permutation(len(X))[:n_samples])
        X, y = X[idx], y[idx]
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, images_shape=(1, 28, 28))


def _read_letter_csv(path):
    with gzip.open(path, "rt", encoding="ascii") as f:
        header = f.readline().strip().split(",")
        table = np.loadtxt(f, delimiter=",", dtype=str, ndmin=2)
    if header[0] != "lettr" or table.shape[1] != len(header):
        raise ValueError(f"{path} is not a Letter Recognition table "
                         f"(header {header[:3]}..., {table.shape[1]} columns).")
    return table[:, 1:].astype(np.float64), table[:, 0], header[1:]


def _read_letter_rda(path):
    try:
        import rdata
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError(f"Reading {path} needs `pip install rdata` (or put "
                          f"{LETTER_FILE} in data_home instead).") from exc
    frame = rdata.read_rda(path)["LetterRecognition"]
    y = np.asarray(frame["lettr"].astype(str))
    X = frame.drop(columns=["lettr"]).to_numpy(dtype=np.float64)
    return X, y, [str(c) for c in frame.columns[1:]]


def load_letter_recognition(*, data_home=None, return_X_y=False):
    """UCI Letter Recognition: 20,000 letters x 16 integer features, 26 classes.

    Each row describes a black-and-white rectangular image of a capital letter
    (20 fonts, randomly distorted) by 16 statistical features scaled to the
    integers 0 to 15 (Frey and Slate, 1991). The table ships with the package
    (``skdeepcluster/datasets/data/letter_recognition.csv.gz``, 190 kB), so
    nothing is downloaded and no R or Debian package is needed.

    Source: UCI Machine Learning Repository, "Letter Recognition", donated by
    David J. Slate (1991), https://doi.org/10.24432/C5ZP40, licensed under
    Creative Commons Attribution 4.0 (CC BY 4.0). The shipped copy was
    converted from ``LetterRecognition.rda`` of R's ``mlbench`` 2.1-3, which
    holds the UCI table unchanged (same rows in the same order); the values are
    unchanged, the column names are mlbench's (``x.box`` for UCI's ``x-box``).
    ``benchmarks/make_letter_recognition_data.py`` rebuilds and checks it.

    Parameters
    ----------
    data_home : str or None, default=None
        Read from this folder instead of the shipped copy: a
        ``letter_recognition.csv.gz`` in the shipped format, or else mlbench's
        ``LetterRecognition.rda`` (read with the PyPI package ``rdata``).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch, as scikit-learn's
        loaders do.

    Returns
    -------
    data : Bunch
        ``data`` (20000, 16) float64 (integers 0 to 15), ``target`` (20000,)
        letters as str, ``feature_names`` (16 names), ``target_names`` (the 26
        letters), ``filename`` (the file read) and ``DESCR`` (source, licence
        and feature description).
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If ``data_home`` holds neither file.

    References
    ----------
    P. W. Frey and D. J. Slate, "Letter recognition using Holland-style
    adaptive classifiers", Machine Learning 6(2), 161-182, 1991.

    Examples
    --------
    >>> from skdeepcluster.datasets import load_letter_recognition
    >>> letters = load_letter_recognition()
    >>> letters.data.shape, len(letters.target_names)
    ((20000, 16), 26)
    >>> letters.target[:5].tolist()
    ['T', 'I', 'D', 'N', 'G']
    """
    data_dir = resources.files(__package__).joinpath("data")
    if data_home is None:
        path = str(data_dir.joinpath(LETTER_FILE))
        X, y, names = _read_letter_csv(path)
    else:
        how = (f"Put {LETTER_FILE} (the shipped format) or mlbench's "
               "LetterRecognition.rda there, or leave data_home=None to read "
               "the copy that ships with skdeepcluster.")
        try:
            path = _find([data_home], LETTER_FILE, how)
            X, y, names = _read_letter_csv(path)
        except FileNotFoundError:
            path = _find([data_home], "LetterRecognition.rda", how)
            X, y, names = _read_letter_rda(path)
    if return_X_y:
        return X, y
    descr = data_dir.joinpath("letter_recognition.rst").read_text(encoding="utf-8")
    return Bunch(data=X, target=y, feature_names=names,
                 target_names=np.unique(y), filename=path, DESCR=descr)
