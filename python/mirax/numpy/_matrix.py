"""NumPy's matrix helpers over lax: triangles (tri, tril, triu), diagonals (diag,
diagonal) and trace. Diagonals are static strided slices of the
flattened matrix, so they need no gather."""
import operator

import numpy as np

from mirax import lax
from mirax.core import to_array, with_source

from ._reductions import arraylike, sum, user_dtype
from ._util import canonicalize_axis
from ._util import broadcast_to_shape


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 (NumPy's parameter names)
    """An N x M array with ones at and below the k-th diagonal (float32 unless `dtype`)."""
    N, k = operator.index(N), operator.index(k)  # noqa: N806
    M = N if M is None else operator.index(M)  # noqa: N806
    rows = lax.broadcasted_iota(np.int32, (N, M), 0)
    columns = lax.broadcasted_iota(np.int32, (N, M), 1)
    below = lax.ge(lax.add(rows, np.int32(k)), columns)  # column <= row + k
    return lax.convert_element_type(below, np.float32 if dtype is None else user_dtype(dtype))


def _triangle(fn_name, m, k, lower):
    m = arraylike(fn_name, m)
    shape = m.aval.shape
    if len(shape) < 2:
        raise ValueError(with_source(f"Argument to jax.numpy.{fn_name} must be at least 2D"))
    # tril keeps column <= row + k; triu keeps column >= row + k, the complement of tri(k - 1).
    mask = broadcast_to_shape(tri(shape[-2], shape[-1], k if lower else k - 1, np.bool_), shape)
    return lax.select(mask, m, 0) if lower else lax.select(mask, 0, m)


def tril(m, k=0):
    return _triangle("tril", m, operator.index(k), lower=True)


def triu(m, k=0):
    return _triangle("triu", m, operator.index(k), lower=False)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The elements a[..., i, i + offset] of the matrices on axes (axis1, axis2), which
    the result replaces by a last axis."""
    a = arraylike("diagonal", a)
    if a.aval.ndim < 2:
        raise ValueError(with_source("diagonal requires an array of at least two dimensions."))
    return _diagonal(a, offset, axis1, axis2, empty_is_constant=True)


def _diagonal(a, offset, axis1, axis2, empty_is_constant):
    """diagonal, by slices. An empty diagonal is zeros independent of `a` where
    `empty_is_constant` (jnp.diagonal: JAX's gather of an empty result), else a slice of
    it (jnp.trace: JAX masks `a` with `where`, which keeps `a` a dependence)."""
    ndim = a.aval.ndim
    offset = operator.index(offset)
    axis1, axis2 = canonicalize_axis(axis1, ndim), canonicalize_axis(axis2, ndim)
    if axis1 == axis2:
        raise ValueError(with_source(f"axis1 and axis2 cannot be the same, got {axis1}"))
    batch = [d for d in range(ndim) if d not in (axis1, axis2)]
    a = lax.transpose(a, batch + [axis1, axis2])
    *batch_shape, rows, columns = a.aval.shape
    row0, column0 = min(max(-offset, 0), rows), min(max(offset, 0), columns)
    size = min(rows - row0, columns - column0)
    if empty_is_constant and (size == 0 or 0 in batch_shape):
        return lax.broadcast_in_dim(lax.convert_element_type(0, a.aval.dtype, a.aval.weak_type),
                                    (*batch_shape, size), ())
    # The size x size window that the diagonal crosses, flattened: the diagonal is every (size + 1)-th element.
    window = lax.slice(a, [0] * len(batch_shape) + [row0, column0],
                       batch_shape + [row0 + size, column0 + size])
    flat = lax.reshape(window, (*batch_shape, size * size))
    return lax.slice_in_dim(flat, 0, size * size, size + 1, axis=len(batch_shape))


def diag(v, k=0):
    """The k-th diagonal of a matrix, or a matrix with the vector v on its k-th diagonal."""
    v = arraylike("diag", v)
    k = operator.index(k)
    if v.aval.ndim == 2:
        return diagonal(v, k)
    if v.aval.ndim != 1:
        raise ValueError(with_source("diag input must be 1d or 2d"))
    n = v.aval.shape[0] + abs(k)
    zero = to_array(0, v.aval.dtype)
    # Row i holds padded[i] on the diagonal, padded being v shifted down by -k rows when k < 0.
    padded = lax.pad(v, zero, [(max(-k, 0), max(k, 0), 0)])
    rows = lax.broadcast_in_dim(padded, (n, n), (0,))
    on_diagonal = lax.eq(lax.broadcasted_iota(np.int32, (n, n), 1),
                         lax.add(lax.broadcasted_iota(np.int32, (n, n), 0), np.int32(k)))
    return lax.select(on_diagonal, rows, zero)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum of the diagonal (as jnp.sum: small integers and bools sum in the default integer)."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.trace is not supported.")
    return sum(_diagonal(arraylike("trace", a), offset, axis1, axis2, empty_is_constant=False), axis=-1, dtype=dtype)

