"""mirax.numpy.linalg: NumPy's linear algebra over mirax arrays, as jax.numpy.linalg."""
import functools
import itertools
import math
import operator
from typing import NamedTuple

import numpy as np

from mirax import dtypes, lax
from mirax.core import to_array, with_source
from mirax.custom_derivatives import custom_jvp
from mirax.dialect.composites import row_gather
from mirax.lax import linalg as lax_linalg

from . import _array_api, _creation, _dot, _reductions as reductions, _statistics, _ufuncs as ufuncs
from ._creation import arange, empty, eye, ones, zeros, zeros_like
from ._indexing import take_along_axis
from ._dot import einsum, matmul
from ._matrix import diagonal, trace
from ._shape import broadcast_to, concatenate, expand_dims, moveaxis, swapaxes
from ._util import broadcast_shapes, canonicalize_axis, check_arraylike, promote_dtypes_inexact


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


def _square_matrices(fn_name, a):
    shape = a.aval.shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(with_source(f"Argument to {fn_name} must have shape [..., n, n], got {tuple(shape)}"))


def cholesky(a, *, upper=False, symmetrize_input=True):
    """The lower (or `upper`) Cholesky factor of Hermitian positive-definite matrices
    [..., n, n]; NaNs for a matrix that is not positive definite, as JAX's."""
    check_arraylike("jnp.linalg.cholesky", a)
    (a,) = promote_dtypes_inexact(a)
    lower = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return ufuncs.conj(swapaxes(lower, -1, -2)) if upper else lower


def _rows_permuted(x, permutation):
    """x[..., permutation[..., i], :]: one gather of whole rows (the dialect's
    composites.rows_permuted), for x [..., n, k] and permutation [..., n]."""
    numbers, slice_sizes = row_gather(x.aval.shape)
    return lax.gather(x, expand_dims(permutation, -1), lax.GatherDimensionNumbers(**numbers), slice_sizes)


def _lu_solve(lu, permutation, b):
    """x with a x = b from lax.linalg.lu(a)'s lu and permutation, for b [..., n, k] of
    a's batch dimensions."""
    x = _rows_permuted(b, permutation)
    x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=True, unit_diagonal=True)
    return lax_linalg.triangular_solve(lu, x, left_side=True, lower=False)


@custom_jvp
def _solve(a, b):
    lu, _, permutation = lax_linalg.lu(a)
    return _lu_solve(lu, permutation, b)


@_solve.defjvp
def _solve_jvp(primals, tangents):
    """x_dot = a^-1 (b_dot - a_dot x), reusing the factorization of a (as JAX's
    custom_linear_solve does)."""
    (a, b), (a_dot, b_dot) = primals, tangents
    lu, _, permutation = lax_linalg.lu(a)
    x = _lu_solve(lu, permutation, b)
    return x, _lu_solve(lu, permutation, b_dot - matmul(a_dot, x))


def solve(a, b):
    """x with a @ x = b for a [..., n, n] and b [n] or [..., n, k] (batch dimensions
    broadcast), by LU with partial pivoting; NaNs or infs where a is singular."""
    check_arraylike("jnp.linalg.solve", a, b)
    a, b = promote_dtypes_inexact(a, b)
    a_shape, b_shape = a.aval.shape, b.aval.shape
    if len(a_shape) < 2:
        raise ValueError(with_source(f"left hand array must be at least two dimensional; got a.shape={a_shape}"))
    if len(b_shape) > 1 and len(a_shape) == len(b_shape) + 1 and a_shape[-1] == b_shape[-1] != b_shape[-2]:
        raise ValueError(with_source(
            f"Invalid shapes for solve: {a_shape}, {b_shape}. Prior to JAX v0.5.0, this would have been treated as "
            f"a batched 1-dimensional solve. To recover this behavior, use solve(a, b[..., None]).squeeze(-1)."))
    vector = len(b_shape) == 1
    if vector:
        b = expand_dims(b, -1)
    n = a_shape[-1]
    if a_shape[-2] != n or b.aval.shape[-2] != n:
        raise ValueError(with_source(f"solve requires a of shape [..., n, n] and b of shape [n] or [..., n, k]; "
                                     f"got a.shape={a_shape} and b.shape={b_shape}"))
    batch = _batch_shape("solve", a_shape[:-2], b.aval.shape[:-2])
    x = _solve(broadcast_to(a, batch + a_shape[-2:]), broadcast_to(b, batch + b.aval.shape[-2:]))
    return x[..., 0] if vector else x


