"""jax.scipy.stats.laplace over mirax: JAX's formulas, transcribed."""
from mirax import lax
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact

def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('laplace.logpdf', x, loc, scale)
    two = _lax_const(x, 2)
    linear_term = lax.div(lax.abs(lax.sub(x, loc)), scale)
    return lax.neg(lax.add(linear_term, lax.log(lax.mul(two, scale))))

def pdf(x, loc=0, scale=1):
    return lax.exp(logpdf(x, loc, scale))

def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact('laplace.cdf', x, loc, scale)
    half = _lax_const(x, 0.5)
    one = _lax_const(x, 1)
    zero = _lax_const(x, 0)
    diff = lax.div(lax.sub(x, loc), scale)
    return lax.select(lax.le(diff, zero), lax.mul(half, lax.exp(diff)), lax.sub(one, lax.mul(half, lax.exp(lax.neg(diff)))))
