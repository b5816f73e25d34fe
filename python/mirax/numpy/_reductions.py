"""NumPy's reductions over lax: sums, products, extrema, logical reductions, means and
variances, arg-extrema, cumulative sums and products, their NaN-ignoring variants,
median and diff, with JAX's dtype rules (sums of small integers promote to the
default integer, means of integers are floats, half floats accumulate in float32).
"""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import jitted_in_jax, replayed, to_array, with_source

from ._ufuncs import equal, isclose, isnan, logical_and, logical_or, not_equal, subtract, where as _where
from ._util import (
    broadcast_to_shape, canonicalize_axes, canonicalize_axis, check_arraylike, promote_dtypes, promote_dtypes_inexact,
)

# ----------------------------------------------------------------------------- arguments


def arraylike(fn_name, x):
    check_arraylike(fn_name, x)
    return to_array(x)


def user_dtype(dtype):
    return None if dtype is None else dtypes.canonicalize_dtype(dtype)


def _check_out(fn_name, out):
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{fn_name} is not supported.")


def _check_where(fn_name, where):
    if where is None:
        return None
    where = arraylike(fn_name, where)
    if where.aval.dtype != np.bool_:
        raise ValueError(with_source(f"jnp.{fn_name}: where must be None or a boolean array; "
                                     f"got where.dtype={where.aval.dtype}."))
    return where


def _promote_integer_dtype(dtype):
    """bool and integers narrower than the default integer widen to it (sum, prod)."""
    if dtype == np.bool_:
        return dtypes.default_int_dtype()
    if dtypes.is_integer(dtype):
        default = dtypes.default_uint_dtype() if dtypes.is_unsigned(dtype) else dtypes.default_int_dtype()
        return default if dtype.itemsize < default.itemsize else dtype
    return dtype


def _upcast_f16(dtype):
    return np.dtype(np.float32) if dtype in (np.float16, dtypes.bfloat16) else dtype


def _reduced_size(shape, axes):
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


# ----------------------------------------------------------------------------- the reductions

# monoid: (lax reduction, its binary operation, the value that masked-out elements take)
_MONOIDS = {
    "sum": (lax.reduce_sum, lax.add, 0),
    "prod": (lax.reduce_prod, lax.mul, 1),
    "max": (lax.reduce_max, lax.max, -np.inf),
    "min": (lax.reduce_min, lax.min, np.inf),
    "and": (lax.reduce_and, lax.bitwise_and, True),
    "or": (lax.reduce_or, lax.bitwise_or, False),
}
# On bools, sums and maxima are `or`, products and minima `and`.
_BOOL_MONOIDS = {"sum": "or", "prod": "and", "max": "or", "min": "and"}


def _fill_value(value, dtype):
    """A monoid's fill value in `dtype`: infinities become the extreme integers."""
    if dtype == np.bool_:
        return np.asarray(value > 0)
    if dtypes.is_integer(dtype) and np.isinf(value):
        info = np.iinfo(dtype)
        return np.asarray(info.min if value < 0 else info.max, dtype)
    return np.asarray(value, dtype)


def _reduction(fn_name, monoid, a, axis, dtype, out, keepdims, initial, where, *, has_identity=True, preproc=None,
               promote_integers=False, upcast_f16=False):
    """JAX's _reduction: the monoid folded over `axis` (optionally from `initial`, over the
    elements where `where`), computed in `dtype` (default: a's, small integers promoted
    if `promote_integers`; float16 accumulated in float32 if `upcast_f16`)."""
    _check_out(fn_name, out)
    a = arraylike(fn_name, a)
    where = _check_where(fn_name, where)
    if initial is None and not has_identity and where is not None:
        raise ValueError(with_source(f"reduction operation {fn_name} does not have an identity, so to use a "
                                     f"where mask one has to specify 'initial'"))
    if preproc is not None:
        a = preproc(a)
    axes = canonicalize_axes(axis, a.aval.ndim)
    if initial is None and not has_identity and _reduced_size(a.aval.shape, axes) == 0:
        raise ValueError(with_source(f"zero-size array to reduction operation {fn_name} which has no identity"))
    if dtype is not None:
        result_dtype = user_dtype(dtype)
    else:
        result_dtype = _promote_integer_dtype(a.aval.dtype) if promote_integers else a.aval.dtype
    computation_dtype = _upcast_f16(result_dtype) if upcast_f16 else result_dtype
    a = lax.convert_element_type(a, computation_dtype)
    if computation_dtype == np.bool_:
        monoid = _BOOL_MONOIDS.get(monoid, monoid)
    reduce, combine, fill = _MONOIDS[monoid]
    if where is not None:
        a = _where(where, a, _fill_value(fill, computation_dtype))
    result = reduce(a, axes) if axes else a
    if initial is not None:
        initial = lax.convert_element_type(arraylike(fn_name, initial), computation_dtype)
        if initial.aval.shape != ():
            raise ValueError(with_source(f"initial value must be a scalar. Got array of shape {initial.aval.shape}"))
        result = combine(initial, result)
    if keepdims:
        result = lax.expand_dims(result, axes)
    return lax.convert_element_type(result, result_dtype)


