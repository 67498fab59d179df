"""SDP clustering: SDP k-means (Peng-Wei) and iterative likelihood-adjusted SDP
(iLA-SDP; Zhuang, Chen, Yang and Zhang, ICML 2023 / ICLR 2024).

The estimators live in ``_sdpkmeans`` and ``_ilasdp``, what they share (base
class, scaling, solver routes) in ``_base``; the private solvers are ``_problem``
(the factored cost matrices), ``_exact`` (dense ADMM, small n) and ``_lowrank``
(nonnegative Burer-Monteiro, linear in n).
"""

from ._ilasdp import ILASDP
from ._sdpkmeans import SDPKMeans

__all__ = ["ILASDP", "SDPKMeans"]
