"""lax's shape functions: slicing, concatenation, padding, reversal, reshapes, iota."""
import builtins
from functools import partial

import numpy as np

from mirax import dtypes
from mirax.api import jit
from mirax.core import bind, is_array, to_array
from mirax.dialect import shape as ops
from mirax.dialect.constant import IotaOp

from ._elementwise import add, broadcast_in_dim, convert_element_type, lt, select


def _ints(values):
    return tuple(int(v) for v in values)


def _axis(axis, ndim):
    """A dimension number in [0, ndim), negative values counting from the end (as NumPy)."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


# ----------------------------------------------------------------------------- static slices


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001
    operand = to_array(operand)
    strides = (1,) * operand.aval.ndim if strides is None else strides
    (out,) = bind(ops.SliceOp, operand, start_indices=_ints(start_indices), limit_indices=_ints(limit_indices),
                  strides=_ints(strides))
    return out


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    """operand[..., start_index:limit_index:stride] along `axis` (negative bounds count from the end)."""
    operand = to_array(operand)
    shape = operand.aval.shape
    axis = int(axis)
    size = shape[axis]
    start = 0 if start_index is None else int(start_index)
    limit = size if limit_index is None else int(limit_index)
    start, limit = (start + size if start < 0 else start), (limit + size if limit < 0 else limit)
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, int(stride)
    return slice(operand, starts, limits, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
    """operand[..., index] along `axis`, keeping that dimension (size 1) if `keepdims`."""
    operand = to_array(operand)
    index, axis = int(index), int(axis)
    size = operand.aval.shape[axis]
    wrapped = index + size if index < 0 else index
    if not 0 <= wrapped < size:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size {size}")
    result = slice_in_dim(operand, wrapped, wrapped + 1, 1, axis)
    return result if keepdims else squeeze(result, (axis,))


# ----------------------------------------------------------------------------- dynamic slices


def _dynamic_indices(operand, start_indices, allow_negative_indices):
    """0-d index arrays, one per dimension; negative indices count from the end where
    allowed (as jax.lax does before XLA clamps the window into range)."""
    shape = operand.aval.shape
    if is_array(start_indices):
        if start_indices.aval.ndim != 1:
            raise ValueError(f"Slice indices must be a 1D sequence, got {start_indices.aval.shape}")
        start_indices = [index_in_dim(start_indices, i, keepdims=False) for i in range(start_indices.aval.shape[0])]
    if len(start_indices) != len(shape):
        raise ValueError(f"Length of slice indices must match number of operand dimensions "
                         f"({len(start_indices)} vs {shape})")
    if isinstance(allow_negative_indices, bool):
        allow_negative_indices = [allow_negative_indices] * len(shape)
    # The op takes indices of one dtype; Python ints are weak and take the others' dtype.
    if not shape:
        return []
    dtype = dtypes.result_type(*(i.aval if is_array(i) else i for i in start_indices))
    result = []
    for i, size, allow_negative in zip(start_indices, shape, allow_negative_indices, strict=True):
        if isinstance(i, (int, np.integer)):
            i = int(i)
            result.append(to_array(i + size if allow_negative and i < 0 else i, dtype))
            continue
        i = convert_element_type(i, dtype)
        if allow_negative and not dtypes.is_unsigned(dtype):
            i = select(lt(i, 0), add(i, size), i)
        result.append(i)
    return result


def dynamic_slice(operand, start_indices, slice_sizes, *, allow_negative_indices=True):
    operand = to_array(operand)
    indices = _dynamic_indices(operand, start_indices, allow_negative_indices)
    (out,) = bind(ops.DynamicSliceOp, *indices, operand, slice_sizes=_ints(slice_sizes),
                  weak_type=operand.aval.weak_type)
    return out


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0, *, allow_negative_indices=True):
    operand = to_array(operand)
    axis = int(axis)
    starts, sizes, allow = _in_dim(operand, start_index, axis, allow_negative_indices)
    sizes[axis] = int(slice_size)
    return dynamic_slice(operand, starts, sizes, allow_negative_indices=allow)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True, *, allow_negative_indices=True):
    result = dynamic_slice_in_dim(operand, index, 1, axis, allow_negative_indices=allow_negative_indices)
    return result if keepdims else squeeze(result, (axis,))


def dynamic_update_slice(operand, update, start_indices, *, allow_negative_indices=True):
    operand, update = to_array(operand), to_array(update)
    indices = _dynamic_indices(operand, start_indices, allow_negative_indices)
    (out,) = bind(ops.DynamicUpdateSliceOp, *indices, operand, update)
    return out


def dynamic_update_slice_in_dim(operand, update, start_index, axis, *, allow_negative_indices=True):
    operand = to_array(operand)
    starts, _, allow = _in_dim(operand, start_index, int(axis), allow_negative_indices)
    return dynamic_update_slice(operand, update, starts, allow_negative_indices=allow)


def dynamic_update_index_in_dim(operand, update, index, axis, *, allow_negative_indices=True):
    operand, update = to_array(operand), to_array(update)
    axis = int(axis)
    if update.aval.ndim == operand.aval.ndim - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis, allow_negative_indices=allow_negative_indices)


def _in_dim(operand, start_index, axis, allow_negative_indices):
    """Start indices (start_index at `axis`, zeros that take its dtype elsewhere), full
    sizes and per-dimension negative-index flags for the *_in_dim wrappers."""
    ndim = operand.aval.ndim
    starts = [0] * ndim
    starts[axis] = start_index
    allow = [False] * ndim
    allow[axis] = allow_negative_indices
    return starts, list(operand.aval.shape), allow


# ----------------------------------------------------------------------------- joining, padding, reversing


def concatenate(operands, dimension):
    """The operands joined along `dimension`. The dialect's op is binary (IRDL gives a
    variadic operand group one type), so this is a balanced tree of joins, compiled
    as one program."""
    operands = [to_array(x) for x in operands]
    if not operands:
        raise ValueError("concatenate requires a non-empty sequences of arrays")
    if len(operands) == 1:
        return operands[0]
    return _concatenate_tree(*operands, dimension=int(dimension))


@partial(jit, static_argnames="dimension")
def _concatenate_tree(*operands, dimension):
    while len(operands) > 1:
        pairs = [operands[i: i + 2] for i in range(0, len(operands), 2)]
        operands = [bind(ops.ConcatenateOp, *pair, dimension=dimension)[0] if len(pair) == 2 else pair[0]
                    for pair in pairs]
    return operands[0]


def pad(operand, padding_value, padding_config):
    """operand padded by (low, high, interior) per dimension with the scalar padding_value."""
    operand, padding_value = to_array(operand), to_array(padding_value)
    if padding_value.aval.weak_type:  # a Python scalar takes the operand's dtype
        padding_value = convert_element_type(padding_value, operand.aval.dtype)
    low, high, interior = zip(*padding_config, strict=True) if padding_config else ((), (), ())
    (out,) = bind(ops.PadOp, operand, padding_value, edge_padding_low=_ints(low), edge_padding_high=_ints(high),
                  interior_padding=_ints(interior))
    return out


def rev(operand, dimensions):
    (out,) = bind(ops.RevOp, to_array(operand), dimensions=_ints(dimensions))
    return out


# ----------------------------------------------------------------------------- reshapes


def reshape(operand, new_sizes, dimensions=None):
    """operand (first transposed by `dimensions`, if given) in the shape new_sizes."""
    operand = to_array(operand)
    new_sizes = _ints(new_sizes)
    if dimensions is not None:
        operand = transpose(operand, dimensions)
    if operand.aval.shape == new_sizes:
        return operand
    (out,) = bind(ops.ReshapeOp, operand, new_sizes=new_sizes)
    return out


def transpose(operand, permutation):
    operand = to_array(operand)
    permutation = _ints(permutation)
    if permutation == tuple(range(operand.aval.ndim)):
        return operand
    (out,) = bind(ops.TransposeOp, operand, permutation=permutation)
    return out


def expand_dims(array, dimensions):
    """array with size-1 dimensions inserted at `dimensions` (positions in the result)."""
    array = to_array(array)
    ndim = array.aval.ndim + len(dimensions)
    dims = {_axis(d, ndim) for d in dimensions}
    if len(dims) != len(dimensions):
        raise ValueError(f"repeated axis in lax.expand_dims: {list(dimensions)}")
    shape = iter(array.aval.shape)
    return reshape(array, [1 if d in dims else next(shape) for d in range(ndim)])


def squeeze(array, dimensions):
    """array without the size-1 dimensions `dimensions`."""
    array = to_array(array)
    shape = array.aval.shape
    dims = {_axis(d, len(shape)) for d in dimensions}
    if any(shape[d] != 1 for d in dims):
        raise ValueError(f"cannot select an axis to squeeze out which has size not equal to one, "
                         f"got shape={shape} and dimensions={tuple(dimensions)}")
    return reshape(array, [s for d, s in enumerate(shape) if d not in dims])


def broadcast(operand, sizes):
    """operand repeated along new leading dimensions of `sizes`."""
    operand = to_array(operand)
    sizes = _ints(sizes)
    dims = range(len(sizes), len(sizes) + operand.aval.ndim)
    return broadcast_in_dim(operand, sizes + operand.aval.shape, dims)


def iota(dtype, size):
    return broadcasted_iota(dtype, (size,), 0)


def broadcasted_iota(dtype, shape, dimension):
    shape, dtype = _ints(shape), dtypes.canonicalize_dtype(dtype)
    # Inexact iotas count in int32 and convert: IotaOp's own float lowering imports a
    # helper that does not exist (dialect/constant.py).
    count_dtype = np.dtype(np.int32) if dtypes.is_float(dtype) or dtypes.is_complex(dtype) else dtype
    (out,) = bind(IotaOp, dtype=count_dtype, shape=shape, dimension=_axis(dimension, len(shape)))
    return convert_element_type(out, dtype)


# ----------------------------------------------------------------------------- jax.lax's shape helpers


def broadcast_shapes(*shapes):
    """The shape NumPy broadcasting gives `shapes` (jax.lax.broadcast_shapes)."""
    shapes = [tuple(int(d) for d in shape) for shape in shapes]
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: shapes={shapes}") from None


def broadcast_to_rank(x, rank):
    """x with leading dimensions of 1 up to rank `rank` (unchanged when it has more)."""
    x = to_array(x)
    return reshape(x, (1,) * (int(rank) - x.aval.ndim) + x.aval.shape) if x.aval.ndim < rank else x


def broadcast_like(arr, like_arr):
    """arr broadcast (trailing dimensions aligned) to the shape of like_arr."""
    arr, shape = to_array(arr), np.shape(like_arr) if not is_array(like_arr) else like_arr.aval.shape
    return broadcast_in_dim(arr, shape, range(len(shape) - arr.aval.ndim, len(shape)))


def collapse(operand, start_dimension, stop_dimension=None):
    """operand with dimensions [start_dimension, stop_dimension) merged into one."""
    operand = to_array(operand)
    shape = operand.aval.shape
    lo, hi, _ = builtins.slice(start_dimension, stop_dimension).indices(len(shape))
    if hi < lo:
        raise ValueError(f"Invalid dimension range passed to collapse: {shape}[{start_dimension}:{stop_dimension}]")
    return reshape(operand, shape[:lo] + (int(np.prod(shape[lo:hi], dtype=int)),) + shape[hi:])


def full(shape, fill_value, dtype=None):
    """An array of `shape` holding the scalar fill_value (as `dtype`, or its own dtype,
    weakly typed for a Python scalar)."""
    fill_value = to_array(fill_value)
    if fill_value.aval.ndim:
        raise TypeError(f"full must be called with scalar fill_value, got fill_value.shape {fill_value.aval.shape}.")
    if dtype is not None:
        fill_value = convert_element_type(fill_value, dtype)
    return broadcast_in_dim(fill_value, _ints(shape), ())


def full_like(x, fill_value, dtype=None, shape=None):
    """full(shape of x (or `shape`), fill_value, dtype of x (or `dtype`)), weakly typed
    where x is and no dtype is given."""
    aval = x.aval if is_array(x) else to_array(x).aval
    value = convert_element_type(fill_value, aval.dtype if dtype is None else dtype,
                                 weak_type=dtype is None and aval.weak_type)
    return full(aval.shape if shape is None else shape, value)


def empty(shape, dtype):
    """An array of `shape` and `dtype` whose values are not to be read: zeros here."""
    return full(shape, 0, dtype)


def split(operand, sizes, axis=0):
    """operand cut along `axis` into consecutive pieces of `sizes`."""
    operand = to_array(operand)
    axis, sizes = _axis(axis, operand.aval.ndim), _ints(sizes)
    if any(size < 0 for size in sizes):
        raise ValueError(f"Sizes passed to split must be nonnegative, got {list(sizes)}")
    if sum(sizes) != operand.aval.shape[axis]:
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {axis} of the operand shape "
                         f"{list(operand.aval.shape)}")
    bounds = np.cumsum((0,) + sizes)
    return [slice_in_dim(operand, int(start), int(stop), axis=axis) for start, stop in zip(bounds[:-1], bounds[1:])]


def stack(operands, axis=0):
    """The operands (one shape and dtype) joined along a new dimension `axis`."""
    arrays = [to_array(x) for x in operands]
    axis = _axis(axis, arrays[0].aval.ndim + 1)
    if len({x.aval.shape for x in arrays}) > 1:
        raise ValueError(f"All input arrays must have the same shape. Got "
                         f"{', '.join(str(x.aval.shape) for x in arrays)}.")
    if len({x.aval.dtype for x in arrays}) > 1:
        raise TypeError(f"lax.stack requires arguments to have the same dtypes, got "
                        f"{', '.join(x.aval.dtype.name for x in arrays)}.")
    return concatenate([expand_dims(x, (axis,)) for x in arrays], axis)


def unstack(x, axis=0):
    """The slices of x along `axis`, that dimension dropped."""
    x = to_array(x)
    axis = _axis(axis, x.aval.ndim)
    return tuple(index_in_dim(x, i, axis, keepdims=False) for i in range(x.aval.shape[axis]))


def tile(operand, reps):
    """operand repeated reps[i] times along each dimension i."""
    operand = to_array(operand)
    shape, reps = operand.aval.shape, _ints(reps)
    if len(reps) != len(shape):
        raise TypeError(f"reps length must be equal to the ndim of x, got len(reps)={len(reps)} and "
                        f"x.ndim={len(shape)}.")
    # (s0, s1, ...) -> (1, s0, 1, s1, ...) -> (r0, s0, r1, s1, ...) -> (r0*s0, r1*s1, ...)
    interleaved = reshape(operand, [d for s in shape for d in (1, s)])
    tiled = broadcast_in_dim(interleaved, [d for pair in zip(reps, shape, strict=True) for d in pair],
                             range(2 * len(shape)))
    return reshape(tiled, [r * s for r, s in zip(reps, shape, strict=True)])


__all__ = [
    "slice", "slice_in_dim", "index_in_dim", "dynamic_slice", "dynamic_slice_in_dim", "dynamic_index_in_dim",
    "dynamic_update_slice", "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim", "concatenate", "pad",
    "rev", "reshape", "transpose", "expand_dims", "squeeze", "broadcast", "iota", "broadcasted_iota",
    "broadcast_shapes", "broadcast_to_rank", "broadcast_like", "collapse", "full", "full_like", "empty", "split",
    "stack", "unstack", "tile",
]
