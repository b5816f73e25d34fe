"""Statistics and numerical calculus by JAX's algorithms: covariance and correlation,
histograms and counting, interpolation, quantiles and the NaN-ignoring reductions that
_reductions lacks, differences, gradients, the trapezoid rule, the cross product."""
import builtins
import math
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import to_array, with_source

from . import _ufuncs as ufuncs
from ._concrete import concrete
from ._creation import array, asarray, full, linspace, ones_like, zeros, zeros_like
from ._dot import dot
from ._indexing import ix_
from ._manipulation import ravel_multi_index
from ._matrix import diag
from ._reductions import (_check_out, _check_where, _var_dtypes, all as _all, any as _any, argmax, argmin, average,
                          cumsum, diff, nanmean, ptp, sum as _sum, user_dtype)
from ._shape import atleast_2d, concatenate, moveaxis, ravel, reshape, transpose
from ._sorting import searchsorted
from ._util import canonicalize_axis, check_arraylike, promote_args_inexact, promote_dtypes, promote_dtypes_inexact


def _check_inexact(fn_name, dtype):
    if dtype is not None and not dtypes.issubdtype(dtype, np.inexact):
        raise ValueError(with_source(f"{fn_name}: dtype must be a subclass of float or complex; got dtype={dtype}"))


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None):
    """The covariance matrix of the variables (rows, or columns unless rowvar) of m and y."""
    if y is not None:
        m, y = promote_args_inexact("cov", m, y)
        if y.ndim > 2:
            raise ValueError(with_source("y has more than 2 dimensions"))
    else:
        (m,) = promote_args_inexact("cov", m)
    if m.ndim > 2:
        raise ValueError(with_source("m has more than 2 dimensions"))
    _check_inexact("cov", dtype)
    X = atleast_2d(m)  # noqa: N806 (NumPy's name)
    if not rowvar and m.ndim != 1:
        X = X.T  # noqa: N806
    if X.shape[0] == 0:
        return array([]).reshape(0, 0)
    if y is not None:
        y = atleast_2d(y)
        if not rowvar and y.shape[0] != 1:
            y = y.T
        X = concatenate((X, y), axis=0)  # noqa: N806
    if X.shape[1] == 0:
        return full(() if X.shape[0] == 1 else (X.shape[0], X.shape[0]), np.nan, dtype=X.dtype)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    w = None
    if fweights is not None:
        check_arraylike("cov", fweights)
        fweights = to_array(fweights)
        if fweights.ndim > 1:
            raise RuntimeError(with_source("cannot handle multidimensional fweights"))
        if fweights.shape[0] != X.shape[1]:
            raise RuntimeError(with_source("incompatible numbers of samples and fweights"))
        if not dtypes.is_integer(fweights.dtype):
            raise TypeError(with_source("fweights must be integer."))
        w = ufuncs.abs(fweights)
    if aweights is not None:
        check_arraylike("cov", aweights)
        aweights = to_array(aweights)
        if aweights.ndim > 1:
            raise RuntimeError(with_source("cannot handle multidimensional aweights"))
        if aweights.shape[0] != X.shape[1]:
            raise RuntimeError(with_source("incompatible numbers of samples and aweights"))
        aweights = ufuncs.abs(aweights)
        w = aweights if w is None else w * aweights
    if dtype is not None:
        X = X.astype(dtype)  # noqa: N806
        w = None if w is None else w.astype(dtype)
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum[0]
    if w is None:
        f = X.shape[1] - ddof
    elif ddof == 0:
        f = w_sum
    elif aweights is None:
        f = w_sum - ddof
    else:
        f = w_sum - ddof * _sum(w * aweights) / w_sum
    X = X - avg[:, None]  # noqa: N806
    X_T = X.T if w is None else (X * w).T  # noqa: N806
    return ufuncs.true_divide(dot(X, ufuncs.conj(X_T)), f).squeeze()


