"""NumPy's sorting over lax.sort: sort, argsort, lexsort and searchsorted. The order is
lax.sort's (NaNs last, complex numbers by real then imaginary part); sorts are stable."""
import numpy as np

from mirax import dtypes, lax
from mirax.core import to_array, with_source

from ._indexing import take
from ._reductions import arraylike, sum
from ._util import canonicalize_axis
from ._ufuncs import isnan, logical_and, logical_or
from ._util import check_arraylike, promote_dtypes


def _check_kind_order(fn_name, kind, order):
    if kind is not None:
        raise TypeError(with_source(f"'kind' argument to {fn_name} is not supported. Use stable=True or "
                                    f"stable=False to specify sort stability."))
    if order is not None:
        raise TypeError(with_source(f"'order' argument to {fn_name} is not supported."))


def _along(a, axis):
    """a and the dimension to sort along (the flattened array's when axis is None)."""
    if axis is None:
        return lax.reshape(a, (a.aval.size,)), 0
    return a, canonicalize_axis(axis, a.aval.ndim)


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    _check_kind_order("sort", kind, order)
    a, dimension = _along(arraylike("sort", a), axis)
    result = lax.sort(a, dimension=dimension, is_stable=stable)
    return lax.rev(result, (dimension,)) if descending else result


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False, dtype=None):
    """The indices that sort `a` along `axis`; equal elements keep their order, also when
    `descending` (the reversed array is sorted, and its indices reversed back)."""
    _check_kind_order("argsort", kind, order)
    a, dimension = _along(arraylike("argsort", a), axis)
    index_dtype = dtypes.default_int_dtype() if dtype is None else dtypes.canonicalize_dtype(dtype)
    indices = lax.broadcasted_iota(index_dtype, a.aval.shape, dimension)
    if descending:
        a, indices = lax.rev(a, (dimension,)), lax.rev(indices, (dimension,))
    _, indices = lax.sort_key_val(a, indices, dimension=dimension, is_stable=stable)
    return lax.rev(indices, (dimension,)) if descending else indices


def lexsort(keys, axis=-1):
    """The indices that sort by the last key, ties broken by the one before, and so on."""
    keys = tuple(keys)
    if not keys:
        raise TypeError(with_source("need sequence of keys with len > 0 in lexsort"))
    check_arraylike("lexsort", *keys)
    keys = [to_array(k) for k in keys]
    shape = keys[0].aval.shape
    if any(k.aval.shape != shape for k in keys):
        raise ValueError(with_source("all keys need to be the same shape"))
    if not shape:
        return to_array(0, dtypes.default_int_dtype())
    dimension = canonicalize_axis(axis, len(shape))
    indices = lax.broadcasted_iota(dtypes.default_int_dtype(), shape, dimension)
    return lax.sort((*keys[::-1], indices), dimension=dimension, num_keys=len(keys))[-1]


def _sort_less(x, y):
    """x < y in lax.sort's order: NaN after every number; complex numbers by (real, imaginary)."""
    if dtypes.is_complex(x.aval.dtype):
        real_x, real_y = lax.real(x), lax.real(y)
        tie = logical_and(lax.bitwise_not(_sort_less(real_x, real_y)), lax.bitwise_not(_sort_less(real_y, real_x)))
        return logical_or(_sort_less(real_x, real_y), logical_and(tie, _sort_less(lax.imag(x), lax.imag(y))))
    less = lax.lt(x, y)
    if dtypes.is_float(x.aval.dtype):
        less = logical_or(less, logical_and(lax.bitwise_not(isnan(x)), isnan(y)))
    return less


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Where each of `v` would go in the sorted 1-D `a` to keep it sorted: the count of
    elements of `a` before it ('left': those less than it, 'right': those not greater).
    Every method compares all pairs, which is exact and cheap for the sizes NumPy code
    searches; the result is int32, as JAX's for arrays that fit."""
    check_arraylike("searchsorted", a, v, *(() if sorter is None else (sorter,)))
    if side not in ("left", "right"):
        raise ValueError(with_source(f"{side!r} is an invalid value for keyword 'side'. Expected one of "
                                     f"['left', 'right']"))
    if method not in ("scan", "scan_unrolled", "sort", "compare_all"):
        raise ValueError(with_source(f"invalid argument method={method!r}, expected one of "
                                     f"['scan', 'scan_unrolled', 'sort', 'compare_all']"))
    a, v = promote_dtypes(a, v)
    if a.aval.ndim != 1:
        raise ValueError(with_source("a should be 1-dimensional"))
    if sorter is not None:
        a = take(a, sorter)
    n = a.aval.shape[0]
    # a along a new last axis, against each element of v.
    a_rows = lax.broadcast_in_dim(a, v.aval.shape + (n,), (v.aval.ndim,))
    v_rows = lax.broadcast_in_dim(v, v.aval.shape + (n,), tuple(range(v.aval.ndim)))
    before = _sort_less(a_rows, v_rows) if side == "left" else lax.bitwise_not(_sort_less(v_rows, a_rows))
    return sum(before, axis=-1, dtype=np.int32)