def _batch_shape(fn_name, *shapes):
    """The broadcast of batch shapes; ValueError naming them when they do not broadcast."""
    try:
        return broadcast_shapes(fn_name, *shapes)
    except TypeError:
        raise ValueError(with_source(f"{fn_name}: incompatible batch shapes for broadcasting: "
                                     f"{', '.join(map(str, shapes))}")) from None


def inv(a):
    """The inverse of each matrix [..., n, n], as solve(a, identity)."""
    check_arraylike("jnp.linalg.inv", a)
    (a,) = promote_dtypes_inexact(a)
    _square_matrices("inv", a)
    n = a.aval.shape[-1]
    return solve(a, lax.broadcast(eye(n, dtype=a.aval.dtype), a.aval.shape[:-2]))


def _slogdet_1x1(a):
    det = a[..., 0, 0]
    return ufuncs.sign(det), ufuncs.real(ufuncs.log(ufuncs.abs(det)))


def _slogdet_2x2(a):
    det = a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
    return ufuncs.sign(det), ufuncs.real(ufuncs.log(ufuncs.abs(det)))


def _sign_and_log_tangents(sign, log_dot):
    """slogdet's tangents from d log(det): the sign's moves with its imaginary part
    (complex), and is zero for real matrices; the log's is the real part."""
    if dtypes.is_complex(log_dot.aval.dtype):
        return (log_dot - ufuncs.real(log_dot).astype(log_dot.aval.dtype)) * sign, ufuncs.real(log_dot)
    return zeros_like(sign), log_dot


@custom_jvp
def _slogdet_small(a):
    """slogdet of 1x1 and 2x2 matrices by formula."""
    return _slogdet_1x1(a) if a.aval.shape[-1] == 1 else _slogdet_2x2(a)


@_slogdet_small.defjvp
def _slogdet_small_jvp(primals, tangents):
    (x,), (g,) = primals, tangents
    sign, log_abs = _slogdet_small(x)
    if x.aval.shape[-1] == 1:
        log_dot = g[..., 0, 0] / x[..., 0, 0]
    else:
        det = x[..., 0, 0] * x[..., 1, 1] - x[..., 0, 1] * x[..., 1, 0]
        log_dot = (g[..., 0, 0] * x[..., 1, 1] - g[..., 0, 1] * x[..., 1, 0] - g[..., 1, 0] * x[..., 0, 1]
                   + g[..., 1, 1] * x[..., 0, 0]) / det
    return (sign, log_abs), _sign_and_log_tangents(sign, log_dot)


@custom_jvp
def _slogdet_lu(a):
    """sign and log|det| from the diagonal of a's LU factorization and its pivots'
    parity; (0, -inf) for a singular matrix."""
    dtype = a.aval.dtype
    lu, pivots, _ = lax_linalg.lu(a)
    diag = diagonal(lu, axis1=-2, axis2=-1)
    is_zero = reductions.any(diag == np.array(0, dtype), axis=-1)
    parity = reductions.count_nonzero(pivots != arange(a.aval.shape[-1], dtype=pivots.aval.dtype), axis=-1)
    if dtypes.is_complex(dtype):
        sign = reductions.prod(diag / ufuncs.abs(diag).astype(dtype), axis=-1)
    else:
        sign = np.array(1, dtype)
        parity = parity + reductions.count_nonzero(diag < 0, axis=-1)
    sign = ufuncs.where(is_zero, np.array(0, dtype), sign * (-2 * (parity % 2) + 1).astype(dtype))
    log_abs = ufuncs.where(is_zero, np.array(-np.inf, dtype),
                           reductions.sum(ufuncs.log(ufuncs.abs(diag)).astype(dtype), axis=-1))
    return sign, ufuncs.real(log_abs)