def corrcoef(x, y=None, rowvar=True, dtype=None):
    check_arraylike("corrcoef", x)
    _check_inexact("corrcoef", dtype)
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return ufuncs.divide(c, c)
    stddev = ufuncs.sqrt(ufuncs.real(diag(c))).astype(c.dtype)
    c = c / stddev[:, None] / stddev[None, :]
    real_part = ufuncs.clip(ufuncs.real(c), -1, 1)
    if dtypes.is_complex(c.dtype):
        return lax.complex(real_part, ufuncs.clip(ufuncs.imag(c), -1, 1))
    return real_part


def bincount(x, weights=None, minlength=0, *, length=None):
    """How often each value 0, 1, ... occurs in x (summing weights); `length` bins, which
    must be given where x is traced (values past it are dropped, negatives count as 0)."""
    check_arraylike("bincount", x)
    x = to_array(x)
    if x.dtype == np.bool_:
        x = lax.convert_element_type(x, np.int32)
    if not dtypes.is_integer(x.dtype):
        raise TypeError(with_source(f"x argument to bincount must have an integer type; got {x.dtype}"))
    if x.ndim != 1:
        raise ValueError(with_source("only 1-dimensional input supported."))
    minlength = operator.index(minlength)
    if length is None:
        values = concrete(x, "The error occurred because of argument 'x' of jnp.bincount. To avoid this error, pass "
                             "a static `length` argument.")
        length = max(minlength, values.size and int(max(0, values.max())) + 1)
    else:
        length = operator.index(length)
    if weights is None:
        weights = np.array(1, dtype=dtypes.default_int_dtype())
    elif np.shape(x) != np.shape(weights):
        raise ValueError(with_source(f"type of weights must match type of x. Got typeof(x)={x.aval.str_short()} and "
                                     f"typeof(weights)={to_array(weights).aval.str_short()}"))
    return zeros(length, dtypes.dtype(weights)).at[ufuncs.clip(x, 0)].add(weights, mode="drop")


def digitize(x, bins, right=False, *, method=None):
    check_arraylike("digitize", x, bins)
    bins_arr = to_array(bins)
    if bins_arr.ndim != 1:
        raise ValueError(with_source(f"digitize: bins must be a 1-dimensional array; got bins={bins}"))
    if bins_arr.shape[0] == 0:
        return zeros_like(x, dtype=np.int32)
    side = "left" if right else "right"
    kwds = {} if method is None else {"method": method}
    return ufuncs.where(bins_arr[-1] >= bins_arr[0], searchsorted(bins_arr, x, side=side, **kwds),
                        bins_arr.shape[0] - searchsorted(bins_arr[::-1], x, side=side, **kwds))


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    if isinstance(bins, str):
        raise NotImplementedError("string values for `bins` not implemented.")
    check_arraylike("histogram_bin_edges", a, bins)
    arr = asarray(a)
    dtype = dtypes.to_inexact_dtype(arr.dtype)
    if np.ndim(bins) == 1:
        return asarray(bins, dtype=dtype)
    bins_int = operator.index(bins)
    if range is None:
        range = [arr.min(), arr.max()]  # noqa: A001
    range = asarray(range, dtype=dtype)  # noqa: A001
    if np.shape(range) != (2,):
        raise ValueError(with_source(f"`range` must be either None or a sequence of scalars, got {range}"))
    degenerate = ptp(range) == 0
    low = ufuncs.where(degenerate, range[0] - 0.5, range[0])
    high = ufuncs.where(degenerate, range[1] + 0.5, range[1])
    return linspace(low, high, bins_int + 1, dtype=dtype)


