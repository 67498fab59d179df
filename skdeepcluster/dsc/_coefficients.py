"""The closed-form self-expression coefficients of DSC's stage 1.

For fixed features ``H`` (``n x D``: the weighted layers side by side) the
coefficients

    C(lam) = argmin_C ||H - C H||_F^2 + lam ||C||_F^2   s.t. diag(C) = 0

are the least-squares regression (LSR) coefficients of Lu et al. (ECCV 2012),
written as rows (``h_i ~ sum_j c_ij h_j``). With the thin decomposition
``H = P diag(sigma) V^T`` (``s = sigma^2``, ``r = rank <= min(n, D)``), the
ridge filter ``phi = s / (s + lam)``, ``K = P diag(phi) P^T`` and ``g = diag(K)``:

    c_ij = K_ij / (1 - g_i)   (i != j),     c_ii = 0,

and the residual of row ``i`` is ``lam (h_i M^-1) / (1 - g_i)`` with
``M = H^T H + lam I`` (the leave-one-out ridge residual). Every quantity the
training needs (``C H_v``, the relative error for any ``lam``) costs ``O(n r)``
per column of features, so ``C`` itself is only materialised for the
post-processing.

Why not a gradient step: Adam rescales every coefficient separately and loses
their relative sizes, so the minimum-norm structure that makes ``C`` follow the
subspaces never forms (the user guide, ``doc/dsc.rst``, gives the measurement). Plain
gradient descent from ``C = 0`` with step ``1/L`` gives the spectral filter
``1 - (1 - s / s_max)^t``, an approximation of the ridge filter above with
``lam ~ s_max / t``: the closed form is its limit, computed exactly and at the
cost of one decomposition.
"""

import math

import torch

__all__ = ["CoefficientGD", "RidgeSelfExpression"]


class RidgeSelfExpression:
    """Closed-form ridge self-expression ``C`` of features ``H``, kept factored.

    Parameters
    ----------
    H : torch.Tensor of shape (n, D)
        Features (rows are samples), any float dtype; the factor is computed
        in float64.
    tol_rse : float or None
        Choose ``lam`` by the discrepancy principle: the relative error
        ``sqrt(||H - C H||^2 / ||H||^2)`` equals ``tol_rse`` (the largest such
        ``lam``; the smallest ``lam`` tried if the error never gets that low).
    lam : float or None
        Use this ``lam`` instead.

    Attributes
    ----------
    lam : float
    rse : float
        Relative self-expression error of ``H`` at ``lam``.
    rank : int
    """

    _GRID = 48  # log-spaced lam / s_max from 1e-9 to 1e3

    def __init__(self, H, tol_rse=None, lam=None):
        H = H.detach().to(torch.float64)
        n, D = H.shape
        self.n = n
        self.total = float((H * H).sum())
        if D <= n:
            s, V = torch.linalg.eigh(H.T @ H)
            keep = s > s.max().clamp(min=1e-300) * 1e-12
            s, V = s[keep], V[:, keep]
            P = (H @ V) / torch.sqrt(s)[None, :]
        else:
            s, P = torch.linalg.eigh(H @ H.T)
            keep = s > s.max().clamp(min=1e-300) * 1e-12
            s, P = s[keep], P[:, keep]
        self.s, self.P = s, P
        self._P2 = P * P
        self.rank = int(s.numel())
        self.s_max = float(s.max()) if self.rank else 0.0
        if lam is None:
            lam = self._discrepancy(tol_rse)
        self.set_lam(lam)

    # ------------------------------------------------------------------
    def _stats(self, lam):
        s = self.s
        phi = s / (s + lam)
        g = (self._P2 @ phi).clamp(max=1.0 - 1e-12)
        r2 = (self._P2 @ (s / (s + lam) ** 2)) * (lam / (1.0 - g)) ** 2
        rse = math.sqrt(float(r2.sum()) / max(self.total, 1e-300))
        return phi, g, rse

    def _discrepancy(self, tol):
        if self.rank == 0 or tol is None:
            return max(self.s_max, 1e-12)
        lams = [self.s_max * 10.0 ** e for e in torch.linspace(-9, 3, self._GRID).tolist()]
        errs = [self._stats(lam)[2] for lam in lams]
        # the largest grid lam whose error is within tol (error grows with lam)
        ok = [i for i, e in enumerate(errs) if e <= tol]
        if not ok:
            return lams[0]
        i = max(ok)
        if i == len(lams) - 1:
            return lams[-1]
        lo, hi = math.log(lams[i]), math.log(lams[i + 1])
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            if self._stats(math.exp(mid))[2] <= tol:
                lo = mid
            else:
                hi = mid
        return math.exp(lo)

    def set_lam(self, lam):
        """Set ``lam`` (and the filter, ``g`` and ``rse`` with it)."""
        self.lam = float(lam)
        self.phi, self.g, self.rse = self._stats(self.lam)
        self._scale = 1.0 / (1.0 - self.g)

    # ------------------------------------------------------------------
    def apply(self, Hv):
        """``C @ Hv`` without forming ``C`` (``Hv``: n x d, any dtype; differentiable in ``Hv``)."""
        P = self.P.to(Hv.dtype)
        phi = self.phi.to(Hv.dtype)
        g = self.g.to(Hv.dtype)
        out = P @ (phi[:, None] * (P.T @ Hv)) - g[:, None] * Hv
        return out * self._scale.to(Hv.dtype)[:, None]

    def dense(self, dtype=torch.float32, block=2048):
        """The n x n coefficient matrix (zero diagonal), built in row blocks."""
        n = self.n
        C = torch.empty((n, n), dtype=dtype, device=self.P.device)
        Pphi = self.P * self.phi[None, :]
        for start in range(0, n, block):
            stop = min(start + block, n)
            rows = (Pphi[start:stop] @ self.P.T) * self._scale[start:stop, None]
            C[start:stop] = rows.to(dtype)
        C.fill_diagonal_(0.0)
        return C


class CoefficientGD(torch.optim.Adam):
    """Adam for the encoder, plain gradient descent for the coefficients.

    Parameter groups flagged ``coef=True`` take ``p -= lr * grad`` with the
    group's ``lr`` (set to ``1/L`` at every step by
    :class:`~skdeepcluster.dsc._callbacks.LipschitzStep`); every other group
    takes Adam's step. Gradient descent keeps the relative sizes of the
    coefficients, which Adam's per-coordinate scaling loses.
    """

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            if group.get("coef"):
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])
        groups = self.param_groups
        self.param_groups = [g for g in groups if not g.get("coef")]
        try:
            super().step()
        finally:
            self.param_groups = groups
        return loss
