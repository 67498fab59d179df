"""skdeepcluster: deep and modern clustering methods with a scikit-learn API."""

__version__ = "0.1.0.dev0"

# estimators are added below as they land

__all__ = [

    "__version__",
]