def histogram(a, bins=10, range=None, weights=None, density=None):  # noqa: A002
    if weights is None:
        check_arraylike("histogram", a, bins)
        (a,) = promote_dtypes_inexact(a)
        weights = ones_like(a)
    else:
        check_arraylike("histogram", a, bins, weights)
        if np.shape(a) != np.shape(weights):
            raise ValueError(with_source("weights should have the same shape as a."))
        a, weights = promote_dtypes_inexact(a, weights)
    bin_edges = histogram_bin_edges(a, bins, range, weights)
    bin_idx = searchsorted(bin_edges, a, side="right")
    bin_idx = ufuncs.where(a == bin_edges[-1], bin_edges.size - 1, bin_idx)
    counts = zeros(bin_edges.size, weights.dtype).at[bin_idx].add(weights)[1:]
    if density:
        counts = counts / diff(bin_edges) / counts.sum()
    return counts, bin_edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
    check_arraylike("histogram2d", x, y)
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n not in (1, 2):
        bins = [asarray(bins), asarray(bins)]
    hist, edges = histogramdd(transpose(asarray([x, y])), bins, range, weights, density)
    return hist, edges[0], edges[1]


def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
    if weights is None:
        check_arraylike("histogramdd", sample)
        (sample,) = promote_dtypes_inexact(sample)
    else:
        check_arraylike("histogramdd", sample, weights)
        if np.shape(weights) != np.shape(sample)[:1]:
            raise ValueError(with_source("should have one weight for each sample."))
        sample, weights = promote_dtypes_inexact(sample, weights)
    n, d = sample.shape
    if range is not None and (len(range) != d or any(r is not None and np.shape(r)[0] != 2 for r in range)):
        raise ValueError(with_source(f"For sample.shape={(n, d)}, range must be a sequence of {d} pairs or Nones; got "
                                     f"range={range}"))
    try:
        bins_per_dimension = list(bins)
    except TypeError:
        bins_per_dimension = d * [bins]
    else:
        if len(bins_per_dimension) != d:
            raise ValueError(with_source("should be a bin for each dimension."))
    bin_idx_by_dim, bin_edges_by_dim = [], []
    for i in builtins.range(d):
        bin_edges = histogram_bin_edges(sample[:, i], bins_per_dimension[i], None if range is None else range[i],
                                        weights)
        bin_idx = searchsorted(bin_edges, sample[:, i], side="right")
        bin_idx_by_dim.append(ufuncs.where(sample[:, i] == bin_edges[-1], bin_idx - 1, bin_idx))
        bin_edges_by_dim.append(bin_edges)
    nbins = tuple(e.size + 1 for e in bin_edges_by_dim)
    xy = ravel_multi_index(tuple(bin_idx_by_dim), nbins, mode="clip")
    hist = reshape(bincount(xy, weights, length=math.prod(nbins)), nbins)[d * (slice(1, -1),)]
    if density:
        hist = hist.astype(sample.dtype)
        hist = hist / hist.sum()
        for norm in ix_(*(diff(e) for e in bin_edges_by_dim)):
            hist = hist / norm
    return hist, bin_edges_by_dim


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at x, as JAX's (xp increasing)."""
    check_arraylike("interp", x, xp, fp)
    if np.shape(xp) != np.shape(fp) or np.ndim(xp) != 1:
        raise ValueError(with_source("xp and fp must be one-dimensional arrays of equal size"))
    x, xp = promote_dtypes_inexact(x, xp)
    (fp,) = promote_dtypes_inexact(fp)
    extrapolate = {}
    for name, value in (("left", left), ("right", right)):
        if isinstance(value, str) and value != "extrapolate":
            raise ValueError(with_source(f"the only valid string value of `{name}` is 'extrapolate', but got: "
                                         f"{value!r}"))
        extrapolate[name] = isinstance(value, str)
    if dtypes.is_complex(x.dtype):
        raise ValueError(with_source("jnp.interp: complex x values not supported."))
    if period is not None:
        if np.ndim(period) != 0:
            raise ValueError(with_source(f"period must be a scalar; got {period}"))
        period = ufuncs.abs(period)
        x, xp = x % period, xp % period
        xp, fp = lax.sort((xp, fp), num_keys=1)
        xp = concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = concatenate([fp[-1:], fp, fp[:1]])
    i = ufuncs.clip(searchsorted(xp, x, side="right"), 1, xp.size - 1)
    df = fp[i] - fp[i - 1]
    dx = xp[i] - xp[i - 1]
    delta = x - xp[i - 1]
    dx0 = lax.abs(dx) <= np.spacing(np.finfo(xp.dtype).eps)  # no NaN gradients where dx is tiny
    f = ufuncs.where(dx0, fp[i - 1], fp[i - 1] + (delta / ufuncs.where(dx0, 1, dx)) * df)
    if not extrapolate["left"] and period is None:
        f = ufuncs.where(x < xp[0], fp[0] if left is None else left, f)
    if not extrapolate["right"] and period is None:
        f = ufuncs.where(x > xp[-1], fp[-1] if right is None else right, f)
    return f