@_slogdet_lu.defjvp
def _slogdet_lu_jvp(primals, tangents):
    """d log(det a) = trace(a^-1 a_dot)."""
    (x,), (g,) = primals, tangents
    sign, log_abs = slogdet(x)
    return (sign, log_abs), _sign_and_log_tangents(sign, trace(solve(x, g), axis1=-1, axis2=-2))


def slogdet(a, *, method=None):
    """(sign, logabsdet) of the determinant of each matrix [..., n, n], through LU."""
    check_arraylike("jnp.linalg.slogdet", a)
    (a,) = promote_dtypes_inexact(a)
    _square_matrices("slogdet()", a)
    if method not in (None, "lu"):
        raise ValueError(with_source(f"Unknown slogdet method '{method}'. Supported methods are 'lu' (`None`)."))
    n = a.aval.shape[-1]
    return SlogdetResult(*(_slogdet_small(a) if n in (1, 2) else _slogdet_lu(a)))


def _cofactor_solve(a, b):
    """det(a) and adjugate(a) @ b for a, b [..., n, n], well defined where a has rank
    n - 1 (JAX's): through the LU factorization, with the last pivot replaced so that
    the solves never divide by it, and zeros where a has lower rank."""
    n = a.aval.shape[-1]
    if n == 1:
        return a[..., 0, 0], b
    lu, pivots, permutation = lax_linalg.lu(a)
    dtype = a.aval.dtype
    diag = diagonal(lu, axis1=-2, axis2=-1)
    parity = reductions.count_nonzero(pivots != arange(n, dtype=pivots.aval.dtype), axis=-1)
    sign = (-2 * (parity % 2) + 1).astype(dtype)
    partial_det = reductions.cumprod(diag, axis=-1) * sign[..., None]
    lu = lu.at[..., -1, -1].set(1 / partial_det[..., -2])
    # Matrices of rank < n - 1 (infinite or NaN solves) get zeros.
    d = lax_linalg.triangular_solve(lu, ones(a.aval.shape[:-1], dtype), left_side=True, lower=False)
    low_rank = reductions.any(ufuncs.isnan(d) | ufuncs.isinf(d), axis=-1)[..., None, None]
    x = ufuncs.where(low_rank, np.array(0, dtype), b)
    x = _rows_permuted(x, permutation)
    x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=True, unit_diagonal=True)
    x = concatenate((x[..., :-1, :] * partial_det[..., -1, None, None], x[..., -1:, :]), axis=-2)
    x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=False)
    return partial_det[..., -1], ufuncs.where(low_rank, np.array(0, dtype), x)


@custom_jvp
def _det(a):
    sign, log_abs = slogdet(a)
    return sign * ufuncs.exp(log_abs).astype(sign.aval.dtype)


@_det.defjvp
def _det_jvp(primals, tangents):
    """d det(a) = trace(adjugate(a) a_dot), defined for singular a too."""
    (x,), (g,) = primals, tangents
    y, z = _cofactor_solve(x, g)
    return y, trace(z, axis1=-1, axis2=-2)


def det(a):
    """The determinant of each matrix [..., n, n]: by formula for 2x2 and 3x3, else
    through LU."""
    check_arraylike("jnp.linalg.det", a)
    (a,) = promote_dtypes_inexact(a)
    _square_matrices("_det()", a)
    n = a.aval.shape[-1]
    if n == 2:
        return a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
    if n == 3:
        return (a[..., 0, 0] * a[..., 1, 1] * a[..., 2, 2] + a[..., 0, 1] * a[..., 1, 2] * a[..., 2, 0]
                + a[..., 0, 2] * a[..., 1, 0] * a[..., 2, 1] - a[..., 0, 2] * a[..., 1, 1] * a[..., 2, 0]
                - a[..., 0, 0] * a[..., 1, 2] * a[..., 2, 1] - a[..., 0, 1] * a[..., 1, 0] * a[..., 2, 2])
    return _det(a)


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


