"""mirax.scipy.linalg: SciPy's linear algebra over mirax arrays, as jax.scipy.linalg."""
import warnings

from mirax.core import with_source
from mirax.lax import linalg as lax_linalg
from mirax.numpy._shape import broadcast_to, expand_dims, swapaxes
from mirax.numpy._ufuncs import conj
from mirax.numpy._util import check_arraylike, promote_dtypes_inexact
from mirax.numpy.linalg import _batch_shape


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