def ediff1d(ary, to_end=None, to_begin=None):
    check_arraylike("ediff1d", ary)
    arr = ravel(ary)
    result = lax.sub(arr[1:], arr[:-1])
    if to_begin is not None:
        check_arraylike("ediff1d", to_begin)
        result = concatenate((ravel(asarray(to_begin).astype(arr.dtype)), result))
    if to_end is not None:
        check_arraylike("ediff1d", to_end)
        result = concatenate((result, ravel(asarray(to_end).astype(arr.dtype))))
    return result


def gradient(f, *varargs, axis=None, edge_order=None):
    """Second-order central differences inside, first-order ones at the edges, along
    each axis (spacings: scalars or coordinate arrays)."""
    if edge_order is not None:
        raise NotImplementedError("The 'edge_order' argument to jnp.gradient is not supported.")
    a, *spacing = promote_dtypes_inexact(f, *varargs)

    def along_axis(a, h, axis):
        def sliced(x, start, stop):
            return lax.slice_in_dim(x, start % x.shape[axis] if start is not None else 0,
                                    x.shape[axis] if stop is None else stop % x.shape[axis], axis=axis)

        upper_edge = sliced(a, 1, 2) - sliced(a, 0, 1)
        lower_edge = sliced(a, -1, None) - sliced(a, -2, -1)
        if h.ndim == 0:
            inner = (sliced(a, 2, None) - sliced(a, None, -2)) * 0.5 / h
            lower_edge, upper_edge = lower_edge / h, upper_edge / h
        elif h.ndim == 1:
            if h.size != a.shape[axis]:
                raise ValueError(with_source("Spacing arrays must have the same length as the dimension along which "
                                             "the gradient is calculated."))
            h = h.reshape([h.size if d == axis else 1 for d in range(a.ndim)])
            upper_edge = upper_edge / (sliced(h, 1, 2) - sliced(h, 0, 1))
            lower_edge = lower_edge / (sliced(h, -1, None) - sliced(h, -2, -1))
            dx1 = sliced(h, 1, -1) - sliced(h, 0, -2)
            dx2 = sliced(h, 2, None) - sliced(h, 1, -1)
            inner = (-dx2 / (dx1 * (dx1 + dx2)) * sliced(a, 0, -2) + (dx2 - dx1) / (dx1 * dx2) * sliced(a, 1, -1)
                     + dx1 / (dx2 * (dx1 + dx2)) * sliced(a, 2, None))
        else:
            raise ValueError(with_source("Spacing arrays must be 1D arrays or scalars."))
        return concatenate((upper_edge, inner, lower_edge), axis=axis)

    if axis is None:
        axes = tuple(range(a.ndim))
    else:
        axes = tuple(canonicalize_axis(i, a.ndim) for i in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if not axes:
        return []
    if min(s for i, s in enumerate(a.shape) if i in axes) < 2:
        raise ValueError(with_source("Shape of array too small to calculate a numerical gradient, at least 2 elements "
                                     "are required."))
    if not spacing:
        dx = [asarray(1.0)] * len(axes)
    elif len(spacing) == 1:
        dx = spacing * len(axes)
    elif len(spacing) == len(axes):
        dx = spacing
    else:
        raise TypeError(with_source(f"Invalid number of spacing arguments {len(spacing)} for axis={axis}"))
    grads = [along_axis(a, h, ax) for ax, h in zip(axes, dx, strict=True)]
    return grads[0] if len(axes) == 1 else grads


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of y (samples at x, or spaced dx) along axis by the trapezoid rule."""
    if x is None:
        check_arraylike("trapezoid", y)
        (y,) = promote_dtypes_inexact(y)
        dx = asarray(dx)
        if dx.ndim > 0:
            dx = moveaxis(lax.expand_dims(dx, tuple(range(y.ndim - dx.ndim))), axis, -1)
    else:
        check_arraylike("trapezoid", y, x)
        y, x = promote_dtypes_inexact(y, x)
        dx = diff(x) if x.ndim == 1 else moveaxis(diff(x, axis=axis), axis, -1)
    y = moveaxis(y, axis, -1)
    if dx.ndim == 0 or dx.shape[-1] == 1:
        dx_reduced = dx if dx.ndim == 0 else dx[..., 0]
        return dx_reduced * (y.sum(-1) - 0.5 * (y[..., 0] + y[..., -1]))
    return 0.5 * (dx * (y[..., 1:] + y[..., :-1])).sum(-1)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of (arrays of) 2- or 3-vectors."""
    check_arraylike("cross", a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(with_source("Dimension must be either 2 or 3 for cross product"))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    a0, a1 = a[..., 0], a[..., 1]
    a2 = a[..., 2] if a.shape[-1] == 3 else zeros_like(a0)
    b0, b1 = b[..., 0], b[..., 1]
    b2 = b[..., 2] if b.shape[-1] == 3 else zeros_like(b0)
    return moveaxis(array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0]), 0, axisc)


