"""mirax.lax.linalg: the linear-algebra primitives, as jax.lax.linalg."""
import enum
import warnings

import numpy as np

from mirax import dtypes
from mirax.core import bind, to_array, with_source
from mirax.dialect.eigen import EigOp, HessenbergOp, HouseholderProductOp, SchurOp
from mirax.dialect.linear_algebra import CholeskyOp, LuOp, TriangularSolveOp
from mirax.dialect.orthogonal import EighOp, QrOp, SvdOp

from ._control_flow import fori_loop, scan, while_loop
from ._dot import batch_matmul
from ._elementwise import add, broadcast_in_dim, conj, div, eq, mul, real, rsqrt, select
from ._shape import broadcasted_iota, concatenate, expand_dims, rev, squeeze, transpose


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


def _check(fn_name, accepted, ranks, *arrays):
    """JAX's checks of a linalg primitive's operands: their dtypes (`accepted`: NumPy's
    abstract dtypes or dtypes) and least ranks; the operands as arrays."""
    arrays = [to_array(x) for x in arrays]
    names = ", ".join(t.__name__ for t in accepted)
    for i, x in enumerate(arrays):
        if not any(dtypes.issubdtype(x.aval.dtype, t) for t in accepted):
            raise TypeError(with_source(f"{fn_name} does not accept dtype {np.dtype(x.aval.dtype).name} at position "
                                        f"{i}. Accepted dtypes at position {i} are subtypes of {names}."))
    for i, (x, rank) in enumerate(zip(arrays, ranks, strict=True)):
        if x.aval.ndim < rank:
            raise TypeError(with_source(f"Input {i} to {fn_name} must have rank at least {rank}, but got "
                                        f"shape={tuple(x.aval.shape)}"))
    return arrays


_INEXACT = (np.floating, np.complexfloating)


