"""SP2OT's losses, as criterion modules of its skorch nets.

Each criterion is called as ``criterion(y_pred, y_true)`` with the network's
output ``(logits, z)`` for the ``2B`` rows of two views of a batch (first views
first) and ``y_true`` the batch's row indices.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._transport import partial_ot_pseudo_labels, semantic_cost

__all__ = ["ContrastiveLoss", "PseudoLabelLoss", "candidate_graph", "knn_graph", "nt_xent",
           "pseudo_labels", "restrict_graph"]


def nt_xent(z, temperature):
    """SimCLR's normalised-temperature cross-entropy of two views.

    ``z`` holds the unit-norm projections of the first views, then of the
    second views; each row's positive is its other view, the other ``2B - 2``
    rows are its negatives.
    """
    B = len(z) // 2
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * B, dtype=torch.bool, device=z.device), -1e9)
    target = torch.cat([torch.arange(B, 2 * B), torch.arange(0, B)]).to(z.device)
    return F.cross_entropy(sim, target)


def _most_similar_others(queries, feats, own, k):
    """Indices of the ``k`` rows of ``feats`` most similar (dot product) to
    each row of ``queries``, most similar first, leaving out each query's own
    row ``own[i]`` of ``feats``."""
    sim = queries @ feats.T
    sim[torch.arange(len(queries), device=sim.device), own] = -math.inf
    return sim.topk(k, dim=1).indices


@torch.no_grad()
def knn_graph(feats, n_neighbors):
    """Each row's ``n_neighbors`` (at most ``N - 1``) most cosine-similar other
    rows of the unit-norm ``feats``, most similar first; None for fewer than
    two rows."""
    k = min(int(n_neighbors), len(feats) - 1)
    if k < 1:
        return None
    return _most_similar_others(feats, feats, torch.arange(len(feats), device=feats.device), k)


#: elements of a similarity block computed at a time by :func:`candidate_graph`
_BLOCK = 1 << 22


@torch.no_grad()
def candidate_graph(feats, n_candidates):
    """Each row's ``n_candidates`` (at most ``n - 1``) most cosine-similar
    other rows among all rows of the unit-norm ``feats``, most similar first
    (int32, computed in row blocks of ``_BLOCK`` similarities)."""
    n = len(feats)
    k = min(int(n_candidates), n - 1)
    out = torch.empty((n, max(k, 0)), dtype=torch.int32, device=feats.device)
    if k < 1:
        return out
    step = max(1, _BLOCK // n)
    for start in range(0, n, step):
        stop = min(start + step, n)
        own = torch.arange(start, stop, device=feats.device)
        out[start:stop] = _most_similar_others(feats[start:stop], feats, own, k).to(torch.int32)
    return out


def _first_present(pos, cand, k):
    """Each row's first ``k`` candidates with a position (``pos >= 0``), as
    positions, and whether the row has ``k`` of them."""
    cand = pos[cand.long()]
    valid = cand >= 0
    rank = valid.cumsum(1) - 1  # a candidate's place among the row's present ones
    # the first k present candidates, in their order (the others land in a
    # spare column k, dropped)
    col = torch.where(valid & (rank < k), rank, k)
    out = torch.full((len(cand), k + 1), -1, dtype=torch.long, device=cand.device)
    out.scatter_(1, col, cand)
    return out[:, :k], rank[:, -1] >= k - 1


@torch.no_grad()
def restrict_graph(candidates, feats, rows, n_neighbors):
    """:func:`knn_graph` of ``feats[rows]``, read off the global ``candidates``.

    ``candidates`` holds each row's nearest rows of all (most similar first,
    :func:`candidate_graph` of ``feats``). A row's ``k`` nearest among
    ``rows`` are its first ``k`` candidates in ``rows`` whenever it has ``k``
    there, read in ``O(N k)``; the graph of a row with fewer (a small first
    batch) is computed from its similarities to all of ``rows``. Returns the
    ``(N, k)`` positions in ``rows``, or None for fewer than two rows.
    """
    N = len(rows)
    k = min(int(n_neighbors), N - 1)
    if k < 1:
        return None
    n_cand = candidates.shape[1]
    pos = torch.full((len(candidates),), -1, dtype=torch.long, device=rows.device)
    pos[rows] = torch.arange(N, device=rows.device)
    # the first 2k candidates usually hold k present ones (most rows are in
    # the memory); the rows short of k then read all their candidates
    head = min(n_cand, 2 * k)
    neighbors, full = _first_present(pos, candidates[:, :head][rows], k)
    short = torch.nonzero(~full).flatten()
    if head < n_cand and len(short):
        neighbors[short], full[short] = _first_present(pos, candidates[rows[short]], k)
        short = torch.nonzero(~full).flatten()
    if len(short):
        f = feats[rows]
        neighbors[short] = _most_similar_others(f[short], f, short, k)
    return neighbors


@torch.no_grad()
def pseudo_labels(log_proba, feats, *, rho, epsilon, lam, semantic_weight, n_neighbors,
                  semantic_iter, max_iter, tol, neighbors=None):
    """Transport plan of the rows of ``log_proba`` (P2OT, plus SP2OT's
    majorisation-minimisation rounds when ``semantic_weight > 0``).

    The semantic graph is ``neighbors`` when given (the ``knn_graph`` of the
    rows, computed once for several solves on the same rows), else the
    ``n_neighbors`` graph of ``feats``."""
    kw = dict(epsilon=epsilon, lam=lam, max_iter=max_iter, tol=tol)
    Q = partial_ot_pseudo_labels(log_proba, rho, **kw)
    if semantic_weight > 0 and semantic_iter > 0:
        if neighbors is None:
            neighbors = knn_graph(feats, n_neighbors)
        if neighbors is None:
            return Q
        for _ in range(int(semantic_iter)):
            Q = partial_ot_pseudo_labels(
                semantic_cost(log_proba, Q, neighbors, semantic_weight), rho, **kw)
    return Q


class ContrastiveLoss(nn.Module):
    """Warm-up: NT-Xent between the two views' projections; ``y`` unused.

    Parameters
    ----------
    temperature : float
    """

    def __init__(self, temperature=0.2):
        super().__init__()
        self.temperature = temperature

    def forward(self, y_pred, y_true=None):
        return nt_xent(y_pred[1], self.temperature)


class PseudoLabelLoss(nn.Module):
    """Swapped prediction of optimal-transport pseudo-labels, plus NT-Xent.

    For each view, the pseudo-labels of the batch are the batch's rows of the
    transport plan of ``[batch; memory]`` (the memory holds recent predictions
    and projections of other rows, owned by the
    :class:`~skdeepcluster.sp2ot._callbacks.TransportSchedule` callback, which
    also sets ``rho``). The loss is the cross-entropy between one view's
    pseudo-labels ``N Q_i`` (the normalised label scaled by the mass row
    ``i`` received) and the other view's prediction, averaged over the batch
    and both directions, plus ``contrastive_weight`` times NT-Xent.

    Parameters
    ----------
    epsilon, lam : float
        Entropic regularisation and cluster-size KL weight of the transport
        (``lam=inf``: exact cluster sizes).
    semantic_weight : float
        SP2OT's semantic regulariser (0: plain P2OT).
    n_neighbors, semantic_iter : int
        Neighbours per row of the regulariser's graph; MM rounds.
    max_iter, tol : int, float
        Scaling iterations and tolerance of each transport solve.
    contrastive_weight, contrastive_temperature : float
        Weight and temperature of the NT-Xent term.
    """

    def __init__(self, epsilon=0.5, lam=1.0, semantic_weight=0.0, n_neighbors=20,
                 semantic_iter=2, max_iter=50, tol=1e-4, contrastive_weight=1.0,
                 contrastive_temperature=0.2):
        super().__init__()
        self.epsilon = epsilon
        self.lam = lam
        self.semantic_weight = semantic_weight
        self.n_neighbors = n_neighbors
        self.semantic_iter = semantic_iter
        self.max_iter = max_iter
        self.tol = tol
        self.contrastive_weight = contrastive_weight
        self.contrastive_temperature = contrastive_temperature
        self.rho = 1.0
        self.memory = None  # set by the TransportSchedule callback during training
        # unit-norm rows of a fixed space of the semantic graph and each
        # row's nearest rows there (candidate_graph); None: the graph is
        # built on the projections. Set by the callback during training
        self.graph_features = None
        self.graph_candidates = None

    def _context(self, idx):
        """What both views of a batch share: the memory's rows outside the
        batch, and the semantic graph when it lives in a fixed feature space
        (read off ``graph_candidates``: the same rows give the same graph)."""
        mem = self.memory.rows(idx) if self.memory is not None else None
        graph = None
        if (self.semantic_weight > 0 and self.semantic_iter > 0
                and self.graph_candidates is not None):
            rows = idx if mem is None else torch.cat([idx, mem[2]])
            graph = restrict_graph(self.graph_candidates, self.graph_features, rows,
                                   self.n_neighbors)
        return mem, graph

    def codes(self, log_proba, z, idx, context=None):
        """Pseudo-labels ``N Q`` of a batch (rows of ``[batch; memory]``).

        ``context`` is :meth:`_context` of ``idx`` (computed when None)."""
        B = len(log_proba)
        mem, neighbors = self._context(idx) if context is None else context
        if mem is not None:
            mem_lp, mem_z, _ = mem
            log_proba = torch.cat([log_proba, mem_lp.to(log_proba.dtype)])
            z = torch.cat([z, mem_z.to(z.dtype)])
        Q = pseudo_labels(
            log_proba, z, rho=self.rho, epsilon=self.epsilon, lam=self.lam,
            semantic_weight=self.semantic_weight, n_neighbors=self.n_neighbors,
            semantic_iter=self.semantic_iter, max_iter=self.max_iter, tol=self.tol,
            neighbors=neighbors)
        return Q[:B] * len(Q)

    def forward(self, y_pred, y_true):
        logits, z = y_pred
        B = len(y_true)
        if len(logits) != 2 * B:  # evaluation (one view): no loss
            return logits.sum() * 0.0
        log_p = F.log_softmax(logits, dim=1)
        views = (slice(0, B), slice(B, 2 * B))
        context = self._context(y_true)  # memory rows and fixed graph: once a batch
        loss = 0.0
        for v, other in ((0, 1), (1, 0)):  # swapped prediction
            q = self.codes(log_p[views[v]].detach(), z[views[v]].detach(), y_true,
                           context)
            loss = loss - (q * log_p[views[other]]).sum(1).mean() / 2
        if self.contrastive_weight > 0:
            loss = loss + self.contrastive_weight * nt_xent(z, self.contrastive_temperature)
        return loss
