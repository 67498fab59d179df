"""Pseudo-labels by progressive partial optimal transport (P2OT).

The problem (Zhang, Ren and He, ICLR 2024) transports a fraction ``rho`` of the
mass of ``N`` samples (``1/N`` each) to ``K`` clusters::

    min_Q  <Q, C> + eps * <Q, log Q - 1> + lam * KL(Q^T 1_N || rho * prior)
    s.t.   Q >= 0,   Q 1_K <= 1_N / N,   1_N^T Q 1_K = rho

with ``C = -log P`` the cost of the network's predictions ``P``. Adding a
virtual cluster of zero cost that takes the untransported mass ``1 - rho``
turns it into an unbalanced transport problem with equality rows (``1/N``
each), KL-relaxed real columns and one exact column, solved by matrix scaling
(Chizat et al., 2018, generalised Sinkhorn). With ``Q = diag(u) G diag(v)``,
``G = exp(-C / eps)``:

* rows: ``u = (1/N) / (G v)``;
* real columns: ``v_j = (rho prior_j / (G^T u)_j) ** (lam / (lam + eps))``;
* virtual column: ``v_0 = (1 - rho) / (G_0^T u)`` (exact mass).

``lam = inf`` gives equal (or ``prior``-shaped) cluster masses exactly, and with
``rho = 1`` that is SwAV's balanced Sinkhorn code. When each row's
``-C / eps`` spans at most 300 nats, the iterations run on ``u, v`` and the
row-stabilised kernel in float64 (two matrix-vector products each); otherwise
(small ``eps``, zero probabilities) on the log scalings, so that nothing
overflows or underflows. Both give the same plan to rounding.

The semantic regulariser of SP2OT (``-eta N/2 * sum_ij W_ij <Q_i, Q_j>`` for a
neighbour graph ``W``) is concave; majorisation-minimisation linearises it at
the current plan, which only changes the cost to ``C - eta * W (N Q)``, and
solves the P2OT problem above again (:func:`semantic_cost`).
"""

import math
from numbers import Real

import numpy as np
import torch

__all__ = ["partial_ot_pseudo_labels", "rho_schedule", "semantic_cost"]

_CHECK_EVERY = 5


def _as_tensor(x):
    if isinstance(x, torch.Tensor):
        return x, True
    return torch.as_tensor(np.asarray(x, dtype=np.float64)), False


def _check_scalar(value, name, low, high, low_open, high_open=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    v = float(value)
    bad_low = v <= low if low_open else v < low
    bad_high = v >= high if high_open else v > high
    if math.isnan(v) or bad_low or bad_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lo}{low}, {high}{hi}, got {value!r}.")
    return v


#: the scaling runs on the kernel ``exp(-C / eps)`` itself (in float64) when
#: each row's log kernel spans at most this much, in the log domain otherwise
_EXP_RANGE = 300.0


def _row_lse(M, g, h, partial):
    """Log of each row's mass under the column scalings ``g`` (plus the
    virtual column's ``h`` when ``partial``)."""
    row = torch.logsumexp(M + g, 1)
    return torch.logaddexp(row, h) if partial else row


def _scale_log(M, log_a, log_b, power, log_virtual_mass, max_iter, tol):
    """Scaling iterations on the log scalings (any kernel range). Returns
    ``(Q, virtual, n_iter)``."""
    N, K = M.shape
    dev, dt = M.device, M.dtype
    partial = log_virtual_mass > -math.inf
    g = torch.zeros(K, device=dev, dtype=dt)  # log column scalings
    h = torch.zeros((), device=dev, dtype=dt)  # log scaling of the virtual column
    f = None
    n_iter = 0
    for n_iter in range(1, int(max_iter) + 1):
        # rows: each sample's total (real + virtual) mass is exactly 1/N
        f = log_a - _row_lse(M, g, h, partial)
        # real columns: KL-relaxed towards rho * prior
        g_new = power * (log_b - torch.logsumexp(M + f[:, None], 0))
        # the virtual column takes exactly 1 - rho
        if partial:
            h = log_virtual_mass - torch.logsumexp(f, 0)
        # convergence is checked every few iterations (each check synchronises
        # an accelerator with the host)
        check = tol > 0 and (n_iter % _CHECK_EVERY == 0 or n_iter == max_iter)
        delta = float((g_new - g).abs().max()) if check else math.inf
        g = g_new
        if delta <= tol:
            break
    # final row update so that every row marginal holds exactly
    f = log_a - _row_lse(M, g, h, partial)
    Q = torch.exp(M + f[:, None] + g[None, :])
    virtual = torch.exp(f + h) if partial else torch.zeros(N, device=dev, dtype=dt)
    return Q, virtual, n_iter


