"""jax.scipy.stats.vonmises over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact

def logpdf(x, kappa):
    x, kappa = promote_args_inexact('vonmises.logpdf', x, kappa)
    zero = _lax_const(kappa, 0)
    return jnp.where(lax.gt(kappa, zero), kappa * (jnp.cos(x) - 1) - jnp.log(2 * np.pi * lax.bessel_i0e(kappa)), np.nan)

def pdf(x, kappa):
    return lax.exp(logpdf(x, kappa))
