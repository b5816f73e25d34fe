"""mirax.lax.linalg: the linear-algebra primitives, as jax.lax.linalg."""
import enum

import numpy as np

from mirax import dtypes
from mirax.core import bind, to_array, with_source
from mirax.dialect.linear_algebra import CholeskyOp, LuOp, TriangularSolveOp
from mirax.dialect.orthogonal import EighOp, QrOp, SvdOp

from ._elementwise import add, conj, div
from ._shape import expand_dims, squeeze, transpose


def _matrices(fn_name, *arrays):
    arrays = [to_array(x) for x in arrays]
    for x in arrays:
        if x.aval.ndim < 2:
            raise ValueError(with_source(f"Input to {fn_name} must have rank at least 2, but got shape "
                                         f"{tuple(x.aval.shape)}"))
    return arrays


def _H(x):  # noqa: N802 (JAX's name)
    """The conjugate transpose of each matrix."""
    ndim = x.aval.ndim
    swapped = transpose(x, (*range(ndim - 2), ndim - 1, ndim - 2))
    return conj(swapped) if dtypes.is_complex(x.aval.dtype) else swapped  # lax.conj of a float is complex


def symmetrize(x):
    return div(add(x, _H(x)), np.array(2, x.aval.dtype))


def cholesky(x, *, symmetrize_input=True):
    """The lower Cholesky factor L of each matrix (x = L L^H), from (x + x^H) / 2 when
    `symmetrize_input`, else from x's lower triangle. A matrix that is not positive
    definite gives NaNs (JAX's behaviour; nothing raises)."""
    (x,) = _matrices("cholesky", x)
    if x.aval.shape[-1] != x.aval.shape[-2]:
        raise ValueError(with_source(f"The input to cholesky must be a square matrix. Got shape "
                                     f"{tuple(x.aval.shape)}."))
    (out,) = bind(CholeskyOp, symmetrize(x) if symmetrize_input else x)
    return out


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False, conjugate_a=False,
                     unit_diagonal=False):
    """x with op(a) x = b (left_side) or x op(a) = b, op(a) being a transposed and/or
    conjugated as asked; only the `lower` (or upper) triangle of a is read. A b of one
    dimension less than a is a (batch of) vector(s)."""
    a, b = to_array(a), to_array(b)
    singleton = b.aval.ndim == a.aval.ndim - 1
    if singleton:
        b = expand_dims(b, (-1 if left_side else -2,))
    a, b = _matrices("triangular_solve", a, b)
    a_shape, b_shape = a.aval.shape, b.aval.shape
    if a_shape[-1] != a_shape[-2] or a_shape[:-2] != b_shape[:-2] or \
            a_shape[-1] != b_shape[-2 if left_side else -1]:
        raise ValueError(with_source(f"Incompatible shapes for arguments to triangular_solve: {tuple(a_shape)} "
                                     f"and {tuple(b_shape)}."))
    (out,) = bind(TriangularSolveOp, a, b, left_side=bool(left_side), lower=bool(lower),
                  transpose_a=bool(transpose_a), conjugate_a=bool(conjugate_a) and dtypes.is_complex(a.aval.dtype),
                  unit_diagonal=bool(unit_diagonal))
    if singleton:
        out = squeeze(out, (out.aval.ndim - (1 if left_side else 2),))
    return out


def lu(x):
    """(lu, pivots, permutation) of each matrix, LU with partial pivoting: p x = l u
    with l unit lower triangular (below lu's diagonal), u upper triangular, pivots the
    row swaps (int32, min(m, n) of them) and permutation the rows of x in p's order."""
    (x,) = _matrices("lu", x)
    return tuple(bind(LuOp, x))


def qr(x, *, pivoting=False, full_matrices=True, use_magma=None):
    """(q, r) with x = q r for a batch of matrices x [..., m, n]: q [..., m, k] with
    orthonormal columns, r [..., k, n] upper triangular, k = m if full_matrices else
    min(m, n). Householder QR as LAPACK's, so signs agree with NumPy and JAX."""
    if pivoting:
        raise NotImplementedError(with_source("qr: pivoting=True is not supported"))
    q, r = bind(QrOp, to_array(x), full_matrices=bool(full_matrices))
    return q, r


def eigh(x, *, lower=True, symmetrize_input=True, sort_eigenvalues=True, subset_by_index=None):
    """(v, w) for a batch of Hermitian matrices x [..., n, n]: the eigenvectors as the
    columns of v, the real eigenvalues w [..., n] ascending (always sorted). Without
    symmetrize_input only the lower (or upper) triangle of x is read."""
    x = to_array(x)
    shape = x.aval.shape
    if len(shape) < 2 or shape[-2] != shape[-1]:
        raise ValueError(with_source(
            f"Argument to symmetric eigendecomposition must have shape [..., n, n], got shape {shape}"))
    if subset_by_index is not None and tuple(subset_by_index) != (0, shape[-1]):
        raise NotImplementedError(with_source("eigh: subset_by_index is not supported"))
    v, w = bind(EighOp, symmetrize(x) if symmetrize_input else x, lower=bool(lower))
    return v, w


class SvdAlgorithm(enum.Enum):
    """JAX's names of SVD algorithms. mirax has one (one-sided Jacobi, see
    dialect/orthogonal.py) and takes the names JAX's CPU backend takes."""
    DEFAULT = "default"
    QR = "QR"
    JACOBI = "Jacobi"
    POLAR = "polar"
    DIVIDE_AND_CONQUER = "divide_and_conquer"


def svd(x, *, full_matrices=True, compute_uv=True, subset_by_index=None, algorithm=None):
    """(u, s, vh) with x = u diag(s) vh for a batch of matrices x [..., m, n], s
    descending (s alone without compute_uv); u [..., m, m] and vh [..., n, n] when
    full_matrices, else [..., m, k] and [..., k, n], k = min(m, n)."""
    x = to_array(x)
    shape, dtype = tuple(x.aval.shape), x.aval.dtype
    if len(shape) < 2:
        raise TypeError(with_source(f"Input 0 to svd must have rank at least 2, but got shape={shape}"))
    if not dtypes.issubdtype(dtype, np.inexact):
        raise TypeError(with_source(f"svd does not accept dtype {np.dtype(dtype).name} at position 0. Accepted "
                                    f"dtypes at position 0 are subtypes of floating, complexfloating."))
    rank = min(shape[-2:])
    if subset_by_index is not None and tuple(subset_by_index) != (0, rank):
        if full_matrices:
            raise ValueError(with_source("full_matrices and subset_by_index cannot both be set"))
        raise NotImplementedError(with_source("subset_by_index not implemented for CPU and GPU"))
    if algorithm in (SvdAlgorithm.JACOBI, SvdAlgorithm.POLAR):
        raise NotImplementedError(with_source("The SVD Jacobi and Polar algorithms are not implemented on CPU."))
    s, u, vh = bind(SvdOp, x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return (u, s, vh) if compute_uv else s
