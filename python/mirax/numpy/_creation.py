"""Making arrays: from Python and NumPy values, filled, ranges, identity."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import Array, Tracer, to_array, with_source

from ._shape import stack
from ._util import broadcast_shapes, broadcast_to_shape, check_arraylike


def array(object, dtype=None, copy=True, ndmin=0):  # noqa: A002
    """An array from an array, scalar, or (nested) list/tuple of them."""
    if isinstance(object, (list, tuple)) and _contains_traced(object):
        result = stack([array(x, dtype) for x in object]) if object else array(np.array([]), dtype)
    elif isinstance(object, (Array, Tracer)):
        result = object if dtype is None else lax.convert_element_type(object, dtype)
    else:
        if dtype is not None and np.asarray(object).dtype.kind in "US":  # numbers as text, parsed as NumPy does
            object = np.asarray(object, dtypes.canonicalize_dtype(dtype))  # noqa: A001
        if isinstance(object, (list, tuple)):
            object = np.array([np.asarray(x) if isinstance(x, Array) else x for x in object])  # noqa: A001
            weak = False
        else:
            weak = dtype is None and isinstance(object, (int, float, complex)) and not isinstance(object, bool)
        result = to_array(object, dtype)
        if not weak and result.aval.weak_type:
            result = lax.convert_element_type(result, result.aval.dtype)
    if ndmin > result.aval.ndim:
        result = lax.broadcast_in_dim(result, (1,) * (ndmin - result.aval.ndim) + result.aval.shape,
                                      range(ndmin - result.aval.ndim, ndmin))
    return result


def _contains_traced(seq):
    return any(isinstance(x, Tracer) or (isinstance(x, (list, tuple)) and _contains_traced(x)) for x in seq)


def asarray(a, dtype=None, order=None, copy=None):
    return array(a, dtype=dtype, copy=False)


def full(shape, fill_value, dtype=None):
    shape = _shape_tuple(shape)
    fill = array(fill_value, dtype) if dtype is not None else to_array(fill_value)
    if dtype is None and isinstance(fill_value, (int, float, complex)) and not isinstance(fill_value, bool):
        fill = lax.convert_element_type(fill, fill.aval.dtype)  # full(..., 1.0) is strongly typed
    return broadcast_to_shape(fill, shape)


def zeros(shape, dtype=None):
    return full(shape, 0, dtypes.canonicalize_dtype(dtype or dtypes.default_float_dtype()))


def ones(shape, dtype=None):
    return full(shape, 1, dtypes.canonicalize_dtype(dtype or dtypes.default_float_dtype()))


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def full_like(a, fill_value, dtype=None, shape=None):
    """fill_value in a's shape and dtype (unless given); weakly typed like `a` when the
    dtype is a's, as JAX's."""
    a = to_array(a)
    out = full(a.aval.shape if shape is None else shape, fill_value, dtype or a.aval.dtype)
    return lax.convert_element_type(out, out.aval.dtype, dtype is None and a.aval.weak_type)


def zeros_like(a, dtype=None, shape=None):
    return full_like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None):
    return full_like(a, 1, dtype, shape)


empty_like = zeros_like


def _shape_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(with_source(f"shape must be a sequence of integers, got {shape!r}")) from None
    if any(s < 0 for s in shape):
        raise ValueError(with_source(f"negative dimensions are not allowed: {shape}"))
    return shape


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop); the bounds must be concrete, as in JAX."""
    for bound in (start, stop, step):
        if isinstance(bound, Tracer):
            raise TypeError(with_source("arange's bounds must be concrete values, got a traced value"))
    values = np.arange(*(None if b is None else np.asarray(b).item() for b in (start, stop, step)))  # arange(n, step=k)
    if dtype is None:
        dtype = dtypes.default_int_dtype() if values.dtype.kind in "iu" else dtypes.default_float_dtype()
    return array(values, dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from start to stop along a new `axis` (start and stop are
    scalars or arrays that broadcast together), computed as JAX's: start (1 - s) + stop s
    for s = i / div, stop itself appended when `endpoint`; integer dtypes take the floor."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(with_source(f"Number of samples, {num}, must be non-negative."))
    check_arraylike("linspace", start, stop)
    start, stop = to_array(start), to_array(stop)
    dtype = dtypes.canonicalize_dtype(dtype or dtypes.to_inexact_dtype(dtypes.result_type(start, stop)))
    compute = dtypes.to_inexact_dtype(dtype)
    shape = broadcast_shapes("linspace", start.aval.shape, stop.aval.shape)
    start, stop = (broadcast_to_shape(lax.convert_element_type(x, compute), shape) for x in (start, stop))
    axis = len(shape) + axis + 1 if axis < 0 else axis
    bounds_shape = shape[:axis] + (1,) + shape[axis:]
    bounds = [d for d in range(len(bounds_shape)) if d != axis]
    div = num - 1 if endpoint else num
    if num > 1:
        delta = lax.div(lax.sub(stop, start), lax.convert_element_type(div, compute))
        out_shape = shape[:axis] + (div,) + shape[axis:]
        real = dtypes.real_dtype(compute)
        step = lax.convert_element_type(
            lax.div(lax.broadcasted_iota(real, out_shape, axis), lax.convert_element_type(div, real)), compute)
        start_, stop_ = (lax.broadcast_in_dim(x, out_shape, bounds) for x in (start, stop))
        out = lax.add(lax.mul(start_, lax.sub(lax.convert_element_type(1, compute), step)), lax.mul(stop_, step))
        if endpoint:
            out = lax.concatenate([out, lax.broadcast_in_dim(stop, bounds_shape, bounds)], axis)
    elif num == 1:
        delta = lax.convert_element_type(np.nan, compute) if endpoint else lax.sub(stop, start)
        out = lax.broadcast_in_dim(start, bounds_shape, bounds)
    else:
        delta = lax.convert_element_type(np.nan, compute)
        out = lax.broadcast_in_dim(lax.convert_element_type(0, compute), shape[:axis] + (0,) + shape[axis:], ())
    if dtypes.is_integer(dtype) and not dtypes.is_integer(compute):
        out = lax.floor(out)
    out = lax.convert_element_type(out, dtype)
    return (out, delta) if retstep else out


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    dtype = dtypes.canonicalize_dtype(dtype or dtypes.default_float_dtype())
    rows = lax.broadcasted_iota(np.int32, (N, M), 0)
    cols = lax.broadcasted_iota(np.int32, (N, M), 1)
    return lax.convert_element_type(lax.eq(lax.add(rows, k), cols), dtype)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)
