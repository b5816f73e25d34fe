"""mirax.scipy.linalg: SciPy's linear algebra over mirax arrays, as jax.scipy.linalg."""
import warnings
from functools import partial

import numpy as np

import mirax.numpy as jnp
from mirax import lax
from mirax.core import with_source
from mirax.ad import jvp
from mirax.custom_derivatives import custom_jvp
from mirax.lax import linalg as lax_linalg
from mirax.numpy._shape import broadcast_to, expand_dims, swapaxes
from mirax.numpy._ufuncs import conj
from mirax.numpy._util import check_arraylike, promote_dtypes_inexact
from mirax.numpy.linalg import _batch_shape, _lu_solve
from mirax.scipy._special_matrices import (  # noqa: F401
    block_diag, circulant, companion, convolution_matrix, dft, fiedler, fiedler_companion, hadamard, hankel, helmert,
    hilbert, invhilbert, invpascal, leslie, pascal, toeplitz)


def _conj_transpose(x):
    return conj(swapaxes(x, -1, -2))


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The lower (or upper, SciPy's default) Cholesky factor, from that triangle of a
    alone; NaNs for a matrix that is not positive definite."""
    check_arraylike("jax.scipy.linalg.cholesky", a)
    (a,) = promote_dtypes_inexact(a)
    factor = lax_linalg.cholesky(a if lower else _conj_transpose(a), symmetrize_input=False)
    return factor if lower else _conj_transpose(factor)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower) for cho_solve: c the Cholesky factor in the `lower` or upper triangle."""
    return cholesky(a, lower=lower), lower


def _solve_broadcast(fn_name, a, b, solve):
    """solve(a, b) for a [..., n, n] and b [..., n, k], or a vector b [n] (or, as JAX
    still reads it with a FutureWarning, a batch of vectors b [..., n] with one dimension
    less than a), the batch dimensions broadcast."""
    check_arraylike(fn_name, a, b)
    a, b = promote_dtypes_inexact(a, b)
    a_shape, b_shape = a.aval.shape, b.aval.shape
    if len(a_shape) < 2 or a_shape[-1] != a_shape[-2]:
        raise ValueError(with_source(f"{fn_name} requires a of shape [..., n, n], got {tuple(a_shape)}"))
    vector = len(b_shape) == 1 or (len(a_shape) == len(b_shape) + 1 and a_shape[-1] == b_shape[-1])
    if vector and len(b_shape) > 1:
        warnings.warn(f"{fn_name}: batched 1D solves with b.ndim > 1 are deprecated, and in the future will be "
                      f"treated as a batched 2D solve. Use {fn_name}(..., b[..., None]).squeeze(-1) to avoid "
                      f"this warning.", category=FutureWarning, stacklevel=3)
    if vector:
        b = expand_dims(b, -1)
    if len(b.aval.shape) < 2 or b.aval.shape[-2] != a_shape[-1]:
        raise ValueError(with_source(f"{fn_name} requires b of shape [n] or [..., n, k] for a of shape "
                                     f"{tuple(a_shape)}, got {tuple(b_shape)}"))
    batch = _batch_shape(fn_name, a_shape[:-2], b.aval.shape[:-2])
    x = solve(broadcast_to(a, batch + a_shape[-2:]), broadcast_to(b, batch + b.aval.shape[-2:]))
    return x[..., 0] if vector else x


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, debug=None,
                     check_finite=True):
    """x with op(a) x = b for triangular a: op is the identity (trans 0 or "N"), the
    transpose (1, "T") or the conjugate transpose (2, "C"); only a's `lower` (or upper)
    triangle is read."""
    options = {0: (False, False), "N": (False, False), 1: (True, False), "T": (True, False), 2: (True, True),
               "C": (True, True)}
    if trans not in options:
        raise ValueError(with_source(f"Invalid 'trans' value {trans}"))
    transpose_a, conjugate_a = options[trans]
    return _solve_broadcast("solve_triangular", a, b, lambda a, b: lax_linalg.triangular_solve(
        a, b, left_side=True, lower=lower, transpose_a=transpose_a, conjugate_a=conjugate_a,
        unit_diagonal=unit_diagonal))


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """x with a x = b from cho_factor(a)'s (c, lower): two triangular solves."""
    c, lower = c_and_lower

    def solve(c, b):
        y = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=not lower,
                                        conjugate_a=not lower)
        return lax_linalg.triangular_solve(c, y, left_side=True, lower=lower, transpose_a=lower, conjugate_a=lower)

    return _solve_broadcast("cho_solve", c, b, solve)


