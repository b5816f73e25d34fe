"""Polynomials as coefficient arrays (highest power first), by JAX's algorithms: roots as
the eigenvalues of the companion matrix, polyfit by least squares on the scaled
Vandermonde matrix."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import to_array, with_source

from . import _ufuncs as ufuncs, linalg
from ._concrete import concrete
from ._creation import arange, array, asarray, full, ones, zeros
from ._convolution import convolve
from ._dot import dot, outer
from ._manipulation import trim_zeros
from ._matrix import diag
from ._reductions import all as all_, argmin
from ._shape import atleast_1d, concatenate, roll
from ._util import broadcast_shapes, check_arraylike, promote_dtypes, promote_dtypes_inexact


def poly(seq_of_zeros):
    """The coefficients of the monic polynomial with the given roots."""
    check_arraylike("poly", seq_of_zeros)
    (zs,) = promote_dtypes_inexact(seq_of_zeros)
    zs = atleast_1d(zs)
    if zs.ndim == 2 and zs.shape[0] == zs.shape[1] and zs.shape[0] != 0:
        zs = linalg.eigvals(zs)  # the characteristic polynomial's
    elif zs.ndim != 1:
        raise ValueError(with_source("input must be 1d or non-empty square 2d array."))
    dt = zs.dtype
    if zs.size == 0:
        return ones((), dtype=dt)
    a = ones((1,), dtype=dt)
    for k in range(zs.size):
        a = convolve(a, array([1, -zs[k]], dtype=dt), mode="full")
    return a


def polyadd(a1, a2):
    check_arraylike("polyadd", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    if a2.shape[0] <= a1.shape[0]:
        return a1.at[-a2.shape[0]:].add(a2)
    return a2.at[-a1.shape[0]:].add(a1)


def polysub(a1, a2):
    check_arraylike("polysub", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    return polyadd(a1, -a2)


def polymul(a1, a2, *, trim_leading_zeros=False):
    check_arraylike("polymul", a1, a2)
    a1, a2 = promote_dtypes_inexact(a1, a2)
    if trim_leading_zeros and (a1.size > 1 or a2.size > 1):
        a1, a2 = trim_zeros(a1, trim="f"), trim_zeros(a2, trim="f")
    if a1.shape[0] == 0:
        a1 = zeros(1, dtype=a2.dtype)
    if a2.shape[0] == 0:
        a2 = zeros(1, dtype=a1.dtype)
    return convolve(a1, a2, mode="full")


def polyval(p, x, *, unroll=16):
    """p evaluated at x by Horner's rule (a scan over the coefficients)."""
    check_arraylike("polyval", p, x)
    p, x = promote_dtypes(p, x)
    shape = broadcast_shapes("polyval", p.shape[1:], x.shape)
    y = lax.broadcast_in_dim(lax.convert_element_type(0, x.dtype), shape, ())  # strong, as lax.full_like with a dtype
    return lax.scan(lambda y, c: (y * x + c, None), y, p, unroll=unroll)[0]


def polyder(p, m=1):
    check_arraylike("polyder", p)
    m = operator.index(m)
    (p,) = promote_dtypes_inexact(p)
    if m < 0:
        raise ValueError(with_source("Order of derivative must be positive"))
    if m == 0:
        return p
    coeff = (arange(m, p.shape[0], dtype=p.dtype)[None] - arange(m, dtype=p.dtype)[:, None]).prod(0)
    return p[:-m] * coeff[::-1]


def polyint(p, m=1, k=None):
    m = operator.index(m)
    k = 0 if k is None else k
    check_arraylike("polyint", p, k)
    p, k = promote_dtypes_inexact(p, k)
    if m < 0:
        raise ValueError(with_source("Order of integral must be positive (see polyder)"))
    k = atleast_1d(k)
    if k.shape[0] == 1:
        k = full((m,), k[0])
    if k.shape != (m,):
        raise ValueError(with_source("k must be a scalar or a rank-1 array of length 1 or m."))
    if m == 0:
        return p
    grid = arange(p.shape[0] + m, dtype=p.dtype)[None] - arange(m, dtype=p.dtype)[:, None]
    return ufuncs.true_divide(concatenate((p, k)), ufuncs.maximum(1, grid).prod(0)[::-1])


def polydiv(u, v, *, trim_leading_zeros=False):
    """The quotient and remainder of u / v, by long division."""
    check_arraylike("polydiv", u, v)
    u, v = promote_dtypes_inexact(u, v)
    if trim_leading_zeros:
        raise NotImplementedError("polydiv: trim_leading_zeros=True is not supported")
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = 1.0 / v[0]
    q = zeros(max(m - n + 1, 1), dtype=u.dtype)
    for k in range(m - n + 1):
        d = scale * u[k]
        q = q.at[k].set(d)
        u = u.at[k:k + n + 1].add(-d * v)
    return q, u