def _scale_exp(M, log_a, log_b, power, log_virtual_mass, max_iter, tol):
    """The same iterations as :func:`_scale_log` on the scalings themselves,
    ``u = exp(f)``, ``v = exp(g)``, ``w = exp(h)``, with the kernel
    ``exp(M)`` stabilised row by row and held in float64: two matrix-vector
    products an iteration instead of log-sum-exps. Returns None (the caller
    then runs the log domain) when a row's log kernel spans more than
    ``_EXP_RANGE`` or a scaling leaves the floating-point range."""
    N, K = M.shape
    dt = M.dtype
    partial = log_virtual_mass > -math.inf
    W = M.double()
    top, low = W.max(1).values, W.min(1).values
    if partial:  # the virtual cluster's log kernel is 0
        top, low = top.clamp(min=0.0), low.clamp(max=0.0)
    if not bool((top - low).max() <= _EXP_RANGE):
        return None
    G = torch.exp(W - top[:, None])  # row i scaled by exp(-top_i), folded into u_i
    G0 = torch.exp(-top) if partial else None
    a = math.exp(log_a)
    b = torch.exp(log_b.double())
    virtual_mass = math.exp(log_virtual_mass)
    v = torch.ones(K, device=M.device, dtype=torch.float64)
    w = torch.ones((), device=M.device, dtype=torch.float64)
    n_iter = 0
    for n_iter in range(1, int(max_iter) + 1):
        row = G @ v
        if partial:
            row = row + G0 * w
        u = a / row
        v_new = b / (u @ G)
        if power != 1.0:
            v_new = v_new ** power
        if partial:
            w = virtual_mass / (u @ G0)
        check = tol > 0 and (n_iter % _CHECK_EVERY == 0 or n_iter == max_iter)
        delta = float((torch.log(v_new) - torch.log(v)).abs().max()) if check else math.inf
        v = v_new
        if delta <= tol:
            break
    row = G @ v
    if partial:
        row = row + G0 * w
    u = a / row
    Q = u[:, None] * G * v[None, :]
    if not bool(torch.isfinite(Q).all() & torch.isfinite(u).all()):
        return None
    virtual = (u * G0 * w) if partial else torch.zeros_like(u)
    return Q.to(dt), virtual.to(dt), n_iter


