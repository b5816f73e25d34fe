"""What the distributions share."""
import mirax.numpy as jnp
from mirax.numpy._ufuncs import _const


def lax_const(x, value):
    """`value` in x's dtype, as JAX's lax._const, for x an Array or not (a NumPy array or a
    Python scalar, which JAX's takes too)."""
    return _const(jnp.asarray(x), value)