def eig(a):
    """(w, v): the eigenvalues and right eigenvectors (columns, unit norm) of general
    square matrices [..., n, n], complex (complex64 for float32 input), unsorted."""
    check_arraylike("jnp.linalg.eig", a)
    (a,) = promote_dtypes_inexact(a)
    w, v = lax_linalg.eig(a, compute_left_eigenvectors=False)
    return EigResult(w, v)


def eigvals(a):
    """The eigenvalues of general square matrices [..., n, n], complex, unsorted."""
    check_arraylike("jnp.linalg.eigvals", a)
    (a,) = promote_dtypes_inexact(a)
    return lax_linalg.eig(a, compute_left_eigenvectors=False, compute_right_eigenvectors=False)[0]


def eigh(a, UPLO=None, symmetrize_input=True):
    """Eigenvalues (ascending) and eigenvectors (columns) of Hermitian matrices [..., n, n]."""
    check_arraylike("jnp.linalg.eigh", a)
    if UPLO not in (None, "L", "U"):
        raise ValueError(with_source(f"UPLO must be one of None, 'L', or 'U', got {UPLO}"))
    (a,) = promote_dtypes_inexact(a)
    v, w = lax_linalg.eigh(a, lower=UPLO != "U", symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    """The eigenvalues of Hermitian matrices [..., n, n], ascending."""
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def qr(a, mode="reduced"):
    """Q and R of a batch of matrices [..., m, n]; mode "reduced" (k = min(m, n)),
    "complete" (k = m) or "r" (R alone, reduced)."""
    check_arraylike("jnp.linalg.qr", a)
    (a,) = promote_dtypes_inexact(a)
    if mode not in ("reduced", "r", "full", "complete"):
        raise ValueError(with_source(f"Unsupported QR decomposition mode '{mode}'"))
    q, r = lax_linalg.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def _H(x):  # noqa: N802 (JAX's name)
    return ufuncs.conj(swapaxes(x, -1, -2))


def _hermitian_svd(a, compute_uv):
    """The SVD of Hermitian matrices from their eigendecomposition (JAX's): the singular
    values are the eigenvalues' magnitudes, descending, vh u's columns times the
    eigenvalues' signs."""
    vectors, values = lax_linalg.eigh(a)
    s = ufuncs.abs(values)
    if not compute_uv:
        return lax.rev(lax.sort(s, dimension=-1), dimensions=[s.ndim - 1])
    indices = lax.broadcasted_iota(np.int32, s.shape, s.ndim - 1)
    s, indices, sign = lax.sort((s, indices, lax.sign(values)), dimension=-1, num_keys=1)
    s, indices, sign = (lax.rev(x, dimensions=[s.ndim - 1]) for x in (s, indices, sign))
    u = take_along_axis(vectors, indices[..., None, :], axis=-1)
    return SVDResult(u, s, _H(u * sign[..., None, :].astype(u.dtype)))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    """SVDResult(U, S, Vh) with a = U diag(S) Vh for matrices a [..., m, n], S
    descending (S alone without compute_uv); `hermitian` takes the Hermitian a's
    eigendecomposition instead."""
    check_arraylike("jnp.linalg.svd", a)
    (a,) = promote_dtypes_inexact(a)
    if hermitian:
        if subset_by_index is not None:
            raise NotImplementedError(with_source("svd: subset_by_index is not supported"))
        return _hermitian_svd(a, compute_uv)
    result = lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv, subset_by_index=subset_by_index)
    return SVDResult(*result) if compute_uv else result


def svdvals(x, /):
    """The singular values of matrices x [..., m, n], descending."""
    check_arraylike("jnp.linalg.svdvals", x)
    return svd(x, compute_uv=False, hermitian=False)


