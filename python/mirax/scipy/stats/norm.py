"""jax.scipy.stats.norm over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact
from mirax.scipy import special

def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('norm.logpdf', x, loc, scale)
    scale_sqrd = lax.square(scale)
    log_normalizer = lax.log(lax.mul(_lax_const(x, 2 * np.pi), scale_sqrd))
    quadratic = lax.div(lax.square(lax.sub(x, loc)), scale_sqrd)
    return lax.div(lax.add(log_normalizer, quadratic), _lax_const(x, -2))

def pdf(x, loc=0, scale=1):
    return lax.exp(logpdf(x, loc, scale))

def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('norm.cdf', x, loc, scale)
    return special.ndtr(lax.div(lax.sub(x, loc), scale))

def logcdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('norm.logcdf', x, loc, scale)
    return special.log_ndtr(lax.div(lax.sub(x, loc), scale))

def ppf(q, loc=0, scale=1):
    return jnp.asarray(special.ndtri(q) * scale + loc, float)

def logsf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('norm.logsf', x, loc, scale)
    return logcdf(-x, -loc, scale)

def sf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('norm.sf', x, loc, scale)
    return cdf(-x, -loc, scale)

def isf(q, loc=0, scale=1):
    return ppf(lax.sub(_lax_const(q, 1), q), loc, scale)