def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, pivots) of LU with partial pivoting, as lax.linalg.lu's first two results."""
    check_arraylike("jax.scipy.linalg.lu_factor", a)
    (a,) = promote_dtypes_inexact(a)
    lu, pivots, _ = lax_linalg.lu(a)
    return lu, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x with a x = b (trans 0), a^T x = b (1) or a^H x = b (2), from lu_factor(a)."""
    lu, pivots = lu_and_piv
    if trans not in (0, 1, 2):
        raise ValueError(with_source(f"'trans' value must be 0, 1, or 2, got {trans}"))
    lu, b = promote_dtypes_inexact(jnp.asarray(lu), jnp.asarray(b))
    if b.ndim == 1:
        signature = "(n,n),(k),(n)->(n)"
    elif lu.ndim == b.ndim + 1 and lu.shape[-1] == b.shape[-1]:
        warnings.warn("jax.scipy.linalg.lu_solve: batched 1D solves with b.ndim > 1 are deprecated, and in the future "
                      "will be treated as a batched 2D solve. Use lu_solve(lu_and_piv, b[..., None]).squeeze(-1) to "
                      "avoid this warning.", category=FutureWarning, stacklevel=2)
        signature = "(n,n),(k),(n)->(n)"
    else:
        signature = "(n,n),(k),(n,m)->(n,m)"
    return jnp.vectorize(partial(_lu_solve_2d, trans=trans), signature=signature)(lu, jnp.asarray(pivots), b)


def _lu_solve_2d(lu, pivots, b, trans):
    """lax.linalg.lu_solve of one matrix: the row swaps `pivots` replayed into a
    permutation, then two triangular solves (transposed ones, then the inverse
    permutation, for trans 1 and 2)."""
    n = lu.shape[0]
    permutation = lax_linalg.lu_pivots_to_permutation(pivots, n)
    x = b.reshape(n, -1)
    if trans == 0:
        x = _lu_solve(lu, permutation, x)
    else:
        conjugate = trans == 2
        x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=False, transpose_a=True, conjugate_a=conjugate)
        x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=True, unit_diagonal=True, transpose_a=True,
                                        conjugate_a=conjugate)
        x = x[jnp.argsort(permutation)]
    return x.reshape(b.shape)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """(p, l, u) with a = p l u for one matrix a [m, n] (JAX's takes no batch): p a
    permutation matrix, l [m, k] unit lower and u [k, n] upper triangular,
    k = min(m, n); (p l, u) if `permute_l`."""
    (a,) = promote_dtypes_inexact(jnp.asarray(a))
    lu_, _, permutation = lax_linalg.lu(a)
    dtype = a.dtype
    m, n = np.shape(a)
    p = jnp.real(jnp.array(permutation[None, :] == jnp.arange(m, dtype=permutation.dtype)[:, None], dtype=dtype))
    k = min(m, n)
    lower = jnp.tril(lu_, -1)[:, :k] + jnp.eye(m, k, dtype=dtype)
    upper = jnp.triu(lu_)[:k, :]
    return (jnp.matmul(p, lower), upper) if permute_l else (p, lower, upper)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    """(u, s, vh) with a = u diag(s) vh for matrices [..., m, n] (lax.linalg.svd), s
    alone without compute_uv; `lapack_driver` is unused, as JAX's."""
    (a,) = promote_dtypes_inexact(jnp.asarray(a))
    return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


def det(a, overwrite_a=False, check_finite=True):
    """The determinant of each matrix [..., n, n] (numpy.linalg.det)."""
    return jnp.linalg.det(a)


def inv(a, overwrite_a=False, check_finite=True):
    """The inverse of each matrix [..., n, n] (numpy.linalg.inv)."""
    return jnp.linalg.inv(a)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False, check_finite=True, assume_a="gen"):
    """x with a x = b: by LU (numpy.linalg.solve) unless assume_a is 'pos', then by the
    Cholesky factor of a's `lower` (or upper) triangle, b [..., n] or [..., n, k]."""
    valid_assume_a = ["gen", "sym", "her", "pos"]
    if assume_a not in valid_assume_a:
        raise ValueError(with_source(f"Expected assume_a to be one of {valid_assume_a}; got {assume_a!r}"))
    if assume_a != "pos":
        return jnp.linalg.solve(a, b)
    a, b = promote_dtypes_inexact(jnp.asarray(a), jnp.asarray(b))
    if not (a.ndim >= 2 and b.ndim in (a.ndim, a.ndim - 1) and a.shape[-1] == a.shape[-2] == b.shape[a.ndim - 2]):
        raise ValueError(with_source(f"The arguments to solve must have shapes a=[..., m, m] and b=[..., m, k] or "
                                     f"b=[..., m]; got a={a.shape} and b={b.shape}"))
    vector = b.ndim == a.ndim - 1
    if vector:
        b = b[..., None]
    batch = _batch_shape("solve", a.shape[:-2], b.shape[:-2])
    x = _positive_definite_solve(broadcast_to(a, batch + a.shape[-2:]), broadcast_to(b, batch + b.shape[-2:]), lower)
    return x[..., 0] if vector else x


