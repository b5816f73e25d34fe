"""Window functions (Bartlett, Blackman, Hamming, Hanning, Kaiser) with JAX's formulas,
in the default float dtype."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import with_source

from . import _ufuncs as ufuncs
from ._elementwise import i0


def _window(fn_name, formula):
    def fn(M):  # noqa: N803 (NumPy's parameter name)
        M = operator.index(M)  # noqa: N806
        dtype = dtypes.default_float_dtype()
        if M < 0:  # JAX's lax.full refuses the shape
            raise TypeError(with_source(f"broadcast_in_dim shape must have every element be nonnegative, got {(M,)}."))
        if M <= 1:
            return lax.broadcast_in_dim(lax.convert_element_type(1, dtype), (M,), ())
        return formula(lax.iota(dtype, M), M)

    fn.__name__ = fn.__qualname__ = fn_name
    return fn


bartlett = _window("bartlett", lambda n, M: 1 - ufuncs.abs(2 * n + 1 - M) / (M - 1))
blackman = _window("blackman", lambda n, M: 0.42 - 0.5 * ufuncs.cos(2 * np.pi * n / (M - 1))
                   + 0.08 * ufuncs.cos(4 * np.pi * n / (M - 1)))
hamming = _window("hamming", lambda n, M: 0.54 - 0.46 * ufuncs.cos(2 * np.pi * n / (M - 1)))
hanning = _window("hanning", lambda n, M: 0.5 * (1 - ufuncs.cos(2 * np.pi * n / (M - 1))))



def kaiser(M, beta):  # noqa: N803 (NumPy's parameter name)
    M = operator.index(M)  # noqa: N806
    dtype = dtypes.default_float_dtype()
    if M < 0:
        raise TypeError(with_source(f"broadcast_in_dim shape must have every element be nonnegative, got {(M,)}."))
    if M <= 1:
        return lax.broadcast_in_dim(lax.convert_element_type(1, dtype), (M,), ())
    n = lax.iota(dtype, M)
    alpha = 0.5 * (M - 1)
    return i0(beta * ufuncs.sqrt(1 - ((n - alpha) / alpha) ** 2)) / i0(beta)


__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser"]
