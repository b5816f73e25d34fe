"""jax.scipy.stats.cauchy over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy import arctan
from mirax.numpy._util import promote_args_inexact

def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('cauchy.logpdf', x, loc, scale)
    pi = _lax_const(x, np.pi)
    scaled_x = lax.div(lax.sub(x, loc), scale)
    normalize_term = lax.log(lax.mul(pi, scale))
    return lax.neg(lax.add(normalize_term, lax.log1p(lax.mul(scaled_x, scaled_x))))

def pdf(x, loc=0, scale=1):
    return lax.exp(logpdf(x, loc, scale))

def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('cauchy.cdf', x, loc, scale)
    pi = _lax_const(x, np.pi)
    scaled_x = lax.div(lax.sub(x, loc), scale)
    return lax.add(_lax_const(x, 0.5), lax.mul(lax.div(_lax_const(x, 1.0), pi), arctan(scaled_x)))

def logcdf(x, loc=0, scale=1):
    return lax.log(cdf(x, loc, scale))

def sf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('cauchy.sf', x, loc, scale)
    return cdf(-x, -loc, scale)

def logsf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('cauchy.logsf', x, loc, scale)
    return logcdf(-x, -loc, scale)

def isf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact('cauchy.isf', q, loc, scale)
    pi = _lax_const(q, np.pi)
    half_pi = _lax_const(q, np.pi / 2)
    unscaled = lax.tan(lax.sub(half_pi, lax.mul(pi, q)))
    return lax.add(lax.mul(unscaled, scale), loc)

def ppf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact('cauchy.ppf', q, loc, scale)
    pi = _lax_const(q, np.pi)
    half_pi = _lax_const(q, np.pi / 2)
    unscaled = lax.tan(lax.sub(lax.mul(pi, q), half_pi))
    return lax.add(lax.mul(unscaled, scale), loc)
