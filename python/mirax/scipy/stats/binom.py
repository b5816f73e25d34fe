"""jax.scipy.stats.binom over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.numpy._util import promote_args_inexact
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.scipy.special import gammaln, xlogy, xlog1py

def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_args_inexact('binom.logpmf', k, n, p, loc)
    y = lax.sub(k, loc)
    zero = _lax_const(y, 0)
    comb_term = lax.sub(gammaln(n + 1), lax.add(gammaln(y + 1), gammaln(n - y + 1)))
    log_linear_term = lax.add(xlogy(y, p), xlog1py(lax.sub(n, y), lax.neg(p)))
    log_probs = lax.add(comb_term, log_linear_term)
    y_n_cond = jnp.logical_or(jnp.logical_and(lax.eq(y, zero), lax.eq(n, zero)), lax.eq(log_linear_term, zero))
    log_probs = jnp.where(y_n_cond, 0.0, log_probs)
    return jnp.where(lax.ge(k, loc) & lax.lt(k, loc + n + 1), log_probs, -np.inf)

def pmf(k, n, p, loc=0):
    return lax.exp(logpmf(k, n, p, loc))
