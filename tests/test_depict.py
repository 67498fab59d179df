import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_blobs, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import neighbor_warnings
from skdeepcluster import DEPICT
from skdeepcluster.depict._losses import compute_targets
from skdeepcluster.depict._module import DEPICTModule, conv_geometry
from skdeepcluster.metrics import clustering_accuracy, make_label_free_scorer

# small, fast instances; float64 so that batch and full-data inference agree
FAST = dict(hidden_dims=(16, 16, 32), pretrain_max_epochs=15, init_max_epochs=5,
            max_epochs=15, kmeans_n_init=3, batch_size=32, dtype="float64",
            random_state=0)


def fast(**kw):
    return DEPICT(**{**FAST, **kw})


def blobs(n=150, k=3, d=6, seed=0):
    return make_blobs(n_samples=n, centers=k, n_features=d, cluster_std=1.0,
                      random_state=seed)


# ----------------------------------------------------------------- network
@pytest.mark.parametrize("shape, sizes", [
    ((1, 28, 28), [(13, 13), (7, 7)]),   # MNIST row of the paper's table
    ((1, 16, 16), [(7, 7), (4, 4)]),     # USPS
    ((3, 32, 32), [(17, 17), (9, 9)]),   # FRGC / CMU-PIE
    ((3, 55, 55), [(28, 28), (13, 13)]),  # YTF
])
def test_conv_geometry_matches_published_table(shape, sizes):
    m = DEPICTModule(int(np.prod(shape)), 5, input_shape=shape)
    assert [s[1:] for s in m.shapes[1:]] == sizes
    x = torch.rand(2, int(np.prod(shape)))
    _, _, clean, decoded, _ = m(x)
    # every decoder output lands exactly on its clean encoder target
    assert [tuple(c.shape) for c in clean] == [tuple(d.shape) for d in decoded]


def test_conv_geometry_any_size_round_trips():
    for side in (20, 24, 37, 64):
        m = DEPICTModule(side * side, 4, input_shape=(1, side, side))
        _, _, clean, decoded, _ = m(torch.rand(2, side * side))
        assert [c.shape for c in clean] == [d.shape for d in decoded]
    assert conv_geometry(28, 28) == ((4, 5), (0, 2))


def test_noisy_and_clean_paths_share_weights_and_differ_only_in_training():
    m = DEPICTModule(10, 3, hidden_dims=(8, 8, 16), dropout=(0.5, 0.5, 0.5, 0.5))
    x = torch.rand(64, 10)
    m.train()
    noisy, clean, _, _, _ = m(x)
    assert not torch.allclose(noisy, clean)
    m.eval()
    noisy, clean, _, _, z = m(x)
    assert torch.equal(z, m.embed(x))
    assert torch.equal(noisy, clean)


def test_targets_follow_both_rules():
    P = torch.tensor([[0.7, 0.3], [0.6, 0.4], [0.2, 0.8]], dtype=torch.float64)
    f = P.sum(0)
    Q = compute_targets(P, "square")
    ref = P**2 / f
    assert torch.allclose(Q, ref / ref.sum(1, keepdim=True))
    Q = compute_targets(P, "sqrt")
    ref = P / f.sqrt()
    assert torch.allclose(Q, ref / ref.sum(1, keepdim=True))
    # square sharpens: the winning cluster's share grows
    assert (compute_targets(P, "square").max(1).values >= P.max(1).values - 1e-12).all()


# --------------------------------------------------------------- behaviour
def test_fit_attributes_history_and_stopping():
    X, y = blobs()
    m = fast(n_clusters=3).fit(X)
    assert m.labels_.dtype == np.int64 and m.labels_.shape == (150,)
    assert set(np.unique(m.labels_)) <= {0, 1, 2}
    assert np.array_equal(m.predict(X), m.labels_)
    assert m.transform(X).shape == (150, 3)
    proba = m.predict_proba(X)
    assert np.allclose(proba.sum(1), 1)
    stages = [r["stage"] for r in m.history_]
    # one record per epoch, stages in order, epochs counted from 1 in each
    assert stages == sorted(stages, key=["pretrain", "init", "self_training"].index)
    assert set(stages) == {"pretrain", "init", "self_training"}
    for stage, key in [("pretrain", "valid_loss"), ("init", "valid_nmi"),
                       ("self_training", "q_change")]:
        rows = [r for r in m.history_ if r["stage"] == stage]
        assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
        assert all("train_loss" in r for r in rows)
        assert all(key in r for r in rows)
    assert m.n_iter_ == len(m.history_)
    assert set(m.stop_reasons_) == {"pretrain", "init", "self_training"}
    assert set(m.stop_reasons_.values()) <= {"tol", "max_epochs"}
    assert m.fit_seconds_ > 0
    assert adjusted_rand_score(y, m.labels_) > 0.9
    assert m.get_feature_names_out().tolist() == ["depict0", "depict1", "depict2"]


