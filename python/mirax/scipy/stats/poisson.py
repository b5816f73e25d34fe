"""jax.scipy.stats.poisson over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.api import jit
from mirax.numpy._util import check_arraylike, promote_args_inexact, promote_dtypes_inexact
from mirax.scipy.special import xlogy, entr, gammaln, gammaincc

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

@jit
def entropy(mu, loc=0):
    """-sum_k pmf(k) log pmf(k): summed over k up to a bound that grows with mu (a static
    35 or 250 terms), the asymptotic series from mu = 100; loc, which does not change
    it, only broadcasts."""
    check_arraylike("poisson.entropy", mu, loc)
    promoted_mu, promoted_loc = promote_dtypes_inexact(mu, loc)
    result_shape = jnp.broadcast_shapes(promoted_mu.shape, promoted_loc.shape)
    mu_flat = jnp.ravel(promoted_mu)
    result = jnp.where(mu_flat == 0, jnp.zeros_like(mu_flat),
                       jnp.where(mu_flat < 10, _entropy_small_mu(mu_flat),
                                 jnp.where(mu_flat < 100, _entropy_medium_mu(mu_flat), _entropy_large_mu(mu_flat))))
    return jnp.broadcast_to(jnp.reshape(result, promoted_mu.shape), result_shape)

def _entropy_sum(mu, max_k, upper_bound):
    k = jnp.arange(max_k, dtype=mu.dtype)[:, None]
    probs = pmf(k, mu, 0)
    mask = k < jnp.ceil(upper_bound).astype(k.dtype)[None, :]
    return jnp.sum(entr(jnp.where(mask, probs, 0.0)), axis=0)

def _entropy_small_mu(mu):
    return _entropy_sum(mu, 35, mu + 20)

def _entropy_medium_mu(mu):
    return _entropy_sum(mu, 250, mu + 10 * jnp.sqrt(mu) + 20)  # below 220 for mu < 100

def _entropy_large_mu(mu):
    return 0.5 * jnp.log(2 * np.pi * np.e * mu) - 1.0 / (12 * mu)