# ----------------------------------------------------------------------------- quantiles


def _quantile(a, q, axis, method, keepdims, squash_nans, weights):
    """JAX's _quantile: sort along the reduced axes and interpolate between the two
    neighbouring order statistics; NaN where a row has a NaN (unless squash_nans, which
    sorts NaNs last and counts only the others)."""
    if method not in ("linear", "lower", "higher", "midpoint", "nearest", "inverted_cdf"):
        raise ValueError(with_source("method can only be 'linear', 'lower', 'higher', 'midpoint', 'nearest' or "
                                     "'inverted_cdf'"))
    if method == "inverted_cdf" or weights is not None:
        raise NotImplementedError("quantile: method='inverted_cdf' and weights are not supported")
    (a,) = promote_dtypes_inexact(a)
    q = to_array(q)
    keepdim = []
    if dtypes.is_complex(a.dtype):
        raise ValueError(with_source("quantile does not support complex input, as the operation is poorly defined."))
    if axis is None:
        if keepdims:
            keepdim = [1] * a.ndim
        a, axis = ravel(a), 0
    elif isinstance(axis, tuple):
        keepdim = list(a.shape)
        nd = a.ndim
        axis = tuple(canonicalize_axis(ax, nd) for ax in axis)
        if len(set(axis)) != len(axis):
            raise ValueError(with_source("repeated axis"))
        for ax in axis:
            keepdim[ax] = 1
        keep = [d for d in range(nd) if d not in axis]
        a = lax.reshape(a, tuple(a.shape[d] for d in keep) + (math.prod(a.shape[d] for d in axis),), tuple(keep) + axis)
        axis = a.ndim - 1
    else:
        axis = canonicalize_axis(axis, a.ndim)
    q_shape, q_ndim = q.shape, q.ndim
    if q_ndim > 1:
        raise ValueError(with_source(f"q must be have rank <= 1, got shape {q.shape}"))
    a_shape = a.shape
    int_ = dtypes.default_int_dtype()
    if squash_nans:
        a = lax.sort(ufuncs.where(ufuncs.isnan(a), np.nan, a), dimension=axis)  # NaNs positive, so sorted last
        counts = _sum(lax.bitwise_not(ufuncs.isnan(a)), axis=axis, dtype=q.dtype, keepdims=keepdims)
        reduced_shape = counts.shape
        q = lax.expand_dims(q, tuple(range(q_ndim, len(reduced_shape) + q_ndim)))
        counts = lax.expand_dims(counts, tuple(range(q_ndim)))
        q = q * (counts - 1)
        low, high = lax.floor(q), lax.ceil(q)
        high_weight = lax.sub(q, low)
        low_weight = lax.sub(ufuncs._const(high_weight, 1), high_weight)
        low = lax.convert_element_type(ufuncs.maximum(ufuncs.minimum(low, counts - 1), 0), int_)
        high = lax.convert_element_type(ufuncs.maximum(ufuncs.minimum(high, counts - 1), 0), int_)
        out_shape = q_shape + reduced_shape
        index = [lax.broadcasted_iota(int_, out_shape, dim + q_ndim) for dim in range(len(reduced_shape))]
        if keepdims:
            index[axis] = low
        else:
            index.insert(axis, low)
        low_value = a[tuple(index)]
        index[axis] = high
        high_value = a[tuple(index)]
    else:
        a = lax.sort(ufuncs.where(_any(ufuncs.isnan(a), axis=axis, keepdims=True), np.nan, a), dimension=axis)
        n = lax.convert_element_type(a_shape[axis], q.dtype)
        q = lax.mul(q, n - 1)
        low, high = lax.floor(q), lax.ceil(q)
        high_weight = lax.sub(q, low)
        low_weight = lax.sub(ufuncs._const(high_weight, 1), high_weight)
        low = lax.convert_element_type(lax.clamp(ufuncs._const(low, 0), low, n - 1), int_)
        high = lax.convert_element_type(lax.clamp(ufuncs._const(high, 0), high, n - 1), int_)

        def take(i):  # the order statistics i: q's dimensions first, axis dropped unless keepdims
            out = moveaxis(a[(slice(None),) * axis + (i,)], range(axis, axis + q_ndim),
                           range(q_ndim))
            return lax.expand_dims(out, (q_ndim + axis,)) if keepdims else out

        low_value, high_value = take(low), take(high)
        if q_ndim == 1:
            low_weight = lax.broadcast_in_dim(low_weight, low_value.shape, (0,))
            high_weight = lax.broadcast_in_dim(high_weight, high_value.shape, (0,))
    if method == "linear":
        result = lax.add(lax.mul(low_value.astype(q.dtype), low_weight), lax.mul(high_value.astype(q.dtype),
                                                                                  high_weight))
    elif method == "lower":
        result = low_value
    elif method == "higher":
        result = high_value
    elif method == "nearest":
        result = lax.select(lax.le(high_weight, ufuncs._const(high_weight, 0.5)), low_value, high_value)
    else:
        result = lax.mul(lax.add(low_value, high_value), ufuncs._const(low_value, 0.5))
    if keepdims and keepdim:
        if q_ndim > 0:
            keepdim = [q_shape[0], *keepdim]
        result = result.reshape(keepdim)
    return lax.convert_element_type(result, a.dtype)


