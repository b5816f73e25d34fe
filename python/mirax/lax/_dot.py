"""lax's contractions over the dialect's dot_general op.

Operands of two dtypes are promoted to one (as jax.lax.dot_general does);
`preferred_element_type` computes in the promotion of the operand dtype and that
type, and converts the result to it. `precision` is accepted and ignored: the CPU
computes every dtype at full precision.
"""
from mirax import dtypes
from mirax.core import bind, to_array, with_source
from mirax.dialect.dot import DotGeneralOp

from ._elementwise import convert_element_type


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Contracts lhs and rhs; dimension_numbers is ((lhs_contracting, rhs_contracting),
    (lhs_batch, rhs_batch)). Result dimensions: batch, lhs free, rhs free."""
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = dimension_numbers
    lhs, rhs = to_array(lhs), to_array(rhs)
    dtype = lhs.aval.dtype if lhs.aval.dtype == rhs.aval.dtype else dtypes.result_type(lhs.aval, rhs.aval)
    result_dtype = dtype
    if preferred_element_type is not None:
        result_dtype = dtypes.canonicalize_dtype(preferred_element_type)
        dtype = dtypes.promote_types(dtype, result_dtype)
    (out,) = bind(DotGeneralOp, _as(lhs, dtype), _as(rhs, dtype),
                  lhs_contracting_dimensions=tuple(int(d) for d in lhs_contracting),
                  rhs_contracting_dimensions=tuple(int(d) for d in rhs_contracting),
                  lhs_batch_dimensions=tuple(int(d) for d in lhs_batch),
                  rhs_batch_dimensions=tuple(int(d) for d in rhs_batch))
    return _as(out, result_dtype)


def _as(x, dtype):
    """x as `dtype`, untouched when it has it (convert_element_type would narrow a
    64-bit array without x64)."""
    return x if x.aval.dtype == dtype else convert_element_type(x, dtype, weak_type=x.aval.weak_type)


def dot(lhs, rhs, *, dimension_numbers=None, precision=None, preferred_element_type=None):
    """Vector-vector, matrix-vector and matrix-matrix products (or dot_general when
    dimension_numbers are given)."""
    lhs, rhs = to_array(lhs), to_array(rhs)
    if dimension_numbers is None:
        if not (1 <= lhs.aval.ndim <= 2 and 1 <= rhs.aval.ndim <= 2):
            raise ValueError(with_source(
                f"dot: dimension_numbers must be given except for vector and matrix products; got shapes "
                f"{list(lhs.aval.shape)} and {list(rhs.aval.shape)}"))
        dimension_numbers = (((lhs.aval.ndim - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dimension_numbers, precision=precision,
                       preferred_element_type=preferred_element_type)


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the leading (batch) dimensions of two arrays of one rank >= 2."""
    lhs, rhs = to_array(lhs), to_array(rhs)
    ndim = lhs.aval.ndim
    if ndim != rhs.aval.ndim or ndim < 2:
        raise ValueError(with_source(f"batch_matmul requires arrays of one rank >= 2, got shapes "
                                     f"{list(lhs.aval.shape)} and {list(rhs.aval.shape)}"))
    batch = tuple(range(ndim - 2))
    return dot_general(lhs, rhs, (((ndim - 1,), (ndim - 2,)), (batch, batch)), precision=precision)


__all__ = ["dot_general", "dot", "batch_matmul"]
