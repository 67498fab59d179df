"""DSC's post-processing: from the self-expression matrix C to clusters."""

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import ArpackNoConvergence, eigsh, lobpcg, svds
from sklearn.cluster import SpectralClustering
from sklearn.utils import check_random_state

from ..utils import fit_kmeans

__all__ = ["angular_affinity", "dscnet_postprocess", "retained_affinity",
           "shifted_laplacian_clustering"]


def _normalize_rows(C, coef_norm):
    """Divide every row of ``|C|`` (one sample's coefficients) by its norm."""
    A = C.abs()
    if coef_norm is None:
        return A
    if coef_norm == "l2":
        scale = torch.linalg.vector_norm(A, dim=1, keepdim=True)
    elif coef_norm == "l1":
        scale = A.sum(dim=1, keepdim=True)
    elif coef_norm == "max":
        scale = A.max(dim=1, keepdim=True).values
    else:
        raise ValueError(f"coef_norm must be 'l2', 'l1', 'max' or None, got {coef_norm!r}.")
    return A.div_(scale.clamp(min=torch.finfo(A.dtype).tiny))


def retained_affinity(C, n_retained=9, coef_norm=None):
    """Symmetric affinity keeping the ``n_retained`` leading coefficients per column.

    ``A = (|C| + |C|^T) / 2`` with a zero diagonal, where every row of ``|C|``
    (the coefficients of one sample, ``x_i ~ sum_j c_ij x_j``) is first divided
    by its norm if ``coef_norm`` is set; per column the ``n_retained`` largest
    entries are kept (ties keep more, zeros are dropped); the result is
    symmetrised again, ``(A + A^T) / 2``.

    Parameters
    ----------
    C : ndarray or torch.Tensor of shape (n, n)
        Self-expression coefficients (a tensor stays on its device for the
        dense part; only the kept entries are copied to the CPU).
    n_retained : int or None, default=9
        Coefficients kept per column; None or 0 keeps every non-zero entry.
    coef_norm : {"l2", "l1", "max"} or None, default=None
        Normalisation of every sample's coefficients before symmetrising: as
        in SSC (Elhamifar & Vidal, which divides by the largest entry), no
        sample dominates the affinity because its coefficients are large
        (LSR's ``c_ij = K_ij / (1 - g_i)`` grows with the leverage ``g_i``).

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n, n), float64
    """
    with torch.no_grad():
        Ct = torch.as_tensor(C)
        n = Ct.shape[0]
        A = _normalize_rows(Ct, coef_norm)
        A = A + A.T
        A.mul_(0.5)
        A.fill_diagonal_(0.0)
        if n_retained and n_retained < n - 1:
            kth = torch.topk(A, int(n_retained), dim=0).values[-1]
            mask = (A >= kth.unsqueeze(0)) & (A > 0)
        else:
            mask = A > 0
        rows, cols = torch.nonzero(mask, as_tuple=True)
        vals = A[rows, cols]
        del A, mask
    M = sp.csr_matrix(
        (vals.double().cpu().numpy(), (rows.cpu().numpy(), cols.cpu().numpy())),
        shape=(n, n),
    )
    return ((M + M.T) * 0.5).tocsr()


def _shifted_laplacian_embedding(A, n_clusters, seed):
    """Rows of the top-K eigenvectors of ``I + D^-1/2 A D^-1/2``, L2-normalised."""
    n = A.shape[0]
    deg = np.asarray(A.sum(axis=1)).ravel()
    eps = 1e-12 * max(float(deg.max(initial=0.0)), 1e-300)
    dm = 1.0 / np.sqrt(deg + eps)
    S = sp.diags(dm) @ A @ sp.diags(dm)
    L = (sp.identity(n, format="csr") + S).tocsr()
    if n <= 200 or n_clusters >= n // 4:
        _, V = scipy.linalg.eigh(L.toarray(), subset_by_index=[n - n_clusters, n - 1])
    else:
        rs = np.random.RandomState(seed % (2**32 - 1))
        v0 = rs.uniform(0.5, 1.5, n)
        try:
            _, V = eigsh(L, k=n_clusters, which="LA", v0=v0)
        except ArpackNoConvergence:
            # tightly clustered top eigenvalues (e.g. many nearly disconnected
            # groups) can stall ARPACK: more Lanczos vectors, then a dense or a
            # block (LOBPCG) solver
            try:
                _, V = eigsh(L, k=n_clusters, which="LA", v0=v0,
                             ncv=min(n - 1, max(4 * n_clusters + 1, 64)), maxiter=20 * n)
            except ArpackNoConvergence:
                if n <= 6000:
                    _, V = scipy.linalg.eigh(L.toarray(), subset_by_index=[n - n_clusters, n - 1])
                else:
                    X0 = rs.standard_normal((n, n_clusters))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        _, V = lobpcg(L, X0, largest=True, tol=1e-6, maxiter=1000)
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V / np.maximum(norms, 1e-12)


def angular_affinity(A, power=2.0):
    """MLG-DSC's affinity in the angular domain (``adjacency_matrix_angular_domain.m``).

    With the full SVD ``A = U S V^T`` of a symmetric affinity, ``Z = U S^1/2`` with
    unit rows and ``A' = |Z Z^T|^power`` (element-wise; MLG-DSC uses
    ``power = 2`` on EYaleB). Dense: ``O(n^3)`` time and several ``n^2`` float64
    arrays, so use it for a few thousand rows at most.

    Parameters
    ----------
    A : scipy.sparse matrix or ndarray of shape (n, n), symmetric
    power : float, default=2.0

    Returns
    -------
    A_angular : scipy.sparse.csr_matrix of shape (n, n) (dense content)
    """
    dense = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=np.float64)
    w, V = np.linalg.eigh(dense)  # symmetric: U S U^T with S = |w|
    G = (V * np.abs(w)) @ V.T
    zz = 1.0 / np.sqrt(np.maximum(np.diag(G), 0.0) + np.finfo(float).eps)
    G *= zz[:, None]
    G *= zz[None, :]
    return sp.csr_matrix(np.abs(G) ** float(power))