def test_self_training_stops_by_label_free_rule():
    X, _ = blobs()
    m = fast(n_clusters=3, max_epochs=200, tol=1e-4, label_change_tol=None).fit(X)
    assert m.stop_reasons_["self_training"] == "tol"
    rows = [r for r in m.history_ if r["stage"] == "self_training"]
    assert len(rows) < 200
    assert rows[-1]["q_change"] < 1e-4


def test_auto_caps_count_optimiser_steps():
    # "auto" epoch caps are step budgets: 270 training rows at batch 32 are 9
    # steps per epoch, so phase D (300 rows, 10 steps per epoch) gets
    # ceil(AUTO_STEPS / 10) epochs; explicit integers stay epoch counts
    from skdeepcluster.depict._estimator import AUTO_STEPS

    X, _ = blobs(n=300)
    m = fast(n_clusters=3, pretrain_max_epochs=3, init_max_epochs=2,
             max_epochs="auto", tol=0, label_change_tol=None).fit(X)
    d_epochs = m._stage_epochs("self_training")
    assert d_epochs == -(-AUTO_STEPS["self_training"] // 10)
    assert m.stop_reasons_["self_training"] == "max_epochs"
    assert m._stage_epochs("pretrain") <= 3 and m._stage_epochs("init") <= 2
    with pytest.raises(ValueError, match="max_epochs"):
        fast(n_clusters=3, max_epochs="forever").fit(X)


def test_targets_update_after_target_update_steps():
    # 150 rows at batch 32 are 5 steps per epoch: with 12 steps between
    # updates Q changes after epochs 3, 6, 9, ... (and the stop rule is checked
    # there only); with 1 step, after every epoch as in the reference code
    X, _ = blobs(n=150)
    m = fast(n_clusters=3, max_epochs=12, tol=0, label_change_tol=None,
             target_update_steps=12).fit(X)
    rows = [r for r in m.history_ if r["stage"] == "self_training"]
    assert len(rows) == 12
    assert [r["epoch"] for r in rows if "q_change" in r] == [3, 6, 9, 12]
    m = fast(n_clusters=3, max_epochs=4, tol=0, label_change_tol=None,
             target_update_steps=1).fit(X)
    rows = [r for r in m.history_ if r["stage"] == "self_training"]
    assert all("q_change" in r for r in rows) and len(rows) == 4


def test_small_fits_run_kmeans_on_one_thread(monkeypatch):
    # two spinning OpenMP threads made phase B's k-means ~100x slower on a busy
    # 2-core machine: small CPU fits limit every thread pool to one thread
    from threadpoolctl import threadpool_info

    from skdeepcluster.depict import _estimator

    seen = []

    def spy(*args, **kwargs):
        seen.extend(info["num_threads"] for info in threadpool_info())
        return _estimator_fit_kmeans(*args, **kwargs)

    _estimator_fit_kmeans = _estimator.fit_kmeans
    monkeypatch.setattr(_estimator, "fit_kmeans", spy)
    X, _ = blobs()
    fast(n_clusters=3).fit(X)
    assert seen and set(seen) == {1}


def test_balanced_kmeans_takes_the_near_optimal_restart_closest_to_the_prior(monkeypatch):
    # scripted k-means restarts: the lowest inertia one is unbalanced, one 3%
    # worse is balanced (chosen), one balanced restart is 2x worse (never)
    from skdeepcluster.depict import _estimator

    def restart(sizes, inertia):
        labels = np.repeat(np.arange(3), sizes)
        return labels, np.eye(3), inertia

    scripted = [restart([8, 1, 1], 100.0), restart([4, 3, 3], 103.0),
                restart([3, 4, 3], 200.0), restart([6, 2, 2], 101.0)]
    for tol, sizes in [(0.05, [4, 3, 3]), (0.02, [6, 2, 2]), (0.0, [8, 1, 1])]:
        it = iter(scripted)
        monkeypatch.setattr(_estimator, "fit_kmeans", lambda *a, **k: next(it))
        labels, _ = _estimator._balanced_kmeans(np.zeros((10, 3)), 3, 4, None,
                                                inertia_tol=tol)
        assert np.bincount(labels).tolist() == sizes


def test_balanced_kmeans_keeps_unbalanced_clusters_that_fit_best():
    # 200/50/20 well separated blobs: no balanced restart comes near the
    # inertia of the true partition, which the rule therefore keeps
    from skdeepcluster.depict._estimator import _balanced_kmeans

    X, y = make_blobs(n_samples=[200, 50, 20], centers=[[0, 0], [8, 0], [0, 8]],
                      cluster_std=0.7, random_state=0)
    labels, centers = _balanced_kmeans(X, 3, 20, np.random.RandomState(0))
    assert adjusted_rand_score(y, labels) == 1.0
    assert centers.shape == (3, 2)


def test_spectral_init_follows_the_manifold_kmeans_cuts():
    # two interleaved moons: the phase-B k-means cuts them straight through, the
    # spectral clustering of the embedding's kNN graph separates them, and the
    # head starts from that partition. The linear head on a 2-D embedding then
    # keeps only part of the gain (ARI about 0.65 against 0.5)
    X, y = make_moons(n_samples=400, noise=0.05, random_state=0)
    kw = dict(n_clusters=2, hidden_dims=None, batch_size=32, random_state=0)
    km = fast(init="kmeans", **kw).fit(X)
    sp = fast(init="spectral", **kw).fit(X)
    assert adjusted_rand_score(y, km.init_labels_) < 0.6
    assert adjusted_rand_score(y, sp.init_labels_) > 0.9
    assert adjusted_rand_score(y, sp.labels_) > adjusted_rand_score(y, km.labels_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("init", ["input_kmeans", "input_kmeans_balanced"])
def test_input_kmeans_start_clusters_the_scaled_rows(init):
    # phase B on the [-1, 1]-scaled rows, not on the embedding: a 2-unit
    # embedding of 3 blobs in 6-D after a 1-epoch pretraining need not separate
    # them, the input does; the head starts from the embedding centroids of
    # that partition
    X, y = blobs()
    m = fast(n_clusters=3, init=init, pretrain_max_epochs=1, hidden_dims=(8, 8, 2),
             max_epochs=1).fit(X)
    assert m.init_ == init
    assert adjusted_rand_score(y, m.init_labels_) == 1.0
    emb = fast(n_clusters=3, init="kmeans", pretrain_max_epochs=1,
               hidden_dims=(8, 8, 2), max_epochs=1).fit(X)
    assert adjusted_rand_score(y, emb.init_labels_) < 1.0


def _scripted_objective(monkeypatch, shift):
    """Make the self-trained network's objective (DEPICT's second evaluation
    in a fit) ``shift`` higher than measured; record the real values."""
    from skdeepcluster.depict import _estimator

    real, calls = _estimator._objective, []

    def objective(*args):
        value = real(*args)
        calls.append(value)
        return (value[0] + shift, *value[1:]) if len(calls) == 2 else value

    monkeypatch.setattr(_estimator, "_objective", objective)
    return calls


def test_fallback_keeps_the_start_when_self_training_raises_the_objective(monkeypatch):
    X, y = blobs()
    calls = _scripted_objective(monkeypatch, 1e6)
    m = fast(n_clusters=3, fallback="start").fit(X)
    assert m.partition_ == "start"
    assert sum(m.objectives_["self_trained"]) > sum(m.objectives_["start"])
    # the network is the one of the start of phase D: its objective is the
    # start's, and its partition is the phase-B start's after phase C
    assert -m.score(X) == pytest.approx(sum(calls[0]))
    assert np.array_equal(m.predict(X), m.labels_)
    assert adjusted_rand_score(m.init_labels_, m.labels_) > 0.95


def test_fallback_keeps_self_training_when_it_lowers_the_objective(monkeypatch):
    X, _ = blobs()
    _scripted_objective(monkeypatch, -1e6)
    m = fast(n_clusters=3, fallback="start").fit(X)
    assert m.partition_ == "self_trained"
    ref = fast(n_clusters=3).fit(X)
    assert ref.partition_ == "self_trained" and ref.fallback is None
    assert np.array_equal(m.labels_, ref.labels_)
    assert -m.score(X) == pytest.approx(sum(m.objectives_["self_trained"]) + 1e6)


def test_objectives_are_recorded_and_drive_the_fallback():
    X, _ = blobs()
    m = fast(n_clusters=3, fallback="start").fit(X)
    assert set(m.objectives_) == {"start", "self_trained"}
    assert all(len(v) == 3 and min(v) >= 0 for v in m.objectives_.values())
    raised = sum(m.objectives_["self_trained"]) > sum(m.objectives_["start"])
    assert m.partition_ == ("start" if raised else "self_trained")


def test_clustering_phases_use_their_own_learning_rate():
    X, _ = blobs()
    m = fast(n_clusters=3, lr=1e-3, clustering_lr=1e-4).fit(X)
    assert m.net_.lr == 1e-4  # phase D
    assert fast(n_clusters=3, lr=2e-3).fit(X).net_.lr == 2e-3  # None: same as lr


def test_reproducible_with_random_state():
    X, _ = blobs()
    a = fast(n_clusters=3, dtype="float32", random_state=3).fit(X)
    b = fast(n_clusters=3, dtype="float32", random_state=3).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    assert np.array_equal(a.transform(X), b.transform(X))


def test_pickle_round_trip():
    X, _ = blobs()
    m = fast(n_clusters=3).fit(X)
    m2 = pickle.loads(pickle.dumps(m))
    assert np.array_equal(m.predict(X), m2.predict(X))
    assert np.allclose(m.transform(X), m2.transform(X))


def test_conv_variant_and_image_arrays():
    rng = np.random.RandomState(0)
    # two kinds of 16x16 images: a bright left half or a bright top half
    imgs = rng.rand(80, 1, 16, 16) * 0.2
    imgs[:40, :, :, :8] += 0.8
    imgs[40:, :, :8, :] += 0.8
    y = np.repeat([0, 1], 40)
    m = fast(n_clusters=2, hidden_dims=None, channels=(8, 8)).fit(imgs)
    assert m.input_shape_ == (1, 16, 16)
    assert m.net_.module_.conv
    assert m.init_ == "spectral"  # init="auto" on the convolutional network
    assert clustering_accuracy(y, m.labels_) == 1.0
    flat = fast(n_clusters=2, channels=(8, 8), input_shape=(16, 16)).fit(imgs.reshape(80, -1))
    assert flat.net_.module_.conv
    assert flat.predict(imgs).shape == (80,)  # 4-D input at predict time too


def test_tiny_images_use_mlp():
    X = np.random.RandomState(0).rand(40, 64)
    m = fast(n_clusters=2, input_shape=(8, 8)).fit(X)
    assert m.input_shape_ is None and not m.net_.module_.conv
    assert m.init_ == "input_kmeans_balanced"  # init="auto" on the MLP


def test_verbose_shows_progress(capsys):
    X, _ = blobs(n=60)
    fast(n_clusters=3, verbose=1, pretrain_max_epochs=2, max_epochs=2).fit(X)
    out = capsys.readouterr().out
    # one progress bar per training stage, no per-epoch tables
    for stage in ("pretrain", "init", "self_training"):
        assert f"[DEPICT] {stage}" in out
    assert "phase B" in out and "train_loss" in out
    assert "valid_loss    dur" not in out
    fast(n_clusters=3, verbose=2, pretrain_max_epochs=2, max_epochs=2).fit(X)
    out = capsys.readouterr().out
    assert "epoch" in out and "dur" in out  # skorch's tables at verbose=2


def test_pipeline_and_label_free_grid_search():
    X, _ = make_blobs(n_samples=240, centers=[[0] * 4, [6] * 4, [0, 6, 0, 6]],
                      cluster_std=0.7, random_state=0)
    pipe = make_pipeline(StandardScaler(), fast(n_clusters=3))
    labels = pipe.fit_predict(X)
    assert len(np.unique(labels)) == 3
    search = GridSearchCV(fast(), {"n_clusters": [2, 3, 4]},
                          scoring=make_label_free_scorer("silhouette"), cv=2)
    search.fit(X)  # unlabeled
    # the chosen model finds the 3 blobs; asked for 4, DEPICT may leave a
    # cluster empty and then ties with 3, so compare the clusters it uses
    assert len(np.unique(search.best_estimator_.predict(X))) == 3
    scores = dict(zip([p["n_clusters"] for p in search.cv_results_["params"]],
                      search.cv_results_["mean_test_score"]))
    assert scores[2] < scores[3]


def test_digits_quality_floor():
    """DEPICT with its defaults must beat k-means' ~0.79 ACC on digits."""
    X, y = load_digits(return_X_y=True)
    m = DEPICT(n_clusters=10, random_state=0).fit(X)
    assert clustering_accuracy(y, m.labels_) >= 0.85


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_nan_inf(bad):
    X, _ = blobs(n=30)
    X[3, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        fast(n_clusters=3).fit(X)


def test_rejects_bad_shapes_and_sizes():
    with pytest.raises(ValueError, match="2D array"):
        fast(n_clusters=2).fit(np.arange(10.0))
    with pytest.raises(ValueError, match="0 sample"):
        fast(n_clusters=2).fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="fewer samples than clusters"):
        fast(n_clusters=10).fit(np.random.rand(5, 3))
    with pytest.raises(ValueError, match="input_shape"):
        fast(n_clusters=2, input_shape=(1, 5, 5)).fit(np.random.rand(20, 30))
    with pytest.raises(ValueError, match="target"):
        fast(n_clusters=2, target="cube").fit(np.random.rand(20, 3))
    with pytest.raises(ValueError, match="'init' parameter"):
        fast(n_clusters=2, init="agglomerative").fit(np.random.rand(20, 3))
    with pytest.raises(ValueError, match="n_neighbors"):
        fast(n_clusters=2, init="spectral", n_neighbors=0).fit(np.random.rand(20, 3))


def test_predict_rejects_wrong_number_of_features():
    X, _ = blobs()
    m = fast(n_clusters=3).fit(X)
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :4])


