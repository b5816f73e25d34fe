"""scipy.linalg's special-matrix constructors over mirax arrays, as jax.scipy.linalg
builds them (same formulas, dtypes and errors)."""
import math
import operator
from functools import partial

import numpy as np

import mirax.numpy as jnp
from mirax import dtypes, lax
from mirax.core import with_source
from mirax.numpy._util import check_arraylike, promote_dtypes, promote_args_inexact
from mirax.scipy.special import comb


def block_diag(*arrs):
    """The arrays (at most 2-D, promoted to one dtype) on the diagonal of a zero matrix."""
    if not arrs:
        arrs = (jnp.zeros((1, 0)),)
    arrs = promote_dtypes(*arrs)
    bad_shapes = [i for i, a in enumerate(arrs) if a.ndim > 2]
    if bad_shapes:
        raise ValueError(with_source(f"Arguments to jax.scipy.linalg.block_diag must have at most 2 dimensions, got "
                                     f"{arrs[bad_shapes[0]]} at argument {bad_shapes[0]}."))
    arrs = [jnp.atleast_2d(a) for a in arrs]
    dtype = arrs[0].dtype
    total_cols = sum(a.shape[1] for a in arrs)
    padded, col = [], 0
    for a in arrs:
        cols = a.shape[1]
        padded.append(lax.pad(a, np.array(0, dtype), ((0, 0, 0), (col, total_cols - cols - col, 0))))
        col += cols
    return jnp.concatenate(padded, axis=0)


def _windows(c, r):
    """out[i, j] = concatenate((c, r[1:]))[i + j], as JAX builds it: the patches of a
    convolution with an identity kernel (so that, as JAX's, a non-finite entry turns
    the entries whose products it meets into NaNs)."""
    (m,), (n,) = c.shape, r.shape
    if m == 0 or n == 0:
        return jnp.empty((m, n), dtype=jnp.result_type(c, r))
    v = jnp.concatenate((c, r[1:]))
    return lax.conv_general_dilated_patches(v.reshape((1, m + n - 1, 1)), (n,), (1,), "VALID",
                                            dimension_numbers=("NTC", "IOT", "NTC"))[0]


def toeplitz(c, r=None):
    """The Toeplitz matrix of first column c and first row r (conj(c) by default;
    r[0] is ignored); batch dimensions broadcast."""
    if r is None:
        check_arraylike("toeplitz", c)
        r = jnp.conjugate(jnp.asarray(c))
    else:
        check_arraylike("toeplitz", c, r)
    return _toeplitz(jnp.atleast_1d(jnp.asarray(c)), jnp.atleast_1d(jnp.asarray(r)))


@partial(jnp.vectorize, signature="(m),(n)->(m,n)")
def _toeplitz(c, r):
    return jnp.flip(_windows(c[::-1], r), axis=0)


def hankel(c, r=None):
    """The Hankel matrix of first column c and last row r (zeros by default; r[0] is
    ignored); batch dimensions broadcast."""
    if r is None:
        check_arraylike("hankel", c)
        c = jnp.asarray(c)
        r = jnp.zeros_like(c)
    else:
        check_arraylike("hankel", c, r)
        c, r = jnp.asarray(c), jnp.asarray(r)
    if c.ndim == 0:
        raise ValueError(with_source("hankel: c must be at least 1-dimensional, got a scalar."))
    if r.ndim == 0:
        raise ValueError(with_source("hankel: r must be at least 1-dimensional, got a scalar."))
    if c.ndim < r.ndim:
        c = lax.expand_dims(c, range(r.ndim - c.ndim))
    elif r.ndim < c.ndim:
        r = lax.expand_dims(r, range(c.ndim - r.ndim))
    return jnp.vectorize(_windows, signature="(m),(n)->(m,n)")(c, r)


def circulant(c):
    """The circulant matrix whose first column is c."""
    check_arraylike("circulant", c)
    return _circulant(jnp.atleast_1d(jnp.asarray(c)))


@partial(jnp.vectorize, signature="(n)->(n,n)")
def _circulant(c):
    (n,) = c.shape
    return c[(np.arange(n)[:, None] - np.arange(n)[None, :]) % n]


