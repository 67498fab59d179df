"""k-nearest-neighbour graphs and spectral clustering on them, on any device.

Used where a method needs a clustering that follows the manifold of an
embedding rather than its Voronoi cells (DEPICT's ``init="spectral"``). Memory
grows as ``n * n_neighbors``; no ``n x n`` matrix is formed.
"""

import numpy as np
import scipy.sparse as sp
import torch
from scipy.linalg import eigh, qr, svd
from sklearn.manifold import spectral_embedding
from sklearn.utils import check_array

from ._kmeans import FAISS_MIN_SAMPLES, _faiss
from ._random import torch_seed
from ._validation import check_n_clusters, clip_n_neighbors

__all__ = ["knn_indices", "knn_spectral_clustering"]

#: Up to this many rows the eigenvectors come from a dense ``eigh``.
_DENSE_MAX = 1000


def knn_indices(X, n_neighbors, *, device="cpu"):
    """Indices of the ``n_neighbors`` nearest other rows of each row.

    Euclidean distances; a row is never its own neighbour. On the CPU faiss
    searches large inputs (at least ``FAISS_MIN_SAMPLES`` rows); otherwise a
    chunked brute-force search runs in torch on ``device``, holding at most
    about 64 MiB of distances at a time.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_neighbors : int
        Must be smaller than ``n_samples``.
    device : str or torch.device, default="cpu"

    Returns
    -------
    indices : ndarray of shape (n_samples, n_neighbors), int64
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = len(X)
    k = int(n_neighbors)
    if not 0 < k < n:
        raise ValueError(f"n_neighbors must be in [1, {n - 1}], got {n_neighbors}.")
    device = torch.device(device)
    faiss = _faiss()
    if device.type == "cpu" and faiss is not None and n >= FAISS_MIN_SAMPLES:
        index = faiss.IndexFlatL2(X.shape[1])
        index.add(X)
        _, idx = index.search(X, k + 1)
        # drop each row itself (first unless exact duplicates tie with it)
        is_self = idx == np.arange(n)[:, None]
        keep = np.where(is_self.any(1)[:, None], ~is_self, np.arange(k + 1) < k)
        return idx[keep].reshape(n, k).astype(np.int64)
    Xt = torch.as_tensor(X, device=device)
    sq = (Xt * Xt).sum(1)
    chunk = max(1, (1 << 24) // n)
    out = []
    for start in range(0, n, chunk):
        xb = Xt[start : start + chunk]
        d = sq[start : start + chunk, None] + sq[None, :] - 2.0 * (xb @ Xt.T)
        rows = torch.arange(len(xb), device=device)
        d[rows, rows + start] = float("inf")
        out.append(torch.topk(d, k, dim=1, largest=False).indices)
    return torch.cat(out).cpu().numpy().astype(np.int64)


def _connectivity(indices):
    """Symmetric kNN connectivity ``(A + A.T) / 2`` as CSR (scikit-learn's)."""
    n, k = indices.shape
    rows = np.repeat(np.arange(n), k)
    A = sp.csr_matrix((np.ones(n * k), (rows, indices.ravel())), shape=(n, n))
    return (0.5 * (A + A.T)).tocsr()


def _normalised_adjacency(A):
    """``D^-1/2 A D^-1/2`` (COO), the degrees and ``D^-1/2`` of a symmetric adjacency."""
    A = A.tocoo()
    deg = np.asarray(A.sum(1)).ravel()
    dinv = 1.0 / np.sqrt(np.maximum(deg, 1e-12))
    M = sp.coo_matrix((A.data * dinv[A.row] * dinv[A.col], (A.row, A.col)), shape=A.shape)
    return M, deg, dinv


def _lobpcg_embedding(M, deg, dinv, n_components, device, seed):
    """Leading eigenvectors of the normalised adjacency ``M`` by LOBPCG on
    ``device``, returned as ``D^-1/2 v`` (scikit-learn's spectral-embedding
    convention)."""
    n = M.shape[0]
    # I + M is positive semi-definite; its top eigenvectors are those of M
    rows = np.concatenate([M.row, np.arange(n)])
    cols = np.concatenate([M.col, np.arange(n)])
    vals = np.concatenate([M.data, np.ones(n)])
    T = torch.sparse_coo_tensor(
        torch.as_tensor(np.stack([rows, cols])), torch.as_tensor(vals),
        (n, n), dtype=torch.float64, device=device, check_invariants=True).coalesce()
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    X0 = torch.randn(n, n_components, generator=gen, dtype=torch.float64).to(device)
    # the trivial eigenvector D^1/2 1 is known; starting from it speeds convergence
    X0[:, 0] = torch.as_tensor(np.sqrt(deg), device=device)
    _, V = torch.lobpcg(T, k=n_components, X=X0, largest=True, niter=500, tol=1e-6)
    return V.cpu().numpy() * dinv[:, None]


def _cluster_qr(vectors):
    """Labels from a spectral embedding by column-pivoted QR (Damle et al., 2019).

    Deterministic: the pivot rows give an orthogonal rotation of the embedding
    after which each row's largest absolute entry names its cluster.
    """
    k = vectors.shape[1]
    _, _, piv = qr(vectors.T, pivoting=True, mode="economic")
    u, _, vt = svd(vectors[piv[:k], :].T)
    return np.abs(vectors @ (u @ vt)).argmax(axis=1)


def knn_spectral_clustering(X, n_clusters, n_neighbors=10, *, device="cpu",
                            random_state=None):
    """Spectral clustering of the symmetric k-nearest-neighbour graph of ``X``.

    The graph is the binary kNN connectivity symmetrised as ``(A + A.T) / 2``
    (scikit-learn's ``affinity="nearest_neighbors"``). The embedding is the
    leading ``n_clusters`` eigenvectors of its normalised adjacency
    ``D^-1/2 A D^-1/2``, scaled by ``D^-1/2`` (scikit-learn's spectral
    embedding). Eigensolver: dense LAPACK up to 1,000 rows, above that LOBPCG
    in torch on ``device`` (falling back to ARPACK on the CPU if LOBPCG
    fails). Labels come from the column-pivoted QR rule
    (Damle et al., 2019), which needs no restarts.

    A graph with many small detached components (duplicated rows, outliers)
    gives those components whole eigenvectors and so whole clusters; k-means
    is then the safer choice.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    n_neighbors : int, default=10
        Neighbours per row of the graph; at least ``n_samples`` is reduced to
        ``n_samples - 1`` with a :class:`UserWarning`.
    device : str or torch.device, default="cpu"
    random_state : int, RandomState instance or None
        Seeds the eigensolver's start vector.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int64
        Cluster indices in ``0 .. n_clusters - 1``; on degenerate graphs some
        indices may go unused.
    """
    X = check_array(X, dtype=(np.float64, np.float32), ensure_min_samples=2)
    n = len(X)
    n_clusters = check_n_clusters(n_clusters, n)
    k = clip_n_neighbors(n_neighbors, n, owner="knn_spectral_clustering")
    A = _connectivity(knn_indices(X, k, device=device))
    seed = torch_seed(random_state)
    emb = _graph_embedding(A, n_clusters, torch.device(device), seed)
    return _cluster_qr(emb).astype(np.int64)


def _graph_embedding(A, n_components, device, seed):
    """Spectral embedding of a symmetric (weighted) adjacency ``A``: the leading
    ``n_components`` eigenvectors of ``D^-1/2 A D^-1/2``, scaled by ``D^-1/2``.

    Dense LAPACK up to ``_DENSE_MAX`` rows, above that LOBPCG in torch on
    ``device``, falling back to ARPACK on the CPU if LOBPCG fails.
    """
    n = A.shape[0]
    M, deg, dinv = _normalised_adjacency(A)
    if n <= _DENSE_MAX or n < 4 * n_components:  # LOBPCG needs n >= 3 k
        # small graphs (or very many clusters): the exact dense eigendecomposition
        _, V = eigh(M.toarray(), subset_by_index=[n - n_components, n - 1])
        return V * dinv[:, None]
    # LOBPCG needs only sparse products: on 70,000 rows it took 22 s on a
    # 2-core CPU where ARPACK's shift-invert (scikit-learn) took 99 s
    # (benchmarks/bench_spectral_init.py)
    try:
        return _lobpcg_embedding(M, deg, dinv, n_components, device, seed)
    except RuntimeError:  # LOBPCG's inner Cholesky can fail on hard spectra
        return spectral_embedding(A, n_components=n_components, eigen_solver="arpack",
                                  random_state=seed, drop_first=False)


def _by_eigenvalue(A, emb):
    """Order the columns of a spectral embedding of ``A`` by decreasing eigenvalue.

    The eigensolvers of :func:`_graph_embedding` return the leading eigenvectors
    in different orders. ``emb`` holds ``D^-1/2 v`` per column (scikit-learn's
    convention); returns ``(order, V)`` with ``V`` the unit eigenvectors ``v`` of
    ``D^-1/2 A D^-1/2`` and ``order`` the column order by decreasing Rayleigh
    quotient.
    """
    M, deg, _ = _normalised_adjacency(A)
    V = emb * np.sqrt(np.maximum(deg, 1e-12))[:, None]
    V /= np.maximum(np.linalg.norm(V, axis=0, keepdims=True), 1e-300)
    lam = np.einsum("ij,ij->j", V, M.tocsr() @ V)
    return np.argsort(-lam), V
