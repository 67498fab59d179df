"""The offline data loaders read shipped data or explicit folders, never a
machine's leftovers unless allowed to (``SKDEEPCLUSTER_NO_SYSTEM_DATA``)."""

import configparser
import fnmatch
import gzip
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import skdeepcluster.datasets._real as real
from skdeepcluster.datasets import load_fashion_mnist, load_letter_recognition

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "skdeepcluster" / "datasets" / "data"

# The class distribution and the first and last rows as documented by the UCI
# repository (letter-recognition.names / letter-recognition.data).
UCI_COUNTS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", [
    789, 766, 736, 805, 768, 775, 773, 734, 755, 747, 739, 761, 792,
    783, 753, 803, 783, 758, 748, 796, 813, 764, 752, 787, 786, 734]))
UCI_FIRST = ("T", [2, 8, 3, 5, 1, 8, 13, 0, 6, 6, 10, 8, 0, 8, 0, 8])
UCI_LAST = ("A", [4, 9, 6, 6, 2, 9, 5, 3, 1, 8, 1, 8, 2, 7, 2, 8])


@pytest.fixture(scope="module")
def letters():
    return load_letter_recognition()


def test_letter_recognition_is_the_shipped_uci_table(letters):
    import skdeepcluster

    # read from inside the installed package, not from a system folder
    pkg = Path(skdeepcluster.__file__).resolve().parent
    assert Path(letters.filename).resolve() == pkg / "datasets" / "data" / real.LETTER_FILE
    X, y = letters.data, letters.target
    assert X.shape == (20000, 16) and X.dtype == np.float64 and y.shape == (20000,)
    assert np.array_equal(X, np.round(X)) and X.min() == 0 and X.max() == 15
    assert dict(Counter(y.tolist())) == UCI_COUNTS
    assert list(letters.target_names) == sorted(UCI_COUNTS)
    assert (y[0], X[0].tolist()) == UCI_FIRST
    assert (y[-1], X[-1].tolist()) == UCI_LAST
    assert letters.feature_names[:2] == ["x.box", "y.box"] and len(letters.feature_names) == 16
    # source and licence travel with the data
    assert "CC BY 4.0" in letters.DESCR and "10.24432/C5ZP40" in letters.DESCR


def test_letter_recognition_ignores_system_locations(monkeypatch, tmp_path, letters):
    # whatever the environment says, the default is the shipped copy
    monkeypatch.setenv("SKDEEPCLUSTER_MLBENCH", str(tmp_path))
    monkeypatch.delenv(real.NO_SYSTEM_DATA_ENV, raising=False)
    assert load_letter_recognition().filename == letters.filename


def test_letter_recognition_data_home(tmp_path, letters):
    # a CSV in the shipped format overrides the shipped copy
    with gzip.open(DATA_DIR / real.LETTER_FILE, "rt") as f:
        head = [next(f) for _ in range(11)]  # header + 10 rows
    head[1] = "Z" + head[1][1:]
    with gzip.open(tmp_path / real.LETTER_FILE, "wt") as f:
        f.writelines(head)
    b = load_letter_recognition(data_home=str(tmp_path))
    assert b.filename == str(tmp_path / real.LETTER_FILE)
    assert b.data.shape == (10, 16) and b.target[0] == "Z"
    np.testing.assert_array_equal(b.data, letters.data[:10])
    np.testing.assert_array_equal(b.target[1:], letters.target[1:10])


def test_letter_recognition_data_home_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="LetterRecognition.rda.*data_home=None"):
        load_letter_recognition(data_home=str(tmp_path))


def test_letter_recognition_rejects_other_tables(tmp_path):
    with gzip.open(tmp_path / real.LETTER_FILE, "wt") as f:
        f.write("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a Letter Recognition table"):
        load_letter_recognition(data_home=str(tmp_path))


def _mlbench_rda():
    """mlbench's .rda where this machine has it (an optional cross-check)."""
    if not real._system_data_allowed():
        return None
    for d in (os.environ.get("SKDEEPCLUSTER_MLBENCH", ""),
              "/usr/lib/R/site-library/mlbench/data"):
        if d and os.path.exists(os.path.join(d, "LetterRecognition.rda")):
            return d
    return None


@pytest.mark.skipif(_mlbench_rda() is None,
                    reason="cross-check only: R's mlbench LetterRecognition.rda "
                           "is not on this machine (or system data is turned off)")
def test_shipped_letter_recognition_equals_mlbench(tmp_path, letters):
    pytest.importorskip("rdata")
    shutil.copy(os.path.join(_mlbench_rda(), "LetterRecognition.rda"), tmp_path)
    b = load_letter_recognition(data_home=str(tmp_path))
    assert b.filename.endswith("LetterRecognition.rda")
    np.testing.assert_array_equal(b.data, letters.data)
    np.testing.assert_array_equal(b.target, letters.target)
    assert b.feature_names == letters.feature_names


def test_package_data_is_declared():
    """Every shipped data file matches setup.cfg's package_data, so a wheel or
    an sdist (not only an editable install) carries it."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = cfg["options.package_data"]["skdeepcluster.datasets"].split()
    files = [p.relative_to(DATA_DIR.parent).as_posix() for p in DATA_DIR.iterdir()]
    assert real.LETTER_FILE in {Path(f).name for f in files}
    for f in files:
        assert any(fnmatch.fnmatch(f, pat) for pat in patterns), f


def _write_fake_fashion(folder, n_train=3, n_test=2):
    rng = np.random.RandomState(0)
    folder.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", n_train), ("t10k", n_test)):
        images = rng.randint(0, 256, size=(n, 784)).astype(np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        with gzip.open(folder / f"{part}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images.tobytes())
        with gzip.open(folder / f"{part}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + labels.tobytes())


def test_fashion_mnist_system_folder_can_be_turned_off(tmp_path, monkeypatch):
    system = tmp_path / "system"
    _write_fake_fashion(system)
    monkeypatch.setattr(real, "FASHION_MNIST_SYSTEM_DIRS", (str(system),))
    monkeypatch.delenv("SKDEEPCLUSTER_FASHION_MNIST", raising=False)

    monkeypatch.delenv(real.NO_SYSTEM_DATA_ENV, raising=False)
    b = load_fashion_mnist()
    assert b.data.shape == (5, 784) and b.target.tolist() == [0, 1, 2, 0, 1]

    monkeypatch.setenv(real.NO_SYSTEM_DATA_ENV, "1")
    with pytest.raises(FileNotFoundError, match=real.NO_SYSTEM_DATA_ENV):
        load_fashion_mnist()
    # explicit locations still work
    assert load_fashion_mnist(data_home=str(system)).data.shape == (5, 784)
    monkeypatch.setenv("SKDEEPCLUSTER_FASHION_MNIST", str(system))
    b = load_fashion_mnist(n_samples=2, random_state=0)
    assert b.data.shape == (2, 784) and b.images_shape == (1, 28, 28)


def test_loaders_return_X_y(tmp_path, letters):
    # scikit-learn's loaders take return_X_y=True; these raised TypeError
    X, y = load_letter_recognition(return_X_y=True)
    assert np.array_equal(X, letters.data) and np.array_equal(y, letters.target)
    _write_fake_fashion(tmp_path)
    X, y = load_fashion_mnist(data_home=str(tmp_path), return_X_y=True)
    assert X.shape == (5, 784) and y.tolist() == [0, 1, 2, 0, 1]