def _to_numeric(a):
    """bool -> the default integer (what sums and products of bools count in)."""
    return lax.convert_element_type(a, dtypes.default_int_dtype()) if a.aval.dtype == np.bool_ else a


def _to_bool(a):
    if dtypes.is_complex(a.aval.dtype):
        a = lax.real(a)
    return lax.convert_element_type(a, np.bool_)


@replayed
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,  # noqa: A001
        promote_integers=True):
    return _reduction("sum", "sum", a, axis, dtype, out, keepdims, initial, where, preproc=_to_numeric,
                      promote_integers=promote_integers, upcast_f16=dtype is None)


@replayed
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, promote_integers=True):
    return _reduction("prod", "prod", a, axis, dtype, out, keepdims, initial, where, preproc=_to_numeric,
                      promote_integers=promote_integers, upcast_f16=dtype is None)


@replayed
def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
    return _reduction("max", "max", a, axis, None, out, keepdims, initial, where, has_identity=False)


@replayed
def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
    return _reduction("min", "min", a, axis, None, out, keepdims, initial, where, has_identity=False)


amax, amin = max, min


def all(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
    return _reduction("all", "and", a, axis, None, out, keepdims, None, where, preproc=_to_bool)


def any(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
    return _reduction("any", "or", a, axis, None, out, keepdims, None, where, preproc=_to_bool)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    a1, a2 = to_array(a1), to_array(a2)
    if a1.aval.shape != a2.aval.shape:
        return to_array(False)
    same = equal(a1, a2)
    if equal_nan:
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return all(same)


def count_nonzero(a, axis=None, keepdims=False):
    a = arraylike("count_nonzero", a)
    return sum(not_equal(a, 0), axis=axis, dtype=dtypes.default_int_dtype(), keepdims=keepdims)


@jitted_in_jax
def ptp(a, axis=None, out=None, keepdims=False):
    _check_out("ptp", out)
    return subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


# ----------------------------------------------------------------------------- means and variances


def _count(a, axes, keepdims, where, dtype):
    """How many elements each result averages: the reduced size, or the count of `where`."""
    if where is None:
        return to_array(np.asarray(_reduced_size(a.aval.shape, axes), dtype))
    return sum(broadcast_to_shape(where, a.aval.shape), axes, dtype=dtype, keepdims=keepdims)


@replayed
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    _check_out("mean", out)
    a = arraylike("mean", a)
    where = _check_where("mean", where)
    axes = canonicalize_axes(axis, a.aval.ndim)
    result_dtype = dtypes.to_inexact_dtype(a.aval.dtype) if dtype is None else user_dtype(dtype)
    computation_dtype = _upcast_f16(result_dtype) if dtype is None else result_dtype
    total = sum(a, axes, dtype=computation_dtype, keepdims=keepdims, where=where)
    count = _count(a, axes, keepdims, where, computation_dtype)
    return lax.convert_element_type(lax.div(total, count), result_dtype)


def _var_dtypes(a_dtype, dtype):
    """(computation dtype, result dtype) of var and std, as JAX's _var_promote_types."""
    if dtype is not None:
        if dtypes.is_complex(a_dtype) and not dtypes.is_complex(dtype):
            raise ValueError(with_source("jax.numpy.var does not yet support real dtype parameters when "
                                         "computing the variance of an array of complex values."))
        return _upcast_f16(dtype), dtype
    if not dtypes.is_float(a_dtype) and not dtypes.is_complex(a_dtype):
        inexact = dtypes.to_inexact_dtype(a_dtype)
        return _upcast_f16(inexact), inexact
    return _upcast_f16(a_dtype), dtypes.real_dtype(a_dtype)


@jitted_in_jax
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    _check_out("var", out)
    if correction is None:
        correction = ddof
    elif not isinstance(ddof, int) or ddof != 0:
        raise ValueError(with_source("ddof and correction can't be provided simultaneously."))
    a = arraylike("var", a)
    where = _check_where("var", where)
    axes = canonicalize_axes(axis, a.aval.ndim)
    computation_dtype, result_dtype = _var_dtypes(a.aval.dtype, user_dtype(dtype))
    a = lax.convert_element_type(a, computation_dtype)
    centered = lax.sub(a, broadcast_to_shape(mean(a, axes, computation_dtype, keepdims=True, where=where),
                                             a.aval.shape))
    if dtypes.is_complex(computation_dtype):
        centered = lax.real(lax.mul(centered, lax.conj(centered)))
        computation_dtype = centered.aval.dtype
    else:
        centered = lax.mul(centered, centered)
    total = sum(centered, axes, dtype=computation_dtype, keepdims=keepdims, where=where)
    count = _count(a, axes, keepdims, where, computation_dtype)
    normalizer = lax.sub(count, to_array(correction, computation_dtype))
    result = lax.convert_element_type(lax.div(total, normalizer), result_dtype)
    return _where(lax.gt(normalizer, 0), result, np.nan)


@jitted_in_jax
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    _check_out("std", out)
    if dtype is not None and not dtypes.is_float(user_dtype(dtype)) and not dtypes.is_complex(user_dtype(dtype)):
        raise ValueError(with_source(f"dtype argument to jnp.std must be inexact; got {dtype}"))
    return lax.sqrt(var(a, axis, dtype, None, ddof, keepdims, where=where, correction=correction))


@jitted_in_jax
def average(a, axis=None, weights=None, returned=False, keepdims=False):
    if weights is None:
        (a,) = promote_dtypes_inexact(arraylike("average", a))
        axes = canonicalize_axes(axis, a.aval.ndim)
        avg = mean(a, axes, keepdims=keepdims)
        weights_sum = _count(a, axes, keepdims, None, avg.aval.dtype)
    else:
        check_arraylike("average", a, weights)
        a, weights = promote_dtypes_inexact(a, weights)
        axes = canonicalize_axes(axis, a.aval.ndim)
        if a.aval.shape != weights.aval.shape:
            if axis is None:
                raise ValueError(with_source("Axis must be specified when shapes of a and weights differ."))
            given = [canonicalize_axis(d, a.aval.ndim) for d in (axis if isinstance(axis, (tuple, list)) else [axis])]
            if weights.aval.shape != tuple(a.aval.shape[d] for d in given):
                raise ValueError(with_source("Shape of weights must be consistent with shape of a along specified "
                                             "axis."))
            # weights[i, j] weighs the elements at index (i, j) of the axes in the order given.
            weights = lax.broadcast_in_dim(lax.transpose(weights, np.argsort(given)), a.aval.shape, axes)
        weights_sum = sum(weights, axes, keepdims=keepdims)
        avg = lax.div(sum(lax.mul(a, weights), axes, keepdims=keepdims), weights_sum)
    if returned:
        return avg, broadcast_to_shape(weights_sum, avg.aval.shape)
    return avg


# ----------------------------------------------------------------------------- NaN-ignoring reductions


def _nan_reduction(fn_name, reduction, fill, a, nan_if_all_nan, axis, keepdims, where, **kwargs):
    """`reduction` with NaNs replaced by `fill`; NaN where every element was NaN if `nan_if_all_nan`."""
    a = arraylike(fn_name, a)
    if not dtypes.is_float(a.aval.dtype) and not dtypes.is_complex(a.aval.dtype):
        return reduction(a, axis=axis, keepdims=keepdims, where=where, **kwargs)
    nan = isnan(a)
    result = reduction(_where(nan, _fill_value(fill, a.aval.dtype), a), axis=axis, keepdims=keepdims, where=where,
                       **kwargs)
    if nan_if_all_nan:
        return _where(all(nan, axis=axis, keepdims=keepdims), np.nan, result)
    return result


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _check_out("nansum", out)
    return _nan_reduction("nansum", sum, 0, a, False, axis, keepdims, where, dtype=dtype, initial=initial)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _check_out("nanprod", out)
    return _nan_reduction("nanprod", prod, 1, a, False, axis, keepdims, where, dtype=dtype, initial=initial)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    _check_out("nanmax", out)
    return _nan_reduction("nanmax", max, -np.inf, a, True, axis, keepdims, where, initial=initial)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    _check_out("nanmin", out)
    return _nan_reduction("nanmin", min, np.inf, a, True, axis, keepdims, where, initial=initial)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    _check_out("nanmean", out)
    a = arraylike("nanmean", a)
    if not dtypes.is_float(a.aval.dtype) and not dtypes.is_complex(a.aval.dtype):
        return mean(a, axis, dtype, keepdims=keepdims, where=where)
    dtype = dtypes.to_inexact_dtype(a.aval.dtype) if dtype is None else user_dtype(dtype)
    count = sum(lax.bitwise_not(isnan(a)), axis, dtype=dtype, keepdims=keepdims, where=where)
    return lax.div(nansum(a, axis, dtype=dtype, keepdims=keepdims, where=where), count)


# ----------------------------------------------------------------------------- arg-extrema


def _arg_extremum(fn_name, lax_fn, a, axis, out, keepdims):
    _check_out(fn_name, out)
    a = arraylike(fn_name, a)
    if axis is None:
        dims = tuple(range(a.aval.ndim))
        a, axis = lax.reshape(a, (a.aval.size,)), 0
    else:
        axis = canonicalize_axis(axis, a.aval.ndim)
        dims = (axis,)
    if a.aval.shape[axis] == 0:
        raise ValueError(with_source(f"attempt to get {fn_name} of an empty sequence"))
    result = lax_fn(a, axis, dtypes.default_int_dtype())
    return lax.expand_dims(result, dims) if keepdims else result


def argmax(a, axis=None, out=None, keepdims=None):
    return _arg_extremum("argmax", lax.argmax, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, keepdims=None):
    return _arg_extremum("argmin", lax.argmin, a, axis, out, keepdims)


# ----------------------------------------------------------------------------- cumulative reductions


def _cumulative(fn_name, lax_fn, a, axis, dtype, out, promote_integers=False, nan_fill=None):
    """JAX's _cumulative_reduction: over the flattened array when `axis` is None; bools
    count as integers; a bool `dtype` accumulates in the default integer."""
    _check_out(fn_name, out)
    a = arraylike(fn_name, a)
    if axis is None or a.aval.ndim == 0:
        a = lax.reshape(a, (a.aval.size,))
        axis = 0 if axis is None else axis
    axis = canonicalize_axis(axis, a.aval.ndim)
    if nan_fill is not None and (dtypes.is_float(a.aval.dtype) or dtypes.is_complex(a.aval.dtype)):
        a = _where(isnan(a), _fill_value(nan_fill, a.aval.dtype), a)
    if dtype is None:
        result_dtype = _promote_integer_dtype(a.aval.dtype) if promote_integers or a.aval.dtype == np.bool_ \
            else a.aval.dtype
        computation_dtype = result_dtype
    else:
        result_dtype = user_dtype(dtype)
        if result_dtype == np.bool_ and a.aval.dtype != np.bool_:
            a = not_equal(a, 0)
        computation_dtype = _promote_integer_dtype(result_dtype)
    result = lax_fn(lax.convert_element_type(a, computation_dtype), axis)
    return lax.convert_element_type(result, result_dtype)


@jitted_in_jax
def cumsum(a, axis=None, dtype=None, out=None):
    return _cumulative("cumsum", lax.cumsum, a, axis, dtype, out)


@jitted_in_jax
def cumprod(a, axis=None, dtype=None, out=None):
    return _cumulative("cumprod", lax.cumprod, a, axis, dtype, out)


def nancumsum(a, axis=None, dtype=None, out=None):
    return _cumulative("nancumsum", lax.cumsum, a, axis, dtype, out, nan_fill=0)


def nancumprod(a, axis=None, dtype=None, out=None):
    return _cumulative("nancumprod", lax.cumprod, a, axis, dtype, out, nan_fill=1)


def _cumulative_array_api(fn_name, lax_fn, identity, x, axis, dtype, include_initial, promote_integers):
    """The Array API's cumulative_sum/prod: `axis` needed beyond 1-D; with
    `include_initial`, the identity first."""
    x = arraylike(fn_name, x)
    if x.aval.ndim == 0:
        raise ValueError(with_source(f"The input must be non-scalar to take a {fn_name.replace('_', ' ')}, however a "
                                     f"scalar value or scalar array was given."))
    if axis is None:
        if x.aval.ndim > 1:
            raise ValueError(with_source(f"The input array has rank {x.aval.ndim}, however axis was not set to an "
                                         f"explicit value. The axis argument is only optional for one-dimensional "
                                         f"arrays."))
        axis = 0
    axis = canonicalize_axis(axis, x.aval.ndim)
    result = _cumulative(fn_name, lax_fn, x, axis, dtype, None, promote_integers=promote_integers)
    if include_initial:
        shape = list(x.aval.shape)
        shape[axis] = 1
        first = broadcast_to_shape(to_array(identity, result.aval.dtype), shape)
        result = lax.concatenate([first, result], axis)
    return result


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative_array_api("cumulative_sum", lax.cumsum, 0, x, axis, dtype, include_initial, True)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    # JAX promotes small integers in cumulative_sum, not in cumulative_prod.
    return _cumulative_array_api("cumulative_prod", lax.cumprod, 1, x, axis, dtype, include_initial, False)


# ----------------------------------------------------------------------------- order statistics, differences


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle element (mean of the two middle ones) along `axis`, by sorting; NaN if any is NaN."""
    _check_out("median", out)
    (a,) = promote_dtypes_inexact(arraylike("median", a))
    if dtypes.is_complex(a.aval.dtype):
        raise ValueError(with_source("quantile does not support complex input, as the operation is poorly defined."))
    shape = a.aval.shape
    axes = canonicalize_axes(axis, a.aval.ndim)
    kept = tuple(d for d in range(len(shape)) if d not in axes)
    n = _reduced_size(shape, axes)
    if n == 0:
        raise ValueError(with_source("median of an empty axis is not supported"))
    # The reduced axes last, flattened into one: rows of n elements.
    rows = lax.reshape(a, tuple(shape[d] for d in kept) + (n,), kept + axes)
    last = len(kept)
    ordered = lax.sort(rows, dimension=last)
    low = lax.slice_in_dim(ordered, (n - 1) // 2, (n - 1) // 2 + 1, axis=last)
    high = lax.slice_in_dim(ordered, n // 2, n // 2 + 1, axis=last)
    result = lax.mul(lax.add(low, high), 0.5)
    result = _where(any(isnan(rows), axis=last, keepdims=True), np.nan, result)
    # JAX keeps a 0-d input's reduced axis as (1,): its quantile flattens first.
    out_shape = (tuple(1 if d in axes else s for d, s in enumerate(shape)) or (1,)) if keepdims \
        else tuple(shape[d] for d in kept)
    return lax.reshape(result, out_shape)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The n-th discrete difference along `axis` (for bools: whether neighbours differ)."""
    a = arraylike("diff", a)
    n, axis = operator.index(n), operator.index(axis)
    if n == 0:
        return a
    if n < 0:
        raise ValueError(with_source(f"order must be non-negative but got {n}"))
    if a.aval.ndim == 0:
        raise ValueError(with_source(f"diff requires input that is at least one dimensional; got {a}"))
    axis = canonicalize_axis(axis, a.aval.ndim)
    parts = [arraylike("diff", x) for x in (prepend, a, append) if x is not None]
    if len(parts) > 1:
        edge_shape = tuple(1 if d == axis else s for d, s in enumerate(a.aval.shape))
        parts = promote_dtypes(*(broadcast_to_shape(x, edge_shape) if x.aval.ndim == 0 else x for x in parts))
        a = lax.concatenate(parts, axis)
    op = not_equal if a.aval.dtype == np.bool_ else subtract
    for _ in range(n):
        size = a.aval.shape[axis]
        shift = int(size > 0)  # an empty axis stays empty
        a = op(lax.slice_in_dim(a, shift, size, axis=axis), lax.slice_in_dim(a, 0, size - shift, axis=axis))
    return a