def matrix_rank(M, rtol=None, *, hermitian=False, tol=None):  # noqa: N803 (JAX's name)
    """The number of singular values of each matrix above rtol times the largest (by
    default max(m, n) eps times it); of a scalar or vector, whether it is nonzero."""
    check_arraylike("jnp.linalg.matrix_rank", M)
    if tol is not None:
        if rtol is not None:
            raise ValueError(with_source("matrix_rank: only one of tol or rtol may be specified."))
        rtol = tol
    (M,) = promote_dtypes_inexact(M)
    if M.ndim < 2:
        return reductions.any(M != 0).astype(np.int32)
    S = svd(M, full_matrices=False, compute_uv=False, hermitian=hermitian)
    if rtol is None:
        rtol = reductions.max(S, axis=-1) * np.array(max(M.shape[-2:]), S.dtype) * np.finfo(S.dtype).eps
    rtol = to_array(rtol)
    return reductions.sum(S > expand_dims(rtol, rtol.ndim), axis=-1)


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """The Moore-Penrose pseudo-inverse of matrices a [..., m, n], from the SVD, with
    singular values up to rtol times the largest (10 max(m, n) eps by default) taken
    as zero; its derivative is JAX's (Golub and Pereyra)."""
    if rcond is not None:
        if rtol is not None:
            raise ValueError(with_source("pinv: only one of rtol and rcond may be specified."))
        rtol = rcond
    return _pinv(a, rtol, hermitian)


@functools.partial(custom_jvp, nondiff_argnums=(1, 2))
def _pinv(a, rtol=None, hermitian=False):
    check_arraylike("jnp.linalg.pinv", a)
    (arr,) = promote_dtypes_inexact(a)
    m, n = arr.shape[-2:]
    if m == 0 or n == 0:
        return empty(arr.shape[:-2] + (n, m), arr.dtype)
    arr = ufuncs.conj(arr)
    if rtol is None:
        rtol = 10.0 * max(m, n) * np.array(np.finfo(arr.dtype).eps)
    rtol = to_array(rtol)
    u, s, vh = svd(arr, full_matrices=False, hermitian=hermitian)
    rtol = lax.expand_dims(rtol[..., None], range(s.ndim - rtol.ndim - 1))
    s = ufuncs.where(s > rtol * s[..., 0:1], s, np.inf).astype(u.dtype)
    return matmul(swapaxes(vh, -1, -2), ufuncs.divide(swapaxes(u, -1, -2), s[..., None])).astype(arr.dtype)


@_pinv.defjvp
def _pinv_jvp(rtol, hermitian, primals, tangents):
    """Golub and Pereyra's derivative of the pseudo-inverse (JAX's)."""
    (a,), (a_dot,) = primals, tangents
    p = pinv(a, rtol=rtol, hermitian=hermitian)
    if hermitian:
        a, a_dot = (x + _H(x)) / 2, (a_dot + _H(a_dot)) / 2
    m, n = a.shape[-2:]
    if m >= n:
        s = p @ _H(p) @ _H(a_dot)
        t = _H(a_dot) @ _H(p) @ p
        p_dot = -(p @ a_dot) @ p + s - s @ a @ p + t - p @ a @ t
    else:
        s = p @ (_H(p) @ _H(a_dot))
        t = _H(a_dot) @ (_H(p) @ p)
        p_dot = -p @ (a_dot @ p) + s - s @ (a @ p) + t - p @ (a @ t)
    return p, p_dot


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """(x, resid, rank, s) of the least-squares solution x of a @ x = b for one matrix
    a [m, n] and b [m] or [m, k], through the SVD (JAX's): singular values below rcond
    times the largest (max(m, n) eps by default) are dropped; resid holds the squared
    residual norms (empty with numpy_resid where NumPy's is)."""
    check_arraylike("jnp.linalg.lstsq", a, b)
    a, b = promote_dtypes_inexact(a, b)
    if a.shape[0] != b.shape[0]:
        raise ValueError(with_source("Leading dimensions of input arrays must match"))
    b_orig_ndim = b.ndim
    if b_orig_ndim == 1:
        b = b[:, None]
    if a.ndim != 2:
        raise TypeError(with_source(f"{a.ndim}-dimensional array given. Array must be two-dimensional"))
    if b.ndim != 2:
        raise TypeError(with_source(f"{b.ndim}-dimensional array given. Array must be one or two-dimensional"))
    m, n = a.shape
    dtype = a.dtype
    if a.size == 0:
        s = empty(0, dtype=dtype)
        rank = to_array(np.array(0, dtypes.canonicalize_dtype(int)))
        x = zeros((n, *b.shape[1:]), dtype=dtype)
    else:
        eps = np.finfo(dtype).eps
        rcond = float(eps) * max(n, m) if rcond is None else ufuncs.where(to_array(rcond) < 0, eps, rcond)
        u, s, vt = svd(a, full_matrices=False)
        mask = (s > 0) & (s >= to_array(rcond).astype(s.dtype) * s[0])
        rank = mask.sum()
        safe_s = ufuncs.where(mask, s, 1).astype(dtype)
        s_inv = ufuncs.where(mask, 1 / safe_s, 0)[:, None]
        x = matmul(_H(vt), s_inv * matmul(_H(u), b))
    if numpy_resid and (rank < n or m <= n):
        resid = _creation.asarray([])
    else:
        resid = norm(b - matmul(a, x), axis=0) ** 2
    if b_orig_ndim == 1:
        x = x.ravel()
    return x, resid, rank, s


