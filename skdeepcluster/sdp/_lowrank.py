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
    """Objective pieces at ``U`` (S, K_b, n, r): (L, CU, raw objective, rho, colsum)."""
    CU = problem.matvec(U)                                   # (S, K_b, n, r)
    obj = (CU * U).sum(dim=(1, 2, 3))                        # sum_k <C_k, B_k>
    colsum = U.sum(dim=2)                                    # (S, K_b, r)
    rho = (U @ colsum[..., None]).sum(dim=1)[..., 0] - 1.0   # (S, n)
    L = -c * obj + (y * rho).sum(dim=1) + (0.5 * beta) * rho.pow(2).sum(dim=1)
    return L, CU, obj, rho, colsum


def _gradient(CU, U, colsum, y, rho, beta, c):
    yt = torch.add(y, rho, alpha=beta)                       # (S, n)
    ytU = yt[:, None, None, :] @ U                           # (S, K_b, 1, r)
    G = torch.addcmul(ytU, yt[:, None, :, None], colsum[:, :, None, :])
    return G.add_(CU, alpha=-2.0 * c)


def _project_step(U, sqrt_t, fallback):
    """Clip at zero and rescale every block of every start of ``U`` (S, K_b, n, r).

    The solver caps each move at 1e6 ||U||, so the squares cannot overflow here
    (:func:`project_factors` is the overflow-safe general version). A block
    clipped to nothing gets the uniform factor and is flagged per start.
    """
    U = U.clamp_min_(0.0)
    norms = torch.linalg.vector_norm(U, dim=(2, 3), keepdim=True)   # (S, K_b, 1, 1)
    bad = ~((norms > 1e-300) & torch.isfinite(norms))
    U = torch.where(bad, fallback, U)
    norms = torch.where(bad, fallback * (U.shape[2] * U.shape[3]) ** 0.5, norms)
    return U.mul_(sqrt_t / norms), bad.flatten(1).any(dim=1)