def test_unavailable_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, _ = blobs(n=30)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        fast(n_clusters=3, device="cuda").fit(X)
    # "auto" falls back to the CPU
    assert fast(n_clusters=3, device="auto", max_epochs=2).fit(X).net_.device == "cpu"


def test_warns_when_fewer_clusters_than_asked():
    # 3 distinct points cannot make 6 clusters: a degenerate fit says so
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 9.0]]), 10, axis=0)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        m = fast(n_clusters=6).fit(X)
    assert len(np.unique(m.labels_)) < 6
    assert m.cluster_centers_.shape[0] == 6


def test_spectral_init_says_when_n_neighbors_is_reduced():
    # 12 rows: n_neighbors=20 is reduced to 11, with one warning; 11 fits
    # silently, to the same labels; the k-means inits build no graph
    X, _ = blobs(n=12, k=2, d=4)
    big = fast(n_clusters=2, init="spectral", n_neighbors=20)
    assert neighbor_warnings(lambda: big.fit(X))[0] == [
        "DEPICT: n_neighbors=20 is not smaller than n_samples (12); reduced to "
        "n_samples - 1 = 11."]
    fits = fast(n_clusters=2, init="spectral", n_neighbors=11)
    assert neighbor_warnings(lambda: fits.fit(X))[0] == []
    np.testing.assert_array_equal(big.init_labels_, fits.init_labels_)
    np.testing.assert_array_equal(big.labels_, fits.labels_)
    kmeans_init = fast(n_clusters=2, init="kmeans", n_neighbors=20)
    assert neighbor_warnings(lambda: kmeans_init.fit(X))[0] == []


@pytest.mark.parametrize("init", ["auto", "kmeans", "kmeans_balanced", "spectral"])
@pytest.mark.parametrize("n_distinct", [1, 2])
def test_degenerate_fit_warns_once(init, n_distinct):
    # constant X (or 2 distinct rows for 3 clusters): one warning naming the
    # cause, not scikit-learn's KMeans warning once per restart on top of it
    X = np.repeat(np.eye(n_distinct, 5), 60 // n_distinct, axis=0) + 1.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fast(n_clusters=3, init=init).fit(X)
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert len(caught) == 1, messages
    assert caught[0].category is ConvergenceWarning
    row = "row" if n_distinct == 1 else "rows"
    assert f"X has only {n_distinct} distinct {row}" in str(caught[0].message)
