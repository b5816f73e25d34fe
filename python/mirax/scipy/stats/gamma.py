"""jax.scipy.stats.gamma over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact
from mirax.scipy.special import gammaln, xlogy, gammainc, gammaincc

def logpdf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote_args_inexact('gamma.logpdf', x, a, loc, scale)
    ok = lax.ge(x, loc)
    one = _lax_const(x, 1)
    y = jnp.where(ok, lax.div(lax.sub(x, loc), scale), one)
    log_linear_term = lax.sub(xlogy(lax.sub(a, one), y), y)
    shape_terms = lax.add(gammaln(a), lax.log(scale))
    log_probs = lax.sub(log_linear_term, shape_terms)
    return jnp.where(ok, log_probs, -np.inf)

def pdf(x, a, loc=0, scale=1):
    return lax.exp(logpdf(x, a, loc, scale))

def cdf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote_args_inexact('gamma.cdf', x, a, loc, scale)
    return gammainc(a, lax.clamp(_lax_const(x, 0), lax.div(lax.sub(x, loc), scale), _lax_const(x, np.inf)))

def logcdf(x, a, loc=0, scale=1):
    return lax.log(cdf(x, a, loc, scale))

def sf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote_args_inexact('gamma.sf', x, a, loc, scale)
    y = lax.div(lax.sub(x, loc), scale)
    return jnp.where(lax.lt(y, _lax_const(y, 0)), 1, gammaincc(a, y))

def logsf(x, a, loc=0, scale=1):
    return lax.log(sf(x, a, loc, scale))
