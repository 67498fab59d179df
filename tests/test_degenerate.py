"""Degenerate input never reaches the user as a torch, LAPACK or index error.

A property-based test (hypothesis) draws small tables with the shapes that break
numerical code: duplicate rows, constant columns, fewer distinct points than
clusters, one or two rows per cluster, huge and tiny feature scales, float32 and
float64, C- and F-ordered arrays. Every public estimator, with its defaults
apart from epoch counts (``common.EPOCHS``), must then either fit (warnings
allowed) and return well-formed labels, or raise a :class:`ValueError` that says
what is wrong. Any other exception fails the test.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from common import EPOCHS, public_estimators

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NCD = {"PBN", "NCDKMeans", "NCDSpectralClustering"}


@st.composite
def degenerate_tables(draw):
    """(X, n_clusters, description) with a degenerate pattern."""
    n = draw(st.integers(2, 40))
    p = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    pattern = draw(st.sampled_from(
        ["blobs", "duplicates", "few_distinct", "constant_column", "all_constant",
         "scales", "one_row_per_cluster"]))
    X = rng.randn(n, p)
    n_clusters = draw(st.integers(1, 10))
    if pattern == "duplicates":
        X = np.repeat(X[: max(1, n // 3)], 3, axis=0)[:n]
        if len(X) < n:
            X = np.vstack([X, X[: n - len(X)]])
    elif pattern == "few_distinct":
        m = draw(st.integers(1, 3))
        X = X[rng.randint(0, m, size=n) % len(X)]
    elif pattern == "constant_column":
        X[:, draw(st.integers(0, p - 1))] = draw(st.sampled_from([0.0, 1.0, -7.5]))
    elif pattern == "all_constant":
        X[:] = draw(st.sampled_from([0.0, 3.0]))
    elif pattern == "scales":
        exps = draw(st.lists(st.sampled_from([-8, -3, 0, 3, 8]), min_size=p, max_size=p))
        X = X * 10.0 ** np.asarray(exps, dtype=np.float64)
    elif pattern == "one_row_per_cluster":
        n_clusters = max(1, min(n, n_clusters))
        X = 10.0 * rng.randn(n_clusters, p)
        reps = draw(st.integers(1, 2))
        X = np.repeat(X, reps, axis=0) + 1e-3 * rng.randn(n_clusters * reps, p)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    order = draw(st.sampled_from(["C", "F"]))
    X = np.asarray(X, dtype=dtype, order=order)
    return X, n_clusters, f"{pattern} n={len(X)} p={X.shape[1]} K={n_clusters} {dtype.__name__} {order}"


def _ncd_labels(n, rng):
    """About half the rows labelled with two known classes of >= 2 rows each;
    None (plain clustering) when there are too few rows for that."""
    if n < 8:
        return None
    y = np.full(n, -1, dtype=np.int64)
    idx = rng.permutation(n)[: 2 * (n // 4)]
    y[idx] = np.arange(len(idx)) % 2
    return y


def _fit_or_value_error(name, X, n_clusters):
    import skdeepcluster

    est = getattr(skdeepcluster, name)(n_clusters=n_clusters, random_state=0,
                                       **EPOCHS[name])
    y = _ncd_labels(len(X), np.random.RandomState(0)) if name in NCD else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
            labels = est.labels_
            # transductive estimators (NCDSpectralClustering) have no predict
            pred = est.predict(X) if hasattr(est, "predict") else labels
    except ValueError as exc:
        assert str(exc).strip(), f"{name}: empty ValueError message"
        event(f"ValueError: {str(exc)[:40]}")
        return None
    event("fitted")
    assert labels.shape == (len(X),) and pred.shape == (len(X),)
    # NCD estimators mark the labelled (known-class) rows -1 in labels_
    unlabeled = np.ones(len(X), bool) if y is None else y == -1
    assert (labels[unlabeled] >= 0).all()
    assert (labels[~unlabeled] == -1).all()
    return est


@pytest.mark.parametrize("name", public_estimators())
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=degenerate_tables())
def test_degenerate_input_fits_or_raises_value_error(name, case):
    X, n_clusters, what = case
    event(what.split()[0])
    try:
        _fit_or_value_error(name, X, n_clusters)
    except AssertionError:
        raise
    except Exception as exc:  # noqa: BLE001 - the point of the test
        raise AssertionError(f"{name} on {what}: {type(exc).__name__}: {exc}") from exc


@pytest.mark.parametrize("name", public_estimators())
def test_nan_is_reported_before_sample_count(name):
    """Data are validated before parameters are checked against them."""
    import skdeepcluster

    X = np.random.RandomState(0).rand(10, 4)
    X[3, 1] = np.nan
    est = getattr(skdeepcluster, name)(**EPOCHS[name])  # n_clusters default (8 or auto)
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X)


@pytest.mark.parametrize("name", public_estimators())
def test_more_clusters_than_rows_names_the_remedy(name):
    import skdeepcluster

    X = np.random.RandomState(0).randn(5, 3)
    est = getattr(skdeepcluster, name)(n_clusters=8, **EPOCHS[name])
    with pytest.raises(ValueError, match="n_clusters"):
        est.fit(X)