def _square(fn_name, x):
    if x.aval.shape[-1] != x.aval.shape[-2]:
        raise ValueError(with_source(f"The input to {fn_name} must be a square matrix. Got shape "
                                     f"{tuple(x.aval.shape)}."))


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
    (x,) = _check("svd", _INEXACT, (2,), x)
    shape = tuple(x.aval.shape)
    rank = min(shape[-2:])
    if subset_by_index is not None and tuple(subset_by_index) != (0, rank):
        if full_matrices:
            raise ValueError(with_source("full_matrices and subset_by_index cannot both be set"))
        raise NotImplementedError(with_source("subset_by_index not implemented for CPU and GPU"))
    if algorithm in (SvdAlgorithm.JACOBI, SvdAlgorithm.POLAR):
        raise NotImplementedError(with_source("The SVD Jacobi and Polar algorithms are not implemented on CPU."))
    s, u, vh = bind(SvdOp, x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return (u, s, vh) if compute_uv else s


class EigImplementation(enum.Enum):
    """JAX's names of eig's implementations; mirax's (dialect/eigen.py) stands for LAPACK's."""
    CUSOLVER = "cusolver"
    MAGMA = "magma"
    LAPACK = "lapack"


class EighImplementation(enum.Enum):
    """JAX's names of eigh's implementations (mirax's is Jacobi's, dialect/orthogonal.py)."""
    QR = "qr"
    JACOBI = "jacobi"
    QDWH = "qdwh"


def eig(x, *, compute_left_eigenvectors=True, compute_right_eigenvectors=True, enable_eigvec_derivs=False,
        implementation=None, use_magma=None):
    """[w, vl, vr] (vl and vr where asked) for a batch of square matrices [..., n, n]:
    the eigenvalues w and the left (vl^H x = w vl^H) and right (x vr = vr w)
    eigenvectors as columns, complex, each of unit norm with its largest component
    real, as LAPACK's geev; unsorted. The eigenvectors' derivatives need
    `enable_eigvec_derivs` (they assume distinct eigenvalues)."""
    if use_magma is not None:
        warnings.warn("use_magma is deprecated, please use implementation=EigImplementation.MAGMA instead.",
                      DeprecationWarning, stacklevel=2)
        implementation = EigImplementation.MAGMA if use_magma else EigImplementation.LAPACK
    (x,) = _check("eig", _INEXACT, (2,), x)
    _square("eig", x)
    if implementation and implementation != EigImplementation.LAPACK:
        raise ValueError(with_source("Only the lapack implementation is supported on CPU."))
    w, vl, vr = bind(EigOp, x, compute_left_eigenvectors=bool(compute_left_eigenvectors),
                     compute_right_eigenvectors=bool(compute_right_eigenvectors),
                     enable_eigvec_derivs=bool(enable_eigvec_derivs))
    return [w, *([vl] if compute_left_eigenvectors else []), *([vr] if compute_right_eigenvectors else [])]


def hessenberg(a):
    """(a', taus): the upper Hessenberg form h of each square matrix (a = q h q^H) on
    and above a''s subdiagonal, the Householder reflectors whose product is q below
    it and their scalar factors taus [..., n - 1], as LAPACK's gehrd."""
    (a,) = _check("hessenberg", _INEXACT, (2,), a)
    if a.aval.shape[-1] != a.aval.shape[-2]:
        raise ValueError(with_source(f"Argument to Hessenberg reduction must have shape [..., n, n], got shape "
                                     f"{tuple(a.aval.shape)}"))
    return list(bind(HessenbergOp, a))  # a list, as JAX's


def householder_product(a, taus):
    """The product of the Householder reflectors stored below the diagonal of a
    [..., m, n] (m >= n) with scale factors taus [..., k] (LAPACK's orgqr): [..., m, n]
    with orthonormal columns."""
    a, taus = _check("householder_product", _INEXACT, (2, 1), a, taus)
    (*batch, m, n), k = a.aval.shape, taus.aval.shape[-1]
    if m < n:
        raise ValueError(with_source(f"The first argument to householder_product must have at least as many rows as "
                                     f"columns, got shape {tuple(a.aval.shape)}"))
    if k > min(m, n):
        raise ValueError(with_source("The second argument to householder_product must not have more rows than the "
                                     "minimum of the first argument's rows and columns."))
    if tuple(taus.aval.shape[:-1]) != tuple(batch) or taus.aval.dtype != a.aval.dtype:
        raise ValueError(with_source(f"householder_product requires taus of a's batch dimensions and dtype, got "
                                     f"{tuple(a.aval.shape)} {a.aval.dtype} and {tuple(taus.aval.shape)} "
                                     f"{taus.aval.dtype}"))
    (q,) = bind(HouseholderProductOp, a, taus)
    return q


def schur(x, *, compute_schur_vectors=True, sort_eig_vals=False, select_callable=None):
    """(t, z) with x = z t z^H, z unitary, for square matrices [..., n, n]: t upper
    triangular for complex x, quasi-triangular for real x (the real Schur form, with
    standardized 2x2 blocks for complex conjugate pairs), as LAPACK's gees; t alone
    without compute_schur_vectors."""
    (x,) = _check("schur", _INEXACT, (2,), x)
    _square("schur", x)
    if sort_eig_vals:
        raise NotImplementedError(with_source("The sort feature of LAPACK's gees routine is not implemented."))
    t, z = bind(SchurOp, x, compute_schur_vectors=bool(compute_schur_vectors))
    return [t, z] if compute_schur_vectors else [t]  # a list, as JAX's


def lu_pivots_to_permutation(pivots, permutation_size):
    """The permutation [..., permutation_size] (int32) that LU's row swaps `pivots`
    [..., k] make of the rows: swap i exchanges rows i and pivots[..., i], in order."""
    (pivots,) = _check("lu_pivots_to_permutation", (np.int32,), (1,), pivots)
    *batch, k = pivots.aval.shape
    if not permutation_size >= k:
        raise ValueError(with_source(f"Output permutation size {permutation_size} has to exceed the trailing "
                                     f"dimension of the pivots. Got pivots size {k}"))
    shape = (*batch, permutation_size)
    rows = broadcasted_iota(np.int32, shape, len(batch))
    if permutation_size == 0 or k == 0:
        return rows

    def swap(i, permutation):
        j = broadcast_in_dim(pivots[..., i], shape, tuple(range(len(batch))))
        at_i = broadcast_in_dim(permutation[..., i], shape, tuple(range(len(batch))))
        at_j = select(eq(rows, j), permutation, 0 * rows).sum(-1, dtype=np.int32)
        at_j = broadcast_in_dim(at_j, shape, tuple(range(len(batch))))
        return select(eq(rows, i), at_j, select(eq(rows, j), at_i, permutation))

    return fori_loop(np.int32(0), np.int32(k), swap, rows)


def tridiagonal_solve(dl, d, du, b, *, perturb_singular=False):
    """x with A x = b for the tridiagonal A of diagonals dl (below: dl[i] = A[i, i - 1],
    dl[0] unused), d and du (above: du[i] = A[i, i + 1], du[m - 1] unused), each
    [..., m], and b [..., m, k]: JAX's Thomas algorithm (forward elimination, then back
    substitution, each a scan over the rows; no pivoting), differentiable in all four."""
    dl, d, du, b = _check("tridiagonal_solve", _INEXACT, (1, 1, 1, 2), dl, d, du, b)
    if not dl.aval.shape == d.aval.shape == du.aval.shape:
        raise TypeError(with_source("tridiagonal_solve requires that all diagonal arguments have the same shape."))
    if tuple(dl.aval.shape) != tuple(b.aval.shape[:-1]):
        raise TypeError(with_source("tridiagonal_solve requires that the leading ndim-1 dimensions of b equal the "
                                    "dimensions of the diagonal arguments."))
    if perturb_singular:
        raise NotImplementedError(with_source("perturb_singular=True is not supported on this platform."))
    if dl.aval.shape[-1] == 0:
        return b
    ndim = b.aval.ndim
    # The rows first (what scan walks), the diagonals [m, ..., 1] beside b [m, ..., k].
    rows_first = (ndim - 2, *range(ndim - 2), ndim - 1)
    dl, d, du = (transpose(expand_dims(x, (ndim - 1,)), rows_first) for x in (dl, d, du))
    b = transpose(b, rows_first)

    def forward(carry, args):
        cp, dp = carry
        a, b_, c, d_ = args
        pivot = b_ - a * cp
        return (c / pivot, (d_ - a * dp) / pivot), (cp, dp)

    (_, final), (cp, dp) = scan(forward, (du[0] / d[0], b[0] / d[0]), (dl[1:], d[1:], du[1:], b[1:]))

    def backward(xn, args):
        cp, dp = args
        return dp - cp * xn, xn

    end, x = scan(backward, final, (cp, dp), reverse=True)
    x = concatenate([expand_dims(end, (0,)), x], 0)
    return transpose(x, (*range(1, ndim - 1), 0, ndim - 1))


def _diagonal(x, k):
    """The k-th diagonal (k = 0 or -1) of each square matrix of x."""
    n, ndim = x.aval.shape[-1], x.aval.ndim
    if k:
        x = x[..., 1:, :n - 1]
    rows, columns = (broadcasted_iota(np.int32, x.aval.shape, ndim - 2 + i) for i in range(2))
    return select(eq(rows, columns), x, 0 * x).sum(-1)


def tridiagonal(a, *, lower=True):
    """(a', d, e, taus): the tridiagonal form T = q^H a q of each Hermitian matrix,
    read from its `lower` (or upper) triangle, as LAPACK's hetrd: d its (real)
    diagonal, e its (real) sub- (super-) diagonal; a' holds them on its diagonal and
    first sub- (super-) diagonal and the reflectors whose product is q beyond, its other
    triangle untouched; taus the reflectors' factors. The upper case is the lower one
    of the matrix with its rows and columns reversed (hetrd's reflectors run from the
    last column)."""
    (a,) = _check("tridiagonal", _INEXACT, (2,), a)
    _square("tridiagonal", a)
    n, ndim = a.aval.shape[-1], a.aval.ndim
    reverse = (ndim - 2, ndim - 1)
    work = a if lower else rev(a, reverse)
    rows, columns = broadcasted_iota(np.int32, work.aval.shape, ndim - 2), broadcasted_iota(
        np.int32, work.aval.shape, ndim - 1)
    below = rows > columns
    diagonal = eq(rows, columns)
    work_h = conj(transpose(work, (*range(ndim - 2), ndim - 1, ndim - 2))) if dtypes.is_complex(
        a.aval.dtype) else transpose(work, (*range(ndim - 2), ndim - 1, ndim - 2))
    hermitian = select(below, work, select(diagonal, real(work).astype(a.aval.dtype) if dtypes.is_complex(
        a.aval.dtype) else work, work_h))
    packed, taus = bind(HessenbergOp, hermitian)
    packed = select(rows >= columns, packed, work)  # the other triangle untouched
    diag = _diagonal(packed, 0)
    sub = _diagonal(packed, -1)
    if dtypes.is_complex(a.aval.dtype):
        diag, sub = real(diag), real(sub)
    if not lower:
        packed, diag, sub, taus = rev(packed, reverse), rev(diag, (ndim - 2,)), rev(sub, (ndim - 2,)), rev(
            taus, (ndim - 2,))
    return [packed, diag, sub, taus]  # a list, as JAX's


def symmetric_product(a_matrix, c_matrix, *, alpha=1., beta=0., symmetrize_output=False):
    """alpha a a^T + beta c for a [..., m, n] and symmetric c [..., m, m]; with
    symmetrize_output the upper triangle mirrors the lower one (JAX's guarantee is the
    lower triangle only; here the whole product is computed)."""
    a, c = to_array(a_matrix), to_array(c_matrix)
    a_shape, c_shape = a.aval.shape, c.aval.shape
    if a_shape[-2] != c_shape[-1] or c_shape[-2] != c_shape[-1]:
        raise ValueError(with_source(f"symmetric_update expects a rectangular matrix of shape (m, n) and a square "
                                     f"matrix of shape (n, n). Got shapes {tuple(a_shape[-2:])} and "
                                     f"{tuple(c_shape[-2:])}."))
    ndim = a.aval.ndim
    a_t = transpose(a, (*range(ndim - 2), ndim - 1, ndim - 2))
    result = add(mul(np.array(alpha, a.aval.dtype), batch_matmul(a, a_t)), mul(np.array(beta, c.aval.dtype), c))
    if symmetrize_output:
        rows = broadcasted_iota(np.int32, result.aval.shape, ndim - 2)
        columns = broadcasted_iota(np.int32, result.aval.shape, ndim - 1)
        result = select(rows >= columns, result, transpose(result, (*range(ndim - 2), ndim - 1, ndim - 2)))
    return result


def cholesky_update(r_matrix, w_vector):
    """The upper Cholesky factor of r^T r + w w^T from r's (JAX's Givens rotations,
    one row of r per entry of w)."""
    r, w = to_array(r_matrix), to_array(w_vector)
    for i, x in enumerate((r, w)):
        if x.aval.ndim != 2 - i:
            raise TypeError(with_source(f"Input {i} to cholesky_update must have a rank of exactly {2 - i}, but got "
                                        f"shape={tuple(x.aval.shape)}"))
    if r.aval.shape[0] != r.aval.shape[1] or w.aval.shape[0] != r.aval.shape[1]:
        raise ValueError(with_source(f"Rank-1 update to Cholesky decomposition takes a square matrix and a vector "
                                     f"of the same size as input. Got shapes {tuple(r.aval.shape)} and "
                                     f"{tuple(w.aval.shape)} instead"))
    n = w.aval.shape[0]

    def rotate(k, state):
        r, z = state
        x, y = r[k, k], z[k]
        scale = select(abs(x) > abs(y), abs(x), abs(y))
        zero = eq(y, np.array(0, y.aval.dtype))
        scale = select(zero, np.array(1, y.aval.dtype), scale)
        x, y = x / scale, y / scale
        rh = 1 / (x * x + y * y) ** 0.5
        c = select(zero, np.array(1, y.aval.dtype), x * rh)
        s = select(zero, np.array(0, y.aval.dtype), -y * rh)
        row = r[k, :]
        return r.at[k, :].set(c * row - s * z), c * z + s * row

    return fori_loop(0, n, rotate, (r, w))[0]


def ormqr(a, taus, c, *, left=True, transpose=False):
    """Q c, Q^H c (`transpose`), c Q or c Q^H (not `left`) for the Q of the Householder
    reflectors below a's diagonal [..., m, n] and their factors taus [..., k], without
    forming Q (JAX's reflector loop)."""
    a, taus, c = (to_array(x) for x in (a, taus, c))
    a_shape, c_shape = tuple(a.aval.shape), tuple(c.aval.shape)
    m = a_shape[-2]
    if left and c_shape[-2] != m:
        raise ValueError(with_source(f"ormqr with left=True expects c to have the same number of rows as the "
                                     f"Householder matrix a. Got a shape {a_shape} and c shape {c_shape}."))
    if not left and c_shape[-1] != m:
        raise ValueError(with_source(f"ormqr with left=False expects c to have the same number of columns as the "
                                     f"Householder matrix a has rows. Got a shape {a_shape} and c shape {c_shape}."))
    k = taus.aval.shape[-1]
    ndim = a.aval.ndim
    complex_ = dtypes.is_complex(a.aval.dtype)
    rows = broadcasted_iota(np.int32, a_shape[:-1] + (k,), ndim - 2)
    columns = broadcasted_iota(np.int32, a_shape[:-1] + (k,), ndim - 1)
    v = select(rows > columns, a[..., :k], eq(rows, columns).astype(a.aval.dtype))
    factors = conj(taus) if transpose and complex_ else taus
    reverse = left != transpose  # Q c and c Q^H apply the reflectors last first

    def body(i, c):
        j = k - 1 - i if reverse else i
        tau = expand_dims(factors[..., j], (-1, -2))
        v_j = v[..., :, j]
        v_h = conj(v_j) if complex_ else v_j
        if left:  # c - tau v (v^H c)
            update = expand_dims(v_j, (-1,)) * expand_dims(batch_matmul(expand_dims(v_h, (-2,)), c)[..., 0, :],
                                                             (-2,))
        else:  # c - tau (c v) v^H
            update = expand_dims(batch_matmul(c, expand_dims(v_j, (-1,)))[..., 0], (-1,)) * expand_dims(v_h, (-2,))
        return c - tau * update

    return fori_loop(0, k, body, c)


def qdwh(x, *, is_hermitian=False, max_iterations=None, eps=None, dynamic_shape=None):
    """(u, h, num_iters, is_converged): the polar decomposition x = u h of a full-rank
    x [m, n], m >= n, by JAX's QR-based dynamically weighted Halley iteration
    (Nakatsukasa and Higham 2013): x scaled to norm <= 1, the steps' weights (a, b, c)
    precomputed from a lower bound of its singular values, QR steps while c is large,
    then Cholesky steps, then Halley's (3, 1, 3) ones until u moves less than
    cbrt(5 eps) (at most max_iterations steps in all, 10 by default), then a
    Newton-Schulz step. `is_hermitian` is unused, as JAX's."""
    x = to_array(x)
    if dynamic_shape is not None:
        raise NotImplementedError(with_source("qdwh: dynamic_shape (padded inputs) is not supported"))
    m, n = x.aval.shape
    if m < n:
        raise ValueError(with_source("The input matrix of shape M x N must have M >= N."))
    max_iterations = 10 if max_iterations is None else int(max_iterations)
    eps = float(np.finfo(x.aval.dtype).eps) if eps is None else eps
    dtype = x.aval.dtype

    def norm(y):
        return (abs(y) ** 2).sum() ** 0.5

    one_norm, inf_norm = abs(x).sum(0).max(), abs(x).sum(1).max()
    alpha_inverse = select(eq(one_norm, 0 * one_norm), 1 + 0 * one_norm, rsqrt(one_norm) * rsqrt(inf_norm))
    u = x * alpha_inverse.astype(dtype)
    eye = eq(broadcasted_iota(np.int32, (n, n), 0), broadcasted_iota(np.int32, (n, n), 1)).astype(dtype)
    tol_l = 10.0 * eps / 2.0
    tol_norm = float(np.cbrt(tol_l))

    def qr_step(u, a_minus_e_by_sqrt_c, sqrt_c, e):
        q, _ = qr(concatenate([sqrt_c * u, eye], 0), full_matrices=False)
        return e * u + a_minus_e_by_sqrt_c * (q[:m] @ _H(q[m:]))

    def cholesky_step(u, a_minus_e, c, e):
        y = cholesky(c * (_H(u) @ u) + eye, symmetrize_input=False)
        z = triangular_solve(y, transpose(u, (1, 0)), left_side=True, lower=True, conjugate_a=True)
        z = conj(z) if dtypes.is_complex(dtype) else z  # (lax.conj of a float is complex)
        z = _H(triangular_solve(y, z, left_side=True, lower=True, transpose_a=True, conjugate_a=True))
        return e * u + a_minus_e * z

    # Each step's parameters, in Python floats: a QR step's (a - e) / sqrt(c), sqrt(c)
    # and e = b / c where c is large (Cholesky's c u^H u + I would be ill conditioned),
    # else a Cholesky step's a - e, c and e.
    qr_params, cholesky_params, lower_bound = [], [], eps
    while lower_bound + tol_l < 1 and len(qr_params) + len(cholesky_params) < max_iterations:
        l2 = lower_bound * lower_bound
        dd = (4 * (1 / l2 - 1) / l2) ** (1 / 3)
        sqd = (1.0 + dd) ** (1 / 2)
        a = sqd + (2 - dd + 2 * (2 - l2) / (l2 * sqd)) ** (1 / 2)
        b = (a - 1) ** 2 / 4
        c = a + b - 1
        lower_bound = lower_bound * (a + b * l2) / (1 + c * l2)
        if c > 100:
            qr_params.append(((a - b / c) / c ** (1 / 2), c ** (1 / 2), b / c))
        else:
            cholesky_params.append((a - b / c, c, b / c))

    def steps(u, step, params):
        """The steps of `params` (a fori_loop over them rounded to x's dtype, as
        JAX's); whether the last still moved u."""
        moving = np.bool_(True)
        if not params:
            return u, moving
        table = to_array(np.array(params, dtype))

        def body(k, state):
            u_next = step(state[0], *table[k])
            return u_next, norm(u_next - state[0]) > tol_norm

        return fori_loop(0, len(params), body, (u, moving))

    u, _ = steps(u, qr_step, qr_params)
    u, moving = steps(u, cholesky_step, cholesky_params)

    def halley(state):
        k, u, _ = state
        u_next = cholesky_step(u, 3 - 1 / 3, 3, 1 / 3)
        return k + 1, u_next, norm(u_next - u) > tol_norm

    start = np.int32(len(qr_params) + len(cholesky_params))
    num_iters, u, moving = while_loop(lambda state: state[2] & (state[0] < max_iterations), halley,
                                      (start, u, moving))
    u = 1.5 * u - 0.5 * (u @ (_H(u) @ u))
    h = _H(u) @ x
    return u, (h + _H(h)) / 2, num_iters, ~moving