def _quantile_args(fn_name, a, q, out, overwrite_input, weights):
    check_arraylike(fn_name, a, q)
    if weights is not None:
        check_arraylike(fn_name, weights)
    if overwrite_input or out is not None:
        raise ValueError(with_source(f"jax.numpy.{fn_name} does not support overwrite_input=True or out != None"))


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None):
    _quantile_args("quantile", a, q, out, overwrite_input, weights)
    return _quantile(a, q, axis, method, keepdims, False, weights)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None):
    _quantile_args("nanquantile", a, q, out, overwrite_input, weights)
    return _quantile(a, q, axis, method, keepdims, True, weights)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None):
    _quantile_args("quantile", a, q, out, overwrite_input, weights)
    (q,) = promote_dtypes_inexact(q)
    return _quantile(a, q / 100, axis, method, keepdims, False, weights)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                  weights=None):
    _quantile_args("nanquantile", a, q, out, overwrite_input, weights)
    (q,) = promote_dtypes_inexact(q)
    return _quantile(a, q / 100, axis, method, keepdims, True, weights)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    check_arraylike("nanmedian", a)
    return nanquantile(a, 0.5, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims,
                       method="midpoint")


# ----------------------------------------------------------------------------- NaN-ignoring reductions


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    """The variance of the non-NaN elements; NaN where there are no more than ddof of them."""
    check_arraylike("nanvar", a)
    _check_out("nanvar", out)
    where = _check_where("nanvar", where)
    computation_dtype, dtype = _var_dtypes(to_array(a).dtype, user_dtype(dtype))
    a = to_array(a).astype(computation_dtype)
    if mean is None:
        mean = nanmean(a, axis, dtype=computation_dtype, keepdims=True, where=where)
    else:
        check_arraylike("nanvar", mean)
        mean = to_array(mean).astype(computation_dtype)
    centered = ufuncs.where(ufuncs.isnan(a), 0, a - mean)  # double-where: no NaN gradients
    if dtypes.is_complex(centered.dtype):
        centered = lax.real(lax.mul(centered, lax.conj(centered)))
    else:
        centered = lax.square(centered)
    normalizer = _sum(lax.bitwise_not(ufuncs.isnan(a)), axis=axis, keepdims=keepdims, where=where) - ddof
    normalizer_mask = lax.le(normalizer, ufuncs._const(normalizer, 0))
    result = ufuncs.where(normalizer_mask, np.nan, _sum(centered, axis, keepdims=keepdims, where=where))
    divisor = ufuncs.where(normalizer_mask, 1, normalizer)
    return lax.convert_element_type(lax.div(result, lax.convert_element_type(divisor, result.dtype)), dtype)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    check_arraylike("nanstd", a)
    _check_out("nanstd", out)
    return lax.sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where, mean=mean))


