"""scipy.signal's direct convolutions over lax.conv_general_dilated, as
jax.scipy.signal builds them (jax/_src/scipy/signal.py): convolve, correlate,
convolve2d, correlate2d. fftconvolve (and method='fft') is not supported yet."""
import numpy as np

import mirax.numpy as jnp
from mirax import lax
from mirax.numpy._util import promote_dtypes_inexact

MODES = ("full", "same", "valid")


def _convolve_nd(in1, in2, mode, *, precision):
    if mode not in MODES:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 must have the same number of dimensions")
    if in1.size == 0 or in2.size == 0:
        raise ValueError(f"zero-size arrays not supported in convolutions, got shapes {in1.shape} and {in2.shape}.")
    in1, in2 = promote_dtypes_inexact(in1, in2)
    no_swap = all(s1 >= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    if not (no_swap or swap):
        raise ValueError("One input must be smaller than the other in every dimension.")
    shape_o = in2.shape
    if swap:
        in1, in2 = in2, in1
    shape = in2.shape
    in2 = jnp.flip(in2)
    if mode == "valid":
        padding = [(0, 0) for _ in shape]
    elif mode == "same":
        padding = [(s - 1 - (s_o - 1) // 2, s - s_o + (s_o - 1) // 2) for s, s_o in zip(shape, shape_o, strict=True)]
    else:
        padding = [(s - 1, s - 1) for s in shape]
    result = lax.conv_general_dilated(in1[None, None], in2[None, None], (1,) * len(shape), padding,
                                      precision=precision)
    return result[0, 0]


def _check_method(method):
    if method == "fft":
        raise NotImplementedError("method='fft' (fftconvolve) is not supported yet")
    if method not in ("direct", "auto"):
        raise ValueError(f"Got {method=}; expected 'auto', 'fft', or 'direct'.")


def convolve(in1, in2, mode="full", method="auto", precision=None):
    """The N-dimensional convolution of in1 and in2."""
    _check_method(method)
    return _convolve_nd(in1, in2, mode, precision=precision)


def correlate(in1, in2, mode="full", method="auto", precision=None):
    """The N-dimensional cross-correlation of in1 and in2 (in2 conjugated)."""
    _check_method(method)
    return _convolve_nd(in1, jnp.flip(jnp.conj(in2)), mode, precision=precision)


def _check_2d(name, in1, in2, boundary, fillvalue):
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError(f"{name}() only supports boundary='fill', fillvalue=0")
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError(f"{name}() only supports 2-dimensional inputs.")


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """The 2-D convolution of in1 and in2 (zero boundary only)."""
    _check_2d("convolve2d", in1, in2, boundary, fillvalue)
    return _convolve_nd(in1, in2, mode, precision=precision)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """The 2-D cross-correlation of in1 and in2 (zero boundary only), as JAX's: which
    operand is flipped depends on the mode and which one is larger."""
    _check_2d("correlate2d", in1, in2, boundary, fillvalue)
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    same_shape = all(s1 == s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    if mode == "valid" and swap and not same_shape:
        return _convolve_nd(jnp.flip(in2), jnp.conj(in1), mode, precision=precision)
    if mode == "full" and swap:
        return jnp.conj(_convolve_nd(jnp.flip(in2), jnp.conj(in1), mode, precision=precision))
    return jnp.flip(_convolve_nd(jnp.flip(in1), jnp.conj(in2), mode, precision=precision))
