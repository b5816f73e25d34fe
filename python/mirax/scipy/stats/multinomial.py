"""jax.scipy.stats.multinomial over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import dtypes, lax
import mirax.numpy as jnp
from mirax.numpy._util import check_arraylike, promote_args_inexact, promote_dtypes_numeric
from mirax.scipy.special import gammaln, xlogy

def logpmf(x, n, p):
    """log(n! prod p_i^x_i / x_i!) for integer counts x (last axis) summing to n, -inf otherwise."""
    p, = promote_args_inexact("multinomial.logpmf", p)
    check_arraylike("multinomial.logpmf", x, n)
    x, n = promote_dtypes_numeric(x, n)
    if x.ndim and n.ndim and x.ndim != n.ndim:  # JAX's rank promotion (leading ones), not a broadcast
        rank = max(x.ndim, n.ndim)
        x, n = (a.reshape((1,) * (rank - a.ndim) + a.shape) for a in (x, n))
    if not dtypes.is_integer(x.dtype):
        raise ValueError(f"x and n must be of integer type; got x.dtype={x.dtype}, n.dtype={n.dtype}")
    x = x.astype(p.dtype)
    n = n.astype(p.dtype)
    logprobs = gammaln(n + 1) + jnp.sum(xlogy(x, p) - gammaln(x + 1), axis=-1)
    return jnp.where(jnp.equal(jnp.sum(x), n), logprobs, -np.inf)

def pmf(x, n, p):
    return lax.exp(logpmf(x, n, p))
