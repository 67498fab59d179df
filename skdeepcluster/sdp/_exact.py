"""Exact (small-n) solver: ADMM on the dense n x n blocks, in torch float64.

Splitting: ``B`` lives in the affine set ``A`` (traces and the coupling
``sum_k B_k 1 = 1``), ``P = B`` is PSD and ``N = B`` is nonnegative::

    B <- Proj_A((P - U1 + N - U2) / 2 + C / (2 rho))
    P <- Proj_PSD(B + U1)          (one batched eigh over the blocks)
    N <- max(B + U2, 0)
    U1 += B - P;  U2 += B - N

Two-block ADMM on a convex problem, so it converges for any ``rho``; ``rho`` is
adapted by residual balancing. The affine projection has a closed form (the
normal equations of the constraint map reduce to a scalar equation).
"""

import torch

from ..utils import cpu_threads

__all__ = ["solve_exact", "project_affine"]


def project_affine(M, traces):
    """Project symmetric blocks ``M`` (K_b, n, n) onto ``{tr M_k = t_k, sum_k M_k 1 = 1}``."""
    Kb, n, _ = M.shape
    r = torch.diagonal(M, dim1=1, dim2=2).sum(dim=1) - traces       # (K_b,)
    R = M.sum(dim=2).sum(dim=0) - 1.0                                 # (n,)
    s = (R.sum() - r.sum()) / (Kb * (n - 1))                          # 1^T y
    alpha = (r - s) / n
    A = alpha.sum()
    y = (2.0 / (Kb * n)) * (R - A) - s / n
    corr = 0.5 * (y[:, None] + y[None, :])
    out = M - corr[None]
    idx = torch.arange(n, device=M.device)
    out[:, idx, idx] -= alpha[:, None]
    return out


def _proj_psd(M):
    evals, evecs = torch.linalg.eigh(M)
    evals = evals.clamp_min(0.0)
    return (evecs * evals[:, None, :]) @ evecs.transpose(1, 2)


def solve_exact(C, traces, *, B0=None, state=None, tol=1e-5, max_iter=5000, rho=None,
                verbose=0):
    """See :func:`_solve_exact`; runs torch single-threaded on CPU (small dense
    ``eigh`` calls are much slower multi-threaded on a loaded machine)."""
    with cpu_threads(C.device.type, 0):  # always single-threaded on the CPU
        return _solve_exact(C, traces, B0=B0, state=state, tol=tol, max_iter=max_iter,
                            rho=rho, verbose=verbose)


def _solve_exact(C, traces, *, B0=None, state=None, tol=1e-5, max_iter=5000, rho=None,
                 verbose=0, adapt_every=100, adapt_until=2000):
    """Maximise ``sum_k <C_k, B_k>`` over the (LA-)SDP feasible set.

    Parameters
    ----------
    C : tensor (K_b, n, n)
        Symmetric cost blocks.
    traces : tensor (K_b,)
    B0 : tensor (K_b, n, n) or None
        Warm start of the primal variable only.
    state : dict or None
        ``info["state"]`` of an earlier call on a problem with the same
        constraints (an outer iteration of iLA-SDP): restarts ADMM from its
        primal *and* dual variables, so a slightly changed cost needs a fraction
        of the iterations of a cold start. Overrides ``B0`` and ``rho``.
    tol : float
        Relative primal and dual residual tolerance.
    max_iter : int

    Returns
    -------
    B : tensor (K_b, n, n)
        Satisfies the affine constraints exactly; PSD and sign constraints to ``tol``.
    info : dict
        ``n_iter``, ``primal_residual``, ``dual_residual``, ``converged`` and
        ``state`` (for a warm restart).
    """
    Kb, n, _ = C.shape
    scale = float(C.abs().amax().clamp_min(1e-300))
    Cs = C / scale
    if state is not None:
        # the scaled duals U = Y / (rho * scale) are kept; rho absorbs the change
        # of scale so that C / (rho * scale) is the same operator as before
        P, N, U1, U2 = (state[k].clone() for k in ("P", "N", "U1", "U2"))
        rho = state["rho"] * state["scale"] / scale
    else:
        if B0 is None:
            B0 = (traces / n)[:, None, None] * torch.eye(n, dtype=C.dtype,
                                                         device=C.device)
            B0 = project_affine(B0.expand(Kb, n, n).clone(), traces)
        P = _proj_psd(B0)
        N = B0.clamp_min(0.0)
        U1 = torch.zeros_like(B0)
        U2 = torch.zeros_like(B0)
        if rho is None:
            rho = 1.0
    n_iter = 0
    pres = dres = float("inf")
    converged = False
    for it in range(1, max_iter + 1):
        n_iter = it
        B = project_affine(0.5 * (P - U1 + N - U2) + Cs / (2.0 * rho), traces)
        P_old, N_old = P, N
        P = _proj_psd(B + U1)
        N = (B + U2).clamp_min(0.0)
        U1 = U1 + B - P
        U2 = U2 + B - N
        if it % 10 == 0 or it == max_iter:
            bnorm = max(float(B.norm()), 1e-12)
            r1 = float(torch.sqrt((B - P).pow(2).sum() + (B - N).pow(2).sum()))
            s1 = rho * float(torch.sqrt((P - P_old).pow(2).sum() + (N - N_old).pow(2).sum()))
            pres = r1 / bnorm
            dres = s1 / max(rho * float(torch.sqrt(U1.pow(2).sum() + U2.pow(2).sum())), 1e-12)
            if verbose > 1:
                print(f"[exact] it {it} primal {pres:.2e} dual {dres:.2e} rho {rho:.2e}")
            if pres < tol and dres < tol:
                converged = True
                break
            # residual balancing, sparingly (changing rho restarts ADMM's progress)
            if it % adapt_every != 0 or it > adapt_until:
                continue
            if pres > 10 * dres:
                rho *= 2.0
                U1 = U1 / 2.0
                U2 = U2 / 2.0
            elif dres > 10 * pres:
                rho /= 2.0
                U1 = U1 * 2.0
                U2 = U2 * 2.0
    info = {"n_iter": n_iter, "primal_residual": pres, "dual_residual": dres,
            "converged": converged,
            "state": {"P": P, "N": N, "U1": U1, "U2": U2, "rho": rho, "scale": scale}}
    return B, info
