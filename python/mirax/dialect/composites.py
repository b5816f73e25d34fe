"""Composites: values that rules build from several ops (ir.Values in and out, through
the builders of ops.py), each defined once here: moving and materializing axes, and the
matrix pieces of the linear algebra rules (triangles, identities, products, blocks)."""
import numpy as np

from . import ops
from .types import ShapedType, is_complex
from .values import full, type_of, zeros

# ----------------------------------------------------------------------------- axes


def move_axis(value, src, dst):
    """`value` with its dimension `src` moved to `dst` (itself when they agree)."""
    if src == dst:
        return value
    order = [d for d in range(type_of(value).ndim) if d != src]
    order.insert(dst, src)
    return ops.transpose(value, permutation=tuple(order))


def broadcast_batch(value, size, dst):
    """An unbatched `value` repeated `size` times along a new dimension `dst`."""
    shaped = type_of(value)
    shape = list(shaped.shape)
    shape.insert(dst, size)
    dims = tuple(d if d < dst else d + 1 for d in range(shaped.ndim))
    return ops.broadcast_in_dim(value, shape=tuple(shape), broadcast_dimensions=dims)


def padded(x, dimension, high):
    """x with `high` zeros appended along `dimension`."""
    if not high:
        return x
    ndim = type_of(x).ndim
    return ops.pad(x, zeros(ShapedType((), type_of(x).dtype)), edge_padding_low=(0,) * ndim,
                   edge_padding_high=tuple(high if d == dimension else 0 for d in range(ndim)),
                   interior_padding=(0,) * ndim)


# ----------------------------------------------------------------------------- matrices [..., m, n]


def _iotas(shaped):
    """int32 row and column numbers of each element of matrices of `shaped`."""
    return [ops.iota(dtype=np.dtype(np.int32), shape=shaped.shape, dimension=shaped.ndim - 2 + d)
            for d in (0, 1)]


def triangle(x, lower, k=0):
    """x's elements on and below (lower) or on and above the k-th diagonal, zeros elsewhere
    (jnp.tril / jnp.triu)."""
    rows, columns = _iotas(type_of(x))
    offset = ops.sub(columns, rows)
    keep = ops.compare(offset, full(type_of(offset), k), direction="LE" if lower else "GE")
    return ops.select(keep, x, zeros(type_of(x)))


def diagonal_mask(shaped, first=0):
    """True on the diagonal of each matrix of `shaped`, from row `first` on."""
    rows, columns = _iotas(shaped)
    mask = ops.compare(rows, columns, direction="EQ")
    if first:
        mask = ops.and_(mask, ops.compare(rows, full(type_of(rows), first), direction="GE"))
    return mask


def eye_like(x):
    """Identity matrices of x's type."""
    return ops.convert(diagonal_mask(type_of(x)), new_dtype=type_of(x).dtype)


def diagonal(x):
    """The diagonals of the square matrices of x, [..., n] (linear in x)."""
    return ops.reduce_sum(ops.mul(x, eye_like(x)), axes=(type_of(x).ndim - 1,))


def adjoint(x):
    """The conjugate transpose of each matrix of x."""
    rank = type_of(x).ndim
    swapped = ops.transpose(x, permutation=tuple(range(rank - 2)) + (rank - 1, rank - 2))
    return ops.conj(swapped) if is_complex(type_of(x).dtype) else swapped


def matmul(x, y):
    """x @ y over the batch dimensions."""
    batch = tuple(range(type_of(x).ndim - 2))
    return ops.dot_general(x, y, lhs_contracting_dimensions=(len(batch) + 1,),
                           rhs_contracting_dimensions=(len(batch),), lhs_batch_dimensions=batch,
                           rhs_batch_dimensions=batch)


def triangular_solve(a, b, **params):
    """ops.triangular_solve with lax.linalg.triangular_solve's defaults for the flags not given."""
    flags = dict(left_side=False, lower=False, transpose_a=False, conjugate_a=False, unit_diagonal=False)
    return ops.triangular_solve(a, b, **{**flags, **params})


def block(x, rows=None, cols=None):
    """x[..., rows[0]:rows[1], cols[0]:cols[1]] (None: all of them)."""
    shaped = type_of(x)
    starts, limits = [0] * shaped.ndim, list(shaped.shape)
    for dimension, bounds in ((shaped.ndim - 2, rows), (shaped.ndim - 1, cols)):
        if bounds is not None:
            starts[dimension], limits[dimension] = bounds
    if limits == list(shaped.shape) and not any(starts):
        return x
    return ops.slice(x, start_indices=tuple(starts), limit_indices=tuple(limits), strides=(1,) * shaped.ndim)


def join(x, y, dimension):
    """x and y concatenated along `dimension` (counted from the end)."""
    return ops.concatenate(x, y, dimension=type_of(x).ndim + dimension)


def row_gather(shape):
    """The dimension numbers and slice sizes of the gather x[..., permutation[..., i], :]
    for x of `shape` [..., n, k] and indices permutation[..., None]: one gather of whole
    rows, the batch dimensions of x and permutation paired (mirax.numpy.linalg's too)."""
    *batch, _, k = shape
    batch_dims, rows = tuple(range(len(batch))), len(batch)
    numbers = dict(offset_dims=(rows + 1,), collapsed_slice_dims=(rows,), start_index_map=(rows,),
                   operand_batching_dims=batch_dims, start_indices_batching_dims=batch_dims)
    return numbers, (1,) * rows + (1, k)


def rows_permuted(x, permutation):
    """x[..., permutation[..., i], :] (a gather, linear in x)."""
    shaped = type_of(x)
    numbers, slice_sizes = row_gather(shaped.shape)
    indices = ops.reshape(permutation, new_sizes=type_of(permutation).shape + (1,))
    return ops.gather(x, indices, zeros(ShapedType((), shaped.dtype)), **numbers, slice_sizes=slice_sizes,
                      mode="clip")
