"""The Python array API's names for NumPy functions (acos, concat, permute_dims, ...) and
its functions NumPy spells otherwise (astype, unstack, vecdot, matrix_transpose, isdtype)."""
import warnings

import numpy as np

from mirax import dtypes, lax
from mirax.core import to_array, with_source

from . import _ufuncs as ufuncs
from ._creation import array
from ._dot import matmul
from ._shape import concatenate, moveaxis
from ._util import canonicalize_axis, check_arraylike, promote_args_numeric

acos, asin, atan, atan2 = ufuncs.arccos, ufuncs.arcsin, ufuncs.arctan, ufuncs.arctan2
acosh, asinh, atanh = ufuncs.arccosh, ufuncs.arcsinh, ufuncs.arctanh


def bitwise_left_shift(x, y, /):
    return lax.shift_left(*promote_args_numeric("bitwise_left_shift", x, y))


bitwise_right_shift = ufuncs.right_shift


def concat(arrays, /, *, axis=0):
    check_arraylike("concat", *arrays)
    return concatenate(arrays, axis=axis)


def permute_dims(a, /, axes):
    check_arraylike("permute_dims", a)
    return lax.transpose(to_array(a), axes)


def matrix_transpose(x, /):
    check_arraylike("matrix_transpose", x)
    x = to_array(x)
    ndim = x.aval.ndim
    if ndim < 2:
        raise ValueError(with_source(f"x must be at least two-dimensional for matrix_transpose; got ndim={ndim}"))
    return lax.transpose(x, (*range(ndim - 2), ndim - 1, ndim - 2))


def astype(x, dtype, /, *, copy=False, device=None):
    """x converted to dtype (the default float for None); complex to bool is x != 0 and
    complex to real warns, as JAX's."""
    check_arraylike("astype", x)
    if device is not None:
        raise NotImplementedError("astype: the device argument is not supported")
    x = to_array(x)
    dtype = dtypes.canonicalize_dtype(dtypes.default_float_dtype() if dtype is None else dtype)
    if dtypes.is_complex(x.aval.dtype):
        if dtype == np.bool_:
            x = lax.ne(x, lax.convert_element_type(0, x.aval.dtype))
        elif not dtypes.is_complex(dtype):
            warnings.warn("Casting from complex to real dtypes will soon raise a ValueError. Please first use jnp.real "
                          "or jnp.imag to take the real/imaginary component of your input.", DeprecationWarning,
                          stacklevel=2)
    return lax.convert_element_type(x, dtype)


def copy(a, order=None):
    check_arraylike("copy", a)
    if order not in (None, "K", "C"):
        raise NotImplementedError(f"copy: order={order!r} is not supported")
    return array(a, copy=True)


def unstack(x, /, *, axis=0):
    check_arraylike("unstack", x)
    x = to_array(x)
    axis = canonicalize_axis(axis, x.aval.ndim)  # a 0-d x raises JAX's axis error
    return tuple(lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.aval.shape[axis]))


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """sum(conj(x1) * x2) along `axis`, the other dimensions broadcast (JAX's vectorized vdot)."""
    check_arraylike("jnp.vecdot", x1, x2)
    x1, x2 = to_array(x1), to_array(x2)
    if x1.aval.shape[axis] != x2.aval.shape[axis]:
        raise ValueError(with_source(f"axes must match; got shapes {x1.aval.shape} and {x2.aval.shape} with "
                                     f"axis={axis}"))
    x1, x2 = moveaxis(ufuncs.conj(x1), axis, -1), moveaxis(x2, axis, -1)
    out = matmul(x1[..., None, :], x2[..., :, None], precision=precision,
                 preferred_element_type=preferred_element_type)
    return out[..., 0, 0]


def matvec(x1, x2, /):
    check_arraylike("matvec", x1, x2)
    x1, x2 = to_array(x1), to_array(x2)
    _core_dims("matvec", x1, 2, x2, 1)
    return matmul(x1, x2[..., :, None])[..., 0]


def vecmat(x1, x2, /):
    check_arraylike("vecmat", x1, x2)
    x1, x2 = to_array(x1), to_array(x2)
    _core_dims("vecmat", x1, 1, x2, 2)
    return matmul(ufuncs.conj(x1)[..., None, :], x2)[..., 0, :]


def _core_dims(fn_name, x1, n1, x2, n2):
    for x, n in ((x1, n1), (x2, n2)):
        if x.aval.ndim < n:
            raise ValueError(with_source(f"{fn_name}: input with shape {x.aval.shape} does not have enough dimensions "
                                         f"for its core dimensions ({n})"))


_DTYPE_KINDS = {
    "bool": {np.dtype(np.bool_)},
    "signed integer": {np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)},
    "unsigned integer": {np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)},
    "real floating": {np.dtype(t) for t in (dtypes.bfloat16, np.float16, np.float32, np.float64)},
    "complex floating": {np.dtype(np.complex64), np.dtype(np.complex128)},
}
_DTYPE_KINDS["integral"] = _DTYPE_KINDS["signed integer"] | _DTYPE_KINDS["unsigned integer"]
_DTYPE_KINDS["numeric"] = _DTYPE_KINDS["integral"] | _DTYPE_KINDS["real floating"] | _DTYPE_KINDS["complex floating"]


def isdtype(dtype, kind):
    """Whether dtype is of `kind`: a dtype, one of the array API's kind names, or a tuple of them."""
    the_dtype = np.dtype(dtype)
    options = set()
    for k in kind if isinstance(kind, tuple) else (kind,):
        if isinstance(k, str) and k in _DTYPE_KINDS:
            options |= _DTYPE_KINDS[k]
            continue
        try:
            options.add(np.dtype(k))
        except TypeError as e:
            if isinstance(k, str):
                raise ValueError(f"Unrecognized kind={k!r} expected one of {list(_DTYPE_KINDS)}, or a compatible "
                                 "input for jnp.dtype()") from None
            raise TypeError(f"Expected kind to be a dtype, string, or tuple; got kind={k!r}") from e
    return the_dtype in options
