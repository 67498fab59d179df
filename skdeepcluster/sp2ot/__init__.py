"""SP2OT: deep clustering by optimal-transport pseudo-labels for clusters of
any size (P2OT, SP2OT and SwAV's balanced codes in one estimator; Zhang, Ren
and He, ICLR 2024 and arXiv 2404.03446; Caron et al., NeurIPS 2020)."""

from ._estimator import SP2OT
from ._transport import partial_ot_pseudo_labels, rho_schedule

# SP2OT is documented (and exported) at the package level
__all__ = ["partial_ot_pseudo_labels", "rho_schedule"]