def _cholesky_solve(a, b, lower):
    factor = cholesky(lax.stop_gradient(a), lower=lower)
    return cho_solve((factor, lower), b)


@partial(custom_jvp, nondiff_argnums=(2,))
def _positive_definite_solve(a, b, lower):
    return _cholesky_solve(a, b, lower)


@_positive_definite_solve.defjvp
def _positive_definite_solve_jvp(lower, primals, tangents):
    """x_dot = a^-1 (b_dot - a_dot x) with the whole of a_dot (JAX's custom_linear_solve
    with matvec a @ x), reusing one factorization."""
    (a, b), (a_dot, b_dot) = primals, tangents
    factor = cholesky(a, lower=lower)
    x = cho_solve((factor, lower), b)
    return x, cho_solve((factor, lower), b_dot - jnp.matmul(a_dot, x))


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """(q, r) of each matrix [..., m, n]: q [..., m, m] ('full') or [..., m, k]
    ('economic', k = min(m, n)); mode 'r' gives the 1-tuple (r,), as SciPy's."""
    if mode in ("full", "r"):
        full_matrices = True
    elif mode == "economic":
        full_matrices = False
    else:
        raise ValueError(with_source(f"Unsupported QR decomposition mode '{mode}'"))
    (a,) = promote_dtypes_inexact(jnp.asarray(a))
    q, r = lax_linalg.qr(a, pivoting=pivoting, full_matrices=full_matrices)
    return (r,) if mode == "r" else (q, r)


def qr_multiply(a, c, mode="right", pivoting=False, conjugate=False, overwrite_a=False, overwrite_c=False):
    """(q @ c, r) ('left', c [..., k, p]) or (c @ q, r) ('right', c [..., p, m]) with
    q, r a's economic QR (q conjugated if `conjugate`); a 1-D c is a column ('left') or
    a row ('right') and the product is raveled."""
    a, c = promote_dtypes_inexact(jnp.asarray(a), jnp.asarray(c))
    if mode not in ("right", "left"):
        raise ValueError(with_source(f"mode must be 'right' or 'left', got {mode!r}"))
    if pivoting:
        raise NotImplementedError(with_source("qr_multiply: pivoting=True is not supported"))
    onedim = c.ndim == 1
    if onedim:
        c = c[:, None] if mode == "left" else c[None, :]
    m, n = a.shape[-2:]
    k = min(m, n)
    if mode == "left" and c.shape[-2] != k:
        raise ValueError(with_source(f"Array shapes are not compatible for Q @ c operation: a has shape "
                                     f"{tuple(a.shape)} so Q has {k} columns, but c has {c.shape[-2]} rows "
                                     f"(expected {k})."))
    if mode == "right" and c.shape[-1] != m:
        raise ValueError(with_source(f"Array shapes are not compatible for c @ Q operation: a has shape "
                                     f"{tuple(a.shape)} so Q has {m} rows, but c has {c.shape[-1]} columns "
                                     f"(expected {m})."))
    batch = _batch_shape("qr_multiply", a.shape[:-2], c.shape[:-2])
    a, c = broadcast_to(a, batch + a.shape[-2:]), broadcast_to(c, batch + c.shape[-2:])
    q, r = lax_linalg.qr(a, full_matrices=False)
    if conjugate:
        q = jnp.conj(q)
    cq = jnp.matmul(q, c) if mode == "left" else jnp.matmul(c, q)
    return (cq.ravel() if onedim else cq), r


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, turbo=True, eigvals=None,
         type=1, check_finite=True):  # noqa: A002 (SciPy's name)
    """(w, v) for Hermitian matrices [..., n, n]: ascending eigenvalues w and the
    eigenvectors as v's columns, from a's `lower` (or upper) triangle; w alone if
    `eigvals_only`. Only the standard problem (b None, type 1, every eigenvalue)."""
    if b is not None:
        raise NotImplementedError(with_source("Only the b=None case of eigh is implemented"))
    if type != 1:
        raise NotImplementedError(with_source("Only the type=1 case of eigh is implemented."))
    if eigvals is not None:
        raise NotImplementedError(with_source("Only the eigvals=None case of eigh is implemented."))
    (a,) = promote_dtypes_inexact(jnp.asarray(a))
    v, w = lax_linalg.eigh(a, lower=lower)
    return w if eigvals_only else (w, v)


