"""skdeepcluster: deep and modern clustering methods with a scikit-learn API."""

__version__ = "0.1.0.dev0"

from .depict import DEPICT  # noqa: E402
from .dsc import DSC  # noqa: E402
# estimators are added below as they land
from .ncd import NCDKMeans, NCDSpectralClustering, PBN  # noqa: E402
from .sdp import ILASDP, SDPKMeans  # noqa: E402
from .sp2ot import SP2OT  # noqa: E402

__all__ = [
    "NCDKMeans",
    "NCDSpectralClustering",
    "PBN",
    "DEPICT",
    "DSC",
    "ILASDP",
    "SDPKMeans",
    "SP2OT",

    "__version__",
]