def cond(x, p=None):
    """The condition number of matrices x [..., m, n] in the norm `p` (None and 2: the
    ratio of the extreme singular values; -2 its inverse; else, for square x,
    norm(x, p) norm(inv(x), p)); inf where it comes out NaN from a finite x."""
    check_arraylike("cond", x)
    arr = to_array(x)
    if arr.ndim < 2:
        raise ValueError(with_source(f"jnp.linalg.cond: input array must be at least 2D; got arr.shape={arr.shape!r}"))
    if arr.shape[-1] == 0 or arr.shape[-2] == 0:
        raise ValueError(with_source(f"jnp.linalg.cond: input array must not be empty; got arr.shape={arr.shape!r}"))
    if p is None or p == 2:
        s = svdvals(x)
        return s[..., 0] / s[..., -1]
    if p == -2:
        s = svdvals(x)
        r = s[..., -1] / s[..., 0]
    else:
        if arr.shape[-2] != arr.shape[-1]:
            raise ValueError(with_source(f"jnp.linalg.cond: for p={p!r}, array must be square; got "
                                         f"arr.shape={arr.shape!r}"))
        r = norm(x, ord=p, axis=(-2, -1)) * norm(inv(x), ord=p, axis=(-2, -1))
    return ufuncs.where(ufuncs.isnan(r) & ~reductions.any(ufuncs.isnan(arr), axis=(-2, -1)), np.inf, r)


def _abs_squared(x):
    return ufuncs.real(x * ufuncs.conj(x))


