"""What mirax.numpy's functions share: argument checks, promotion and broadcasting."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import Array, Tracer, is_array, to_array, with_source


def check_arraylike(fn_name, *args):
    """JAX's rule: array functions take arrays and scalars, not lists or tuples."""
    for i, arg in enumerate(args):
        if not isinstance(arg, (Array, Tracer, np.ndarray, np.generic, bool, int, float, complex)):
            if hasattr(arg, "__jax_array__"):
                continue
            raise TypeError(f"{fn_name} requires ndarray or scalar arguments, got {type(arg)} at position {i}.")


def broadcast_shapes(fn_name, *shapes):
    """NumPy's broadcasting of shapes; TypeError naming every shape when they do not broadcast."""
    ndim = max((len(s) for s in shapes), default=0)
    result = []
    for axis in range(ndim):
        sizes = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise TypeError(with_source(
                f"{fn_name} got incompatible shapes for broadcasting: {', '.join(map(str, map(tuple, shapes)))}."))
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def broadcast_to_shape(x, shape):
    x = to_array(x)
    if x.aval.shape == tuple(shape):
        return x
    return lax.broadcast_in_dim(x, shape, tuple(range(len(shape) - x.aval.ndim, len(shape))))


def promote_dtypes(*args):
    """Arrays converted to their common dtype by JAX's promotion rules (weak types included).
    Python scalars become constants of that dtype directly."""
    # result_type's, with arrays' types read from their avals (sooner than inspecting them)
    dtype, weak = dtypes.promote_typed(tuple((x.aval.dtype, x.aval.weak_type) if is_array(x)
                                             else dtypes.dtype_and_weak_type(x) for x in args))
    return [
        x if is_array(x) and x.aval.dtype == dtype and x.aval.weak_type == weak  # (the common case, sooner)
        else lax.convert_element_type(to_array(x), dtype, weak) if is_array(x) or not _is_python_scalar(x)
        else Array(np.asarray(x, dtype=dtype), weak)
        for x in args
    ]


def _is_python_scalar(x):
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


def promote_dtypes_inexact(*args):
    """Like promote_dtypes, then integers and bools to the default float (true division, exp...)."""
    arrays = promote_dtypes(*args)
    dtype = arrays[0].aval.dtype if arrays else dtypes.default_float_dtype()
    inexact = dtypes.to_inexact_dtype(dtype)
    if inexact == dtype:  # (every array has it)
        return arrays
    return [lax.convert_element_type(x, inexact, x.aval.weak_type) for x in arrays]


def promote_dtypes_complex(*args):
    """Like promote_dtypes, then to the complex dtype of the result (JAX's promote_dtypes_complex)."""
    arrays = promote_dtypes(*args)
    dtype = arrays[0].aval.dtype if arrays else dtypes.default_float_dtype()
    complex_dtype = dtypes.complex_dtype(dtype)
    return [lax.convert_element_type(x, complex_dtype, x.aval.weak_type) for x in arrays]


def promote_dtypes_numeric(*args):
    """Like promote_dtypes, then bools to the default integer (JAX's promote_dtypes_numeric)."""
    arrays = promote_dtypes(*args)
    if not arrays or arrays[0].aval.dtype != np.bool_:
        return arrays
    return [lax.convert_element_type(x, dtypes.default_int_dtype(), x.aval.weak_type) for x in arrays]


def _broadcast(fn_name, arrays):
    """Arrays broadcast to their common shape."""
    shape = arrays[0].aval.shape
    for x in arrays:
        if x.aval.shape != shape:
            break
    else:  # one shape, each eager op's common case
        return arrays
    shape = broadcast_shapes(fn_name, *(x.aval.shape for x in arrays))
    return [broadcast_to_shape(x, shape) for x in arrays]


def promote_args_numeric(fn_name, *args):
    check_arraylike(fn_name, *args)
    return _broadcast(fn_name, promote_dtypes_numeric(*args))


def promote_args(fn_name, *args):
    """Checked, dtype-promoted and broadcast arrays for an elementwise function."""
    check_arraylike(fn_name, *args)
    return _broadcast(fn_name, promote_dtypes(*args))


def promote_args_inexact(fn_name, *args):
    check_arraylike(fn_name, *args)
    return _broadcast(fn_name, promote_dtypes_inexact(*args))


def promote_args_complex(fn_name, *args):
    check_arraylike(fn_name, *args)
    return _broadcast(fn_name, promote_dtypes_complex(*args))


def canonicalize_axis(axis, ndim):
    """A non-negative axis for `axis` in an array of `ndim` dimensions, as JAX checks it."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(with_source(f"axis {axis} is out of bounds for array of dimension {ndim}"))
    return axis % ndim


def canonicalize_axes(axis, ndim):
    """A sorted tuple of non-negative axes for `axis` (None means every axis)."""
    if axis is None:
        return tuple(range(ndim))
    given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(canonicalize_axis(a, ndim) for a in given)
    if len(set(axes)) != len(axes):
        raise ValueError(with_source(f"duplicate value in 'axis': {axis}"))
    return tuple(sorted(axes))