def expm(A, *, upper_triangular=False, max_squarings=16):  # noqa: N803 (SciPy's name)
    """The matrix exponential of each matrix [..., n, n], by JAX's Padé approximant of
    scaling and squaring (degree chosen by the 1-norm; NaNs past `max_squarings`
    squarings); `upper_triangular` solves the Padé quotient by a triangular solve."""
    (A,) = promote_dtypes_inexact(A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(with_source(f"Expected A to be a (batched) square matrix, got A.shape={A.shape!r}."))
    if A.ndim > 2:
        return jnp.vectorize(partial(expm, upper_triangular=upper_triangular, max_squarings=max_squarings),
                             signature="(n,n)->(n,n)")(A)
    P, Q, n_squarings = _calc_P_Q(A)  # noqa: N806

    def compute(A, P, Q):  # noqa: N803
        R = solve_triangular(Q, P) if upper_triangular else jnp.linalg.solve(Q, P)  # noqa: N806

        def square(R, i):  # noqa: N803
            return lax.cond(i < n_squarings, lambda x: jnp.matmul(x, x), lambda x: x, R), None

        return lax.scan(square, R, jnp.arange(max_squarings, dtype=n_squarings.dtype))[0]

    return lax.cond(n_squarings > max_squarings, lambda A, P, Q: jnp.full_like(A, np.nan), compute, A, P, Q)


# The Padé approximants' numerator coefficients b[k] (of A^k) and the 1-norm bounds
# below which each degree is accurate, for 64- and 32-bit floats (Higham 2005, as JAX's).
_PADE = {
    3: (120., 60., 12., 1.),
    5: (30240., 15120., 3360., 420., 30., 1.),
    7: (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.),
    9: (17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880., 3960., 90., 1.),
    13: (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
         10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.),
}
_PADE_BOUNDS = {
    8: (5.371920351148152, (0.01495585217958292, 0.253939833006323, 0.9504178996162932, 2.097847961257068),
        (3, 5, 7, 9, 13)),
    4: (3.92572478313866, (0.4258730016922831, 1.880152677804762), (3, 5, 7)),
}


def _calc_P_Q(A):  # noqa: N802, N803
    """The Padé numerator P = U + V and denominator Q = V - U of A scaled by
    2^-n_squarings, and n_squarings (a float)."""
    dtype = A.dtype
    if dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise TypeError(with_source(f"A.dtype={dtype} is not supported."))
    maxnorm, conds, degrees = _PADE_BOUNDS[np.finfo(dtype).bits // 8]
    A_L1 = jnp.linalg.norm(A, 1)  # noqa: N806
    n_squarings = jnp.maximum(0, jnp.floor(jnp.log2(A_L1 / maxnorm)))
    A = A / 2 ** n_squarings.astype(dtype)  # noqa: N806
    idx = jnp.digitize(A_L1, jnp.array(conds, dtype=A_L1.dtype))
    U, V = lax.switch(idx, [partial(_pade, degree=d) for d in degrees], A)  # noqa: N806
    return U + V, -U + V, n_squarings


def _pade(A, degree):  # noqa: N803
    """(U, V), the odd and even parts of the Padé numerator of `degree` at A, summed
    in JAX's order (highest power first)."""
    b = _PADE[degree]
    ident = jnp.eye(*A.shape, dtype=A.dtype)
    A2 = jnp.matmul(A, A)  # noqa: N806
    powers = [ident, A2]  # A^0, A^2, ...: up to A^(degree - 1), or A^6 for degree 13
    while len(powers) < (4 if degree == 13 else (degree + 1) // 2):
        powers.append(jnp.matmul(powers[-1], A2))
    odd = [b[2 * k + 1] * p for k, p in enumerate(powers)][::-1]
    even = [b[2 * k] * p for k, p in enumerate(powers)][::-1]
    if degree == 13:  # the terms above A^6 as A^6 times a polynomial
        A2, A4, A6 = powers[1:]  # noqa: N806
        odd[0] = jnp.matmul(A6, b[13] * A6 + b[11] * A4 + b[9] * A2) + odd[0]
        even[0] = jnp.matmul(A6, b[12] * A6 + b[10] * A4 + b[8] * A2) + even[0]
    return jnp.matmul(A, sum(odd[1:], odd[0])), sum(even[1:], even[0])


def expm_frechet(A, E, *, method=None, compute_expm=True):  # noqa: N803
    """The Fréchet derivative of expm at A in the direction E (expm's JVP), with
    expm(A) first if `compute_expm`. `method` is accepted and unused, as JAX's."""
    A, E = jnp.asarray(A), jnp.asarray(E)  # noqa: N806
    if A.ndim < 2 or A.shape[-2] != A.shape[-1]:
        raise ValueError(with_source(f"expected A to be a (batched) square matrix, got A.shape={A.shape}"))
    if E.ndim < 2 or E.shape[-2] != E.shape[-1]:
        raise ValueError(with_source(f"expected E to be a (batched) square matrix, got E.shape={E.shape}"))
    if A.shape != E.shape:
        raise ValueError(with_source(f"expected A and E to be the same shape, got A.shape={A.shape} "
                                     f"E.shape={E.shape}"))
    expm_A, expm_frechet_AE = jvp(expm, (A,), (E,))  # noqa: N806
    return (expm_A, expm_frechet_AE) if compute_expm else expm_frechet_AE


def eigh_tridiagonal(d, e, *, eigvals_only=False, select="a", select_range=None, tol=None, key=None):
    """The eigenvalues (ascending) of the Hermitian tridiagonal matrix of diagonal d and
    off-diagonal e, by JAX's bisection on Sturm counts (select 'a': all, 'i': those of
    the indices in select_range). JAX's eigenvectors (inverse iteration) are not
    supported: eigvals_only=True is required."""
    alpha, beta = jnp.asarray(d), jnp.asarray(e)
    if alpha.dtype != beta.dtype:
        raise TypeError(with_source(f"diagonal and off-diagonal values must have same dtype, got {alpha.dtype} and "
                                    f"{beta.dtype}"))
    if alpha.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise TypeError(with_source(f"Only float32 and float64 inputs are supported as inputs to "
                                    f"jax.scipy.linalg.eigh_tridiagonal, got {alpha.dtype} and {beta.dtype}"))
    if not eigvals_only:
        raise NotImplementedError(with_source("eigh_tridiagonal: eigenvectors (eigvals_only=False) are not supported"))
    n = alpha.shape[0]
    if n <= 1:
        return jnp.real(alpha)
    if np.issubdtype(alpha.dtype, np.complexfloating):
        alpha = jnp.real(alpha)
        beta_sq = jnp.real(beta * jnp.conj(beta))
        beta_abs = jnp.sqrt(beta_sq)
    else:
        beta_abs, beta_sq = jnp.abs(beta), jnp.square(beta)
    # Gershgorin bounds of the spectrum and LAPACK's safe minimum pivot.
    off_diag_abs_row_sum = jnp.concatenate([beta_abs[:1], beta_abs[:-1] + beta_abs[1:], beta_abs[-1:]], axis=0)
    lambda_est_max = jnp.amax(alpha + off_diag_abs_row_sum)
    lambda_est_min = jnp.amin(alpha - off_diag_abs_row_sum)
    t_norm = jnp.maximum(jnp.abs(lambda_est_min), jnp.abs(lambda_est_max))
    finfo = np.finfo(alpha.dtype)
    one = np.ones([], dtype=alpha.dtype)
    safemin = np.maximum(one / finfo.max, (one + finfo.eps) * finfo.tiny)
    pivmin = safemin * jnp.maximum(1, jnp.amax(beta_sq))
    alpha0_perturbation = jnp.square(finfo.eps * beta_abs[0])
    abs_tol = finfo.eps * t_norm
    if tol is not None:
        abs_tol = jnp.maximum(tol, abs_tol)
    max_it = finfo.nmant + 1
    if select == "a":
        target_counts = jnp.arange(n, dtype=np.int32)
    elif select == "i":
        if select_range is None:
            raise ValueError(with_source("for select='i', select_range must be specified."))
        if select_range[0] > select_range[1]:
            raise ValueError(with_source("Got empty index range in select_range."))
        target_counts = jnp.arange(select_range[0], select_range[1] + 1, dtype=np.int32)
    elif select == "v":
        raise NotImplementedError(with_source("eigh_tridiagonal(..., select='v') is not implemented"))
    else:
        raise ValueError(with_source("'select must have a value in {'a', 'i', 'v'}."))
    fudge = 2.1
    norm_slack = jnp.array(n, alpha.dtype) * fudge * finfo.eps * t_norm
    shape = target_counts.shape
    lower = jnp.broadcast_to(lambda_est_min - norm_slack - 2 * fudge * pivmin, shape)
    upper = jnp.broadcast_to(lambda_est_max + norm_slack + fudge * pivmin, shape)
    pivmin = jnp.broadcast_to(pivmin, shape)
    alpha0_perturbation = jnp.broadcast_to(alpha0_perturbation, shape)

    def sturm_count(x):
        """How many eigenvalues lie below each x: the negative pivots of the LDL^T
        factorization of T - x, each pivot kept away from 0 by pivmin."""
        q = alpha[0] - x
        count = jnp.where(q < 0, 1, 0).astype(np.int32)
        q = jnp.where(alpha[0] == x, alpha0_perturbation, q)

        def step(i, state):
            q, count = state
            q = alpha[i] - beta_sq[i - 1] / q - x
            small = q <= pivmin
            return jnp.where(small, jnp.minimum(q, -pivmin), q), jnp.where(small, count + 1, count)

        return lax.fori_loop(1, n, step, (q, count))[1]

    def cond(state):
        i, lower, _, upper = state
        return (i < max_it) & (abs_tol < jnp.amax(upper - lower))

    def bisect(state):
        i, lower, mid, upper = state
        counts = sturm_count(mid)
        lower = jnp.where(counts <= target_counts, mid, lower)
        upper = jnp.where(counts > target_counts, mid, upper)
        return i + 1, lower, 0.5 * (lower + upper), upper

    return lax.while_loop(cond, bisect, (0, lower, 0.5 * (upper + lower), upper))[2]


def hessenberg(a, *, calc_q=False, overwrite_a=False, check_finite=True):
    """h (and q if `calc_q`) with a = q h q^H, h upper Hessenberg and q unitary, for
    matrices [..., n, n]: lax.linalg.hessenberg's reflectors (LAPACK's gehrd), q their
    product, so that h and q agree with JAX's to rounding."""
    a = jnp.asarray(a)
    n = np.shape(a)[-1]
    if n == 0:
        return (jnp.zeros_like(a), jnp.zeros_like(a)) if calc_q else jnp.zeros_like(a)
    a_out, taus = lax_linalg.hessenberg(a)
    h = jnp.triu(a_out, -1)
    if not calc_q:
        return h
    q = lax_linalg.householder_product(a_out[..., 1:, :-1], taus)
    batch = a_out.shape[:-2]
    q = jnp.block([[jnp.ones(batch + (1, 1), dtype=a_out.dtype), jnp.zeros(batch + (1, n - 1), dtype=a_out.dtype)],
                   [jnp.zeros(batch + (n - 1, 1), dtype=a_out.dtype), q]])
    return h, q


def schur(a, output="real"):
    """(t, z) with a = z t z^H (lax.linalg.schur): t upper triangular for output
    'complex' (real matrices made complex first), quasi-triangular for a real matrix and
    output 'real'."""
    if output not in ("real", "complex"):
        raise ValueError(with_source(f"Expected 'output' to be either 'real' or 'complex', got output={output!r}."))
    a = jnp.asarray(a)
    if output == "complex":
        a = a.astype(jnp.result_type(a.dtype, np.complex64))
    return lax_linalg.schur(a)


def rsf2csf(T, Z, check_finite=True):  # noqa: N803 (SciPy's names)
    """The complex Schur form (t, z) from a real one (JAX's): each 2x2 block on the
    diagonal, from the last, split by the rotation that its first eigenvalue gives."""
    T, Z = jnp.asarray(T), jnp.asarray(Z)  # noqa: N806
    if T.ndim < 2 or T.shape[-1] != T.shape[-2]:
        raise ValueError(with_source("Input 'T' must be square."))
    if Z.ndim < 2 or Z.shape[-1] != Z.shape[-2]:
        raise ValueError(with_source("Input 'Z' must be square."))
    if T.shape[-1] != Z.shape[-1]:
        raise ValueError(with_source(f"Input array shapes must match: Z: {Z.shape} vs. T: {T.shape}"))
    return jnp.vectorize(_rsf2csf_2d, signature="(n,n),(n,n)->(n,n),(n,n)")(T, Z)


def _rsf2csf_2d(T, Z):  # noqa: N803
    dtype = jnp.result_type(T.dtype, Z.dtype, np.complex64)
    T, Z = T.astype(dtype), Z.astype(dtype)  # noqa: N806
    eps = jnp.finfo(T.dtype).eps
    n = T.shape[0]
    if n == 1:
        return T, Z

    def update(m, T, Z):  # noqa: N803
        mu = jnp.linalg.eigvals(lax.dynamic_slice(T, (m - 1, m - 1), (2, 2))) - T[m, m]
        r = jnp.linalg.norm(jnp.array([mu[0], T[m, m - 1]])).astype(T.dtype)
        c, s = mu[0] / r, T[m, m - 1] / r
        G = jnp.array([[c.conj(), s], [-s, c]], dtype=T.dtype)  # noqa: N806
        rows = lax.dynamic_slice_in_dim(T, m - 1, 2, axis=0)
        col_mask = jnp.arange(n) >= m - 1
        T = lax.dynamic_update_slice_in_dim(T, jnp.where(col_mask, G @ jnp.where(col_mask, rows, 0), rows), m - 1,  # noqa: N806
                                            axis=0)
        cols = lax.dynamic_slice_in_dim(T, m - 1, 2, axis=1)
        row_mask = jnp.arange(n)[:, None] < m + 1
        T = lax.dynamic_update_slice_in_dim(T, jnp.where(row_mask, jnp.where(row_mask, cols, 0) @ G.conj().T, cols),  # noqa: N806
                                            m - 1, axis=1)
        Z = lax.dynamic_update_slice_in_dim(Z, lax.dynamic_slice_in_dim(Z, m - 1, 2, axis=1) @ G.conj().T, m - 1,  # noqa: N806
                                            axis=1)
        return T, Z

    def step(i, TZ):  # noqa: N803
        m = n - i
        T, Z = TZ  # noqa: N806
        T, Z = lax.cond(jnp.abs(T[m, m - 1]) > eps * (jnp.abs(T[m - 1, m - 1]) + jnp.abs(T[m, m])), update,  # noqa: N806
                        lambda m, T, Z: (T, Z), m, T, Z)
        return T.at[m, m - 1].set(0.0), Z

    return lax.fori_loop(1, n, step, (T, Z))


def sqrtm(A, blocksize=1):  # noqa: N803
    """The principal square root of a square matrix, complex: from the complex Schur
    form a = z t z^H, z sqrt(t) z^H with sqrt(t) upper triangular (Björck and
    Hammarling's recurrence, as JAX's)."""
    if blocksize > 1:
        raise NotImplementedError(with_source("Blocked version is not implemented yet."))
    T, Z = schur(A, output="complex")  # noqa: N806
    return jnp.matmul(jnp.matmul(Z, _sqrtm_triu(T)), jnp.conj(Z.T))


def _sqrtm_triu(T):  # noqa: N803
    """The upper triangular square root u of upper triangular t: u_ii = sqrt(t_ii), then
    column by column, u_ij = (t_ij - sum_k u_ik u_kj) / (u_ii + u_jj) (0 where t_ij
    equals the sum)."""
    diag = jnp.sqrt(jnp.diag(T))
    n = diag.size

    def element(l, data):  # noqa: E741
        j, U = data  # noqa: N806
        i = j - 1 - l
        s = lax.fori_loop(i + 1, j, lambda k, total: total + U[i, k] * U[k, j], jnp.zeros((), T.dtype))
        return j, U.at[i, j].set(jnp.where(T[i, j] == s, 0.0, (T[i, j] - s) / (diag[i] + diag[j])))

    return lax.fori_loop(0, n, lambda j, U: lax.fori_loop(0, j, element, (j, U))[1], jnp.diag(diag))


def funm(A, func, disp=True):  # noqa: N803
    """func of a square matrix: func on the diagonal of its complex Schur form t, the
    rest of f(t) by Parlett's recurrence (Golub and Van Loan's algorithm 11.1.1), back
    through the Schur vectors; with disp=False also JAX's error estimate."""
    A = jnp.asarray(A)  # noqa: N806
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(with_source("expected square array_like input"))
    T, Z = rsf2csf(*schur(A))  # noqa: N806
    F = jnp.diag(func(jnp.diag(T))).astype(T.dtype)  # noqa: N806
    F, minden = _parlett(F, T)  # noqa: N806
    F = Z @ F @ Z.conj().T  # noqa: N806
    if disp:
        return F
    tol = jnp.finfo(F.dtype).eps
    minden = jnp.where(minden == 0.0, tol, minden)
    err = jnp.where(jnp.any(jnp.isinf(F)), np.inf,
                    jnp.minimum(1, jnp.maximum(tol, (tol / minden) * jnp.linalg.norm(jnp.triu(T, 1), 1))))
    return F, err


def _parlett(F, T):  # noqa: N803
    """Algorithm 11.1.1 of Golub and Van Loan: f(t)'s superdiagonals one after another from
    its diagonal F; with the least |t_jj - t_ii| met."""
    n = T.shape[0]

    def element(i, state):
        p, F, minden = state  # noqa: N806
        j = i + p
        s = T[i - 1, j - 1] * (F[j - 1, j - 1] - F[i - 1, i - 1])
        inside = (jnp.arange(n) >= i) & (jnp.arange(n) < j - 1)
        s = s + (jnp.where(inside, T[i - 1], 0) @ jnp.where(inside, F[:, j - 1], 0)
                 - jnp.where(inside, F[i - 1], 0) @ jnp.where(inside, T[:, j - 1], 0))
        den = T[j - 1, j - 1] - T[i - 1, i - 1]
        s = jnp.where(den != 0, s / den, s)
        return p, F.at[i - 1, j - 1].set(s), jnp.minimum(minden, jnp.abs(den))

    def diagonal(p, state):
        _, F, minden = lax.fori_loop(1, n - p + 1, element, (p, *state))  # noqa: N806
        return F, minden

    return lax.fori_loop(1, n, diagonal, (F, jnp.abs(T[0, 0])))


def solve_sylvester(A, B, C, *, method="schur", tol=1e-8):  # noqa: N803
    """X with A X + X B = C: Bartels-Stewart on the complex Schur forms of A and B^H
    (method 'schur') or through the eigendecompositions ('eigen'), as JAX's; NaNs where
    an eigenvalue of A plus one of B is within `tol` of zero."""
    A, B, C = promote_dtypes_inexact(jnp.asarray(A), jnp.asarray(B), jnp.asarray(C))  # noqa: N806
    m, n = C.shape[-2:]
    if A.shape[-2:] != (m, m) or B.shape[-2:] != (n, n):
        raise ValueError(with_source(f"Incompatible shapes for Sylvester equation:\nA: {A.shape}\nB: {B.shape}\n"
                                     f"C: {C.shape}"))
    return jnp.vectorize(partial(_solve_sylvester_2d, method=method, tol=tol),
                         signature="(m,m),(n,n),(m,n)->(m,n)")(A, B, C)


def _solve_sylvester_2d(A, B, C, *, method, tol):  # noqa: N803
    m, n = C.shape[-2:]
    if method == "schur":
        R, U = schur(A, output="complex")  # noqa: N806
        S, V = schur(B.conj().T, output="complex")  # noqa: N806
        Y = _solve_sylvester_triangular(R, S.conj().T, U.conj().T @ C.astype(R.dtype) @ V)  # noqa: N806
        X = U @ Y @ V.conj().T  # noqa: N806
    elif method == "eigen":
        RA, UA = jnp.linalg.eig(A)  # noqa: N806
        RB, UB = jnp.linalg.eig(B)  # noqa: N806
        Y = solve(UA, C.astype(RA.dtype) @ UB) / (RA[:, None] + RB[None, :])  # noqa: N806
        X = UA[:m, :m] @ Y[:m, :n] @ inv(UB)[:n, :n]  # noqa: N806
    else:
        raise ValueError(with_source(f"Unrecognized method {method}. The two valid methods are either \"schur\" or "
                                     f"\"eigen\"."))
    if not jnp.issubdtype(C.dtype, np.complexfloating):
        X = X.real  # noqa: N806
    singular = jnp.any(jnp.abs(jnp.linalg.eigvals(A)[:, None] + jnp.linalg.eigvals(B)[None, :]) < tol)
    return lax.cond(singular, lambda: jnp.zeros_like(X) * np.nan, lambda: X)


def _solve_sylvester_triangular(R, S, F):  # noqa: N803
    """Y with R Y + Y S^T = F for upper triangular R and S, element by element from the
    bottom right (a scan, as JAX's)."""
    m, n = F.shape

    def element(y, k):
        i, j = k // n, k % n
        Y = y.reshape((m, n))  # noqa: N806
        rhs = F[i, j] - (jnp.sum(jnp.where(jnp.arange(m) > i, R[i, :] * Y[:, j], 0.0))
                         + jnp.sum(jnp.where(jnp.arange(n) > j, Y[i, :] * S[:, j], 0.0)))
        return y.at[i * n + j].set(rhs / (R[i, i] + S[j, j])), None

    y, _ = lax.scan(element, jnp.zeros((m * n,), dtype=F.dtype), jnp.arange(m * n - 1, -1, -1))
    return y.reshape((m, n))


def polar(a, side="right", *, method="qdwh", eps=None, max_iterations=None):
    """(u, p) with a = u p (side 'right', p [..., n, n]) or a = p u ('left', p
    [..., m, m]), u with orthonormal columns (rows) and p Hermitian positive
    semidefinite, by JAX's QDWH iteration (a tall matrix for 'right', a wide one for
    'left', as JAX's; `eps` its convergence tolerance; as JAX's, `max_iterations` is
    not passed on: QDWH stops after 10), or from the SVD (method 'svd', any shape)."""
    arr = jnp.asarray(a)
    if arr.ndim < 2:
        raise ValueError(with_source("The input `a` must be at least a 2-D array."))
    if side not in ["right", "left"]:
        raise ValueError(with_source("The argument `side` must be either 'right' or 'left'."))
    signature = "(m,n)->(m,n),(n,n)" if side == "right" else "(m,n)->(m,n),(m,m)"
    return jnp.vectorize(partial(_polar_2d, side=side, method=method, eps=eps), signature=signature)(arr)


def _polar_2d(a, side, method, eps):
    m, n = a.shape
    if method == "svd":
        u, s, vh = lax_linalg.svd(a, full_matrices=False)
        s = s.astype(u.dtype)
        if side == "right":
            return jnp.matmul(u, vh), jnp.matmul(_conj_transpose(vh) * s[None, :], vh)
        return jnp.matmul(u, vh), jnp.matmul(u * s[None, :], _conj_transpose(u))
    if method != "qdwh":
        raise ValueError(with_source(f"Unknown polar decomposition method {method}."))
    if m >= n and side == "right":
        return tuple(lax_linalg.qdwh(a, eps=eps)[:2])
    if m < n and side == "left":
        unitary, posdef, _, _ = lax_linalg.qdwh(_conj_transpose(a), eps=eps)
        return _conj_transpose(unitary), _conj_transpose(posdef)
    raise NotImplementedError(with_source(
        f"method='qdwh' only supports mxn matrices where m < n where side='right' and m >= n side='left', got "
        f"{a.shape} with side={side!r}"))
