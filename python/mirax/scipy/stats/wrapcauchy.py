"""jax.scipy.stats.wrapcauchy over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact

def logpdf(x, c):
    x, c = promote_args_inexact('wrapcauchy.logpdf', x, c)
    return jnp.where(lax.gt(c, _lax_const(c, 0)) & lax.lt(c, _lax_const(c, 1)), jnp.where(lax.ge(x, _lax_const(x, 0)) & lax.le(x, _lax_const(x, np.pi * 2)), jnp.log(1 - c * c) - jnp.log(2 * np.pi) - jnp.log(1 + c * c - 2 * c * jnp.cos(x)), -np.inf), np.nan)

def pdf(x, c):
    return lax.exp(logpdf(x, c))
