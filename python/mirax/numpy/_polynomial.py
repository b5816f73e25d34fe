"""Polynomials as coefficient arrays (highest power first), by JAX's algorithms. poly of
a square matrix (its eigenvalues), roots and polyfit need eig or lstsq, which mirax lacks."""
import operator

from mirax import lax
from mirax.core import to_array, with_source

from . import _ufuncs as ufuncs
from ._creation import arange, array, full, ones, zeros
from ._convolution import convolve
from ._manipulation import trim_zeros
from ._shape import atleast_1d, concatenate
from ._util import broadcast_shapes, check_arraylike, promote_dtypes, promote_dtypes_inexact


def poly(seq_of_zeros):
    """The coefficients of the monic polynomial with the given roots."""
    check_arraylike("poly", seq_of_zeros)
    (zs,) = promote_dtypes_inexact(seq_of_zeros)
    zs = atleast_1d(zs)
    if zs.ndim == 2 and zs.shape[0] == zs.shape[1] and zs.shape[0] != 0:
        raise NotImplementedError("poly of a square matrix (the eigenvalues, by eig) is not supported")
    if zs.ndim != 1:
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


__all__ = ["poly", "polyadd", "polyder", "polydiv", "polyint", "polymul", "polysub",
           "polyval", "vander"]