def leslie(f, s):
    """The Leslie matrix: fecundities f in the first row, survival rates s below the diagonal."""
    check_arraylike("leslie", f, s)
    f, s = jnp.atleast_1d(f), jnp.atleast_1d(s)
    if f.shape[-1] < 2:
        raise ValueError(with_source(f"The length of f along the last axis must be at least 2; got shape {f.shape}."))
    if s.shape[-1] != f.shape[-1] - 1:
        raise ValueError(with_source(
            f"Incorrect lengths for f and s. The length of s along the last axis must be one less than the length of "
            f"f; got f shape {f.shape} and s shape {s.shape}."))
    return _leslie(f, s)


@partial(jnp.vectorize, signature="(n),(m)->(n,n)")
def _leslie(f, s):
    f, s = promote_dtypes(f, s)
    return jnp.diag(s, k=-1).at[0].set(f)


def companion(a):
    """The companion matrix of the polynomial with coefficients a (highest first)."""
    (a,) = promote_args_inexact("companion", a)
    a = jnp.atleast_1d(a)
    if a.shape[-1] < 2:
        raise ValueError(with_source(f"The length of `a` along the last axis must be at least 2; got shape "
                                     f"{a.shape}."))
    return _companion(a)


@partial(jnp.vectorize, signature="(n)->(m,m)")
def _companion(a):
    first_row = -a[1:] / a[0]
    m = a.shape[0] - 1
    return jnp.eye(m, m, k=-1, dtype=first_row.dtype).at[0].set(first_row)


def fiedler(a):
    """The symmetric Fiedler matrix |a[i] - a[j]|."""
    check_arraylike("fiedler", a)
    a = jnp.atleast_1d(a)
    return jnp.abs(a[..., None] - a[..., None, :])


def fiedler_companion(a):
    """The pentadiagonal Fiedler companion matrix of the polynomial with coefficients a."""
    (a,) = promote_args_inexact("fiedler_companion", a)
    a = jnp.atleast_1d(a)
    if a.shape[-1] == 0:
        raise ValueError(with_source(f"fiedler_companion requires the last axis of 'a' to have nonzero length, but "
                                     f"got an array of shape {a.shape}."))
    return _fiedler_companion(a)


@partial(jnp.vectorize, signature="(n)->(m,m)")
def _fiedler_companion(a):
    n = a.shape[0] - 1
    if n == 0:
        return jnp.empty_like(a, shape=(0, 0))
    a = a / a[0]
    if n == 1:
        return -a[1:].reshape(1, 1)
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    even, odd = i % 2 == 0, i % 2 == 1
    conditions = [(i == 0) & (j == 0), (i == 1) & (j == 0), (j == i + 1) & even, (j == i + 2) & even,
                  (j == i - 1) & even & (i >= 2), (j == i - 2) & odd & (i >= 3)]
    one, zero = jnp.array(1, dtype=a.dtype), jnp.array(0, dtype=a.dtype)
    choices = [-a[1], one, -a[np.minimum(i + 2, n)], one, -a[np.minimum(i + 1, n)], one]
    return jnp.select(conditions, choices, default=zero)


def convolution_matrix(a, n, mode="full"):
    """The Toeplitz matrix A with A @ v = convolve(a, v, mode) for v of length n."""
    n = operator.index(n)
    if n <= 0:
        raise ValueError(with_source(f"n must be a positive integer; got {n}."))
    check_arraylike("convolution_matrix", a)
    a = jnp.asarray(a)
    if a.ndim == 0:
        raise ValueError(with_source("convolution_matrix: a must be at least 1-dimensional, got a scalar."))
    m = a.shape[-1]
    if m < 1:
        raise ValueError(with_source(f"len(a) must be at least 1; got shape {a.shape}."))
    if mode not in ("full", "valid", "same"):
        raise ValueError(with_source(f"mode must be one of 'full', 'valid', 'same'; got {mode!r}."))
    pad_widths = [(0, 0)] * (a.ndim - 1) + [(0, n - 1)]
    az = jnp.pad(a, pad_widths)
    raz = jnp.pad(jnp.flip(a, axis=-1), pad_widths)
    length = m + n - 1
    if mode == "same":
        trim = min(n, m) - 1
        tb, te = trim // 2, trim - trim // 2
    elif mode == "valid":
        tb = te = min(n, m) - 1
    else:
        tb = te = 0
    return toeplitz(lax.slice_in_dim(az, tb, length - te, axis=-1),
                    lax.slice_in_dim(raz, length - n - tb, length - tb, axis=-1))


