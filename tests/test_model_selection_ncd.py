"""Class-hiding cross-validation, ncd_cross_val_score, NCDSearchCV, make_ncd_split."""

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris, make_blobs
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeepcluster import PBN, NCDKMeans, NCDSpectralClustering
from skdeepcluster.datasets import make_ncd_split
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.model_selection import ClassHidingCV, NCDSearchCV, ncd_cross_val_score


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data():
    X, t = make_blobs(450, centers=8, n_features=6, cluster_std=0.8, random_state=3)
    y = np.where(t < 5, t, -1)  # 5 known, 3 novel
    return X, y, t


def test_class_hiding_cv_splits(data):
    X, y, _ = data
    cv = ClassHidingCV(n_splits=10, n_hidden=2, random_state=0)
    splits = list(cv.split(X, y))
    assert len(splits) == cv.get_n_splits() == 10
    combos = set()
    for train, hidden in splits:
        assert np.all(y[train] >= 0)  # the real novel rows are never used
        assert np.isin(hidden, train).all()
        hidden_classes = tuple(np.unique(y[hidden]))
        assert len(hidden_classes) == 2
        assert np.all(np.isin(y[train][~np.isin(train, hidden)], hidden_classes,
                              invert=True))
        combos.add(hidden_classes)
    assert len(combos) == 10  # all C(5, 2) combinations, each once
    # default n_hidden: round(0.4 * 5) = 2; seeded
    a = [h.tolist() for _, h in ClassHidingCV(3, random_state=1).split(X, y)]
    b = [h.tolist() for _, h in ClassHidingCV(3, random_state=1).split(X, y)]
    assert a == b
    with pytest.raises(ValueError, match="distinct ways"):
        list(ClassHidingCV(11, n_hidden=2).split(X, y))
    with pytest.raises(ValueError, match="n_hidden"):
        list(ClassHidingCV(2, n_hidden=5).split(X, y))
    with pytest.raises(ValueError, match="at least 3 known classes"):
        list(ClassHidingCV(1).split(X, np.where(y < 2, y, -1)))


@pytest.mark.parametrize("k_mode", ["true", "estimate"])
def test_ncd_cross_val_score(data, k_mode):
    X, y, _ = data
    cv = ClassHidingCV(4, n_hidden=2, random_state=0)
    scores = ncd_cross_val_score(NCDKMeans(n_init=3, k_range=(2, 6), random_state=0),
                                 X, y, cv=cv, k_mode=k_mode)
    assert scores.shape == (4,)
    assert np.all(scores >= 0.9)


def test_ncd_cross_val_score_string_labels_and_pipeline(data):
    X, y, _ = data
    y_obj = np.array([f"c{v}" if v >= 0 else -1 for v in y], dtype=object)
    pipe = make_pipeline(StandardScaler(), NCDSpectralClustering(n_init=2, random_state=0))
    scores = ncd_cross_val_score(pipe, X, y_obj, cv=3)
    assert scores.shape == (3,) and np.all(scores >= 0.9)


def test_error_score(data):
    X, y, _ = data
    bad = NCDKMeans(n_init=0)
    assert np.isnan(ncd_cross_val_score(bad, X, y, cv=2)).all()
    with pytest.raises(ValueError, match="n_init"):
        ncd_cross_val_score(bad, X, y, cv=2, error_score="raise")


def test_search_grid_refits_on_all_data(data):
    X, y, t = data
    search = NCDSearchCV(
        NCDSpectralClustering(n_clusters=3, n_init=2, random_state=0),
        {"min_dist": [0.1, 0.6, 0.9]}, cv=ClassHidingCV(3, n_hidden=2, random_state=0),
        n_jobs=2)
    search.fit(X, y)
    res = search.cv_results_
    assert len(res["params"]) == 3
    for key in ("split0_test_score", "split2_test_score", "mean_test_score",
                "std_test_score", "rank_test_score", "mean_fit_time", "param_min_dist"):
        assert len(res[key]) == 3
    assert res["rank_test_score"][search.best_index_] == 1
    assert search.best_score_ == pytest.approx(np.max(res["mean_test_score"]))
    best = search.best_estimator_
    assert best.min_dist == search.best_params_["min_dist"]
    assert best.labels_.shape == (len(X),)  # refitted on all rows, novel included
    novel = y == -1
    assert clustering_accuracy(t[novel], search.labels_[novel]) >= 0.95
    assert not hasattr(search, "predict")  # transductive best estimator


def test_search_random_pbn_estimate_k(data):
    X, y, t = data
    search = NCDSearchCV(
        PBN(n_clusters="auto", k_range=(2, 6), max_epochs=15, batch_size=128, n_init=2,
            random_state=0),
        param_distributions={"lr": loguniform(1e-3, 1e-2), "w": [0.5, 0.9]},
        n_iter=2, cv=ClassHidingCV(2, n_hidden=2, random_state=0), k_mode="estimate",
        random_state=0)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert set(search.best_params_) == {"lr", "w"}
    assert search.n_clusters_ == 3
    novel = y == -1
    assert clustering_accuracy(t[novel], search.predict(X[novel])) >= 0.9
    assert search.transform(X[:4]).shape[0] == 4


def test_search_bad_params(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="exactly one"):
        NCDSearchCV(NCDKMeans()).fit(X, y)
    with pytest.raises(ValueError, match="cannot be searched"):
        NCDSearchCV(NCDKMeans(), {"n_clusters": [2, 3]}).fit(X, y)
    with pytest.raises(ValueError, match="k_mode"):
        NCDSearchCV(NCDKMeans(), {"n_init": [1]}, k_mode="guess").fit(X, y)
    with pytest.raises(ValueError, match="ClassHidingCV"):
        NCDSearchCV(NCDKMeans(), {"n_init": [1]}, cv=[(np.arange(3), np.arange(3))]
                    ).fit(X, y)


def test_make_ncd_split():
    X, y = load_iris(return_X_y=True)
    s = make_ncd_split(X, y, novel_classes=[2], test_size=0.3, standardize=True,
                       random_state=0)
    assert len(s.X_train) + len(s.X_test) == 150
    assert set(np.unique(s.y_train)) == {-1, 0, 1}
    np.testing.assert_array_equal(s.novel_mask_train, s.y_train_true == 2)
    np.testing.assert_allclose(s.X_train.mean(0), 0, atol=1e-12)
    assert list(s.known_classes) == [0, 1] and list(s.novel_classes) == [2]
    letters = np.array(list("abc"))[y]
    s2 = make_ncd_split(X, letters, n_novel=1, random_state=0)
    assert s2.y_train.dtype == object and s2.X_test is None
    assert np.sum(s2.y_train == -1) == 50
    # iris: 2 known / 1 novel toy problem
    est = NCDKMeans(n_clusters=1, random_state=0).fit(s2.X_train, s2.y_train)
    assert est.n_clusters_ == 1
    with pytest.raises(ValueError, match="not classes"):
        make_ncd_split(X, y, novel_classes=[7])
    with pytest.raises(ValueError, match="every class"):
        make_ncd_split(X, y, novel_classes=[0, 1, 2])
