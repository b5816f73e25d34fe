"""The stacking functions: arrays brought to at least 1, 2 or 3 dimensions and joined
(vstack, hstack, dstack, column_stack). vstack still takes tuples and lists among its
arrays, converting them with jnp.array, as JAX once did."""
import warnings

import numpy as np

from mirax import lax
from mirax.core import is_array

from ._creation import array
from ._shape import _sequence, _user_stacklevel, atleast_1d, atleast_2d, atleast_3d, concatenate


def vstack(tup, dtype=None):
    if not (is_array(tup) or isinstance(tup, np.ndarray)):
        tup = _deprecated_sequence_args("vstack", tup)
    return concatenate([atleast_2d(x) for x in _sequence("vstack", tup)], 0, dtype)


def _deprecated_sequence_args(fn_name, arrays):
    """JAX once accepted tuples and lists among the arrays to join, converting them with
    jnp.array, and warned (once per call, about the first); the seeds rely on it
    (`jnp.vstack([vjp_fun(m) for m in M])`, vjp_fun returning 1-tuples)."""
    sequences = [i for i, x in enumerate(arrays) if isinstance(x, (tuple, list))]
    if sequences:
        warnings.warn(f"{fn_name} requires ndarray or scalar arguments, got {type(arrays[sequences[0]])} at position "
                      f"{sequences[0]}. In a future JAX release this will be an error.", DeprecationWarning,
                      stacklevel=_user_stacklevel())
    return [array(x) if isinstance(x, (tuple, list)) else x for x in arrays]


def hstack(tup, dtype=None):
    arrays = _sequence("hstack", tup)
    arrays = [atleast_1d(x) for x in arrays]
    return concatenate(arrays, 0 if arrays and arrays[0].aval.ndim == 1 else 1, dtype)


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(x) for x in _sequence("dstack", tup)], 2, dtype)


def column_stack(tup):
    arrays = _sequence("column_stack", tup)
    return concatenate([x if x.aval.ndim >= 2 else lax.reshape(x, (x.aval.size, 1)) for x in arrays], 1)
