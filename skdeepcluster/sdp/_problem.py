"""The linear objectives of the SDP k-means relaxations, kept in factored form.

Every problem here reads: maximise ``sum_k <C_k, B_k>`` over ``K_b`` blocks
``B_k`` (n x n) with ``B_k >= 0`` (entrywise), ``B_k`` PSD, ``tr B_k = t_k`` and
``sum_k B_k 1 = 1``.

* Peng-Wei SDP k-means: one block (``K_b = 1``), ``C = X X^T``, ``t = K``.
* LA-SDP (one iLA-SDP step): ``K_b = K`` blocks with ``t_k = 1`` and
  ``C_k = W_k W_k^T - (a_k 1^T + 1 a_k^T) / 2 - d_k 1 1^T`` where
  ``W_k = X L_k^{-T}`` (``Sigma_k = L_k L_k^T``), ``a_k`` the row norms of ``W_k``
  squared and ``d_k = log|Sigma_k|``.

The cost matrices are never formed except by :meth:`SDPProblem.dense` (exact
route); the low-rank route only multiplies them with thin ``n x r`` matrices.
"""

import torch

__all__ = ["SDPProblem", "peng_wei_problem", "lasdp_problem", "exact_memory_bytes"]


class SDPProblem:
    """Factored cost ``C_k = W_k W_k^T - (a_k 1^T + 1 a_k^T)/2 - d_k 1 1^T``.

    Parameters
    ----------
    W : tensor of shape (K_b, n, q)
    a : tensor of shape (K_b, n) or None
    d : tensor of shape (K_b,) or None
    traces : tensor of shape (K_b,)
    """

    def __init__(self, W, a=None, d=None, traces=None):
        self.W = W
        self.a = a
        self.d = d
        self.n_blocks, self.n, _ = W.shape
        if traces is None:
            traces = torch.ones(self.n_blocks, dtype=W.dtype, device=W.device)
        self.traces = traces
        # C_k = P_k Q_k^T with P = [W, -(a/2 + d 1), -1/2], Q = [W, 1, a]: every
        # product C_k V is two batched GEMMs through q + 2 columns
        if a is None and d is None:
            self._P = W
        else:
            a_ = torch.zeros_like(W[..., 0]) if a is None else a
            d_ = torch.zeros_like(W[:, 0, 0]) if d is None else d
            one = torch.ones_like(a_)
            self._P = torch.cat([W, -(0.5 * a_ + d_[:, None])[..., None],
                                 -0.5 * one[..., None]], dim=2)
            W = torch.cat([W, one[..., None], a_[..., None]], dim=2)
        self._Qt = W.transpose(1, 2).contiguous()

    # ------------------------------------------------------------------ ops
    def matmul(self, V):
        """``C_k V_k`` for ``V`` of shape (K_b, n, m); cost O(K_b n q m), no n x n array."""
        return torch.bmm(self._P, torch.bmm(self._Qt, V))

    def matvec(self, V):
        """``C_k V_k`` for ``V`` of shape (S, K_b, n, r); cost O(S K_b n q r)."""
        S, Kb, n, r = V.shape
        Vk = V.permute(1, 2, 0, 3).reshape(Kb, n, S * r)
        return self.matmul(Vk).view(Kb, n, S, r).permute(2, 0, 1, 3).contiguous()

    def dense(self):
        """The K_b dense cost matrices, shape (K_b, n, n). O(K_b n^2) memory."""
        C = self.W @ self.W.transpose(1, 2)
        if self.a is not None:
            C = C - 0.5 * (self.a[:, :, None] + self.a[:, None, :])
        if self.d is not None:
            C = C - self.d[:, None, None]
        return C

    def opnorm(self, n_iter=30, generator=None):
        """Largest ``||C_k||_op`` over blocks by power iteration (no n x n array)."""
        if generator is None:  # fixed seed: deterministic, no global RNG use
            generator = torch.Generator(device=self.W.device)
            generator.manual_seed(12345)
        V = torch.rand(self.n_blocks, self.n, 1, dtype=self.W.dtype,
                       device=self.W.device, generator=generator) + 0.1
        V = V / V.norm(dim=1, keepdim=True)
        est = torch.zeros(self.n_blocks, dtype=self.W.dtype, device=self.W.device)
        for _ in range(n_iter):
            CV = self.matmul(V)
            est = CV.norm(dim=1)[:, 0]
            V = CV / est.clamp_min(1e-300)[:, None, None]
        return float(est.max().clamp_min(1e-12))


def peng_wei_problem(X, n_clusters):
    """Peng-Wei SDP k-means cost ``<X X^T, Z>`` with ``tr Z = K`` (one block)."""
    traces = torch.full((1,), float(n_clusters), dtype=X.dtype, device=X.device)
    return SDPProblem(X[None], traces=traces)


def lasdp_problem(X, chol, log_weights=None):
    """LA-SDP cost for covariances ``Sigma_k = L_k L_k^T`` (``chol`` (K, p, p)).

    ``log_weights`` (K,), optional: log mixing proportions; the classification
    likelihood then gains ``2 n_k log pi_k``, i.e. ``d_k = log|Sigma_k| - 2 log pi_k``.
    """
    K = chol.shape[0]
    # W_k = X L_k^{-T}  <=>  W_k^T = L_k^{-1} X^T
    Wt = torch.linalg.solve_triangular(chol, X.T.expand(K, -1, -1), upper=False)
    W = Wt.transpose(1, 2)
    a = (W * W).sum(dim=2)
    d = 2.0 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(dim=1)
    if log_weights is not None:
        d = d - 2.0 * log_weights
    traces = torch.ones(K, dtype=X.dtype, device=X.device)
    return SDPProblem(W, a=a, d=d, traces=traces)


def exact_memory_bytes(n_samples, n_blocks):
    """Rough peak memory of the exact ADMM route (8 dense n x n arrays per block)."""
    return 8 * 8 * n_blocks * n_samples * n_samples + 8 * n_samples * n_samples



