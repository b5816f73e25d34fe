"""jax.scipy.stats.gumbel_l over mirax: JAX's formulas, transcribed (NaN where scale <= 0)."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact
from mirax.scipy.special import xlogy, xlog1py

def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact("gumbel_l.logpdf", x, loc, scale)
    ok = lax.gt(scale, _lax_const(scale, 0))
    z = lax.div(lax.sub(x, loc), scale)
    # -log(scale) + z - exp(z)
    log_pdf = lax.add(xlogy(-1, scale), lax.sub(z, lax.exp(z)))
    return jnp.where(ok, log_pdf, np.nan)

def pdf(x, loc=0, scale=1):
    return lax.exp(logpdf(x, loc, scale))

def logcdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact("gumbel_l.logcdf", x, loc, scale)
    ok = lax.gt(scale, _lax_const(scale, 0))
    z = lax.div(lax.sub(x, loc), scale)
    # log(1 - exp(-exp(z))) by expm1, stable where log1p is not
    log_cdf = lax.log(-lax.expm1(lax.neg(lax.exp(z))))
    return jnp.where(ok, log_cdf, np.nan)

def cdf(x, loc=0, scale=1):
    return lax.exp(logcdf(x, loc, scale))

def ppf(p, loc=0, scale=1):
    p, loc, scale = promote_args_inexact("gumbel_l.ppf", p, loc, scale)
    ok = lax.bitwise_and(lax.gt(p, _lax_const(p, 0)), lax.lt(p, _lax_const(p, 1)))
    # loc + scale log(-log(1 - p))
    quantile = lax.add(loc, lax.mul(scale, lax.log(xlog1py(-1, lax.neg(p)))))
    return jnp.where(ok, quantile, np.nan)

def sf(x, loc=0, scale=1):
    return jnp.exp(logsf(x, loc, scale))

def logsf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact("gumbel_l.logsf", x, loc, scale)
    ok = lax.gt(scale, _lax_const(scale, 0))
    z = lax.div(lax.sub(x, loc), scale)
    return jnp.where(ok, lax.neg(lax.exp(z)), np.nan)
