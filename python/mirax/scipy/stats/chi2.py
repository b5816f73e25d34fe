"""jax.scipy.stats.chi2 over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact
from mirax.scipy.special import gammainc, gammaincc

def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_args_inexact('chi2.logpdf', x, df, loc, scale)
    one = _lax_const(x, 1)
    two = _lax_const(x, 2)
    y = lax.div(lax.sub(x, loc), scale)
    df_on_two = lax.div(df, two)
    kernel = lax.sub(lax.mul(lax.sub(df_on_two, one), lax.log(y)), lax.div(y, two))
    nrml_cnst = lax.neg(lax.add(lax.lgamma(df_on_two), lax.div(lax.mul(lax.log(two), df), two)))
    log_probs = lax.add(lax.sub(nrml_cnst, lax.log(scale)), kernel)
    return jnp.where(lax.lt(x, loc), -np.inf, log_probs)

def pdf(x, df, loc=0, scale=1):
    return lax.exp(logpdf(x, df, loc, scale))

def _gamma_arguments(name, x, df, loc, scale):
    """(df / 2, (x - loc) / (2 scale) clamped to [0, inf]): the incomplete gamma
    functions' arguments of chi2's cdf and sf."""
    x, df, loc, scale = promote_args_inexact(name, x, df, loc, scale)
    two = _lax_const(scale, 2)
    return lax.div(df, two), lax.clamp(_lax_const(x, 0), lax.div(lax.sub(x, loc), lax.mul(scale, two)),
                                       _lax_const(x, np.inf))


def cdf(x, df, loc=0, scale=1):
    return gammainc(*_gamma_arguments('chi2.cdf', x, df, loc, scale))

def logcdf(x, df, loc=0, scale=1):
    return lax.log(cdf(x, df, loc, scale))

def sf(x, df, loc=0, scale=1):
    return gammaincc(*_gamma_arguments('chi2.sf', x, df, loc, scale))

def logsf(x, df, loc=0, scale=1):
    return lax.log(sf(x, df, loc, scale))
