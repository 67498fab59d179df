"""Import ClustPy's deep methods where torchvision is missing.

ClustPy imports torchvision at module level, only to type its optional
augmentation transforms. The CPU build of torch used here has no matching
torchvision wheel, so when the import fails we register an empty stand-in module
(the benchmarks never pass transforms nor use ResNet weights). Where torchvision exists (e.g. the GPU
machine) the real one is used.
"""

import sys
import types


def import_clustpy():
    """Return ClustPy's ``clustpy.deep`` module, or raise ImportError."""
    try:
        import torchvision  # noqa: F401
    except Exception:  # missing, or built against another torch
        for name in list(sys.modules):
            if name == "torchvision" or name.startswith("torchvision."):
                del sys.modules[name]
        stub = types.ModuleType("torchvision")
        stub.transforms = types.ModuleType("torchvision.transforms")
        stub.datasets = types.ModuleType("torchvision.datasets")
        stub.models = types.ModuleType("torchvision.models")
        stub.models.__path__ = []
        api = types.ModuleType("torchvision.models._api")
        api.WeightsEnum = type("WeightsEnum", (), {})
        api.Weights = type("Weights", (), {})
        stub.models._api = api
        sys.modules["torchvision.models._api"] = api
        sys.modules["torchvision"] = stub
        sys.modules["torchvision.transforms"] = stub.transforms
        sys.modules["torchvision.datasets"] = stub.datasets
        sys.modules["torchvision.models"] = stub.models
    import clustpy.deep

    return clustpy.deep