def _vector_norm(x, ord, axis, keepdims):
    if ord == 2:
        return ufuncs.sqrt(reductions.sum(_abs_squared(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return reductions.amax(ufuncs.abs(x), axis=axis, keepdims=keepdims, initial=0)
    if ord == -np.inf:
        return reductions.amin(ufuncs.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return reductions.sum(x != 0, dtype=dtypes.finfo(x.aval.dtype).dtype, axis=axis, keepdims=keepdims)
    if ord == 1:
        return reductions.sum(ufuncs.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(with_source(f"Invalid order '{ord}' for vector norm."))
    abs_x = ufuncs.abs(x)
    power = np.asarray(ord, abs_x.aval.dtype)
    total = reductions.sum(abs_x ** power, axis=axis, keepdims=keepdims)
    return total ** np.asarray(1 / power, abs_x.aval.dtype)


def _matrix_norm(x, ord, axis, keepdims):
    row_axis, col_axis = axis
    if ord is None or ord in ("f", "fro"):
        return ufuncs.sqrt(reductions.sum(_abs_squared(x), axis=axis, keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        # The largest (least) absolute column sum (1, -1) or row sum (inf, -inf).
        summed, kept = (row_axis, col_axis) if ord in (1, -1) else (col_axis, row_axis)
        if not keepdims and kept > summed:
            kept -= 1
        sums = reductions.sum(ufuncs.abs(x), axis=summed, keepdims=keepdims)
        if ord > 0:
            return reductions.amax(sums, axis=kept, keepdims=keepdims, initial=0)
        return reductions.amin(sums, axis=kept, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        s = svd(moveaxis(x, axis, (-2, -1)), compute_uv=False)
        if ord == 2:
            y = reductions.amax(s, axis=-1, initial=0)
        elif ord == -2:
            y = reductions.amin(s, axis=-1)
        else:
            y = reductions.sum(s, axis=-1)
        return expand_dims(y, axis) if keepdims else y
    raise ValueError(with_source(f"Invalid order '{ord}' for matrix norm."))


def norm(x, ord=None, axis=None, keepdims=False):
    """The vector norm (one axis) or matrix norm (two axes) of x, as numpy.linalg.norm;
    with neither ord nor axis, the 2-norm of x flattened. Matrix ord 2, -2 and 'nuc'
    come from the singular values."""
    check_arraylike("jnp.linalg.norm", x)
    (x,) = promote_dtypes_inexact(x)
    ndim = x.aval.ndim
    if axis is None:
        if ord is None:
            return ufuncs.sqrt(reductions.sum(_abs_squared(x), keepdims=keepdims))
        axis = tuple(range(ndim))
    elif isinstance(axis, tuple):
        axis = tuple(canonicalize_axis(a, ndim) for a in axis)
    else:
        axis = (canonicalize_axis(axis, ndim),)
    if len(axis) == 1:
        return _vector_norm(x, 2 if ord is None else ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(with_source(f"Improper number of axes for norm: axis={axis}. Pass one axis to compute a "
                                 f"vector-norm, or two axes to compute a matrix-norm."))


# ----------------------------------------------------------------------------- the array API's linalg functions


def cross(x1, x2, /, *, axis=-1):
    check_arraylike("jnp.linalg.outer", x1, x2)  # JAX's name
    x1, x2 = to_array(x1), to_array(x2)
    if x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError(with_source(f"Both input arrays must be (arrays of) 3-dimensional vectors, but they have "
                                     f"x1.shape[axis]={x1.shape[axis]} and x2.shape[axis]={x2.shape[axis]}"))
    return _statistics.cross(x1, x2, axis=axis)


def matrix_power(a, n):
    """a to the integer power n (by repeated squaring; inverted first for negative n)."""
    check_arraylike("jnp.linalg.matrix_power", a)
    arr = to_array(a)
    if arr.ndim < 2:
        raise TypeError(with_source(f"{arr.ndim}-dimensional array given. Array must be at least two-dimensional"))
    if arr.shape[-2] != arr.shape[-1]:
        raise TypeError(with_source("Last 2 dimensions of the array must be square"))
    try:
        n = operator.index(n)
    except TypeError as err:
        raise TypeError(with_source(f"exponent must be an integer, got {n}")) from err
    if n == 0:
        return broadcast_to(eye(arr.shape[-2], dtype=arr.dtype), arr.shape)
    if n < 0:
        arr, n = inv(arr), -n
    if n <= 3:
        result = arr
        for _ in range(n - 1):
            result = matmul(result, arr)
        return result
    z = result = None
    while n > 0:
        z = arr if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def multi_dot(arrays, *, precision=None):
    check_arraylike("jnp.linalg.multi_dot", *arrays)
    arrs = [to_array(a) for a in arrays]
    if len(arrs) < 2:
        raise ValueError(with_source(f"multi_dot requires at least two arrays; got len(arrays)={len(arrs)}"))
    if not (arrs[0].ndim in (1, 2) and arrs[-1].ndim in (1, 2) and all(a.ndim == 2 for a in arrs[1:-1])):
        raise ValueError(with_source(
            f"multi_dot: input arrays must all be two-dimensional, except for the first and last array which may be "
            f"1 or 2 dimensional. Got array shapes {[a.shape for a in arrs]}"))
    if any(a.shape[-1] != b.shape[0] for a, b in zip(arrs[:-1], arrs[1:])):
        raise ValueError(with_source(f"multi_dot: last dimension of each array must match first dimension of "
                                     f"following array. Got array shapes {[a.shape for a in arrs]}"))
    einsum_axes = [(i, i + 1) for i in range(len(arrs))]
    if arrs[0].ndim == 1:
        einsum_axes[0] = einsum_axes[0][1:]
    if arrs[-1].ndim == 1:
        einsum_axes[-1] = einsum_axes[-1][:1]
    return einsum(*itertools.chain(*zip(arrs, einsum_axes, strict=True)), precision=precision)


def outer(x1, x2, /):
    check_arraylike("jnp.linalg.outer", x1, x2)
    x1, x2 = to_array(x1), to_array(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(with_source(f"Input arrays must be one-dimensional, but they are x1.ndim={x1.ndim} "
                                     f"x2.ndim={x2.ndim}"))
    return x1[:, None] * x2[None, :]


def tensordot(x1, x2, /, *, axes=2, precision=None, preferred_element_type=None):
    check_arraylike("jnp.linalg.tensordot", x1, x2)
    return _dot.tensordot(x1, x2, axes=axes, precision=precision, preferred_element_type=preferred_element_type)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    check_arraylike("jnp.linalg.vecdot", x1, x2)
    return _array_api.vecdot(x1, x2, axis=axis, precision=precision, preferred_element_type=preferred_element_type)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    """The vector norm over `axis` (all of x by default), as JAX's: x keeps its dtype
    (ord=inf of integers is an integer)."""
    check_arraylike("jnp.linalg.vector_norm", x)
    x = to_array(x)
    if ord is None or ord == 2:
        return ufuncs.sqrt(reductions.sum(ufuncs.real(x * ufuncs.conj(x)), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return reductions.amax(ufuncs.abs(x), axis=axis, keepdims=keepdims, initial=0)
    if ord == -np.inf:
        return reductions.amin(ufuncs.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return reductions.sum(x != 0, dtype=dtypes.finfo(x.dtype).dtype, axis=axis, keepdims=keepdims)
    if ord == 1:
        return reductions.sum(ufuncs.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        msg = f"Invalid order '{ord}' for vector norm."
        if ord == "inf":
            msg += "Use 'jax.numpy.inf' instead."
        if ord == "-inf":
            msg += "Use '-jax.numpy.inf' instead."
        raise ValueError(with_source(msg))
    abs_x = ufuncs.abs(x)
    ord_arr = ufuncs._const(abs_x, ord)
    ord_inv = ufuncs._const(abs_x, 1.0 / ord_arr)
    return ufuncs.power(reductions.sum(abs_x ** ord_arr, axis=axis, keepdims=keepdims), ord_inv)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002
    check_arraylike("jnp.linalg.matrix_norm", x)
    return norm(x, ord=ord, keepdims=keepdims, axis=(-2, -1))


def tensorinv(a, ind=2):
    """The inverse of a as a linear map from its first `ind` dimensions to the rest."""
    check_arraylike("tensorinv", a)
    arr = to_array(a)
    ind = operator.index(ind)
    if ind <= 0:
        raise ValueError(with_source(f"ind must be a positive integer; got ind={ind}"))
    contracting_shape, batch_shape = arr.shape[:ind], arr.shape[ind:]
    rows, cols = math.prod(contracting_shape), math.prod(batch_shape)
    if rows != cols:
        raise ValueError(with_source(f"tensorinv is only possible when the product of the first `ind` dimensions "
                                     f"equals that of the remaining dimensions. got arr.shape={arr.shape} with "
                                     f"ind={ind}."))
    return inv(arr.reshape(rows, cols)).reshape(*batch_shape, *contracting_shape)


def tensorsolve(a, b, axes=None):
    check_arraylike("tensorsolve", a, b)
    a, b = to_array(a), to_array(b)
    if axes is not None:
        a = moveaxis(a, axes, len(axes) * (a.ndim - 1,))
    out_shape = a.shape[b.ndim:]
    if a.shape[:b.ndim] != b.shape:
        raise ValueError(with_source(f"After moving axes to end, leading shape of a must match shape of b. got "
                                     f"a.shape={a.shape}, b.shape={b.shape}"))
    if b.size != math.prod(out_shape):
        raise ValueError(with_source(f"Input arrays must have prod(a.shape[:b.ndim]) == prod(a.shape[b.ndim:]); got "
                                     f"a.shape={a.shape}, b.ndim={b.ndim}."))
    return solve(a.reshape(b.size, math.prod(out_shape)), b.ravel()).reshape(out_shape)


matrix_transpose = _array_api.matrix_transpose
