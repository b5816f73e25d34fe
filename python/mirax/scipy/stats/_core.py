"""jax.scipy.stats's statistics over mirax (sem; mode and rankdata are not here yet)."""
import mirax.numpy as jnp
from mirax.api import jit
from mirax.numpy._util import promote_args_inexact


@jit(static_argnames=["axis", "nan_policy", "keepdims"])
def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """The standard error of the mean along `axis`: std(ddof) / sqrt(n), n counting the
    non-NaN values with nan_policy="omit"."""
    (b,) = promote_args_inexact("sem", a)
    if nan_policy == "propagate":
        size = b.size if axis is None else b.shape[axis]
        return b.std(axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(size).astype(b.dtype)
    if nan_policy == "omit":
        count = (~jnp.isnan(b)).sum(axis, keepdims=keepdims)
        return jnp.nanstd(b, axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(count).astype(b.dtype)
    raise ValueError(f"{nan_policy} is not supported")