@torch.no_grad()
def partial_ot_pseudo_labels(log_proba, rho=1.0, *, epsilon=0.1, lam=1.0, prior=None,
                             max_iter=100, tol=1e-6, return_virtual=False,
                             return_n_iter=False):
    """Pseudo-labels from predictions by progressive partial optimal transport.

    Solves the entropic P2OT problem (see the module docstring) for the cost
    ``C = -log_proba`` by matrix scaling with a virtual cluster that
    absorbs the untransported mass ``1 - rho`` (on the scalings themselves
    while the kernel's range allows, on their logs otherwise).

    Parameters
    ----------
    log_proba : array-like or tensor of shape (n_samples, n_clusters)
        Log predictions (log-softmax of the network's scores). With
        ``rho < 1`` a row's level is the sample's confidence against the
        zero-cost virtual cluster, so pass log-probabilities; with ``rho = 1``
        a constant added to a row changes nothing and raw scores work too.
        A tensor stays on its device and dtype; anything else is computed in
        float64 on the CPU and returned as a numpy array.
    rho : float in (0, 1], default=1.0
        Total mass transported to the real clusters; the other ``1 - rho``
        goes to the virtual cluster (samples left without a label).
    epsilon : float > 0, default=0.1
        Entropic regularisation (larger: softer pseudo-labels).
    lam : float > 0 or inf, default=1.0
        Weight of ``KL(cluster masses || rho * prior)``. ``np.inf`` makes the
        cluster masses exactly ``rho * prior`` (SwAV's balanced codes when
        ``rho = 1``); small values let the cluster sizes follow the data.
    prior : array-like of shape (n_clusters,) or None, default=None
        Cluster-size prior, normalised to sum to 1; None is uniform.
    max_iter : int, default=100
        Maximum number of scaling iterations (one iteration updates rows and
        columns once).
    tol : float, default=1e-6
        Stop when no log column scaling moves by more than ``tol`` in an
        iteration (checked every 5 iterations). 0 runs all ``max_iter``
        iterations.
    return_virtual : bool, default=False
        Also return the mass each sample sent to the virtual cluster.
    return_n_iter : bool, default=False
        Also return the number of iterations run.

    Returns
    -------
    Q : ndarray or tensor of shape (n_samples, n_clusters)
        The transport plan: row ``i`` sums to at most ``1/N`` and the whole
        plan to ``rho``. ``N * Q[i]`` is sample ``i``'s soft label scaled by
        the mass it received; ``Q.argmax(1)`` its hard label.
    virtual : ndarray or tensor of shape (n_samples,)
        Only with ``return_virtual``: the mass sent to the virtual cluster
        (``1/N - Q.sum(1)``).
    n_iter : int
        Only with ``return_n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.sp2ot import partial_ot_pseudo_labels
    >>> rng = np.random.RandomState(0)
    >>> P = rng.dirichlet(np.ones(3), size=6)
    >>> Q = partial_ot_pseudo_labels(np.log(P), rho=0.5, lam=np.inf)
    >>> round(float(Q.sum()), 6), np.round(Q.sum(0), 6).tolist()
    (0.5, [0.166667, 0.166667, 0.166667])
    >>> bool((Q.sum(1) <= 1 / 6 + 1e-9).all())
    True
    """
    L, was_tensor = _as_tensor(log_proba)
    if L.ndim != 2 or L.shape[0] < 1 or L.shape[1] < 1:
        raise ValueError(
            f"log_proba must be a 2-D array (n_samples, n_clusters), got shape "
            f"{tuple(L.shape)}.")
    if not L.is_floating_point():
        L = L.double()
    rho = _check_scalar(rho, "rho", 0.0, 1.0, low_open=True)
    eps = _check_scalar(epsilon, "epsilon", 0.0, math.inf, low_open=True, high_open=True)
    lam = _check_scalar(lam, "lam", 0.0, math.inf, low_open=True)
    if not bool(torch.isfinite(L).all()):
        # -inf (zero probability) is a valid, infinitely costly entry; NaN and
        # +inf are not
        if bool(torch.isnan(L).any()) or bool((L == math.inf).any()):
            raise ValueError("log_proba contains NaN or +inf; pass finite log "
                             "predictions (e.g. torch.log_softmax of the scores).")
        L = torch.clamp(L, min=torch.finfo(L.dtype).min / 4)
    N, K = L.shape
    dev, dt = L.device, L.dtype
    if prior is None:
        log_prior = torch.full((K,), -math.log(K), device=dev, dtype=dt)
    else:
        pr = torch.as_tensor(np.asarray(prior, dtype=np.float64) if not isinstance(
            prior, torch.Tensor) else prior, device=dev, dtype=dt).reshape(-1)
        if pr.numel() != K or bool((pr <= 0).any()) or not bool(torch.isfinite(pr).all()):
            raise ValueError(f"prior must hold {K} positive finite values (one per "
                             f"cluster), got {prior!r}.")
        log_prior = torch.log(pr / pr.sum())

    M = L / eps  # log kernel of the real clusters (the virtual one has log kernel 0)
    log_a = -math.log(N)
    log_b = math.log(rho) + log_prior
    power = 1.0 if math.isinf(lam) else lam / (lam + eps)
    partial = rho < 1.0
    log_virtual_mass = math.log1p(-rho) if partial else -math.inf

    solved = None
    if _EXP_RANGE > 0:
        solved = _scale_exp(M, log_a, log_b, power, log_virtual_mass, max_iter, tol)
    if solved is None:
        solved = _scale_log(M, log_a, log_b, power, log_virtual_mass, max_iter, tol)
    Q, virtual, n_iter = solved
    out = [Q]
    if return_virtual:
        out.append(virtual)
    if not was_tensor:
        out = [o.numpy() for o in out]
    if return_n_iter:
        out.append(n_iter)
    return out[0] if len(out) == 1 else tuple(out)


def semantic_cost(log_proba, plan, neighbors, eta):
    """The linearised SP2OT cost at ``plan``: ``-log_proba - eta * W (N plan)``.

    Parameters
    ----------
    log_proba : tensor of shape (N, K)
    plan : tensor of shape (N, K)
        The current transport plan (rows sum to at most ``1/N``).
    neighbors : long tensor of shape (N, k)
        Each row's ``k`` nearest rows (in feature space); ``W`` is the
        symmetrised graph ``(A + A^T) / (2k)``.
    eta : float
        Weight of the semantic regulariser.

    Returns
    -------
    log_proba_mm : tensor of shape (N, K)
        Minus the modified cost, to pass to :func:`partial_ot_pseudo_labels`.
    """
    N, k = neighbors.shape
    labels = plan * N  # soft labels scaled by the mass each sample received
    # A (N Q): mean of each row's neighbours; A^T (N Q): sum over the rows that
    # name this row as a neighbour
    out_nb = labels[neighbors].mean(1)
    in_nb = torch.zeros_like(labels).index_add_(
        0, neighbors.reshape(-1), labels.repeat_interleave(k, 0)) / k
    return log_proba + eta * 0.5 * (out_nb + in_nb)


def rho_schedule(progress, rho0=0.1):
    """P2OT's sigmoid-shaped ramp of the transported mass.

    ``rho = rho0 + (1 - rho0) * exp(-5 (1 - t)^2)`` for the fraction ``t`` of
    the ramp done (clipped to [0, 1]); 1 once the ramp is over.
    """
    t = min(max(float(progress), 0.0), 1.0)
    return rho0 + (1.0 - rho0) * math.exp(-5.0 * (1.0 - t) ** 2)
