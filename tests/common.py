"""Settings and helpers shared by the test modules.

``EPOCHS`` holds, per public estimator, the keyword arguments the common tests
construct it with: epoch counts only (so that scikit-learn's checks run in
seconds); every other parameter keeps its default. A public estimator without an
entry fails ``test_common.py::test_every_public_estimator_has_an_entry``.
"""

import inspect
import warnings

from sklearn.base import BaseEstimator

import skdeepcluster

EPOCHS = {
    "DEPICT": dict(pretrain_max_epochs=5, init_max_epochs=3, max_epochs=5),
    "DSC": dict(pretrain_max_epochs=10, self_expression_max_epochs=30,
                structured_norm_max_epochs=10),
    "PBN": dict(max_epochs=5),
    "NCDKMeans": dict(),
    "NCDSpectralClustering": dict(),
    "SDPKMeans": dict(),
    "ILASDP": dict(),
    "SP2OT": dict(warmup_epochs=2, max_epochs=3),
}


def public_estimators():
    """Names of every estimator class exported by ``skdeepcluster``."""
    return sorted(
        name for name in skdeepcluster.__all__
        if inspect.isclass(getattr(skdeepcluster, name, None))
        and issubclass(getattr(skdeepcluster, name), BaseEstimator)
    )


def make(name, **params):
    """A public estimator with the common settings, overridden by ``params``."""
    return getattr(skdeepcluster, name)(**{**EPOCHS.get(name, {}), **params})


def neighbor_warnings(fit):
    """The UserWarnings about ``n_neighbors`` that ``fit()`` issues, and its result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit()
    return [str(w.message) for w in caught
            if w.category is UserWarning and "n_neighbors" in str(w.message)], result
