"""jnp.convolve and jnp.correlate: 1-D convolutions built on lax.conv_general_dilated
as JAX builds them (jax/_src/numpy/lax_numpy.py `_conv`), so that values, dtypes and
errors match."""
import numpy as np

from mirax import lax

from ._reductions import user_dtype
from ._ufuncs import conj
from ._util import check_arraylike, promote_dtypes, promote_dtypes_inexact


def _conv(x, y, mode, op, precision, preferred_element_type):
    check_arraylike(op, x, y)
    if np.ndim(x) != 1 or np.ndim(y) != 1:
        raise ValueError(f"{op}() only support 1-dimensional inputs.")
    if preferred_element_type is None:  # NumPy's default for convolutions: inexact
        x, y = promote_dtypes_inexact(x, y)
    else:
        x, y = promote_dtypes(x, y)
    if x.aval.size == 0 or y.aval.size == 0:
        raise ValueError(f"{op}: inputs cannot be empty, got shapes {x.aval.shape} and {y.aval.shape}.")
    reverse = False
    if op == "correlate":
        y = conj(y)
        if x.aval.size < y.aval.size:
            x, y, reverse = y, x, True
    else:
        if x.aval.size < y.aval.size:
            x, y = y, x
        y = lax.rev(y, (0,))
    n = y.aval.size
    if mode == "valid":
        padding = [(0, 0)]
    elif mode == "same":
        padding = [(n // 2, n - n // 2 - 1)]
    elif mode == "full":
        padding = [(n - 1, n - 1)]
    else:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    result = lax.conv_general_dilated(x[None, None, :], y[None, None, :], (1,), padding, precision=precision,
                                      preferred_element_type=user_dtype(preferred_element_type))[0, 0]
    return lax.rev(result, (0,)) if reverse else result


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """The discrete convolution of two 1-D arrays."""
    return _conv(a, v, mode, "convolve", precision, preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """The cross-correlation of two 1-D arrays (v conjugated)."""
    return _conv(a, v, mode, "correlate", precision, preferred_element_type)
