"""jax.scipy.stats.nbinom over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact
from mirax.scipy.special import gammaln, xlogy

def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_args_inexact('nbinom.logpmf', k, n, p, loc)
    one = _lax_const(k, 1)
    y = lax.sub(k, loc)
    comb_term = lax.sub(lax.sub(gammaln(lax.add(y, n)), gammaln(n)), gammaln(lax.add(y, one)))
    log_linear_term = lax.add(xlogy(n, p), xlogy(y, lax.sub(one, p)))
    log_probs = lax.add(comb_term, log_linear_term)
    return jnp.where(lax.lt(k, loc), -np.inf, log_probs)

def pmf(k, n, p, loc=0):
    return lax.exp(logpmf(k, n, p, loc))
