"""jax.scipy.stats.poisson over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact
from mirax.scipy.special import xlogy, gammaln, gammaincc

def logpmf(k, mu, loc=0):
    k, mu, loc = promote_args_inexact('poisson.logpmf', k, mu, loc)
    zero = _lax_const(k, 0)
    x = lax.sub(k, loc)
    log_probs = xlogy(x, mu) - gammaln(x + 1) - mu
    return jnp.where(jnp.logical_or(lax.lt(x, zero), lax.ne(jnp.round(k), k)), -np.inf, log_probs)

def pmf(k, mu, loc=0):
    return jnp.exp(logpmf(k, mu, loc))

def cdf(k, mu, loc=0):
    k, mu, loc = promote_args_inexact('poisson.logpmf', k, mu, loc)
    zero = _lax_const(k, 0)
    x = lax.sub(k, loc)
    p = gammaincc(jnp.floor(1 + x), mu)
    return jnp.where(lax.lt(x, zero), zero, p)