def hilbert(n):
    """The Hilbert matrix 1 / (i + j + 1), in the default float dtype."""
    a = lax.broadcasted_iota(dtypes.default_float_dtype(), (n, 1), 0)
    return 1 / (a + a.T + 1)


def invhilbert(n):
    """The inverse of hilbert(n) by its closed form (binomials through lgamma, as JAX's)."""
    a = jnp.arange(n, dtype=dtypes.default_float_dtype())
    i, j = a[:, None], a[None, :]
    s = i + j
    return (-1.0) ** s * (s + 1.0) * comb(n + i, n - j - 1) * comb(n + j, n - i - 1) * comb(s, i) ** 2


def _pascal_kind(kind, article):
    kind = "symmetric" if kind is None else kind
    valid = ["symmetric", "lower", "upper"]
    if kind not in valid:
        raise ValueError(with_source(f"Expected kind to be {article}: {valid}; got {kind}"))
    return kind


def _of_kind(lower, kind, symmetric):
    """lower, its transpose, or symmetric(lower)."""
    if kind == "lower":
        return lower
    return lower.T if kind == "upper" else symmetric(lower)


def _binom(n, k):
    return lax.exp(lax.lgamma(n + 1.0) - lax.lgamma(n - k + 1.0) - lax.lgamma(k + 1.0))


def pascal(n, kind=None):
    """The Pascal matrix (binomials through lgamma; float32 always, as JAX's)."""
    kind = _pascal_kind(kind, "on of")  # JAX's typo
    a = jnp.arange(n, dtype=np.float32)
    lower = _binom(a[:, None], a[None, :])
    return _of_kind(lower, kind, lambda x: jnp.dot(x, x.T))


def invpascal(n, kind=None):
    """The inverse of pascal(n, kind), in the default float dtype."""
    kind = _pascal_kind(kind, "one of")
    a = jnp.arange(n, dtype=dtypes.default_float_dtype())
    i, j = a[:, None], a[None, :]
    lower = (-1.0) ** (i - j) * _binom(i, j)
    return _of_kind(lower, kind, lambda x: jnp.dot(x.T, x))


def helmert(n, full=False):
    """The Helmert matrix (n - 1 by n; n by n with the constant first row if `full`)."""
    if n < 1:
        raise ValueError(with_source(f"n must be a positive integer; got {n}."))
    i, j = np.arange(n - 1)[:, None], np.arange(n)[None, :]
    k = jnp.asarray(i + 1, dtype=dtypes.default_float_dtype())
    denom = jnp.sqrt(k * (k + 1))
    h = jnp.where(j <= i, 1.0 / denom, jnp.where(j == i + 1, -k / denom, jnp.zeros_like(denom)))
    if full:
        h = jnp.concatenate([jnp.full((1, n), 1.0 / jnp.sqrt(n), dtype=h.dtype), h], axis=0)
    return h


def hadamard(n, dtype=int):
    """The Sylvester Hadamard matrix of order n, a power of 2."""
    if n < 1 or not math.log2(n).is_integer():
        raise ValueError(with_source(f"n must be a positive power of 2; got {n}."))
    h = jnp.ones((1, 1), dtype=dtype)
    for _ in range(int(math.log2(n))):
        h = jnp.block([[h, h], [h, -h]])
    return h


def dft(n, scale=None, *, dtype=None):
    """The discrete Fourier transform matrix exp(-2 pi i j k / n), scaled by 1/sqrt(n)
    ('sqrtn') or 1/n ('n')."""
    if scale is not None and scale not in ("sqrtn", "n"):
        raise ValueError(with_source(f"scale must be None, 'sqrtn', or 'n'; got {scale!r}."))
    dtype = dtypes.default_complex_dtype() if dtype is None else dtypes.dtype(dtype)
    if not dtypes.is_complex(dtype):
        raise ValueError(with_source(f"dtype must be a complex floating-point type; got {dtype}."))
    a = jnp.arange(n, dtype=dtype)
    omegas = jnp.exp(-2j * np.pi * a[:, None] * a[None, :] / n)
    if scale == "sqrtn":
        return omegas / jnp.sqrt(n)
    return omegas / n if scale == "n" else omegas
