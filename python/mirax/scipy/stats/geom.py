"""jax.scipy.stats.geom over mirax: JAX's formulas, transcribed."""
import numpy as np
from mirax import lax
import mirax.numpy as jnp
from mirax.scipy.stats._util import lax_const as _lax_const
from mirax.numpy._util import promote_args_inexact
from mirax.scipy.special import xlog1py

def logpmf(k, p, loc=0):
    k, p, loc = promote_args_inexact('geom.logpmf', k, p, loc)
    zero = _lax_const(k, 0)
    one = _lax_const(k, 1)
    x = lax.sub(k, loc)
    log_probs = xlog1py(lax.sub(x, one), -p) + lax.log(p)
    return jnp.where(lax.le(x, zero), -np.inf, log_probs)

def pmf(k, p, loc=0):
    return jnp.exp(logpmf(k, p, loc))