def solve_lowrank(problem, U0, *, beta=1.0, tol=1e-5, inner_tol=1e-3,
                  max_iter=50000, scale=None, verbose=0):
    """Solve the factored SDP from the batch of starts ``U0`` (S, K_b, n, r).

    Returns
    -------
    U : tensor (S, K_b, n, r)
        The final factor of every start.
    info : dict
        ``objective`` (S,) values ``sum_k <C_k, U_k U_k^T>`` (unscaled),
        ``residual`` (S,) ``||rho|| / sqrt(n)``, ``n_iter``, ``converged`` (S,)
        (the residual reached ``tol``) and ``n_iter_start`` (S,) (the step at
        which each start converged; ``n_iter`` for the others). A start whose
        residual has not fallen by 10 % in 2,000 steps is abandoned
        (unconverged).
    """
    n = problem.n
    traces = problem.traces
    if scale is None:
        scale = n / problem.opnorm()
    c = float(scale)
    U = project_factors(U0, traces)
    S = U.shape[0]
    sqrt_t = traces.sqrt()[None, :, None, None]
    fallback = torch.ones((), dtype=U.dtype, device=U.device)
    y = torch.zeros(S, n, dtype=U.dtype, device=U.device)
    L, CU, obj, rho, colsum = _evaluate(problem, U, y, beta, c)
    G = _gradient(CU, U, colsum, y, rho, beta, c)
    gnorm = torch.linalg.vector_norm(G, dim=(1, 2, 3)).clamp_min(1e-12)
    total = math.sqrt(float(traces.sum()))
    step = 0.1 * total / gnorm                               # first move ~10% of ||U||
    done = torch.zeros(S, dtype=torch.bool, device=U.device)
    done_at = torch.zeros(S, dtype=torch.long, device=U.device)
    # a start whose residual has not fallen by 10 % in `patience` steps is stuck
    # (mass on a few rows whose multipliers keep the other rows clipped at 0)
    stuck = torch.zeros(S, dtype=torch.bool, device=U.device)
    best_res = torch.full((S,), float("inf"), dtype=U.dtype, device=U.device)
    improved_at = torch.zeros(S, dtype=torch.long, device=U.device)
    patience = 2000
    n_iter = 0
    first_done = None
    sqrt_n = math.sqrt(n)
    for it in range(1, max_iter + 1):
        n_iter = it
        # a move far beyond ||U|| only yields the projection of -G; capping it
        # keeps the step finite while accepted steps keep growing it
        cap = (1e6 * total) / torch.linalg.vector_norm(G, dim=(1, 2, 3)).clamp_min(1e-300)
        step = torch.minimum(step, cap)
        Ut, bad = _project_step(torch.addcmul(U, G, step[:, None, None, None], value=-1.0),
                                sqrt_t, fallback)
        Lt, CUt, objt, rhot, colsumt = _evaluate(problem, Ut, y, beta, c)
        D = Ut - U
        dnorm2 = D.pow(2).sum(dim=(1, 2, 3))
        bound = L + (G * D).sum(dim=(1, 2, 3)) + dnorm2 / (2.0 * step)
        accept = (Lt <= bound + 1e-12 * L.abs()) & ~done & ~stuck & ~bad
        a4 = accept[:, None, None, None]
        U = torch.where(a4, Ut, U)
        CU = torch.where(a4, CUt, CU)
        colsum = torch.where(accept[:, None, None], colsumt, colsum)
        rho = torch.where(accept[:, None], rhot, rho)
        obj = torch.where(accept, objt, obj)
        L = torch.where(accept, Lt, L)
        # grow slowly, halve on rejection: ~80 % of trial steps are accepted
        # (65 % with growth 1.5), 20-40 % fewer steps to the same tolerance
        step = torch.where(accept, step * 1.2, step * 0.5)
        rel = dnorm2.sqrt() / total
        # a start whose step collapsed is at a stationary point of L(., y)
        stalled = (~accept) & (step < 1e-14)
        inner_done = ((accept & (rel < inner_tol)) | stalled) & ~done
        if bool(inner_done.any()):
            y = torch.where(inner_done[:, None], y + beta * rho, y)
            L = -c * obj + (y * rho).sum(dim=1) + 0.5 * beta * rho.pow(2).sum(dim=1)
            res = rho.norm(dim=1) / sqrt_n
            newly = inner_done & (res < tol)
            done_at = torch.where(newly, torch.full_like(done_at, it), done_at)
            done = done | newly
            step = torch.where(stalled, 1.0 / gnorm, step)
        G = _gradient(CU, U, colsum, y, rho, beta, c)
        if verbose > 1 and it % 1000 == 0:
            res = rho.norm(dim=1) / sqrt_n
            print(f"[lowrank] it {it} residual {res.max().item():.2e} "
                  f"obj {obj.max().item():.6g} done {int(done.sum())}/{S}")
        if it % 100 == 0:
            res = rho.norm(dim=1) / sqrt_n
            better = res < 0.9 * best_res
            best_res = torch.where(better, res, best_res)
            improved_at = torch.where(better, torch.full_like(improved_at, it), improved_at)
            stuck = stuck | (~done & (it - improved_at >= patience))
        if bool((done | stuck).all()):
            break
        # once a start has converged, stragglers get a bounded budget: a start
        # stuck at a degenerate point (all mass on a few rows) would otherwise
        # burn the whole step budget. They end with converged=False; callers
        # choose among converged starts only (see _base._best_start).
        if first_done is None and bool(done.any()):
            first_done = it
        if first_done is not None and it >= max(3 * first_done, first_done + 3000):
            break
    res = rho.norm(dim=1) / sqrt_n
    done_at = torch.where(done, done_at, torch.full_like(done_at, n_iter))
    info = {"objective": obj, "residual": res, "n_iter": n_iter, "converged": done,
            "n_iter_start": done_at}
    return U, info
