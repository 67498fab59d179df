"""Private solvers behind :class:`skdeepcluster.SDPKMeans` and :class:`skdeepcluster.ILASDP`.

``_problem`` holds the factored cost matrices, ``_exact`` the dense ADMM solver
(small n) and ``_lowrank`` the nonnegative Burer-Monteiro solver (linear in n).
"""