def _roots_no_zeros(p):
    """The eigenvalues of p's companion matrix (p[0] nonzero)."""
    if p.size < 2:
        return array([], dtype=dtypes.complex_dtype(p.dtype))
    companion = diag(ones((p.size - 2,), p.dtype), -1)
    return linalg.eigvals(companion.at[0, :].set(-p[1:] / p[0]))


def roots(p, *, strip_zeros=True):
    """The roots of p; with strip_zeros=False (under jit) NaN for each leading zero."""
    check_arraylike("roots", p)
    (p,) = promote_dtypes_inexact(p)
    p = atleast_1d(p)
    if p.ndim != 1:
        raise ValueError(with_source("Input must be a rank-1 array."))
    if p.size < 2:
        return array([], dtype=dtypes.complex_dtype(p.dtype))
    leading_zeros = ufuncs.where(all_(p == 0), len(p), argmin(p == 0))
    if strip_zeros:
        leading_zeros = int(concrete(leading_zeros, "The error occurred in the jnp.roots() function. To use this "
                                                    "within a JIT-compiled context, pass strip_zeros=False, but be "
                                                    "aware that leading zeros will result in some returned roots "
                                                    "being set to NaN."))
        return _roots_no_zeros(p[leading_zeros:])
    # The leading zeros rolled to the end (an all-zero p as ones), their roots (zeros)
    # sorted last and set to NaN.
    p = ufuncs.where(len(p) == leading_zeros, 1.0, p)
    found = _roots_no_zeros(roll(p, -leading_zeros))
    found = lax.sort_key_val(found == 0, found)[1]
    return ufuncs.where(arange(found.size) < found.size - leading_zeros, found, complex(np.nan, np.nan))


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):  # noqa: A002 (NumPy's name)
    """The least-squares polynomial of degree `deg` through (x, y), as JAX's: the
    Vandermonde matrix's columns scaled to unit norm, then lstsq."""
    check_arraylike("polyfit", x, y, *(() if w is None else (w,)))
    x, y = to_array(x), to_array(y)
    (x, y) = promote_dtypes_inexact(x, y)
    deg = int(concrete(deg, "deg must be int"))
    order = deg + 1
    if deg < 0:
        raise ValueError(with_source("expected deg >= 0"))
    if x.ndim != 1:
        raise TypeError(with_source("expected 1D vector for x"))
    if x.size == 0:
        raise TypeError(with_source("expected non-empty vector for x"))
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError(with_source("expected 1D or 2D array for y"))
    if x.shape[0] != y.shape[0]:
        raise TypeError(with_source("expected x and y to have same length"))
    if rcond is None:
        rcond = len(x) * float(dtypes.finfo(x.dtype).eps)
    rcond = float(concrete(rcond, "rcond must be float"))
    lhs, rhs = vander(x, order), y
    if w is not None:
        (w,) = promote_dtypes_inexact(w)
        if w.ndim != 1:
            raise TypeError(with_source("expected a 1-d array for weights"))
        if w.shape[0] != y.shape[0]:
            raise TypeError(with_source("expected w and y to have the same length"))
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if rhs.ndim == 2 else w)
    scale = ufuncs.sqrt((lhs * lhs).sum(axis=0))
    lhs = lhs / scale[None, :]
    c, resids, rank, s = linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale[None, :]).T if c.ndim > 1 else c / scale
    if full:
        return c, resids, rank, s, asarray(rcond)
    if not cov:
        return c
    base = linalg.inv(dot(lhs.T, lhs)) / outer(scale, scale)
    if cov == "unscaled":
        factor = array(1.0)
    else:
        if len(x) <= order:
            raise ValueError(with_source("the number of data points must exceed order to scale the covariance "
                                         "matrix"))
        factor = resids / (len(x) - order)
    if y.ndim == 1:
        return c, base * atleast_1d(factor)[None]
    return c, base[:, :, None] * atleast_1d(factor)[None, None, :]


def vander(x, N=None, increasing=False):  # noqa: N803 (NumPy's parameter name)
    check_arraylike("vander", x)
    x = to_array(x)
    if x.ndim != 1:
        raise ValueError(with_source("x must be a one-dimensional array"))
    N = x.shape[0] if N is None else operator.index(N)  # noqa: N806
    if N < 0:
        raise ValueError(with_source("N must be nonnegative"))
    iota = lax.iota(x.dtype, N)
    if not increasing:
        iota = lax.sub(lax.convert_element_type(N - 1, x.dtype), iota)
    return ufuncs.power(x[..., None], iota[None])


__all__ = ["poly", "polyadd", "polyder", "polydiv", "polyfit", "polyint", "polymul", "polysub",
           "polyval", "roots", "vander"]
