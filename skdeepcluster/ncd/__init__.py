"""Novel class discovery: cluster unlabelled rows using labelled known classes.

Labels follow scikit-learn's semi-supervised convention: ``y`` holds the known
class of each labelled row and ``-1`` for each unlabelled row (string labels: an
object array with ``-1`` or ``"-1"`` for unlabelled rows); ``y=None`` clusters all
rows.
"""

from ._kmeans import NCDKMeans
from ._pbn import PBN
from ._spectral import NCDSpectralClustering

__all__ = ["NCDKMeans", "NCDSpectralClustering", "PBN"]
