"""Linear-algebra factorizations and solves: cholesky, triangular_solve, lu."""
