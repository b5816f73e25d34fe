"""jax.scipy.stats.multivariate_normal over mirax: JAX's formulas, transcribed."""
import numpy as np

import mirax.numpy as jnp
from mirax import lax
from mirax.numpy._util import promote_dtypes_inexact


def logpdf(x, mean, cov, allow_singular=None):
    """The log density of N(mean, cov) at x: a scalar, a scalar times the identity, or a
    full covariance through its Cholesky factor (batched over leading dimensions)."""
    if allow_singular is not None:
        raise NotImplementedError("allow_singular argument of multivariate_normal.logpdf")
    x, mean, cov = promote_dtypes_inexact(x, mean, cov)
    if not mean.shape:
        return -1 / 2 * jnp.square(x - mean) / cov - 1 / 2 * (jnp.log(2 * np.pi) + jnp.log(cov))
    n = mean.shape[-1]
    if not np.shape(cov):
        y = x - mean
        return -1 / 2 * jnp.einsum("...i,...i->...", y, y) / cov - n / 2 * (jnp.log(2 * np.pi) + jnp.log(cov))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError("multivariate_normal.logpdf got incompatible shapes")
    L = lax.linalg.cholesky(cov)  # noqa: N806 (JAX's name)
    # L^-1 (x - mean), each batch element's solve as JAX's vectorize "(n,n),(n)->(n)" pairs them.
    diff = x - mean
    batch = jnp.broadcast_shapes(L.shape[:-2], diff.shape[:-1])
    y = lax.linalg.triangular_solve(jnp.broadcast_to(L, batch + (n, n)), jnp.broadcast_to(diff, batch + (n,)),
                                    lower=True, transpose_a=True)
    return (-1 / 2 * jnp.einsum("...i,...i->...", y, y) - n / 2 * jnp.log(2 * np.pi)
            - jnp.log(L.diagonal(axis1=-1, axis2=-2)).sum(-1))


def pdf(x, mean, cov):
    return lax.exp(logpdf(x, mean, cov))
