"""Displays: matched colours, one panel per training stage."""

import matplotlib
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from common import make
from skdeepcluster.inspection import EmbeddingDisplay, HistoryDisplay, match_labels

matplotlib.use("Agg")

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_match_labels_renames_to_the_reference():
    ref = np.repeat([0, 1, 2], 10)
    perm = np.array([2, 0, 1])[ref]              # the same partition, renamed
    np.testing.assert_array_equal(match_labels(perm, ref), ref)
    # an extra cluster gets an id after the reference's
    more = ref.copy()
    more[:3] = 7
    out = match_labels(more, ref)
    assert set(out[3:]) == {0, 1, 2} and set(out[:3]) == {3}


def test_embedding_display_matches_colours_of_two_clusterings():
    X, y = make_blobs(120, centers=3, random_state=0)
    a = KMeans(3, n_init=3, random_state=0).fit(X)
    renamed = np.array([1, 2, 0])[a.labels_]   # the same partition, other ids
    da = EmbeddingDisplay.from_estimator(a, X, reference_labels=y)
    db = EmbeddingDisplay.from_estimator(a, X, labels=renamed, reference_labels=y)
    # both drawn against y: the colour arrays agree point by point
    np.testing.assert_array_equal(da.labels, db.labels)
    assert da.embedding_2d.shape == (120, 2)
    assert len(da.ax_.collections) == 1 and da.ax_.get_title() == "KMeans"


def test_history_display_one_panel_per_stage():
    X, _ = make_blobs(90, centers=3, n_features=5, random_state=0)
    est = make("DEPICT", n_clusters=3, random_state=0).fit(X)
    disp = HistoryDisplay.from_estimator(est)
    stages = list(dict.fromkeys(r["stage"] for r in est.history_))
    assert [ax.get_title() for ax in disp.axes_] == stages
    # the pretraining panel draws both losses
    assert len(disp.axes_[0].get_lines()) == 2
    with pytest.raises(ValueError, match="history_"):
        HistoryDisplay.from_estimator(KMeans(2, n_init=1).fit(X))


def test_displays_accept_a_fitted_pipeline():
    # a transductive clusterer at the end of a pipeline raised AttributeError
    # ('Pipeline' object has no attribute 'labels_'); HistoryDisplay refused it
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_blobs(90, centers=3, n_features=5, random_state=0)
    agg = make_pipeline(StandardScaler(), AgglomerativeClustering(3)).fit(X)
    disp = EmbeddingDisplay.from_estimator(agg, X, reference_labels=y)
    np.testing.assert_array_equal(disp.labels, match_labels(agg[-1].labels_, y))
    pipe = make_pipeline(StandardScaler(),
                         make("DEPICT", n_clusters=3, random_state=0)).fit(X)
    hist = HistoryDisplay.from_estimator(pipe)
    assert [ax.get_title() for ax in hist.axes_] == list(
        dict.fromkeys(r["stage"] for r in pipe[-1].history_))