def _nan_arg_extremum(fn_name, arg_fn, fill, a, axis, out, keepdims):
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{fn_name} is not supported.")
    check_arraylike(fn_name, a)
    a = to_array(a)
    axis = None if axis is None else operator.index(axis)
    keepdims = bool(keepdims)
    if not (dtypes.is_float(a.dtype) or dtypes.is_complex(a.dtype)):
        return arg_fn(a, axis=axis, keepdims=keepdims)
    nan_mask = ufuncs.isnan(a)
    res = arg_fn(ufuncs.where(nan_mask, fill, a), axis=axis, keepdims=keepdims)
    return ufuncs.where(_all(nan_mask, axis=axis, keepdims=keepdims), -1, res)


def nanargmax(a, axis=None, out=None, keepdims=None):
    return _nan_arg_extremum("nanargmax", argmax, -np.inf, a, axis, out, keepdims)


def nanargmin(a, axis=None, out=None, keepdims=None):
    return _nan_arg_extremum("nanargmin", argmin, np.inf, a, axis, out, keepdims)


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """p with jumps larger than discont along axis replaced by their complement modulo period."""
    check_arraylike("unwrap", p)
    p, period = promote_dtypes(p, period)
    if dtypes.is_complex(p.dtype):
        raise ValueError(with_source("jnp.unwrap does not support complex inputs."))
    axis = canonicalize_axis(axis, p.ndim)
    if p.shape[axis] == 0:
        return p
    if discont is None:
        discont = period / 2
    interval = period // 2 if dtypes.is_integer(p.dtype) else period / 2
    dd = diff(p, axis=axis)
    ddmod = ufuncs.mod(dd + interval, period) - interval
    ddmod = ufuncs.where((ddmod == -interval) & (dd > 0), interval, ddmod)
    ph_correct = ufuncs.where(ufuncs.abs(dd) < discont, 0, ddmod - dd)
    return concatenate((lax.slice_in_dim(p, 0, 1, axis=axis),
                        lax.slice_in_dim(p, 1, p.shape[axis], axis=axis) + cumsum(ph_correct, axis=axis)), axis=axis)


__all__ = ["bincount", "corrcoef", "cov", "cross", "digitize", "ediff1d", "gradient", "histogram", "histogram2d",
           "histogram_bin_edges", "histogramdd", "interp", "nanargmax", "nanargmin", "nanmedian", "nanpercentile",
           "nanquantile", "nanstd", "nanvar", "percentile", "quantile", "trapezoid", "unwrap"]