def _spectral_partition(C, n_clusters, n_retained, n_init=20, seed=0, warm_labels=None,
                        angular_power=None, coef_norm=None):
    A = retained_affinity(C, n_retained, coef_norm)
    if angular_power is not None:
        A = angular_affinity(A, angular_power)
    V = _shifted_laplacian_embedding(A, n_clusters, seed)
    if warm_labels is not None and len(np.unique(warm_labels)) == n_clusters:
        centers = np.stack([V[warm_labels == k].mean(0) for k in range(n_clusters)])
        labels, _, _ = fit_kmeans(V, n_clusters, n_init=1, max_iter=1000,
                                  random_state=seed, backend="sklearn", init=centers)
    else:
        labels, _, _ = fit_kmeans(V, n_clusters, n_init=n_init, max_iter=1000,
                                  random_state=seed, backend="sklearn")
    return labels, A, V


def shifted_laplacian_clustering(C, n_clusters, n_retained=9, *, kmeans_n_init=20,
                                 angular_power=None, coef_norm=None, random_state=0):
    """LIHFSS/MLG-DSC post-processing: retained affinity + shifted-Laplacian spectral.

    Keeps the ``n_retained`` leading coefficients per column of
    ``(|C| + |C|^T) / 2`` (diagonal zeroed; rows of ``|C|`` normalised first
    if ``coef_norm`` is set, see :func:`retained_affinity`), takes the top ``n_clusters``
    eigenvectors of ``I + D^-1/2 A D^-1/2`` (the smallest of the symmetric
    normalised Laplacian), normalises their rows and runs k-means
    (``kmeans_n_init`` restarts, 1000 iterations, fixed seed).

    Parameters
    ----------
    C : ndarray or torch.Tensor of shape (n, n)
    n_clusters : int
    n_retained : int or None, default=9
    kmeans_n_init : int, default=20
    angular_power : float or None, default=None
        If set, the retained affinity is mapped to MLG-DSC's angular domain
        (:func:`angular_affinity`) before the spectral step.
    coef_norm : {"l2", "l1", "max"} or None, default=None
        Normalise every sample's coefficients first (:func:`retained_affinity`).
    random_state : int, default=0

    Returns
    -------
    labels : ndarray of shape (n,), int64
    affinity : scipy.sparse.csr_matrix of shape (n, n)
        The affinity that was clustered (retained, angular if requested).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.dsc import shifted_laplacian_clustering
    >>> C = np.kron(np.eye(2), np.ones((3, 3)))
    >>> labels, A = shifted_laplacian_clustering(C, 2, n_retained=2)
    >>> len(set(labels[:3].tolist())), bool(labels[0] != labels[3])
    (1, True)
    """
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    labels, A, _ = _spectral_partition(C, n_clusters, n_retained, n_init=kmeans_n_init,
                                       seed=seed, angular_power=angular_power,
                                       coef_norm=coef_norm)
    return labels, A


def dscnet_postprocess(C, n_clusters, rho=0.2, dim=3, power=1.0, *, random_state=0):
    """DSC-Net's ``thrC`` + ``post_proC`` post-processing.

    ``thrC``: per column keep the largest ``|c|`` up to the first index where their
    cumulative sum exceeds ``rho * ||c||_1`` (``rho >= 1``: no-op). ``post_proC``:
    symmetrise, take the top ``dim * n_clusters + 1`` singular vectors scaled by
    ``sqrt(S)``, row-normalise, ``Z = U U^T`` clipped at 0, ``L = Z^power``
    normalised, then :class:`~sklearn.cluster.SpectralClustering` (precomputed,
    arpack, ``assign_labels="discretize"``).

    Returns
    -------
    labels : ndarray of shape (n,), int64
    affinity : scipy.sparse.csr_matrix of shape (n, n)
    """
    C = np.asarray(torch.as_tensor(C).detach().cpu().double().numpy())
    n = C.shape[0]
    if rho < 1:
        S = np.abs(C)
        order = np.argsort(-S, axis=0, kind="stable")
        Ss = np.take_along_axis(S, order, axis=0)
        cs = np.cumsum(Ss, axis=0)
        keep = np.minimum((cs <= rho * cs[-1:]).sum(axis=0) + 1, n)
        ranks = np.arange(n)[:, None] < keep[None, :]
        Cp = np.zeros_like(C)
        rows = order[ranks]
        cols = np.broadcast_to(np.arange(n)[None, :], (n, n))[ranks]
        Cp[rows, cols] = C[rows, cols]
        C = Cp
    C = 0.5 * (C + C.T)
    r = int(min(dim * n_clusters + 1, n - 1))
    U, s, _ = svds(C, k=r, v0=np.ones(n))
    U = U[:, ::-1] * np.sqrt(s[::-1])[None, :]
    U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), 1e-12)
    Z = U @ U.T
    Z[Z < 0] = 0
    Lm = np.abs(Z ** power)
    Lm /= max(Lm.max(), 1e-300)
    Lm = 0.5 * (Lm + Lm.T)
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    sc = SpectralClustering(n_clusters=n_clusters, affinity="precomputed",
                            eigen_solver="arpack", assign_labels="discretize",
                            random_state=seed)
    labels = sc.fit_predict(Lm).astype(np.int64)
    return labels, sp.csr_matrix(Lm)
