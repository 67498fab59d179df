"""Nonnegative Burer-Monteiro (low-rank) solver; never forms an n x n array.

``B_k = U_k U_k^T`` with ``U_k >= 0`` (n x r) and ``||U_k||_F^2 = t_k``, so the
sign, PSD and trace constraints hold by construction; the coupling
``rho(U) = sum_k U_k (U_k^T 1) - 1 = 0`` is handled by an augmented Lagrangian::

    L(U, y) = -c sum_k <C_k U_k, U_k> + y^T rho + (beta / 2) ||rho||^2

with ``c = n / max_k ||C_k||_op`` so that ``beta = 1`` fits every data set.
Inner loop: projected gradient (clip at 0, rescale each block) with an adaptive
Armijo/backtracking step per start; when the relative step falls below
``inner_tol`` the multiplier is updated ``y += beta rho``; a start stops when
``||rho|| / sqrt(n) < tol``. All starts (warm + random) are solved as one batch
of shape (S, K_b, n, r) so a GPU processes them together. Memory O(S K_b n r + K_b n q).
"""

import math

import torch

__all__ = ["solve_lowrank", "project_factors"]


def _block_norms(U):
    """Largest entry and Frobenius norm of each block of a non-negative ``U``.

    The norm is computed scaled by the largest entry: squaring the entries of a
    far step would overflow to inf, and the rescale would then return an
    all-zero factor.
    """
    peak = U.amax(dim=(2, 3), keepdim=True)
    return peak, peak * (U / peak.clamp_min(1e-300)).pow(2).sum(dim=(2, 3), keepdim=True).sqrt()


def project_factors(U, traces, return_bad=False):
    """Clip at zero and rescale each block to ``||U_k||_F^2 = t_k``.

    A block clipped to all zeros has no projection; it is replaced by the
    uniform factor and, with ``return_bad``, flagged per start (the solver
    rejects such a step and shortens it).
    """
    U = U.clamp_min(0.0)
    peak, norms = _block_norms(U)
    bad = (norms <= 1e-300) | ~torch.isfinite(norms)
    if bool(bad.any()):
        U = torch.where(bad, torch.ones_like(U), U)
        peak, norms = _block_norms(U)
    U = (U / peak) * (traces.sqrt()[None, :, None, None] / (norms / peak))
    if return_bad:
        return U, bad.flatten(1).any(dim=1)
    return U


def _evaluate(problem, U, y, beta, c):
    """Objective pieces at U: (L, grad, raw objective, rho)."""
    CU = problem.matvec(U)                                   # (S, K_b, n, r)
    obj = (CU * U).sum(dim=(1, 2, 3))                        # sum_k <C_k, B_k>
    colsum = U.sum(dim=2)                                    # (S, K_b, r)
    rho = (U @ colsum[..., None]).sum(dim=1)[..., 0] - 1.0   # (S, n)
    L = -c * obj + (y * rho).sum(dim=1) + 0.5 * beta * rho.pow(2).sum(dim=1)
    return L, CU, obj, rho, colsum


def _gradient(CU, U, colsum, y, rho, beta, c):
    yt = y + beta * rho                                      # (S, n)
    ytU = (yt[:, None, None, :] @ U)[:, :, 0, :]             # (S, K_b, r)
    return (-2.0 * c * CU + yt[:, None, :, None] * colsum[:, :, None, :]
            + ytU[:, :, None, :])


def solve_lowrank(problem, U0, *, beta=1.0, tol=1e-5, inner_tol=1e-3,
                  max_iter=50000, scale=None, verbose=0):
    """Solve the factored SDP from the batch of starts ``U0`` (S, K_b, n, r).

    Returns
    -------
    U : tensor (S, K_b, n, r)
        The final factor of every start.
    info : dict
        ``objective`` (S,) values ``sum_k <C_k, U_k U_k^T>`` (unscaled),
        ``residual`` (S,) ``||rho|| / sqrt(n)``, ``n_iter``, ``converged`` (S,).
    """
    n = problem.n
    traces = problem.traces
    if scale is None:
        scale = n / problem.opnorm()
    c = float(scale)
    U = project_factors(U0, traces)
    S = U.shape[0]
    y = torch.zeros(S, n, dtype=U.dtype, device=U.device)
    L, CU, obj, rho, colsum = _evaluate(problem, U, y, beta, c)
    G = _gradient(CU, U, colsum, y, rho, beta, c)
    gnorm = G.pow(2).sum(dim=(1, 2, 3)).sqrt().clamp_min(1e-12)
    step = (0.1 * math.sqrt(float(traces.sum())) / gnorm)  # first move ~10% of ||U||
    done = torch.zeros(S, dtype=torch.bool, device=U.device)
    n_iter = 0
    first_done = None
    sqrt_n = math.sqrt(n)
    for it in range(1, max_iter + 1):
        n_iter = it
        # a move far beyond ||U|| only yields the projection of -G; capping it
        # keeps the step finite while accepted steps keep growing it
        cap = 1e6 * math.sqrt(float(traces.sum())) / G.pow(2).sum(dim=(1, 2, 3)).sqrt().clamp_min(1e-300)
        step = torch.minimum(step, cap)
        Ut, bad = project_factors(U - step[:, None, None, None] * G, traces,
                                  return_bad=True)
        Lt, CUt, objt, rhot, colsumt = _evaluate(problem, Ut, y, beta, c)
        D = Ut - U
        dnorm2 = D.pow(2).sum(dim=(1, 2, 3))
        bound = L + (G * D).sum(dim=(1, 2, 3)) + dnorm2 / (2.0 * step)
        accept = (Lt <= bound + 1e-12 * L.abs()) & ~done & ~bad
        a4 = accept[:, None, None, None]
        U = torch.where(a4, Ut, U)
        CU = torch.where(a4, CUt, CU)
        colsum = torch.where(accept[:, None, None], colsumt, colsum)
        rho = torch.where(accept[:, None], rhot, rho)
        obj = torch.where(accept, objt, obj)
        L = torch.where(accept, Lt, L)
        step = torch.where(accept, step * 1.5, step * 0.5)
        rel = dnorm2.sqrt() / math.sqrt(float(traces.sum()))
        # a start whose step collapsed is at a stationary point of L(., y)
        stalled = (~accept) & (step < 1e-14 * step.new_tensor(1.0))
        inner_done = ((accept & (rel < inner_tol)) | stalled) & ~done
        if bool(inner_done.any()):
            y = torch.where(inner_done[:, None], y + beta * rho, y)
            L = -c * obj + (y * rho).sum(dim=1) + 0.5 * beta * rho.pow(2).sum(dim=1)
            res = rho.norm(dim=1) / sqrt_n
            done = done | (inner_done & (res < tol))
            step = torch.where(stalled, step.new_tensor(1.0) / gnorm, step)
        G = _gradient(CU, U, colsum, y, rho, beta, c)
        if verbose > 1 and it % 1000 == 0:
            res = rho.norm(dim=1) / sqrt_n
            print(f"[lowrank] it {it} residual {res.max().item():.2e} "
                  f"obj {obj.max().item():.6g} done {int(done.sum())}/{S}")
        if bool(done.all()):
            break
        # once a start has converged, stragglers get a bounded budget: a start
        # stuck at a degenerate point (all mass on a few rows) would otherwise
        # burn the whole step budget; unconverged starts are never selected.
        if first_done is None and bool(done.any()):
            first_done = it
        if first_done is not None and it >= max(3 * first_done, first_done + 3000):
            break
    res = rho.norm(dim=1) / sqrt_n
    info = {"objective": obj, "residual": res, "n_iter": n_iter, "converged": done}
    return U, info
